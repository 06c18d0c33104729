"""Writes of agreements: one active per partner, each promise tracked as a commitment."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.dates import happened_on, planned_on
from reciprocity.partners.models import CommitmentOwner, CommitmentStatus, Partner, ReferralProcess
from reciprocity.partners.services import commitment_create, commitment_update, partner_update
from reciprocity.playbook.models import Agreement, AgreementPromise, AgreementStatus, Meeting
from reciprocity.playbook.selectors.cadences import cadences_of
from reciprocity.playbook.services.common import ensure_partner_writable, local_today
from reciprocity.playbook.services.meetings import MEETING_OF_ANOTHER_PARTNER

AGREEMENT_NEEDS_BOTH_SIDES = (
    "Write what each side will do: at least one promise by the advisor and one by the partner."
)
PROMISE_EMPTY = "Every promise needs a description."
UNKNOWN_OWNER = "A promise is made by the advisor or by the partner."
UNKNOWN_PROCESS = "Choose how referrals will be passed: " + ", ".join(ReferralProcess.values) + "."
REVIEW_NOT_AFTER_AGREEMENT = "The next review must come after the day the agreement is made."
AGREED_IN_FUTURE = "An agreement is recorded once it is made; that date is in the future."
AGREEMENT_NOT_ACTIVE = "Only an active agreement can be ended."
REASON_REQUIRED = "Say why."


@dataclass(frozen=True)
class PromiseInput:
    owner: str  # "advisor" or "partner"
    what: str
    due: dt.date | None = None  # defaults to a day spread over the agreement (promise_dues)


def promise_dues(
    promises: Sequence[PromiseInput], *, agreed_on: dt.date, next_review: dt.date
) -> list[dt.date]:
    """The due date of each promise: its own, or spread over the agreement until the review.

    Each side's promises without a date fall evenly between the day it was agreed and the
    review (the k-th of n at k/(n+1) of the way), so the first comes soon and shows as a next
    step, instead of every promise falling due with the review."""
    span = (next_review - agreed_on).days
    undated: dict[str, list[int]] = {}
    for index, promise in enumerate(promises):
        if promise.due is None:
            undated.setdefault(promise.owner, []).append(index)
    dues = [promise.due or next_review for promise in promises]
    for indexes in undated.values():
        for rank, index in enumerate(indexes, start=1):
            dues[index] = agreed_on + dt.timedelta(days=span * rank // (len(indexes) + 1))
    return dues


def _keep_in_touch_from_cadences(partner: Partner) -> str:
    running = cadences_of(partner=partner)
    return "; ".join(c.description for c in running) or "Agree how to keep in touch."


@transaction.atomic
def agreement_create(
    *,
    partner: Partner,
    by: User,
    promises: Sequence[PromiseInput],
    referral_process: str,
    next_review: dt.date,
    keep_in_touch: str = "",
    agreed_on: dt.date | None = None,
    meeting: Meeting | None = None,
    notes: str = "",
) -> Agreement:
    """Write down the partnership: it replaces any active agreement, each promise becomes a
    commitment (due on its own date, or spread over the agreement: promise_dues), and the review
    becomes the advisor's commitment on the review date."""
    ensure_partner_writable(partner, by)
    agreed_on = agreed_on or local_today()
    errors: dict[str, str] = {}
    cleaned = [PromiseInput(p.owner, (p.what or "").strip(), p.due) for p in promises]
    if any(p.owner not in CommitmentOwner.values for p in cleaned):
        errors["promises"] = UNKNOWN_OWNER
    elif any(not p.what for p in cleaned):
        errors["promises"] = PROMISE_EMPTY
    elif {p.owner for p in cleaned} != set(CommitmentOwner.values):
        errors["promises"] = AGREEMENT_NEEDS_BOTH_SIDES
    if referral_process not in ReferralProcess.values:
        errors["referral_process"] = UNKNOWN_PROCESS
    if agreed_on > local_today():
        errors["agreed_on"] = AGREED_IN_FUTURE
    elif next_review <= agreed_on:
        errors["next_review"] = REVIEW_NOT_AFTER_AGREEMENT
    if meeting is not None and meeting.partner_id != partner.pk:
        errors["meeting"] = MEETING_OF_ANOTHER_PARTNER
    if errors:
        raise ValidationError(errors)
    happened_on(agreed_on, "agreed_on")
    planned_on(next_review, "next_review")
    for promise in cleaned:
        if promise.due is not None:
            planned_on(promise.due, "promises")
    Partner.objects.select_for_update().only("pk").get(pk=partner.pk)
    for previous in Agreement.objects.select_for_update().filter(
        partner_id=partner.pk, status=AgreementStatus.ACTIVE
    ):
        _close_agreement(previous, by, AgreementStatus.SUPERSEDED, "Replaced by a new agreement.")
    review = commitment_create(
        partner=partner,
        by=by,
        what=f"Review the agreement with {partner.name}",
        owner=CommitmentOwner.ADVISOR,
        due=next_review,
    )
    agreement = Agreement(
        partner_id=partner.pk,
        meeting=meeting,
        referral_process=referral_process,
        keep_in_touch=(keep_in_touch or "").strip() or _keep_in_touch_from_cadences(partner),
        agreed_on=agreed_on,
        next_review=next_review,
        review_commitment=review,
        notes=(notes or "").strip(),
        by=by,
    )
    agreement.full_clean(exclude=["partner", "by", "meeting", "review_commitment"])
    attribute(agreement, by).save()
    dues = promise_dues(cleaned, agreed_on=agreed_on, next_review=next_review)
    for position, (promise, due) in enumerate(zip(cleaned, dues, strict=True), start=1):
        commitment = commitment_create(
            partner=partner, by=by, what=promise.what, owner=promise.owner, due=due
        )
        attribute(
            AgreementPromise(
                agreement=agreement,
                owner=promise.owner,
                what=promise.what,
                position=position,
                commitment=commitment,
            ),
            by,
        ).save()
    if partner.preferred_referral_process != referral_process:
        partner_update(partner=partner, by=by, preferred_referral_process=referral_process)
    return agreement


def _close_agreement(agreement: Agreement, by: User, status: str, reason: str) -> None:
    agreement.status = status
    agreement.ended_at = timezone.now()
    agreement.end_reason = reason
    attribute(agreement, by).save()
    review = agreement.review_commitment
    if review is not None and review.status == CommitmentStatus.OPEN:
        commitment_update(commitment=review, by=by, status=CommitmentStatus.DROPPED)


@transaction.atomic
def agreement_end(*, agreement: Agreement, by: User, reason: str) -> Agreement:
    """End the partnership on paper; the record stays, with its history."""
    ensure_can_write(by)
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status != AgreementStatus.ACTIVE:
        raise ValidationError(AGREEMENT_NOT_ACTIVE)
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    _close_agreement(locked, by, AgreementStatus.ENDED, reason.strip()[:300])
    return locked
