"""Reads of the strategy run with each partner, its yield, and the opportunities it produced."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from reciprocity.accounts.models import User
from reciprocity.ids import get_visible_or_404
from reciprocity.partners.models import Partner
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.playbook.models import (
    STRATEGY_RUNGS,
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    Strategy,
)
from reciprocity.playbook.selectors.common import visible_partners
from reciprocity.referrals.models import Direction, Kind, Referral, ReferralStatus

OPPORTUNITY_NOT_FOUND = "No opportunity with that id."


def _latest_strategy() -> Coalesce:
    latest = PartnerStrategy.objects.filter(partner_id=OuterRef("pk")).order_by(
        "-started_at", "-pk"
    )
    return Coalesce(Subquery(latest.values("strategy")[:1]), Value(Strategy.CLIENT_REQUESTED))


def with_strategy(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    """Annotate each partner's current strategy (client-requested until one is chosen)."""
    return qs.annotate(current_strategy=_latest_strategy())


def strategy_of(*, partner: Partner) -> str:
    if hasattr(partner, "current_strategy"):
        return str(partner.current_strategy)
    latest = partner.strategies.order_by("-started_at", "-pk").first()
    return latest.strategy if latest else Strategy.CLIENT_REQUESTED


def strategy_history(*, partner: Partner) -> QuerySet[PartnerStrategy]:
    return partner.strategies.select_related("by")


@dataclass(frozen=True)
class StrategyYield:
    strategy: str
    partners: int  # partners currently on it
    opportunities: int
    meetings_requested: int
    referred: int  # opportunities closed as referred, linked to a referral or not
    # Every live received referral that came while the strategy was in force with its partner,
    # linked to an opportunity or not: the yield agrees with the ledger.
    referrals: int
    clients: int  # of those, the referrals that became clients
    linked: int  # of those, the ones linked to an opportunity of the strategy's playbook

    @property
    def label(self) -> str:
        return Strategy(self.strategy).label

    @property
    def rung(self) -> int:
        return STRATEGY_RUNGS[Strategy(self.strategy)]


def strategy_yield(
    *,
    advisor: User,
    partner: Partner | None = None,
    since: dt.datetime | None = None,
    among: QuerySet[Partner] | None = None,
) -> list[StrategyYield]:
    """What each rung of the spectrum produced: opportunities, meeting requests, the referrals
    received while it was in force and the clients those became. Four queries; every strategy
    is listed, so a rung that yields nothing shows it.

    A received referral counts under the strategy in force with its partner when it came (the
    latest switch on or before that moment; client-requested before any), whether or not it is
    linked to an opportunity. ``among`` narrows the partners ``advisor`` sees (the dashboard's
    scope)."""
    partners = partners_visible_to(advisor=advisor)
    if among is not None:
        # Both conditions on the one table: as a subquery of ids, a firm's partners were read
        # twice and joined to each other.
        partners = partners & among
    if partner is not None:
        partners = partners.filter(pk=partner.pk)
    # Only the partners who ever switched need their latest switch looked up: their ids are
    # read once, where a lookup for each partner of a big book cost most of the count.
    switchers = PartnerStrategy.objects.values("partner_id")
    running: dict[str, int] = dict(
        partners.order_by()
        .annotate(
            current_strategy=Case(
                When(pk__in=switchers, then=_latest_strategy()),
                default=Value(Strategy.CLIENT_REQUESTED),
            )
        )
        .values("current_strategy")
        .annotate(n=Count("pk"))
        .values_list("current_strategy", "n")
    )
    opportunities = Opportunity.objects.filter(partner__in=partners)
    if since is not None:
        opportunities = opportunities.filter(created_at__gte=since)
    counts: dict[str, dict[str, Any]] = {
        row["strategy"]: dict(row)
        for row in opportunities.order_by()
        .values("strategy")
        .annotate(
            total=Count("pk"),
            requested=Count("pk", filter=Q(meeting_requested_at__isnull=False)),
            referred=Count("pk", filter=Q(status=OpportunityStatus.REFERRED)),
        )
    }
    received = Referral.objects.live().filter(
        partner__in=partners, direction=Direction.RECEIVED, kind=Kind.REFERRAL
    )
    if since is not None:
        received = received.filter(occurred_at__gte=since)
    tallies = {
        "referrals": Count("pk"),
        "clients": Count("pk", filter=Q(status=ReferralStatus.BECAME_CLIENT)),
        "linked": Count("pk", filter=Q(opportunity__isnull=False)),
    }
    totals = received.aggregate(**tallies)
    # Only the referrals of partners who ever switched need the strategy in force when they
    # came, looked up one by one; every other referral counts under client-requested.
    in_force = PartnerStrategy.objects.filter(
        partner_id=OuterRef("partner_id"), started_at__lte=OuterRef("occurred_at")
    ).order_by("-started_at", "-pk")
    produced: dict[str, dict[str, Any]] = {
        row["strategy_then"]: dict(row)
        for row in received.filter(partner_id__in=switchers)
        .annotate(
            strategy_then=Coalesce(
                Subquery(in_force.values("strategy")[:1]), Value(Strategy.CLIENT_REQUESTED)
            )
        )
        .order_by()
        .values("strategy_then")
        .annotate(**tallies)
    }
    switched = [row for strategy, row in produced.items() if strategy != Strategy.CLIENT_REQUESTED]
    produced[Strategy.CLIENT_REQUESTED] = {
        name: total - sum(row[name] for row in switched) for name, total in totals.items()
    }
    return [
        StrategyYield(
            strategy=strategy,
            partners=running.get(strategy, 0),
            opportunities=counts.get(strategy, {}).get("total", 0),
            meetings_requested=counts.get(strategy, {}).get("requested", 0),
            referred=counts.get(strategy, {}).get("referred", 0),
            referrals=produced.get(strategy, {}).get("referrals", 0),
            clients=produced.get(strategy, {}).get("clients", 0),
            linked=produced.get(strategy, {}).get("linked", 0),
        )
        for strategy in Strategy.values
    ]


def opportunities_of(*, partner: Partner) -> QuerySet[Opportunity]:
    return partner.opportunities.select_related(
        "solution", "concern", "case", "meeting", "referral"
    )


def referrals_to_link(*, partner: Partner) -> QuerySet[Referral]:
    """The partner's received referrals an opportunity may still claim, most recent first."""
    return (
        Referral.objects.live()
        .filter(
            partner_id=partner.pk,
            direction=Direction.RECEIVED,
            kind=Kind.REFERRAL,
            opportunity__isnull=True,
        )
        .order_by("-occurred_at", "-pk")
    )


def opportunity_get_for(*, advisor: User, pk: Any) -> Opportunity:
    visible = Opportunity.objects.select_related("partner").filter(
        partner__in=visible_partners(advisor)
    )
    return get_visible_or_404(visible, pk, not_found=OPPORTUNITY_NOT_FOUND)


def opportunity_of(*, partner: Partner, pk: Any) -> Opportunity:
    """An opportunity of a partner already fetched through ``partner_get_for``; else Http404."""
    visible = Opportunity.objects.select_related("partner").filter(partner=partner)
    return get_visible_or_404(visible, pk, not_found=OPPORTUNITY_NOT_FOUND)
