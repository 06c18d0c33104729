"""Client concerns become opportunities, and client cases need eight answers, through the API."""

import pytest

from reciprocity.playbook.models import CaseStatus, ClientCase, Opportunity, Solution
from reciprocity.playbook.services.library import (
    CASE_IS_READY,
    CASE_NEEDS_ANSWERS,
    CASE_TOO_MANY_QUESTIONS,
    SOLUTION_NOT_IN_FIRM,
    case_create,
)
from tests.api_client import ApiClient, refused
from tests.conftest import Cast
from tests.factories import ClientConcernFactory
from tests.playbook.helpers import ok

pytestmark = pytest.mark.django_db


def test_a_complaint_matched_to_what_we_solve_creates_an_opportunity_on_the_agenda(
    playbook_cast: Cast, api: ApiClient
) -> None:
    partner = playbook_cast.alice_private
    concern = ok(
        api.call(
            "POST",
            f"partners/{partner.pk}/concerns",
            {"source": "client_complaint", "description": "Worried about the estate tax"},
        ),
        201,
    )
    assert concern["status"] == "open"
    solutions = ok(api.call("GET", "playbook/solutions"))
    assert solutions["count"] >= 1
    solution = solutions["items"][0]
    opportunity = ok(
        api.call("POST", f"concerns/{concern['id']}/match", {"solution": solution["id"]}), 201
    )
    assert opportunity["strategy"] == "client_complaints"
    assert (opportunity["concern_id"], opportunity["solution_id"]) == (
        concern["id"],
        solution["id"],
    )
    assert ok(api.call("GET", f"concerns/{concern['id']}"))["status"] == "matched"
    listed = ok(api.call("GET", f"partners/{partner.pk}/opportunities"))
    assert [o["id"] for o in listed["items"]] == [opportunity["id"]]
    agenda = ok(api.call("GET", "agenda"))
    items = agenda["overdue"] + agenda["due_today"] + agenda["this_week"]
    assert f"opportunity:{partner.pk}:{opportunity['id']}" in {i["key"] for i in items}

    asked = ok(
        api.call("POST", f"opportunities/{opportunity['id']}/request", {"touch_kind": "email"})
    )
    assert asked["status"] == "meeting_requested"
    closed = ok(
        api.call("POST", f"opportunities/{opportunity['id']}/close", {"outcome": "referred"})
    )
    assert closed["status"] == "referred"


def test_another_firms_library_entry_does_not_match(playbook_cast: Cast, api: ApiClient) -> None:
    concern = ClientConcernFactory(partner=playbook_cast.alice_private)
    theirs = Solution.objects.filter(firm=playbook_cast.other_firm).first()
    assert theirs is not None
    refused(
        api.call("POST", f"concerns/{concern.pk}/match", {"solution": theirs.pk}),
        "solution",
        SOLUTION_NOT_IN_FIRM,
    )
    assert not Opportunity.objects.exists()


def test_a_case_cannot_be_marked_ready_below_eight_answers(
    playbook_cast: Cast, api: ApiClient
) -> None:
    partner = playbook_cast.alice_private
    case = ok(
        api.call(
            "POST",
            f"partners/{partner.pk}/cases",
            {"alias": "Client A", "description": "A surgeon", "topics": ["retirement"]},
        ),
        201,
    )
    assert len(case["questions"]) == 10
    ids = [q["id"] for q in case["questions"]]
    answers = [{"question": pk, "answer": f"Answer {n}"} for n, pk in enumerate(ids[:7])]
    updated = ok(
        api.call("PATCH", f"cases/{case['id']}", {"answers": answers, "solution": "A plan"})
    )
    assert updated["answered"] == 7
    refused(api.call("POST", f"cases/{case['id']}/ready", {}), "answers", CASE_NEEDS_ANSWERS)
    assert ClientCase.objects.get().status == CaseStatus.DRAFT

    ok(api.call("PATCH", f"cases/{case['id']}", {"answers": [{"question": ids[7], "answer": "8"}]}))
    opportunity = ok(api.call("POST", f"cases/{case['id']}/ready", {}), 201)
    assert (opportunity["strategy"], opportunity["case_id"]) == ("talk_clients", case["id"])
    assert ok(api.call("GET", f"cases/{case['id']}"))["status"] == "ready"
    refused(
        api.call("PATCH", f"cases/{case['id']}", {"solution": "Changed"}),
        None,
        CASE_IS_READY,
    )


def test_a_case_update_is_all_or_nothing(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    case = case_create(
        partner=partner, by=playbook_cast.alice, alias="A", description="d", topics=["tax"],
        question_count=12,
    )  # fmt: skip
    extra = ok(api.call("GET", "playbook/questions", None, QUERY_STRING="limit=200"))["items"]
    present = set(case.questions.values_list("question_id", flat=True))
    new = next(q["id"] for q in extra if q["id"] not in present)
    response = api.call(
        "PATCH", f"cases/{case.pk}", {"solution": "Changed", "add_questions": [new]}
    )
    refused(response, "add_questions", CASE_TOO_MANY_QUESTIONS)
    case.refresh_from_db()
    assert case.solution == ""
