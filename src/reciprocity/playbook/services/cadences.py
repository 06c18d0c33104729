"""Writes of the keep-warm cadences: the firm's defaults, a partner's overrides, and the
touch that keeps a cadence."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.choices import unknown_choice_message
from reciprocity.dates import local_day
from reciprocity.partners.agenda import AGENDA_ITEM_DONE, UNKNOWN_AGENDA_ITEM
from reciprocity.partners.models import Partner, Stage, Touch
from reciprocity.partners.services import UNKNOWN_STAGE, touch_log
from reciprocity.playbook.models import (
    CADENCE_COMPLETION_TOUCH,
    CADENCE_TOUCH_KINDS,
    INTERVAL_MAX_MONTHS,
    INTERVAL_MIN_MONTHS,
    Cadence,
    CadenceDefault,
    CadenceKind,
    validate_interval_months,
)
from reciprocity.playbook.selectors.cadences import cadences_of
from reciprocity.playbook.services.common import (
    checked_choice,
    ensure_admin_of_firm,
    ensure_partner_writable,
)
from reciprocity.records import Conflict, lock

UNKNOWN_CADENCE_KIND = unknown_choice_message("cadence", CadenceKind)
INTERVAL_REQUIRED = f"Say how many months apart: {INTERVAL_MIN_MONTHS} to {INTERVAL_MAX_MONTHS}."
CADENCE_TOUCH_MISMATCH = "That touch does not count for this cadence. Use one of: {choices}."


def _clean_interval(kind: str, interval_months: int | None) -> int | None:
    if interval_months is None:
        if kind != CadenceKind.NEWSLETTER:
            raise ValidationError({"interval_months": INTERVAL_REQUIRED})
        return None
    months = int(interval_months)
    try:
        validate_interval_months(months)
    except ValidationError as error:
        raise ValidationError({"interval_months": error}) from None
    return months


@transaction.atomic
def cadence_default_set(
    *, by: User, stage: str, kind: str, interval_months: int | None
) -> CadenceDefault:
    """Set the firm's rhythm of one kind for partners in one stage."""
    firm_id = ensure_admin_of_firm(by, by.firm_id)
    checked_choice(stage, Stage.values, UNKNOWN_STAGE, "stage")
    checked_choice(kind, CadenceKind.values, UNKNOWN_CADENCE_KIND, "kind")
    interval = _clean_interval(kind, interval_months)
    row = CadenceDefault.objects.select_for_update().filter(
        firm_id=firm_id, stage=stage, kind=kind
    ).first() or CadenceDefault(firm_id=firm_id, stage=stage, kind=kind)
    row.interval_months = interval
    attribute(row, by).save()
    return row


@transaction.atomic
def cadence_default_remove(*, by: User, stage: str, kind: str) -> None:
    firm_id = ensure_admin_of_firm(by, by.firm_id)
    for row in CadenceDefault.objects.filter(firm_id=firm_id, stage=stage, kind=kind):
        attribute(row, by).delete()


@transaction.atomic
def cadence_set(
    *,
    partner: Partner,
    by: User,
    kind: str,
    enabled: bool = True,
    interval_months: int | None = None,
) -> Cadence:
    """Override the firm's default for this partner: another interval, or off."""
    ensure_partner_writable(partner, by)
    checked_choice(kind, CadenceKind.values, UNKNOWN_CADENCE_KIND, "kind")
    interval = _clean_interval(kind, interval_months) if enabled else None
    row = Cadence.objects.select_for_update().filter(
        partner_id=partner.pk, kind=kind
    ).first() or Cadence(partner_id=partner.pk, kind=kind, by=by)
    row.enabled, row.interval_months, row.by = bool(enabled), interval, by
    attribute(row, by).save()
    return row


@transaction.atomic
def cadence_reset(*, partner: Partner, by: User, kind: str) -> None:
    """Drop the override: the firm's default for the partner's stage applies again."""
    ensure_partner_writable(partner, by)
    for row in Cadence.objects.filter(partner_id=partner.pk, kind=kind):
        attribute(row, by).delete()


@transaction.atomic
def cadence_complete(
    *,
    partner: Partner,
    by: User,
    kind: str,
    touch_kind: str | None = None,
    summary: str = "",
    occurred_at: dt.datetime | None = None,
    due: dt.date | None = None,
) -> Touch:
    """Complete a cadence item by logging the touch it asks for; the next one is due an
    interval later. ``due`` is the round the caller saw (the agenda key's date; None for the
    current one): a round that is no longer the current one, or a cadence kept already on the
    day of the touch, is refused, so a round is kept once however many times it is asked."""
    checked_choice(kind, CadenceKind.values, UNKNOWN_CADENCE_KIND, "kind")
    touch_kind = touch_kind or CADENCE_COMPLETION_TOUCH[kind]
    if touch_kind not in CADENCE_TOUCH_KINDS[kind]:
        raise ValidationError(
            {
                "touch_kind": CADENCE_TOUCH_MISMATCH.format(
                    choices=", ".join(CADENCE_TOUCH_KINDS[kind])
                )
            }
        )
    # One completion of the partner's cadences at a time: the next reads what this one logged.
    lock(partner)
    current = next((c for c in cadences_of(partner=partner) if c.kind == kind), None)
    if current is None or current.due is None:
        raise Http404(UNKNOWN_AGENDA_ITEM)
    day = local_day(occurred_at or timezone.now())
    kept_already = current.last_touch_at and local_day(current.last_touch_at) >= day
    if (due is not None and due != current.due) or kept_already:
        raise Conflict({"key": AGENDA_ITEM_DONE})
    default_summary = {
        CadenceKind.TOUCH_BASE: "Touched base",
        CadenceKind.ANNUAL_REVIEW: "Annual review of the clients referred",
        CadenceKind.NEWSLETTER: "Newsletter sent",
    }[CadenceKind(kind)]
    return touch_log(
        partner=partner,
        by=by,
        kind=touch_kind,
        summary=(summary or "").strip() or default_summary,
        occurred_at=occurred_at,
    )
