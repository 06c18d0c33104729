"""The funnel and the time it takes: how partners move through the pipeline, how long each stage
lasts, how long the first referral takes, and who refers most.

- **Conversion**: of the partners who reached a pipeline stage, how many reached the next. A
  partner's furthest stage counts every stage before it, so a partner added as active counts as
  having been identified, qualified and met.
- **Time in stage**: the median days of the completed stays in each stage (a move out of it
  ends a stay), from the stage history.
- **First meeting to first referral**: the median days, over the partners with both, from the
  first move into a met stage to the first referral received (a referral that came before the
  meeting counts as day 0).
- **Top partners by yield**: referrals received in the last twelve months.

Only referrals of kind ``referral`` count, as everywhere in the insights. Reads are scoped by the
caller's partners and cost a constant four queries whatever the book.
"""

import datetime as dt
import statistics
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, Lead
from django.utils import timezone

from reciprocity.dates import local_day
from reciprocity.partners.models import PIPELINE_STAGES, Partner, Stage, StageChange
from reciprocity.referrals.models import Direction, Kind, Referral

# From the first meeting on, the partner has been met.
MET_STAGES = PIPELINE_STAGES[PIPELINE_STAGES.index(Stage.FIRST_MEETING) :]
TOP_PARTNERS = 5
YIELD_MONTHS = 12
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Step:
    """Partners who reached ``stage``, and of those, how many reached the next stage."""

    stage: str
    label: str
    reached: int
    went_on: int | None  # None for the last stage

    @property
    def rate(self) -> int | None:
        """Percent of those who reached the stage who went on to the next."""
        if self.went_on is None or not self.reached:
            return None
        return round(100 * self.went_on / self.reached)


@dataclass(frozen=True)
class StageTime:
    stage: str
    label: str
    median_days: float | None
    stays: int  # completed stays the median is taken over


@dataclass(frozen=True)
class TopPartner:
    partner_id: int
    name: str
    received: int


@dataclass(frozen=True)
class Funnel:
    steps: list[Step]
    times: list[StageTime]
    first_referral_median_days: float | None
    first_referral_partners: int
    top: list[TopPartner]


def _rank(field: str) -> Case:
    """A pipeline stage's place (0 for identified), -1 for dormant and retired."""
    return Case(
        *[When(**{field: stage}, then=Value(i)) for i, stage in enumerate(PIPELINE_STAGES)],
        default=Value(-1),
        output_field=IntegerField(),
    )


def _steps(partners: QuerySet[Partner]) -> list[Step]:
    furthest_moved = (
        StageChange.objects.filter(partner_id=OuterRef("pk"))
        .order_by()
        .values("partner_id")
        .annotate(top=Max(_rank("to_stage")))
        .values("top")
    )
    furthest = Greatest(
        Coalesce(Subquery(furthest_moved, output_field=IntegerField()), Value(-1)),
        _rank("stage"),
    )
    counts = dict(
        partners.order_by()
        .annotate(furthest=furthest)
        .values("furthest")
        .annotate(n=Count("pk"))
        .values_list("furthest", "n")
    )
    reached = [
        sum(n for rank, n in counts.items() if rank >= i) for i in range(len(PIPELINE_STAGES))
    ]
    return [
        Step(
            stage=stage.value,
            label=stage.label,
            reached=reached[i],
            went_on=reached[i + 1] if i + 1 < len(PIPELINE_STAGES) else None,
        )
        for i, stage in enumerate(PIPELINE_STAGES)
    ]


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return max((end - start).total_seconds(), 0) / SECONDS_PER_DAY


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _times(partners: QuerySet[Partner]) -> list[StageTime]:
    stays = (
        StageChange.objects.filter(partner__in=partners)
        .annotate(
            left_at=Window(
                Lead("occurred_at"),
                partition_by=[F("partner_id")],
                order_by=[F("occurred_at").asc(), F("pk").asc()],
            )
        )
        .order_by()
        .values_list("to_stage", "occurred_at", "left_at")
    )
    durations: dict[str, list[float]] = {stage: [] for stage in PIPELINE_STAGES}
    for stage, entered, left in stays:
        if left is not None and stage in durations:
            durations[stage].append(_days(entered, left))
    return [
        StageTime(stage.value, stage.label, _median(durations[stage]), len(durations[stage]))
        for stage in PIPELINE_STAGES
    ]


def _received(partners: QuerySet[Partner]) -> QuerySet[Referral]:
    return Referral.objects.live().filter(
        partner__in=partners, direction=Direction.RECEIVED, kind=Kind.REFERRAL
    )


def _first_referral_moments() -> tuple[Subquery, Subquery]:
    """A partner's first move into a met stage, and the first referral received from them: to
    annotate the partners with."""
    met = StageChange.objects.filter(partner_id=OuterRef("pk"), to_stage__in=MET_STAGES)
    received = _received(Partner.objects.all()).filter(partner_id=OuterRef("pk"))
    return (
        Subquery(
            met.order_by().values("partner_id").annotate(m=Min("occurred_at")).values("m"),
            output_field=DateTimeField(),
        ),
        Subquery(
            received.order_by().values("partner_id").annotate(m=Min("occurred_at")).values("m"),
            output_field=DateTimeField(),
        ),
    )


def _first_referral_days(partners: QuerySet[Partner]) -> list[float]:
    met, received = _first_referral_moments()
    pairs = (
        partners.order_by()
        .annotate(met_at=met, first_received_at=received)
        .filter(met_at__isnull=False, first_received_at__isnull=False)
        .values_list("met_at", "first_received_at")
    )
    return [_days(met_at, first) for met_at, first in pairs]


@dataclass(frozen=True)
class FirstReferral:
    """One partner's time from the first meeting to the first referral received."""

    met_on: dt.date | None
    received_on: dt.date | None

    @property
    def days(self) -> int | None:
        if self.met_on is None or self.received_on is None:
            return None
        return max((self.received_on - self.met_on).days, 0)


def first_referral_of(partner: Partner) -> FirstReferral:
    """The partner's first meeting and first referral received, as local days: one query."""
    met, received = _first_referral_moments()
    met_at, received_at = (
        Partner.objects.filter(pk=partner.pk)
        .annotate(met_at=met, first_received_at=received)
        .values_list("met_at", "first_received_at")
        .get()
    )
    return FirstReferral(
        met_on=local_day(met_at) if met_at else None,
        received_on=local_day(received_at) if received_at else None,
    )


def _top(partners: QuerySet[Partner], *, now: dt.datetime) -> list[TopPartner]:
    since = now - relativedelta(months=YIELD_MONTHS)
    rows = (
        _received(partners)
        .filter(occurred_at__gte=since, occurred_at__lte=now)
        .order_by()
        .values("partner_id", "partner__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "partner__name", "partner_id")[:TOP_PARTNERS]
    )
    return [TopPartner(row["partner_id"], row["partner__name"], row["n"]) for row in rows]


def funnel_for(*, partners: QuerySet[Partner], now: dt.datetime | None = None) -> Funnel:
    """The funnel of ``partners`` (already scoped to who asks)."""
    now = now or timezone.now()
    first_referral = _first_referral_days(partners)
    return Funnel(
        steps=_steps(partners),
        times=_times(partners),
        first_referral_median_days=_median(first_referral),
        first_referral_partners=len(first_referral),
        top=_top(partners, now=now),
    )
