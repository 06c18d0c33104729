"""Writes of the agenda: snooze an item, complete it in place, or set it aside. What completing
or setting aside means is each source's own (``reciprocity.partners.agenda``)."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.partners.agenda import AGENDA_ITEM_DONE, AgendaSource, source_of
from reciprocity.partners.models import Partner
from reciprocity.partners.selectors import partner_get_for
from reciprocity.playbook.models import AgendaSnooze
from reciprocity.playbook.selectors.agenda import agenda_lists
from reciprocity.playbook.services.common import local_today
from reciprocity.records import Conflict

SNOOZE_NEEDS_REASON = "Say why you are putting this off."
SNOOZE_NOT_AFTER_TODAY = "Snooze until a day after today."
SNOOZE_TOO_LONG = "Snooze for a year at most; drop the item if it no longer matters."
SNOOZE_MAX_DAYS = 366


def _agenda_item(by: User, key: str) -> tuple[AgendaSource[Any], Partner, str]:
    """The source of the item, its partner (a 404 unless the advisor may see them) and the
    rest of its key."""
    source, parsed = source_of(key)
    partner = partner_get_for(advisor=by, pk=parsed.partner_id, include_archived=False)
    return source, partner, parsed.reference


@transaction.atomic
def agenda_snooze(
    *, by: User, key: str, until: dt.date, reason: str, today: dt.date | None = None
) -> AgendaSnooze:
    """Put an agenda item off until a day, with the reason; it comes back on that day."""
    ensure_can_write(by)
    _, partner, _ = _agenda_item(by, key)
    today = today or local_today()
    # Only what the agenda lists (as far ahead as a snooze reaches): a key of the day before
    # an item moved would snooze nothing.
    listed = agenda_lists(
        by, key=key, partner_id=partner.pk, horizon_days=SNOOZE_MAX_DAYS, today=today
    )
    if not listed:
        raise Conflict({"key": AGENDA_ITEM_DONE})
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


def _unsnooze(by: User, key: str) -> None:
    for snooze in AgendaSnooze.objects.filter(advisor_id=by.pk, key=key):
        attribute(snooze, by).delete()


@transaction.atomic
def agenda_unsnooze(*, by: User, key: str) -> None:
    ensure_can_write(by)
    _unsnooze(by, key)


@transaction.atomic
def agenda_complete(*, by: User, key: str, **options: Any) -> Any:
    """Complete any agenda item in place. Options: ``touch_kind``, ``summary``, ``occurred_at``
    (each source uses what applies). Returns what recorded the completion."""
    ensure_can_write(by)
    source, partner, reference = _agenda_item(by, key)
    result = source.complete(by=by, partner=partner, reference=reference, options=options)
    _unsnooze(by, key)
    return result


@transaction.atomic
def agenda_set_aside(*, by: User, key: str) -> Any:
    """Take an item off the agenda undone, as its source does it: a commitment is dropped, a
    referral's step skipped (it stays on the referral's checklist). Returns the record changed;
    a source whose items cannot be set aside refuses."""
    ensure_can_write(by)
    source, partner, reference = _agenda_item(by, key)
    return source.set_aside(by=by, partner=partner, reference=reference)
