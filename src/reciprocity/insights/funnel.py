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
caller's partners and cost a constant four queries whatever the book; the counts and medians are
taken by the database, so what is read here is a row per stage, not per partner or stay.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, DurationField, F, QuerySet, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from reciprocity.dates import local_day
from reciprocity.insights.medians import Elapsed, Median
from reciprocity.partners.models import PIPELINE_RANK, PIPELINE_STAGES, Partner, StageChange
from reciprocity.referrals.models import Direction, Kind

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


def furthest_pairs(partners: QuerySet[Partner]) -> QuerySet[Partner, tuple[str, str, int]]:
    """How many ``partners`` are in each pair of stage and furthest stage that has any."""
    # The two columns as they are (a few dozen pairs, ranked by ``furthest_counted``): an index
    # holding both then serves the count, where a rank computed on every row reads the rows.
    return (
        partners.order_by()
        .values("stage", "furthest_stage")
        # Rows, not ids: the index holds no id.
        .annotate(n=Count("*"))
        .values_list("stage", "furthest_stage", "n")
    )


def furthest_counted(partners: QuerySet[Partner]) -> dict[int, int]:
    """How many ``partners`` reached each stage's rank as their furthest."""
    # The furthest stage kept on the row is that of the recorded moves; a partner's own stage
    # counts too.
    counts: dict[int, int] = {}
    for stage, furthest, n in furthest_pairs(partners):
        rank = max(PIPELINE_RANK.get(stage, -1), PIPELINE_RANK.get(furthest, -1))
        counts[rank] = counts.get(rank, 0) + n
    return counts


def _steps(partners: QuerySet[Partner]) -> list[Step]:
    counts = furthest_counted(partners)
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


def _in_days(duration: dt.timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / SECONDS_PER_DAY, 1)


def _medians(durations: QuerySet[Any]) -> dict[Any, tuple[dt.timedelta, int]]:
    """The median ``duration`` of each ``group`` of ``durations`` (a ``values()`` query of
    those two columns), and how many rows it is taken over: by the database, so that a book's
    every row is not read here."""
    medians = (
        durations.values("group")
        .annotate(median=Median("duration"), count=Count("*"))
        .values_list("group", "median", "count")
    )
    return {group: (median, count) for group, median, count in medians}


def _times(partners: QuerySet[Partner]) -> list[StageTime]:
    # A stay ends with the partner's next move, whatever the stage moved to: kept on the move
    # (``left_at``).
    completed = (
        StageChange.objects.filter(
            partner__in=partners, left_at__isnull=False, to_stage__in=PIPELINE_STAGES
        )
        .order_by()
        .annotate(
            group=F("to_stage"),
            duration=Elapsed("left_at", "occurred_at"),
        )
        .values("group", "duration")
    )
    medians = _medians(completed)
    times = []
    for stage in PIPELINE_STAGES:
        median, count = medians.get(stage.value, (None, 0))
        times.append(StageTime(stage.value, stage.label, _in_days(median), count))
    return times


def _first_referral(partners: QuerySet[Partner]) -> tuple[float | None, int]:
    """The median days from the first meeting to the first referral received, over the
    partners with both, and how many they are: both moments are kept on the partner's row."""
    # A referral received before the meeting counts as day 0.
    waited = (
        partners.filter(first_met_at__isnull=False, first_received_at__isnull=False)
        .order_by()
        .annotate(
            group=Value(1),
            duration=Greatest(
                Elapsed("first_received_at", "first_met_at"),
                Value(dt.timedelta(0), output_field=DurationField()),
            ),
        )
        .values("group", "duration")
    )
    median, count = _medians(waited).get(1, (None, 0))
    return _in_days(median), count


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
    """The partner's first meeting and first referral received, as local days (both kept on
    the partner's row)."""
    met_at, received_at = partner.first_met_at, partner.first_received_at
    return FirstReferral(
        met_on=local_day(met_at) if met_at else None,
        received_on=local_day(received_at) if received_at else None,
    )


def _top(partners: QuerySet[Partner], *, now: dt.datetime) -> list[TopPartner]:
    since = now - relativedelta(months=YIELD_MONTHS)
    # From the partners, their live referrals received in the window joined once and counted
    # over that join (one filter, then the count): read from the referrals, the scope was a
    # second pass over the partners (a firm's 60,000) beside the one that named them.
    rows = (
        partners.filter(
            referrals__archived_at__isnull=True,
            referrals__direction=Direction.RECEIVED,
            referrals__kind=Kind.REFERRAL,
            referrals__occurred_at__gte=since,
            referrals__occurred_at__lte=now,
        )
        .order_by()
        .values("pk", "name")
        .annotate(n=Count("referrals"))
        .order_by("-n", "name", "pk")[:TOP_PARTNERS]
    )
    return [TopPartner(row["pk"], row["name"], row["n"]) for row in rows]


def funnel_for(*, partners: QuerySet[Partner], now: dt.datetime | None = None) -> Funnel:
    """The funnel of ``partners`` (already scoped to who asks)."""
    now = now or timezone.now()
    first_referral_days, first_referral_partners = _first_referral(partners)
    return Funnel(
        steps=_steps(partners),
        times=_times(partners),
        first_referral_median_days=first_referral_days,
        first_referral_partners=first_referral_partners,
        top=_top(partners, now=now),
    )
