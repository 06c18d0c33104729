"""Who may read and change the playbook through the API."""

from typing import Any

import pytest

from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.partners.models import Commitment, Partner, Touch
from reciprocity.playbook.models import (
    AgendaSnooze,
    Agreement,
    ClientCase,
    ClientConcern,
    Meeting,
    MessageCheck,
    Opportunity,
    PartnerStrategy,
    Solution,
)
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.playbook.services.library import case_create
from reciprocity.playbook.services.message import message_check_record
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import (
    ClientConcernFactory,
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    PartnerFactory,
    ago,
)
from tests.playbook.helpers import days, ok
from tests.playbook.test_agreements_api import AGREEMENT

pytestmark = pytest.mark.django_db


def object_endpoints(cast: Cast, partner: Partner) -> list[tuple[str, str, Any]]:
    """Every playbook endpoint about one partner or one of its records, with a valid body."""
    owner = partner.owner
    meeting = MeetingFactory(partner=partner)
    concern = ClientConcernFactory(partner=partner)
    opportunity = OpportunityFactory(partner=partner)
    case = case_create(partner=partner, by=owner, alias="A", description="d", topics=["tax"])
    agreement = agreement_create(
        partner=partner,
        by=owner,
        promises=[PromiseInput("advisor", "a"), PromiseInput("partner", "b")],
        referral_process="email_thread",
        next_review=days(30),
    )
    commitment = CommitmentFactory(partner=partner, due=days(-1))
    solution = Solution.objects.filter(firm=partner.firm).first()
    assert solution is not None
    p = partner.pk
    key = f"commitment:{p}:{commitment.pk}"
    return [
        ("POST", f"agenda/{key}/complete", {}),
        ("POST", f"agenda/{key}/snooze", {"until": days(2).isoformat(), "reason": "x"}),
        ("POST", "agreements", {**AGREEMENT, "partner": p, "next_review": days(9).isoformat()}),
        ("GET", f"agreements/{agreement.pk}", None),
        ("POST", f"agreements/{agreement.pk}/end", {"reason": "x"}),
        ("GET", f"partners/{p}/cadences", None),
        ("PUT", f"partners/{p}/cadences", {"kind": "touch_base", "enabled": False}),
        ("GET", f"partners/{p}/strategy", None),
        ("POST", f"partners/{p}/strategy", {"strategy": "talk_clients"}),
        ("GET", f"partners/{p}/meetings", None),
        ("POST", f"partners/{p}/meetings", {"kind": "other", "scheduled_for": ago(1).isoformat()}),
        ("GET", f"meetings/{meeting.pk}", None),
        ("POST", f"meetings/{meeting.pk}/hold", {}),
        ("POST", f"meetings/{meeting.pk}/reschedule", {"scheduled_for": ago(-9).isoformat()}),
        ("POST", f"meetings/{meeting.pk}/cancel", {}),
        ("GET", f"partners/{p}/opportunities", None),
        ("POST", f"partners/{p}/opportunities", {"title": "Client asked"}),
        ("GET", f"opportunities/{opportunity.pk}", None),
        ("POST", f"opportunities/{opportunity.pk}/request", {}),
        ("POST", f"opportunities/{opportunity.pk}/close", {"outcome": "declined"}),
        ("GET", f"partners/{p}/concerns", None),
        ("POST", f"partners/{p}/concerns", {"source": "client_complaint", "description": "x"}),
        ("GET", f"concerns/{concern.pk}", None),
        ("POST", f"concerns/{concern.pk}/match", {"solution": solution.pk}),
        ("POST", f"concerns/{concern.pk}/dismiss", None),
        ("GET", f"partners/{p}/cases", None),
        ("POST", f"partners/{p}/cases", {"alias": "B", "description": "d", "topics": ["tax"]}),
        ("GET", f"cases/{case.pk}", None),
        ("PATCH", f"cases/{case.pk}", {"solution": "s"}),
        ("POST", f"cases/{case.pk}/ready", {}),
        ("GET", f"partners/{p}/message-checks", None),
        ("POST", f"partners/{p}/message-checks", {"result": "yes", "heard": "x"}),
    ]


