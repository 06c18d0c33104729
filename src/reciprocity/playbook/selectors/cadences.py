"""The keep-warm cadences in effect: the firm's default for the partner's stage, or the
advisor's override, and when each is next due."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from reciprocity.accounts.models import User
from reciprocity.dates import local_day, shifted
from reciprocity.partners.models import Partner, PartnerQuerySet
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.playbook.models import (
    CADENCE_LAST_TOUCH,
    Cadence,
    CadenceDefault,
    CadenceKind,
)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it is shorter; the
    calendar's last day rather than an overflow for a stored date near its end."""
    return shifted(day, relativedelta(months=months))


@dataclass(frozen=True)
class EffectiveCadence:
    partner_id: int
    partner_name: str
    kind: str
    interval_months: int | None
    source: str  # "firm" (the stage default) or "partner" (the advisor's override)
    last_touch_at: dt.datetime | None
    due: dt.date | None  # None for a membership such as the newsletter list

    @property
    def label(self) -> str:
        return CadenceKind(self.kind).label

    @property
    def description(self) -> str:
        return cadence_description(self.kind, self.interval_months)


def cadence_description(kind: str, interval_months: int | None) -> str:
    if kind == CadenceKind.NEWSLETTER and interval_months is None:
        return "On the newsletter list"
    if interval_months == 12:
        every = "every year"
    elif interval_months == 1:
        every = "every month"
    else:
        every = f"every {interval_months} months"
    return f"{CadenceKind(kind).label} {every}"


def cadence_defaults_of(*, advisor: User) -> QuerySet[CadenceDefault]:
    if advisor.firm_id is None:
        return CadenceDefault.objects.none()
    return CadenceDefault.objects.filter(firm_id=advisor.firm_id).order_by("stage", "kind")


def last_touch_of(kind: str) -> F:
    """The outer partner's last live touch that counts for the cadence ``kind``: a column of
    its own, which the touches' writes keep."""
    return F(CADENCE_LAST_TOUCH[kind])


def _last_touch_annotations() -> dict[str, F]:
    return {f"last_{kind}": last_touch_of(kind) for kind in CADENCE_LAST_TOUCH}


def _cadence_partners(partners: PartnerQuerySet, firm_ids: Iterable[int]) -> list[Partner]:
    """Partners with a cadence running (a stage default or an override), with their last
    matching touches and overrides, in three queries whatever their number."""
    defaults = list(CadenceDefault.objects.filter(firm_id__in=list(firm_ids)))
    stages = {row.stage for row in defaults}
    candidates = (
        partners.not_retired()
        .live()
        .filter(Q(stage__in=stages) | Exists(Cadence.objects.filter(partner_id=OuterRef("pk"))))
        # Only what the cadences read: a book of thousands is read whole.
        .only("pk", "name", "firm_id", "stage", "stage_changed_at")
        .annotate(**_last_touch_annotations())
        .prefetch_related(Prefetch("cadences", to_attr="cadence_overrides"))
        .order_by("name", "pk")
    )
    by_stage: dict[tuple[int, str], list[CadenceDefault]] = {}
    for row in defaults:
        by_stage.setdefault((row.firm_id, row.stage), []).append(row)
    result: list[Partner] = list(candidates)
    for partner in result:
        partner.stage_cadence_defaults = by_stage.get(  # type: ignore[attr-defined]
            (partner.firm_id, partner.stage), []
        )
    return result


def _effective(partner: Partner) -> list[EffectiveCadence]:
    overrides = {row.kind: row for row in getattr(partner, "cadence_overrides", [])}
    defaults = {row.kind: row for row in getattr(partner, "stage_cadence_defaults", [])}
    result = []
    for kind in CadenceKind.values:
        override = overrides.get(kind)
        if override is not None:
            if not override.enabled:
                continue
            interval, source = override.interval_months, "partner"
        elif kind in defaults:
            interval, source = defaults[kind].interval_months, "firm"
        else:
            continue
        last = getattr(partner, f"last_{kind}", None)
        due = None
        if interval:
            since = last or partner.stage_changed_at
            due = add_months(local_day(since), interval)
        result.append(
            EffectiveCadence(
                partner_id=partner.pk,
                partner_name=partner.name,
                kind=kind,
                interval_months=interval,
                source=source,
                last_touch_at=last,
                due=due,
            )
        )
    return result


def cadences_of(*, partner: Partner) -> list[EffectiveCadence]:
    """The cadences running for one partner: its overrides, else its stage's firm defaults."""
    found = _cadence_partners(Partner.objects.filter(pk=partner.pk), [partner.firm_id])
    return _effective(found[0]) if found else []


def cadences_of_partners(
    *, advisor: User, partners: PartnerQuerySet
) -> dict[int, list[EffectiveCadence]]:
    """The cadences running for each of these partners with any, by partner id, in the
    partners' order (name, then id): what ``cadences_of`` finds for each, in three queries."""
    firm_ids = [advisor.firm_id] if advisor.firm_id else []
    found = ((partner.pk, _effective(partner)) for partner in _cadence_partners(partners, firm_ids))
    return {pk: cadences for pk, cadences in found if cadences}


def cadence_items_of(
    *, advisor: User, mine_only: bool = True, partners: PartnerQuerySet | None = None
) -> list[EffectiveCadence]:
    """Every dated cadence of the advisor's partners, with its next due date."""
    if partners is None:
        partners = partners_visible_to(advisor=advisor)
        if mine_only:
            partners = partners.filter(owner_id=advisor.pk)
    return dated_cadences(cadences_of_partners(advisor=advisor, partners=partners))


def dated_cadences(running: dict[int, list[EffectiveCadence]]) -> list[EffectiveCadence]:
    """The cadences with a due date (an interval), the partners' order kept."""
    return [cadence for found in running.values() for cadence in found if cadence.due is not None]


def newsletter_list(*, advisor: User, mine_only: bool = False) -> list[Partner]:
    """Partners who should receive the newsletter, by their cadence."""
    partners = partners_visible_to(advisor=advisor)
    if mine_only:
        partners = partners.filter(owner_id=advisor.pk)
    found = _cadence_partners(partners, [advisor.firm_id] if advisor.firm_id else [])
    return [
        partner
        for partner in found
        if any(c.kind == CadenceKind.NEWSLETTER for c in _effective(partner))
    ]


CADENCE_TITLES: dict[str, str] = {
    CadenceKind.TOUCH_BASE: "Touch base with {name}",
    CadenceKind.ANNUAL_REVIEW: "Annual review with {name}: how are the referred clients doing?",
    CadenceKind.NEWSLETTER: "Send the newsletter to {name}",
}
