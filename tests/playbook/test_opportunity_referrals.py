"""An opportunity that ends referred links the received referral it produced, so each
strategy's yield counts real referrals and new clients."""

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.audit.services import records_purge
from reciprocity.partners.services import ARCHIVED_PARTNER, partner_archive
from reciprocity.playbook.models import (
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    Strategy,
)
from reciprocity.playbook.selectors.strategies import referrals_to_link, strategy_yield
from reciprocity.playbook.services import strategies as services
from reciprocity.referrals.models import Direction, Kind, Referral, ReferralStatus
from tests.conftest import Cast
from tests.factories import OpportunityFactory, PartnerFactory, ReferralFactory, ago
from tests.playbook.helpers import received, state

pytestmark = pytest.mark.django_db


# --- Linking --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["open", "meeting_requested"])
def test_linking_the_referral_closes_the_opportunity_as_referred_when_it_came_in(
    cast: Cast, status: str
) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private, status=status)
    referral = received(cast.alice_private, occurred_at=ago(3))

    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.alice)

    assert opportunity.status == OpportunityStatus.REFERRED
    assert state(opportunity) == ("referred", referral.pk, referral.occurred_at)
    referral.refresh_from_db()
    assert referral.opportunity == opportunity  # type: ignore[attr-defined]


def test_a_referral_that_came_in_before_the_meeting_was_asked_for_is_refused(
    cast: Cast,
) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    services.opportunity_request_meeting(
        opportunity=opportunity, by=cast.alice, occurred_at=ago(10)
    )
    earlier = received(cast.alice_private, occurred_at=ago(20))

    with pytest.raises(ValidationError) as refused:
        services.opportunity_link_referral(opportunity=opportunity, referral=earlier, by=cast.alice)

    assert refused.value.message_dict == {"referral": [services.REFERRAL_BEFORE_REQUEST]}
    assert state(opportunity) == ("meeting_requested", None, None)
    later = received(cast.alice_private, occurred_at=ago(5))
    services.opportunity_link_referral(opportunity=opportunity, referral=later, by=cast.alice)
    assert state(opportunity) == ("referred", later.pk, later.occurred_at)


def test_a_referral_dated_in_the_future_closes_the_opportunity_now(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private, occurred_at=timezone.now() + dt.timedelta(days=2))
    before = timezone.now()

    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.alice)

    assert opportunity.closed_at is not None
    assert before <= opportunity.closed_at <= timezone.now()


def test_a_referred_opportunity_without_a_link_just_gets_the_link(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    services.opportunity_close(
        opportunity=opportunity, by=cast.alice, outcome="referred", occurred_at=ago(10)
    )
    referral = received(cast.alice_private, occurred_at=ago(2))

    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.alice)

    assert state(opportunity) == ("referred", referral.pk, opportunity.closed_at)
    assert opportunity.closed_at is not None
    assert abs(opportunity.closed_at - ago(10)) < dt.timedelta(minutes=1)


def test_closing_as_referred_with_the_referral_links_it(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private, occurred_at=ago(1))

    services.opportunity_close(
        opportunity=opportunity,
        by=cast.alice,
        outcome="referred",
        note="Introduced at lunch",
        referral=referral,
    )

    assert state(opportunity) == ("referred", referral.pk, referral.occurred_at)
    assert opportunity.outcome_note == "Introduced at lunch"


def test_a_declined_opportunity_names_no_referral(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)

    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_close(
            opportunity=opportunity, by=cast.alice, outcome="declined", referral=referral
        )

    assert excinfo.value.message_dict == {"referral": [services.REFERRAL_ONLY_IF_REFERRED]}
    assert state(opportunity) == ("open", None, None)


def _sent(cast: Cast) -> Referral:
    return ReferralFactory(partner=cast.alice_private, direction=Direction.SENT)


def _connection(cast: Cast) -> Referral:
    return received(cast.alice_private, kind=Kind.CONNECTION)


def _other_partners(cast: Cast) -> Referral:
    return received(cast.alice_shared)


def _archived(cast: Cast) -> Referral:
    return received(cast.alice_private, archived_at=ago(1))


def _linked_elsewhere(cast: Cast) -> Referral:
    referral = received(cast.alice_private)
    OpportunityFactory(partner=cast.alice_private, status="referred", referral=referral)
    return referral


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_sent, services.REFERRAL_NOT_RECEIVED),
        (_connection, services.REFERRAL_IS_CONNECTION),
        (_other_partners, services.REFERRAL_OF_ANOTHER_PARTNER),
        (_archived, services.REFERRAL_ARCHIVED),
        (_linked_elsewhere, services.REFERRAL_TAKEN),
    ],
)
def test_a_referral_that_does_not_fit_is_refused(cast: Cast, make: Any, message: str) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = make(cast)

    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_link_referral(
            opportunity=opportunity, referral=referral, by=cast.alice
        )

    assert excinfo.value.message_dict == {"referral": [message]}
    assert state(opportunity) == ("open", None, None)


