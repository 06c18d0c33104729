"""Who may read and change the firm's playbook through the API."""

from typing import Any

import pytest
from django.utils import timezone

from reciprocity.accounts.models import Role, User
from reciprocity.playbook.models import (
    CadenceDefault,
    DiagnosticQuestion,
    MeetingPlan,
    MeetingPlanItem,
    Solution,
)
from reciprocity.playbook.services.common import FIRM_ADMIN_ONLY
from reciprocity.playbook.services.library import question_create
from reciprocity.playbook.services.meetings import meeting_plan_item_add
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import SolutionFactory, UserFactory
from tests.playbook.helpers import first_meeting_plan, ok, settings_of
from tests.playbook.test_firm_library_api import ENTRY

pytestmark = pytest.mark.django_db


def writes(cast: Cast) -> list[tuple[str, str, Any]]:
    """Every change of the firm's playbook, each with a valid body."""
    plan = first_meeting_plan(cast)
    item = plan.items.first()
    question = DiagnosticQuestion.objects.filter(firm=cast.firm).first()
    solution = Solution.objects.filter(firm=cast.firm).first()
    assert item is not None
    assert question is not None
    assert solution is not None
    p = f"playbook/meeting-plans/{plan.pk}"
    return [
        ("PATCH", p, {"name": "Hello"}),
        ("POST", f"{p}/items", {"prompt": "Ask about their week"}),
        ("PATCH", f"{p}/items/{item.pk}", {"prompt": "Changed"}),
        ("POST", f"{p}/items/{item.pk}/remove", None),
        (
            "PUT",
            "playbook/cadence-defaults",
            {"stage": "active", "kind": "touch_base", "interval_months": 6},
        ),
        (
            "PUT",
            "playbook/cadence-defaults",
            {"stage": "active", "kind": "newsletter", "enabled": False},
        ),
        ("POST", "playbook/questions", {"topic": "tax", "text": "Do they hold crypto?"}),
        ("PATCH", f"playbook/questions/{question.pk}", {"text": "Reworded?"}),
        ("POST", f"playbook/questions/{question.pk}/archive", None),
        ("POST", "playbook/solutions", ENTRY),
        ("PATCH", f"playbook/solutions/{solution.pk}", {"title": "Renamed"}),
        ("POST", f"playbook/solutions/{solution.pk}/archive", None),
    ]


def reads(cast: Cast) -> list[str]:
    plan = first_meeting_plan(cast)
    question = DiagnosticQuestion.objects.filter(firm=cast.firm).first()
    solution = Solution.objects.filter(firm=cast.firm).first()
    assert question is not None
    assert solution is not None
    return [
        "playbook/meeting-plans",
        f"playbook/meeting-plans/{plan.pk}",
        "playbook/cadence-defaults",
        "playbook/questions",
        f"playbook/questions/{question.pk}",
        "playbook/solutions",
        f"playbook/solutions/{solution.pk}",
    ]


@pytest.mark.parametrize("who", ["alice", "cole"])
def test_only_a_firm_admin_changes_the_firms_playbook_and_everyone_in_the_firm_reads_it(
    playbook_cast: Cast, who: str
) -> None:
    api = token_client(getattr(playbook_cast, who))
    before = settings_of(playbook_cast.firm.pk)
    for method, path, body in writes(playbook_cast):
        response = api.call(method, path, body)
        assert response.status_code == 403, (method, path, response.json())
        assert response.json() == {"detail": FIRM_ADMIN_ONLY}
    assert settings_of(playbook_cast.firm.pk) == before
    for path in reads(playbook_cast):
        assert api.call("GET", path).status_code == 200, path


def other_firm_admin(cast: Cast) -> User:
    return UserFactory(firm=cast.other_firm, username="otheradmin", role=Role.FIRM_ADMIN)


