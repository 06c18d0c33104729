"""Writes of the agenda: snooze an item, complete it in place, or set it aside."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.partners.models import Commitment, CommitmentStatus, Partner, Touch, TouchKind
from reciprocity.partners.selectors import commitment_get_for, partner_get_for
from reciprocity.partners.services import commitment_update, ensure_can_write
from reciprocity.playbook.agenda import (
    UNKNOWN_AGENDA_ITEM,
    agenda_completer,
    parse_item_key,
    register_agenda_completer,
)
from reciprocity.playbook.models import AgendaSnooze, CadenceKind, Meeting, Opportunity
from reciprocity.playbook.selectors.meetings import meeting_get_for
from reciprocity.playbook.selectors.strategies import opportunity_get_for
from reciprocity.playbook.services.cadences import cadence_complete
from reciprocity.playbook.services.common import local_today
from reciprocity.playbook.services.meetings import meeting_hold
from reciprocity.playbook.services.strategies import opportunity_request_meeting
from reciprocity.referrals.models import ReferralStep
from reciprocity.referrals.selectors import referral_step_get_for
from reciprocity.referrals.services import referral_step_skip

SNOOZE_NEEDS_REASON = "Say why you are putting this off."


SNOOZE_NOT_AFTER_TODAY = "Snooze until a day after today."


SNOOZE_TOO_LONG = "Snooze for a year at most; drop the item if it no longer matters."


SNOOZE_MAX_DAYS = 366


def _agenda_partner(by: User, key: str) -> tuple[Partner, str, str]:
    parsed = parse_item_key(key)
    if parsed is None:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    partner = partner_get_for(advisor=by, pk=parsed.partner_id, include_archived=False)
    return partner, parsed.source, parsed.reference


@transaction.atomic
def agenda_snooze(
    *, by: User, key: str, until: dt.date, reason: str, today: dt.date | None = None
) -> AgendaSnooze:
    """Put an agenda item off until a day, with the reason; it comes back on that day."""
    ensure_can_write(by)
    partner, _, _ = _agenda_partner(by, key)
    today = today or local_today()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": SNOOZE_NEEDS_REASON})
    if until <= today:
        raise ValidationError({"until": SNOOZE_NOT_AFTER_TODAY})
    if (until - today).days > SNOOZE_MAX_DAYS:
        raise ValidationError({"until": SNOOZE_TOO_LONG})
    snooze = AgendaSnooze.objects.select_for_update().filter(
        advisor_id=by.pk, key=key
    ).first() or AgendaSnooze(advisor=by, key=key, partner=partner)
    snooze.until, snooze.reason = until, reason[:300]
    attribute(snooze, by).save()
    return snooze


@transaction.atomic
def agenda_unsnooze(*, by: User, key: str) -> None:
    ensure_can_write(by)
    for snooze in AgendaSnooze.objects.filter(advisor_id=by.pk, key=key):
        attribute(snooze, by).delete()


@transaction.atomic
def agenda_complete(*, by: User, key: str, **options: Any) -> Any:
    """Complete any agenda item in place. Options: ``touch_kind``, ``summary``, ``occurred_at``
    (each source uses what applies). Returns what recorded the completion."""
    ensure_can_write(by)
    partner, source, reference = _agenda_partner(by, key)
    completer = agenda_completer(source)
    if completer is None:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    result = completer(by, partner, reference, options)
    for snooze in AgendaSnooze.objects.filter(advisor_id=by.pk, key=key):
        attribute(snooze, by).delete()
    return result


@transaction.atomic
def agenda_set_aside(*, by: User, key: str) -> Commitment | ReferralStep:
    """Take an item off the agenda undone: drop a commitment, or skip a referral's step (it
    stays on the referral's checklist, marked skipped). Returns the record it changed."""
    parsed = parse_item_key(key)
    if parsed is not None and parsed.source == "referral_step":
        step = referral_step_get_for(advisor=by, pk=parsed.reference)
        if step.referral.partner_id != parsed.partner_id:
            raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
        return referral_step_skip(step=step, by=by)
    if parsed is None or parsed.source != "commitment":
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    commitment = commitment_get_for(advisor=by, pk=parsed.reference)
    if commitment.partner_id != parsed.partner_id:
        raise Http404("No commitment with that id.")
    return commitment_update(commitment=commitment, by=by, status=CommitmentStatus.DROPPED)


def _complete_commitment(
    by: User, partner: Partner, reference: str, options: dict[str, Any]
) -> Commitment:
    commitment = commitment_get_for(advisor=by, pk=reference)
    if commitment.partner_id != partner.pk:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    return commitment_update(
        commitment=commitment,
        by=by,
        status=CommitmentStatus.DONE,
        touch_kind=options.get("touch_kind"),
        touch_summary=options.get("summary", ""),
        occurred_at=options.get("occurred_at"),
    )


def _complete_cadence(by: User, partner: Partner, reference: str, options: dict[str, Any]) -> Touch:
    kind = reference.split(":", 1)[0]
    if kind not in CadenceKind.values:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    return cadence_complete(
        partner=partner,
        by=by,
        kind=kind,
        touch_kind=options.get("touch_kind"),
        summary=options.get("summary", ""),
        occurred_at=options.get("occurred_at"),
    )


def _complete_opportunity(
    by: User, partner: Partner, reference: str, options: dict[str, Any]
) -> Opportunity:
    opportunity = opportunity_get_for(advisor=by, pk=reference)
    if opportunity.partner_id != partner.pk:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    return opportunity_request_meeting(
        opportunity=opportunity,
        by=by,
        touch_kind=options.get("touch_kind") or TouchKind.CALL,
        note=options.get("summary", ""),
        occurred_at=options.get("occurred_at"),
    )


def _complete_meeting(
    by: User, partner: Partner, reference: str, options: dict[str, Any]
) -> Meeting:
    meeting = meeting_get_for(advisor=by, pk=reference, partner_id=partner.pk)
    return meeting_hold(
        meeting=meeting,
        by=by,
        held_at=options.get("occurred_at"),
        summary=options.get("summary", ""),
    )


register_agenda_completer("commitment", _complete_commitment)


register_agenda_completer("cadence", _complete_cadence)


register_agenda_completer("opportunity", _complete_opportunity)


register_agenda_completer("meeting", _complete_meeting)