@pytest.mark.parametrize(
    ("status", "linked", "message"),
    [
        ("declined", False, services.OPPORTUNITY_DECLINED),
        ("referred", True, services.OPPORTUNITY_LINKED),
    ],
)
def test_a_declined_or_already_linked_opportunity_is_refused(
    cast: Cast, status: str, linked: bool, message: str
) -> None:
    first = received(cast.alice_private) if linked else None
    opportunity = OpportunityFactory(partner=cast.alice_private, status=status, referral=first)
    referral = received(cast.alice_private)

    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_link_referral(
            opportunity=opportunity, referral=referral, by=cast.alice
        )

    assert excinfo.value.messages == [message]
    assert state(opportunity)[:2] == (status, first.pk if first else None)
    assert not Opportunity.objects.filter(referral=referral).exists()


def test_the_database_keeps_a_linked_opportunity_referred(cast: Cast) -> None:
    referral = received(cast.alice_private)
    with pytest.raises(IntegrityError), transaction.atomic():
        OpportunityFactory(partner=cast.alice_private, status="open", referral=referral)


def test_the_database_refuses_one_referral_for_two_opportunities(cast: Cast) -> None:
    referral = received(cast.alice_private)
    OpportunityFactory(partner=cast.alice_private, status="referred", referral=referral)
    with pytest.raises(IntegrityError), transaction.atomic():
        OpportunityFactory(partner=cast.alice_private, status="referred", referral=referral)


def test_a_read_only_role_or_an_archived_partner_cannot_link(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)

    with pytest.raises(PermissionDenied, match=re.escape(READ_ONLY_ROLE)):
        services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.cole)
    partner_archive(partner=cast.alice_private, by=cast.alice)
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_link_referral(
            opportunity=opportunity, referral=referral, by=cast.alice
        )

    assert excinfo.value.messages == [ARCHIVED_PARTNER]
    assert state(opportunity) == ("open", None, None)


def test_the_history_records_who_linked_and_unlinked_the_referral(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_shared)
    referral = received(cast.alice_shared)

    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.bob)
    services.opportunity_unlink_referral(opportunity=opportunity, by=cast.alice)

    rows = list(opportunity.history.order_by("history_date", "history_id"))  # type: ignore[attr-defined]
    assert [(row.history_user, row.referral_id, row.status) for row in rows[-2:]] == [
        (cast.bob, referral.pk, "referred"),
        (cast.alice, None, "referred"),
    ]


def test_unlinking_keeps_the_opportunity_referred_and_frees_the_referral(cast: Cast) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)
    services.opportunity_link_referral(opportunity=opportunity, referral=referral, by=cast.alice)
    closed_at = opportunity.closed_at

    services.opportunity_unlink_referral(opportunity=opportunity, by=cast.alice)

    assert state(opportunity) == ("referred", None, closed_at)
    assert list(referrals_to_link(partner=cast.alice_private)) == [referral]
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_unlink_referral(opportunity=opportunity, by=cast.alice)
    assert excinfo.value.messages == [services.OPPORTUNITY_NOT_LINKED]