@pytest.mark.parametrize("admin_of_the_other_firm", [False, True], ids=["advisor", "admin"])
def test_another_firm_neither_sees_nor_changes_harbors_playbook(
    playbook_cast: Cast, admin_of_the_other_firm: bool
) -> None:
    outsider = other_firm_admin(playbook_cast) if admin_of_the_other_firm else playbook_cast.mallory
    api = token_client(outsider)
    harbor = settings_of(playbook_cast.firm.pk)
    ids = {
        "meeting-plans": set(
            MeetingPlan.objects.filter(firm=playbook_cast.firm).values_list("pk", flat=True)
        ),
        "questions": set(
            DiagnosticQuestion.objects.filter(firm=playbook_cast.firm).values_list("pk", flat=True)
        ),
        "solutions": set(
            Solution.objects.filter(firm=playbook_cast.firm).values_list("pk", flat=True)
        ),
    }
    for name, theirs in ids.items():
        listed = ok(api.call("GET", f"playbook/{name}", None, QUERY_STRING="limit=200"))["items"]
        assert listed, name
        assert not {i["id"] for i in listed} & theirs, name

    for path in reads(playbook_cast):
        if path.count("/") == 2:  # a record of harbor's
            response = api.call("GET", path)
            assert response.status_code == 404, path
            assert response.json()["detail"]
    for method, path, body in writes(playbook_cast):
        if path.count("/") < 2:  # no record named: it is about the caller's own firm
            continue
        response = api.call(method, path, body)
        assert response.status_code == 404, (method, path, response.json())
    assert settings_of(playbook_cast.firm.pk) == harbor

    if admin_of_the_other_firm:
        # Their own firm's playbook is theirs to edit; harbor's stays as it was.
        ok(api.call("POST", "playbook/solutions", ENTRY), 201)
        body = {"stage": "active", "kind": "touch_base", "interval_months": 5}
        ok(api.call("PUT", "playbook/cadence-defaults", body))
        assert Solution.objects.get(title=ENTRY["title"]).firm_id == playbook_cast.other_firm.pk
        assert settings_of(playbook_cast.firm.pk) == harbor


def test_every_change_is_attributed_to_the_admin_and_to_the_api(
    playbook_cast: Cast, admin: ApiClient
) -> None:
    started = timezone.now()
    for method, path, body in writes(playbook_cast):
        assert admin.call(method, path, body).status_code in (200, 201), (method, path)
    records = [
        record
        for model in (MeetingPlan, MeetingPlanItem, CadenceDefault, DiagnosticQuestion, Solution)
        for record in model.history.filter(history_date__gte=started)  # type: ignore[attr-defined]
    ]
    kinds = {(type(r).__name__, r.history_type) for r in records}
    assert kinds == {
        ("HistoricalMeetingPlan", "~"),
        ("HistoricalMeetingPlanItem", "+"),
        ("HistoricalMeetingPlanItem", "~"),
        ("HistoricalMeetingPlanItem", "-"),
        ("HistoricalCadenceDefault", "~"),
        ("HistoricalCadenceDefault", "-"),
        ("HistoricalDiagnosticQuestion", "+"),
        ("HistoricalDiagnosticQuestion", "~"),
        ("HistoricalSolution", "+"),
        ("HistoricalSolution", "~"),
    }
    assert {(r.history_user, r.history_source) for r in records} == {(playbook_cast.ada, "api")}


def test_the_firms_playbook_lists_cost_constant_queries(
    playbook_cast: Cast, admin: ApiClient, django_assert_max_num_queries: Any
) -> None:
    firm, ada = playbook_cast.firm, playbook_cast.ada
    for plan in MeetingPlan.objects.filter(firm=firm):
        for n in range(5):
            meeting_plan_item_add(plan=plan, by=ada, prompt=f"More {n}")
    for n in range(20):
        question_create(by=ada, topic="tax", text=f"Extra question {n}?")
        SolutionFactory(firm=firm)
    for path in ("meeting-plans", "cadence-defaults", "questions", "solutions"):
        with django_assert_max_num_queries(5):
            assert ok(admin.call("GET", f"playbook/{path}", None, QUERY_STRING="limit=200"))[
                "count"
            ]
    # The write's history row is also linked into the firm's audit chain (a few queries more).
    with django_assert_max_num_queries(12):
        body = {"stage": "active", "kind": "touch_base", "interval_months": 6}
        assert ok(admin.call("PUT", "playbook/cadence-defaults", body))["count"] == 7
