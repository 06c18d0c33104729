"""The referral strategy of each partner, the opportunities strategies produce, and their yield."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from reciprocity.partners.models import Partner, Touch
from reciprocity.playbook.models import MeetingKind, OpportunityStatus, PartnerStrategy, Strategy
from reciprocity.playbook.selectors.library import case_get_for, concern_get_for
from reciprocity.playbook.selectors.strategies import (
    opportunity_get_for,
    strategy_history,
    strategy_of,
    strategy_yield,
    with_strategy,
)
from reciprocity.playbook.services.library import case_update, concern_log
from reciprocity.playbook.services.meetings import MEETING_OF_ANOTHER_PARTNER
from reciprocity.playbook.services.strategies import (
    ASK_BY_IN_PAST,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_NOT_OPEN,
    SAME_STRATEGY,
    STRATEGY_BEFORE_LAST,
    UNKNOWN_OUTCOME,
    UNKNOWN_STRATEGY,
    opportunity_close,
    opportunity_create,
    opportunity_request_meeting,
    strategy_set,
)
from tests.conftest import Cast
from tests.factories import MeetingFactory, OpportunityFactory
from tests.playbook.test_library import new_case

pytestmark = pytest.mark.django_db


# --- The strategy of each partner -----------------------------------------------------------------


def test_every_partner_starts_on_client_requested_referrals(playbook_cast: Cast) -> None:
    assert strategy_of(partner=playbook_cast.alice_private) == Strategy.CLIENT_REQUESTED


def test_switching_strategy_keeps_the_history(playbook_cast: Cast) -> None:
    partner, alice = playbook_cast.alice_shared, playbook_cast.alice
    strategy_set(partner=partner, by=alice, strategy="client_complaints", note="Try it")
    strategy_set(partner=partner, by=playbook_cast.bob, strategy="talk_clients")

    assert strategy_of(partner=partner) == Strategy.TALK_CLIENTS
    assert [s.strategy for s in strategy_history(partner=partner)] == [
        "talk_clients",
        "client_complaints",
    ]
    annotated = with_strategy(
        type(partner).objects.filter(pk__in=[partner.pk, playbook_cast.alice_private.pk])
    )
    assert {p.name: p.current_strategy for p in annotated} == {  # type: ignore[attr-defined]
        "Sam Shared": "talk_clients",
        "Priya Private": "client_requested",
    }


@pytest.mark.parametrize(
    ("strategy", "message"),
    [("cold_calling", UNKNOWN_STRATEGY), ("client_requested", SAME_STRATEGY)],
)
def test_a_bad_strategy_says_what_is_wrong(
    playbook_cast: Cast, strategy: str, message: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        strategy_set(partner=playbook_cast.alice_private, by=playbook_cast.alice, strategy=strategy)
    assert excinfo.value.message_dict == {"strategy": [message]}
    assert not PartnerStrategy.objects.exists()


def test_a_switch_cannot_be_dated_before_the_last_one(playbook_cast: Cast) -> None:
    partner, alice = playbook_cast.alice_private, playbook_cast.alice
    strategy_set(partner=partner, by=alice, strategy="client_complaints")

    with pytest.raises(ValidationError) as excinfo:
        strategy_set(
            partner=partner,
            by=alice,
            strategy="talk_clients",
            occurred_at=timezone.now() - dt.timedelta(days=3),
        )
    assert excinfo.value.message_dict == {"occurred_at": [STRATEGY_BEFORE_LAST]}


def test_the_fifth_rung_is_labelled_as_co_hosted_client_work(db: None) -> None:
    assert [s.value for s in Strategy] == [
        "client_requested",
        "client_complaints",
        "identified_problems",
        "talk_clients",
        "joint_client_work",
    ]
    assert Strategy.JOINT_CLIENT_WORK.label == "Co-hosted client events and joint reviews"


# --- Opportunities and yield ----------------------------------------------------------------------


def test_an_opportunity_ends_in_a_meeting_request_and_with_luck_a_referral(
    playbook_cast: Cast,
) -> None:
    opportunity = OpportunityFactory(partner=playbook_cast.alice_private)

    opportunity_request_meeting(opportunity=opportunity, by=playbook_cast.alice)
    touch = Touch.objects.get(partner=playbook_cast.alice_private)
    assert touch.summary == f"Asked for a meeting with the client: {opportunity.title}"
    with pytest.raises(ValidationError) as excinfo:
        opportunity_request_meeting(opportunity=opportunity, by=playbook_cast.alice)
    assert excinfo.value.messages == [OPPORTUNITY_NOT_OPEN]

    opportunity_close(opportunity=opportunity, by=playbook_cast.alice, outcome="referred")
    assert opportunity.status == OpportunityStatus.REFERRED
    with pytest.raises(ValidationError) as excinfo:
        opportunity_close(opportunity=opportunity, by=playbook_cast.alice, outcome="declined")
    assert excinfo.value.messages == [OPPORTUNITY_CLOSED]
    with pytest.raises(ValidationError) as excinfo:
        opportunity_close(
            opportunity=OpportunityFactory(partner=playbook_cast.alice_private),
            by=playbook_cast.alice,
            outcome="maybe",
        )
    assert excinfo.value.message_dict == {"outcome": [UNKNOWN_OUTCOME]}


def test_a_client_met_at_a_co_hosted_event_counts_for_joint_client_work(
    playbook_cast: Cast,
) -> None:
    event = MeetingFactory(partner=playbook_cast.alice_shared, kind=MeetingKind.CLIENT_EVENT)

    opportunity = opportunity_create(
        partner=playbook_cast.alice_shared,
        by=playbook_cast.bob,
        title="Attendee asking about succession",
        meeting=event,
    )

    assert opportunity.strategy == Strategy.JOINT_CLIENT_WORK
    with pytest.raises(ValidationError) as excinfo:
        opportunity_create(
            partner=playbook_cast.alice_private, by=playbook_cast.alice, title="x", meeting=event
        )
    assert excinfo.value.message_dict == {"meeting": [MEETING_OF_ANOTHER_PARTNER]}


def test_a_client_who_asked_counts_for_the_partners_current_strategy(
    playbook_cast: Cast,
) -> None:
    opportunity = opportunity_create(
        partner=playbook_cast.alice_private, by=playbook_cast.alice, title="Asked for an advisor"
    )
    assert opportunity.strategy == Strategy.CLIENT_REQUESTED
    with pytest.raises(ValidationError) as excinfo:
        opportunity_create(
            partner=playbook_cast.alice_private,
            by=playbook_cast.alice,
            title="Later",
            ask_by=timezone.localdate() - dt.timedelta(days=1),
        )
    assert excinfo.value.message_dict == {"ask_by": [ASK_BY_IN_PAST]}


def test_the_yield_of_each_strategy_is_counted(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    partner = playbook_cast.alice_private
    strategy_set(partner=partner, by=alice, strategy="client_complaints")
    for status in ("open", "meeting_requested", "referred", "referred"):
        OpportunityFactory(
            partner=partner,
            strategy="client_complaints",
            status=status,
            meeting_requested_at=None if status == "open" else timezone.now(),
        )
    OpportunityFactory(partner=playbook_cast.alice_shared, status="referred")
    OpportunityFactory(partner=playbook_cast.mallory_partner, status="referred")

    rows = {row.strategy: row for row in strategy_yield(advisor=alice)}

    assert [row.strategy for row in strategy_yield(advisor=alice)] == Strategy.values
    complaints = rows["client_complaints"]
    assert (complaints.partners, complaints.opportunities) == (1, 4)
    assert (complaints.meetings_requested, complaints.referred) == (3, 2)
    assert (rows["client_requested"].partners, rows["client_requested"].referred) == (1, 1)
    assert rows["talk_clients"].opportunities == 0
    assert rows["joint_client_work"].rung == 5
    only_shared = {r.strategy: r.referred for r in strategy_yield(advisor=playbook_cast.bob)}
    assert only_shared["client_requested"] == 1
    assert sum(only_shared.values()) == 1


def test_the_yield_among_some_partners_counts_only_those_the_reader_may_see(
    playbook_cast: Cast,
) -> None:
    for partner in (playbook_cast.alice_private, playbook_cast.alice_shared):
        OpportunityFactory(partner=partner, status="referred")
    OpportunityFactory(partner=playbook_cast.mallory_partner, status="referred")
    bob = playbook_cast.bob

    def referred(among: QuerySet[Partner]) -> int:
        return sum(row.referred for row in strategy_yield(advisor=bob, among=among))

    # Bob sees alice's shared partner only, whatever the narrowing asks for.
    assert referred(Partner.objects.all()) == 1
    assert referred(Partner.objects.filter(pk=playbook_cast.alice_private.pk)) == 0
    assert referred(Partner.objects.filter(owner=bob)) == 0


# --- Access ---------------------------------------------------------------------------------------


def test_concerns_cases_and_opportunities_are_404_to_whoever_cannot_see_the_partner(
    playbook_cast: Cast,
) -> None:
    concern = concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="client_complaint",
        description="Worried",
    )
    case = new_case(playbook_cast)
    opportunity = OpportunityFactory(partner=playbook_cast.alice_private)

    for outsider in (playbook_cast.bob, playbook_cast.carol, playbook_cast.mallory):
        for getter, pk in (
            (concern_get_for, concern.pk),
            (case_get_for, case.pk),
            (opportunity_get_for, opportunity.pk),
        ):
            with pytest.raises(Http404):
                getter(advisor=outsider, pk=pk)
    assert case_get_for(advisor=playbook_cast.cole, pk=case.pk) == case
    with pytest.raises(PermissionDenied):
        case_update(case=case, by=playbook_cast.cole, solution="x")
    with pytest.raises(Http404):
        opportunity_get_for(advisor=playbook_cast.alice, pk="not-a-number")