def test_the_referrals_to_link_are_the_partners_unlinked_received_ones_newest_first(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    older = received(partner, occurred_at=ago(20))
    newer = received(partner, occurred_at=ago(2))
    for make in (_sent, _connection, _archived, _linked_elsewhere, _other_partners):
        make(cast)

    assert list(referrals_to_link(partner=partner)) == [newer, older]


# --- Yield ----------------------------------------------------------------------------------------


def switch(partner: Any, strategy: str, days_ago: float) -> None:
    PartnerStrategy.objects.create(
        partner=partner, strategy=strategy, started_at=ago(days_ago), by=partner.owner
    )


def came(
    partner: Any,
    days_ago: float,
    status: str = ReferralStatus.RECEIVED,
    strategy: str | None = None,
    **kw: Any,
) -> None:
    """A received referral; with ``strategy``, linked to an opportunity of that strategy."""
    referral = received(
        partner, occurred_at=ago(days_ago), status=status, status_changed_at=ago(days_ago), **kw
    )
    if strategy:
        OpportunityFactory(partner=partner, strategy=strategy, status="referred", referral=referral)


def linked(partner: Any, strategy: str, status: str = ReferralStatus.RECEIVED, **kw: Any) -> None:
    """A received referral linked to an opportunity of ``strategy``, the strategy in force with
    the partner when the referral came (switched to just before, unless it already was)."""
    kw.setdefault("occurred_at", ago(5))
    in_force = (
        PartnerStrategy.objects.filter(partner=partner, started_at__lte=kw["occurred_at"])
        .order_by("-started_at", "-pk")
        .first()
    )
    if (in_force.strategy if in_force else Strategy.CLIENT_REQUESTED) != strategy:
        PartnerStrategy.objects.create(
            partner=partner,
            strategy=strategy,
            started_at=kw["occurred_at"] - dt.timedelta(minutes=1),
            by=partner.owner,
        )
    referral = received(partner, status=status, **kw)
    OpportunityFactory(partner=partner, strategy=strategy, status="referred", referral=referral)


def test_the_yield_counts_every_received_referral_under_the_strategy_in_force_when_it_came(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    came(partner, 120, ReferralStatus.BECAME_CLIENT)  # before any switch: client-requested
    switch(partner, Strategy.CLIENT_COMPLAINTS, 100)
    came(partner, 90, strategy=Strategy.CLIENT_COMPLAINTS)
    came(partner, 80, ReferralStatus.BECAME_CLIENT, strategy=Strategy.CLIENT_COMPLAINTS)
    switch(partner, Strategy.TALK_CLIENTS, 60)
    came(partner, 50, ReferralStatus.BECAME_CLIENT, strategy=Strategy.TALK_CLIENTS)
    came(partner, 40, ReferralStatus.NOT_A_FIT, Strategy.TALK_CLIENTS, outcome_reason="Small")
    # Archived: it left the books' counts, and the yield's.
    came(partner, 30, ReferralStatus.BECAME_CLIENT, Strategy.TALK_CLIENTS, archived_at=ago(1))
    # Not linked to any opportunity: it still came under the strategy (the ledger counts it).
    came(partner, 20, ReferralStatus.BECAME_CLIENT)
    OpportunityFactory(partner=partner, strategy=Strategy.TALK_CLIENTS, status="referred")
    switch(cast.alice_shared, Strategy.CLIENT_COMPLAINTS, 100)
    came(cast.alice_shared, 10, ReferralStatus.BECAME_CLIENT, strategy=Strategy.CLIENT_COMPLAINTS)
    came(cast.mallory_partner, 10, ReferralStatus.BECAME_CLIENT)

    rows = {row.strategy: row for row in strategy_yield(advisor=cast.alice)}
    complaints, talk = rows["client_complaints"], rows["talk_clients"]
    assert (complaints.referred, complaints.referrals, complaints.clients) == (3, 3, 2)
    assert (talk.referred, talk.referrals, talk.clients, talk.linked) == (4, 3, 2, 2)
    assert (rows["client_requested"].referrals, rows["client_requested"].clients) == (1, 1)
    assert rows["joint_client_work"].referrals == 0
    # Every live received referral of the partners seen is counted once, as in the ledger.
    ledger = Referral.objects.filter(
        partner__owner=cast.alice, direction="received", kind="referral", archived_at=None
    )
    assert sum(row.referrals for row in rows.values()) == ledger.count() == 7

    teammate = {row.strategy: row for row in strategy_yield(advisor=cast.bob)}
    assert (teammate["client_complaints"].referrals, teammate["client_complaints"].clients) == (
        1,
        1,
    )
    assert sum(row.referrals for row in teammate.values()) == 1
    one = {row.strategy: row for row in strategy_yield(advisor=cast.alice, partner=partner)}
    assert (one["client_complaints"].clients, one["talk_clients"].clients) == (1, 2)


def test_the_yield_costs_four_queries_for_any_book(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    partner = cast.alice_private
    for n in range(12):
        came(partner, 30 - n, ReferralStatus.BECAME_CLIENT, strategy=Strategy.values[n % 5])
        switch(partner, Strategy.values[n % 5], 40 - n)
        OpportunityFactory(partner=PartnerFactory(owner=cast.alice), status="open")

    with django_assert_num_queries(4):
        rows = strategy_yield(advisor=cast.alice)
    assert sum(row.clients for row in rows) == 12


# --- The retention purge --------------------------------------------------------------------------


def test_purging_an_old_archived_referral_keeps_the_opportunity_referred(cast: Cast) -> None:
    referral = received(cast.alice_private)
    opportunity = OpportunityFactory(
        partner=cast.alice_private, status="referred", referral=referral
    )
    Referral.objects.filter(pk=referral.pk).update(
        archived_at=timezone.now() - dt.timedelta(days=cast.firm.retention_days + 1)
    )

    purge = records_purge(by=cast.ada, reason="Retention period reached")

    assert purge.counts == {"referrals.Referral": 1}
    assert not Referral.objects.filter(pk=referral.pk).exists()
    assert state(opportunity)[:2] == ("referred", None)


def test_purging_an_old_archived_partner_takes_its_linked_opportunities_along(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice, name="Old Partner")
    referral = received(partner)
    OpportunityFactory(partner=partner, status="referred", referral=referral)
    partner_archive(partner=partner, by=cast.alice)
    type(partner).objects.filter(pk=partner.pk).update(
        archived_at=timezone.now() - dt.timedelta(days=cast.firm.retention_days + 1)
    )

    purge = records_purge(by=cast.ada, reason="Retention period reached")

    assert purge.counts["playbook.Opportunity"] == purge.counts["referrals.Referral"] == 1
    assert not Opportunity.objects.filter(partner_id=partner.pk).exists()