def snapshot() -> tuple[Any, ...]:
    return (
        Touch.objects.count(),
        list(Commitment.objects.values_list("pk", "status")),
        list(Meeting.objects.values_list("pk", "status", "scheduled_for")),
        list(Agreement.objects.values_list("pk", "status")),
        list(ClientConcern.objects.values_list("pk", "status")),
        list(Opportunity.objects.values_list("pk", "status")),
        list(ClientCase.objects.values_list("pk", "solution")),
        PartnerStrategy.objects.count(),
        AgendaSnooze.objects.count(),
        MessageCheck.objects.count(),
        list(Partner.objects.values_list("pk", "can_describe_value")),
    )


@pytest.mark.parametrize(
    ("who", "whose"),
    [
        pytest.param("mallory", "alice_shared", id="another firm"),
        pytest.param("carol", "alice_shared", id="colleague not in team"),
        pytest.param("bob", "alice_private", id="teammate, private"),
        pytest.param("ada", "mallory_partner", id="admin, other firm"),
    ],
)
def test_every_playbook_endpoint_answers_404_for_what_one_cannot_see(
    playbook_cast: Cast, who: str, whose: str
) -> None:
    endpoints = object_endpoints(playbook_cast, getattr(playbook_cast, whose))
    api = token_client(getattr(playbook_cast, who))
    before = snapshot()
    for method, path, body in endpoints:
        response = api.call(method, path, body)
        assert response.status_code == 404, (method, path, response.json())
        assert "detail" in response.json()
    assert snapshot() == before


def test_the_lists_hold_nothing_of_another_firm(playbook_cast: Cast) -> None:
    object_endpoints(playbook_cast, playbook_cast.mallory_partner)
    api = token_client(playbook_cast.alice)
    assert ok(api.call("GET", "agreements"))["count"] == 0
    assert ok(api.call("GET", "agenda"))["count"] == 0
    mallorys = Solution.objects.filter(firm=playbook_cast.other_firm).values_list("pk", flat=True)
    listed = {
        s["id"]
        for s in ok(api.call("GET", "playbook/solutions", None, QUERY_STRING="limit=200"))["items"]
    }
    assert listed
    assert not listed & set(mallorys)


def test_compliance_reads_the_playbook_and_changes_nothing(playbook_cast: Cast) -> None:
    partner = PartnerFactory(owner=playbook_cast.alice)
    endpoints = object_endpoints(playbook_cast, partner)
    api = token_client(playbook_cast.cole)
    before = snapshot()
    for method, path, body in endpoints:
        response = api.call(method, path, body)
        if method == "GET":
            assert response.status_code == 200, path
        else:
            assert response.status_code == 403, (method, path, response.json())
            assert response.json()["detail"] == READ_ONLY_ROLE
    assert snapshot() == before
    for method, path, body in (
        ("PUT", "me/message", {"whom_i_help": "x", "what_is_unique": "y"}),
        ("POST", "calendar-feed", None),
    ):
        assert api.call(method, path, body).status_code == 403


def test_lists_of_a_partners_records_cost_constant_queries(
    playbook_cast: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    partner = playbook_cast.alice_private
    for n in range(8):
        MeetingFactory(partner=partner)
        OpportunityFactory(partner=partner)
        ClientConcernFactory(partner=partner)
        case_create(
            partner=partner, by=playbook_cast.alice, alias=f"C{n}", description="d", topics=["tax"]
        )
        agreement_create(
            partner=partner,
            by=playbook_cast.alice,
            promises=[PromiseInput("advisor", "a"), PromiseInput("partner", "b")],
            referral_process="email_thread",
            next_review=days(30),
        )
        message_check_record(partner=partner, by=playbook_cast.alice, result="yes")
    for path in ("meetings", "opportunities", "concerns", "cases", "message-checks"):
        with django_assert_max_num_queries(9):
            assert ok(api.call("GET", f"partners/{partner.pk}/{path}"))["count"] == 8
    with django_assert_max_num_queries(9):
        assert ok(api.call("GET", "agreements"))["count"] == 8
