"""The protocol steps done on a referral: each done step is a touch on the partner's timeline
and may move the referral's status."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.dates import happened_at
from reciprocity.partners.models import Partner
from reciprocity.partners.services import touch_archive, touch_log
from reciprocity.records import lock
from reciprocity.referrals.disclosure import check_evidence
from reciprocity.referrals.models import Referral, ReferralStep
from reciprocity.referrals.services.ledger import (
    STEP_NEEDS_CONSENT,
    referral_lock,
    status_record,
)
from reciprocity.referrals.services.next_step import referral_next_step_refresh

STEP_DONE = "This step is done; reopen it before skipping it."


def _lock_step(step: ReferralStep) -> ReferralStep:
    """The step re-read under lock with its referral, the referral locked first: every writer
    of a referral's steps takes the referral before anything else (a partner, to log or archive
    a touch), so that they keep its next step in turn (``referral_next_step_refresh``) and
    never wait on each other in a circle."""
    referral_lock(Referral(pk=step.referral_id))
    return lock(step, ReferralStep.objects.select_related("referral"))


@transaction.atomic
def referral_step_complete(
    *,
    step: ReferralStep,
    by: User,
    occurred_at: dt.datetime | None = None,
    summary: str = "",
) -> ReferralStep:
    """Mark a protocol step done, log it as a touch on the partner's timeline and move the
    referral's status where the step implies it (STATUS_AFTER_STEP), never backwards.

    Completing a step that is already done changes nothing (no second touch). Steps may be done in
    any order: real referrals do not always follow the checklist. A step that introduces the
    client needs the client's consent recorded first, and one that passes the introduction of
    a compensated referral its disclosure evidence when the firm requires it.
    """
    ensure_can_write(by)
    locked = _lock_step(step)
    if locked.done_at is None:
        referral = locked.referral
        if locked.needs_consent and not referral.has_consent:
            raise ValidationError({"step": STEP_NEEDS_CONSENT})
        if locked.status_after is not None:
            way = referral.lifecycle.way_to(referral.status, locked.status_after)
            check_evidence(referral, way, field="step", step=True)
        partner = Partner.objects.get(pk=referral.partner_id)
        when = happened_at(occurred_at)
        locked.touch = touch_log(
            partner=partner,
            by=by,
            kind=locked.touch_kind,
            summary=(summary or "").strip() or f"Referral: {locked.label} ({referral.need})"[:500],
            occurred_at=when,
        )
        locked.done_at, locked.skipped_at = when, None
        attribute(locked, by).save()
        _advance_after_step(referral, step=locked, by=by, when=when)
        referral_next_step_refresh(referral=referral)
    return locked


def _advance_after_step(
    referral: Referral, *, step: ReferralStep, by: User, when: dt.datetime
) -> None:
    """Record each status the done step implies the referral has passed (see STATUS_AFTER_STEP)."""
    target = step.status_after
    if target is None:
        return
    way = referral.lifecycle.way_to(referral.status, target)
    moment = max(when, referral.status_changed_at)
    for status in way:
        attribute(status_record(referral, by=by, status=status, reason="", when=moment), by).save()
    if way:
        attribute(referral, by).save()


@transaction.atomic
def referral_step_skip(*, step: ReferralStep, by: User) -> ReferralStep:
    """Leave a step out of this referral (it stays listed, marked skipped)."""
    ensure_can_write(by)
    locked = _lock_step(step)
    if locked.done_at is not None:
        raise ValidationError({"step": STEP_DONE})
    if locked.skipped_at is None:
        locked.skipped_at = timezone.now()
        attribute(locked, by).save()
        referral_next_step_refresh(referral=locked.referral)
    return locked


@transaction.atomic
def referral_step_reopen(*, step: ReferralStep, by: User) -> ReferralStep:
    """Undo a completed or skipped step; the touch it logged is archived with it."""
    ensure_can_write(by)
    locked = _lock_step(step)
    if locked.touch is not None:
        touch_archive(touch=locked.touch, by=by)
    if locked.done_at is not None or locked.skipped_at is not None:
        locked.done_at = locked.skipped_at = None
        locked.touch = None
        attribute(locked, by).save()
        referral_next_step_refresh(referral=locked.referral)
    return locked
