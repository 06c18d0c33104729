"""The reads behind the dashboard: the advisor's picture in a constant number of queries.

Scoped like every selector: the partners the advisor may see (``partners_visible_to``), their own
only unless ``mine_only`` is False; archived partners are left out.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from reciprocity.accounts.models import Team, User
from reciprocity.insights.models import Dismissal
from reciprocity.partners.agenda import OVERDUE
from reciprocity.partners.models import CORE_STAGES, PIPELINE_STAGES, Partner, Stage
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.playbook.selectors.strategies import StrategyYield, strategy_yield
from reciprocity.referrals.models import Direction, Kind, Referral

# Chart labels that fit under a bar; the table beside the chart gives the full names.
SHORT_LABELS = {
    Stage.FIRST_MEETING: "First meeting",
    Stage.DUE_DILIGENCE: "Due diligence",
    Stage.PROPOSED: "Proposed",
    Stage.ACTIVE: "Active",
}
MONTHS = 12


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    count: int

    @property
    def short_label(self) -> str:
        return SHORT_LABELS.get(Stage(self.stage), self.label)


@dataclass(frozen=True)
class MonthFlow:
    """Referrals (kind ``referral``) sent and received in one calendar month."""

    month: dt.date  # its first day
    sent: int
    received: int


@dataclass(frozen=True)
class BalanceTotals:
    """The reciprocity balance of the whole scope over the last 12 months."""

    since: dt.date
    referrals_sent: int
    referrals_received: int
    connections_sent: int
    connections_received: int


def mine_only_for(*, advisor: User, wide: bool | None) -> bool:
    """Whether a reader looks at their own partners only: as asked (``wide``), else their own
    for an advisor and the whole firm for firm admins and compliance, who rarely own any."""
    return not (advisor.sees_whole_firm if wide is None else wide)


def scope_of(*, advisor: User, mine_only: bool = True) -> QuerySet[Partner]:
    partners = partners_visible_to(advisor=advisor)
    return partners.owned_by(advisor) if mine_only else partners


def funnel_scope(
    *, advisor: User, mine_only: bool, team: Team | None = None, owner: User | None = None
) -> QuerySet[Partner]:
    """The partners a funnel is drawn over: the dashboard's scope, or the partners owned by one
    team's members, or by one advisor, among those the reader may see."""
    if team is None and owner is None:
        return scope_of(advisor=advisor, mine_only=mine_only)
    partners = partners_visible_to(advisor=advisor)
    if team is not None:
        partners = partners.filter(owner_id__in=team.members.values("pk"))
    if owner is not None:
        partners = partners.filter(owner_id=owner.pk)
    return partners


def dismissals_of(*, partner: Partner) -> list[Dismissal]:
    """The partner's diagnoses set aside and still in force, with who did it (one query)."""
    return list(
        Dismissal.objects.live().filter(partner_id=partner.pk).select_related("by").order_by("slug")
    )


def stages_counted(partners: QuerySet[Partner]) -> QuerySet[Partner, tuple[str, int]]:
    """How many ``partners`` are in each stage that has any."""
    return partners.order_by().values("stage").annotate(n=Count("pk")).values_list("stage", "n")


def stage_counts(partners: QuerySet[Partner]) -> list[StageCount]:
    """Every stage, pipeline first, with its count (one query)."""
    counts = dict(stages_counted(partners))
    return [StageCount(stage.value, stage.label, counts.get(stage, 0)) for stage in Stage]


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _live_referrals(partners: QuerySet[Partner]) -> QuerySet[Referral]:
    return Referral.objects.live().filter(partner__in=partners.values("pk"))


def referral_flows(
    partners: QuerySet[Partner], *, today: dt.date, months: int = MONTHS
) -> tuple[list[MonthFlow], BalanceTotals]:
    """Referrals sent and received in each of the last ``months`` calendar months, this one
    included, oldest first; and referrals and connections both ways since the same day a year
    ago. One query: the two read the same rows."""
    first = add_months(today.replace(day=1), -(months - 1))
    since = add_months(today, -MONTHS)
    rows = (
        _live_referrals(partners)
        # Every pair named, so that the index of live referrals by direction and kind is read
        # from the day on for each (``referral_live_flow``), not the whole table.
        .filter(direction__in=Direction.values, kind__in=Kind.values)
        .filter(occurred_at__gte=_start_of(min(first, since)))
        .annotate(month=TruncMonth("occurred_at", output_field=DateField()))
        .order_by()
        .values("month", "direction", "kind")
        .annotate(
            in_months=Count("pk", filter=Q(occurred_at__gte=_start_of(first))),
            in_year=Count("pk", filter=Q(occurred_at__gte=_start_of(since))),
        )
    )
    flows: dict[tuple[dt.date, str], int] = {}
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        if row["kind"] == Kind.REFERRAL:
            key = (row["month"], row["direction"])
            flows[key] = flows.get(key, 0) + row["in_months"]
        both = (row["direction"], row["kind"])
        totals[both] = totals.get(both, 0) + row["in_year"]
    flow = [
        MonthFlow(
            month=month,
            sent=flows.get((month, Direction.SENT), 0),
            received=flows.get((month, Direction.RECEIVED), 0),
        )
        for month in (add_months(first, offset) for offset in range(months))
    ]
    balance = BalanceTotals(
        since=since,
        referrals_sent=totals.get((Direction.SENT, Kind.REFERRAL), 0),
        referrals_received=totals.get((Direction.RECEIVED, Kind.REFERRAL), 0),
        connections_sent=totals.get((Direction.SENT, Kind.CONNECTION), 0),
        connections_received=totals.get((Direction.RECEIVED, Kind.CONNECTION), 0),
    )
    return flow, balance


@dataclass(frozen=True)
class Picture:
    """What the dashboard shows (the diagnoses come from ``diagnoses.assess``)."""

    today: dt.date
    mine_only: bool
    stages: list[StageCount]
    months: list[MonthFlow]
    balance: BalanceTotals
    overdue: int
    yields: list[StrategyYield]

    @property
    def pipeline(self) -> list[StageCount]:
        return [count for count in self.stages if count.stage in PIPELINE_STAGES]

    @property
    def side(self) -> list[StageCount]:
        return [count for count in self.stages if count.stage not in PIPELINE_STAGES]

    @property
    def in_pipeline(self) -> int:
        return sum(count.count for count in self.pipeline)

    @property
    def core(self) -> int:
        return sum(count.count for count in self.stages if count.stage in CORE_STAGES)

    @property
    def months_sent(self) -> int:
        return sum(month.sent for month in self.months)

    @property
    def months_received(self) -> int:
        return sum(month.received for month in self.months)


def picture_for(*, advisor: User, mine_only: bool = True, today: dt.date | None = None) -> Picture:
    """Partners per stage, referrals per month, the balance and what each referral strategy
    produced, all over the same partners (the advisor's own, or every one they may see), and what
    is overdue on the advisor's own agenda."""
    today = today or timezone.localdate()
    partners = scope_of(advisor=advisor, mine_only=mine_only)
    months, balance = referral_flows(partners, today=today)
    return Picture(
        today=today,
        mine_only=mine_only,
        stages=stage_counts(partners),
        months=months,
        balance=balance,
        overdue=agenda_for(advisor, today=today, limit=0).count(OVERDUE),
        yields=strategy_yield(advisor=advisor, among=partners),
    )
