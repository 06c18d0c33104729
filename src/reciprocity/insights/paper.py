"""What goes on paper about one partner: the brief read before a meeting, and the annual review.

Both read a fixed number of queries whatever the partner's history: lists are cut to what fits
on a page and counted in the database. Neither names a client: referrals appear by their need,
so a printed page left on a desk identifies nobody.
"""

import datetime as dt
import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.insights.diagnoses import Assessment, assess
from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Touch,
)
from reciprocity.partners.selectors import open_commitments, touches_of
from reciprocity.playbook.models import Agreement, AgreementPromise
from reciprocity.playbook.selectors.brief import PartnerBrief, partner_brief
from reciprocity.playbook.selectors.cadences import EffectiveCadence, cadences_of
from reciprocity.referrals.models import LIFECYCLES, Direction, Kind, Referral
from reciprocity.referrals.selectors import Balance, balance_for, referrals_of

# What fits on one page of a brief.
BRIEF_TOUCHES = 5
BRIEF_REFERRALS = 5
BRIEF_COMMITMENTS = 6


@dataclass(frozen=True)
class MeetingBrief:
    """One page to read before meeting a partner."""

    brief: PartnerBrief  # the profile, the message, the strategy, the agreement, the plan
    touches: list[Touch]
    advisor_owes: list[Commitment]
    partner_owes: list[Commitment]
    referrals: list[Referral]
    balance: Balance
    assessment: Assessment
    today: dt.date

    @property
    def partner(self) -> Partner:
        return self.brief.partner


def meeting_brief_for(*, advisor: User, partner: Partner) -> MeetingBrief:
    """The brief of a partner fetched through ``partner_get_for``."""
    commitments = list(open_commitments(partner=partner)[: BRIEF_COMMITMENTS * 2])
    return MeetingBrief(
        brief=partner_brief(partner=partner),
        touches=list(touches_of(partner=partner)[:BRIEF_TOUCHES]),
        advisor_owes=[c for c in commitments if c.owner == CommitmentOwner.ADVISOR][
            :BRIEF_COMMITMENTS
        ],
        partner_owes=[c for c in commitments if c.owner == CommitmentOwner.PARTNER][
            :BRIEF_COMMITMENTS
        ],
        referrals=list(referrals_of(partner=partner)[:BRIEF_REFERRALS]),
        balance=balance_for(partner),
        assessment=assess(advisor=advisor, partner=partner),
        today=timezone.localdate(),
    )


# --- The annual review ------------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseKept:
    """An agreement's promise and how it went, judged at the end of the year under review."""

    promise: AgreementPromise
    verdict: str  # kept | late | missed | open

    @property
    def label(self) -> str:
        return PROMISE_VERDICTS[self.verdict]


PROMISE_VERDICTS = {
    "kept": "Kept",
    "late": "Kept late",
    "missed": "Missed",
    "open": "Not yet due",
}


def promise_verdict(commitment: Commitment | None, *, until: dt.date) -> str:
    """Kept on time, kept late, missed (dropped, or open past its due date), or not yet due."""
    if commitment is None or commitment.status == CommitmentStatus.DROPPED:
        return "missed"
    if commitment.status == CommitmentStatus.DONE:
        assert commitment.completed_at is not None
        done_on = timezone.localdate(commitment.completed_at)
        return "kept" if done_on <= commitment.due else "late"
    return "missed" if commitment.due < until else "open"


@dataclass(frozen=True)
class YearCounts:
    sent: int
    received: int
    connections_sent: int
    connections_received: int
    succeeded: int  # closed as each kind hopes: engaged, became a client, met
    closed_otherwise: int
    in_flight: int


@dataclass(frozen=True)
class AnnualReview:
    """A partner's year: referrals both ways and where they ended, the agreement's promises
    kept and missed, and what the coming year holds."""

    partner: Partner
    year: int
    starts: dt.date
    ends: dt.date
    counts: YearCounts
    referrals: list[Referral]
    touches: int
    agreement: Agreement | None
    promises: list[PromiseKept]
    carried_over: list[Commitment]  # open promises of either side, due after the year
    cadences: list[EffectiveCadence]  # the keep-warm rhythm the coming year follows
    assessment: Assessment

    @property
    def kept(self) -> int:
        return sum(1 for p in self.promises if p.verdict in ("kept", "late"))

    @property
    def missed(self) -> int:
        return sum(1 for p in self.promises if p.verdict == "missed")


def review_years_of(partner: Partner, *, today: dt.date | None = None) -> list[int]:
    """The years a review can be read for: from the year the partner was added to this one."""
    this_year = (today or timezone.localdate()).year
    first = min(timezone.localdate(partner.created_at).year, this_year)
    return list(range(this_year, first - 1, -1))


def _year_counts(referrals: QuerySet[Referral]) -> YearCounts:
    referral, connection = Q(kind=Kind.REFERRAL), Q(kind=Kind.CONNECTION)
    sent, received = Q(direction=Direction.SENT), Q(direction=Direction.RECEIVED)
    closed = Q(closed_at__isnull=False)
    counts = referrals.aggregate(
        sent=Count("pk", filter=referral & sent),
        received=Count("pk", filter=referral & received),
        connections_sent=Count("pk", filter=connection & sent),
        connections_received=Count("pk", filter=connection & received),
        succeeded=Count("pk", filter=closed & _succeeded()),
        closed=Count("pk", filter=closed),
        in_flight=Count("pk", filter=~closed),
    )
    closed_count = counts.pop("closed")
    return YearCounts(**counts, closed_otherwise=closed_count - counts["succeeded"])


def _succeeded() -> Q:
    """At the end of its kind's path: a sent referral engaged, a received one a client, a
    connection met."""
    return reduce(
        operator.or_,
        (
            Q(direction=direction, kind=kind, status=lifecycle.success)
            for (direction, kind), lifecycle in LIFECYCLES.items()
        ),
    )


def annual_review_for(*, advisor: User, partner: Partner, year: int) -> AnnualReview:
    """The review of a partner fetched through ``partner_get_for``, for one calendar year."""
    tz = timezone.get_current_timezone()
    starts, ends = dt.date(year, 1, 1), dt.date(year, 12, 31)
    since = dt.datetime.combine(starts, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(ends + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    in_year = referrals_of(partner=partner).filter(occurred_at__gte=since, occurred_at__lt=until)
    agreement = (
        Agreement.objects.filter(partner=partner, agreed_on__lte=ends)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .order_by("-agreed_on", "-pk")
        .first()
    )
    judged_on = min(ends, timezone.localdate())
    promises = (
        list(agreement.promises.select_related("commitment").order_by("owner", "position", "pk"))
        if agreement
        else []
    )
    return AnnualReview(
        partner=partner,
        year=year,
        starts=starts,
        ends=ends,
        counts=_year_counts(in_year),
        referrals=list(in_year[: BRIEF_REFERRALS * 4]),
        touches=Touch.objects.live()
        .filter(partner=partner, occurred_at__gte=since, occurred_at__lt=until)
        .count(),
        agreement=agreement,
        promises=[PromiseKept(p, promise_verdict(p.commitment, until=judged_on)) for p in promises],
        carried_over=list(open_commitments(partner=partner).filter(due__gt=ends)[:10]),
        cadences=cadences_of(partner=partner),
        assessment=assess(advisor=advisor, partner=partner),
    )
