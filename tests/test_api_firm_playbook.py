"""The firm's playbook through the REST API: its admins edit the meeting plans and their points,
the cadence defaults by stage, the diagnostic question bank and the "what we solve" library, as
the web pages let them; everyone else in the firm reads it, and another firm sees none of it."""

from typing import Any

import pytest
from django.utils import timezone

from reciprocity.accounts.models import Role, User
from reciprocity.api.errors import FIELD_REQUIRED, FIELD_UNKNOWN
from reciprocity.partners.models import Partner, Stage
from reciprocity.playbook.models import (
    CadenceDefault,
    DiagnosticQuestion,
    MeetingKind,
    MeetingPlan,
    MeetingPlanItem,
    Solution,
    Topic,
)
from reciprocity.playbook.services.cadences import INTERVAL_RANGE, INTERVAL_REQUIRED
from reciprocity.playbook.services.common import FIRM_ADMIN_ONLY
from reciprocity.playbook.services.library import (
    QUESTION_REQUIRED,
    QUESTION_TAKEN,
    SOLUTION_NEEDS_TEXT,
    SOLUTION_NOT_IN_FIRM,
    TITLE_TAKEN,
    question_create,
)
from reciprocity.playbook.services.meetings import PROMPT_REQUIRED, meeting_plan_item_add
from reciprocity.playbook.services.strategies import TITLE_REQUIRED
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import ClientConcernFactory, MeetingFactory, SolutionFactory, UserFactory

pytestmark = pytest.mark.django_db


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.json()
    return response.json()


def refused(response: Any, field: str | None, message: str | None = None) -> None:
    """A 422 whose errors name ``field`` (with ``message``, when given)."""
    assert response.status_code == 422, response.json()
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors], errors
    if message is not None:
        assert {"field": field, "message": message} in errors
    assert response.json()["detail"]


@pytest.fixture
def admin(playbook_cast: Cast) -> ApiClient:
    return token_client(playbook_cast.ada)


def first_meeting_plan(cast: Cast) -> MeetingPlan:
    return MeetingPlan.objects.get(firm=cast.firm, kind=MeetingKind.FIRST)


def settings_of(firm_id: int) -> tuple[Any, ...]:
    """Everything an edit of a firm's playbook could change."""
    return (
        list(
            MeetingPlan.objects.filter(firm_id=firm_id).values_list(
                "pk", "name", "purpose", "duration_minutes"
            )
        ),
        list(
            MeetingPlanItem.objects.filter(plan__firm_id=firm_id).values_list(
                "pk", "prompt", "guidance", "profile_field", "position"
            )
        ),
        list(
            CadenceDefault.objects.filter(firm_id=firm_id).values_list(
                "stage", "kind", "interval_months"
            )
        ),
        list(
            DiagnosticQuestion.objects.filter(firm_id=firm_id).values_list(
                "pk", "topic", "text", "archived_at"
            )
        ),
        list(
            Solution.objects.filter(firm_id=firm_id).values_list(
                "pk", "title", "topic", "problem", "approach", "keywords", "archived_at"
            )
        ),
    )


# --- Meeting plans --------------------------------------------------------------------------


def test_a_firm_admin_edits_a_meeting_plan_and_new_meetings_follow_it(
    playbook_cast: Cast, admin: ApiClient
) -> None:
    plan = first_meeting_plan(playbook_cast)
    alice = token_client(playbook_cast.alice)
    partner = playbook_cast.alice_private
    before = MeetingFactory(partner=partner, kind=MeetingKind.FIRST)
    meeting_plan_item_add(plan=plan, by=playbook_cast.ada, prompt="Kept by the old one")
    # The meeting planned before the edits copied the points of then.
    planned = ok(
        alice.call(
            "POST",
            f"partners/{partner.pk}/meetings",
            {"kind": "first_meeting", "scheduled_for": timezone.now().isoformat()},
        ),
        201,
    )
    listed = ok(alice.call("GET", "playbook/meeting-plans"))["items"]
    read = ok(alice.call("GET", f"playbook/meeting-plans/{plan.pk}"))
    assert read in listed
    assert read["kind"] == "first_meeting"

    edited = ok(
        admin.call(
            "PATCH",
            f"playbook/meeting-plans/{plan.pk}",
            {"name": "Coffee first", "duration_minutes": 25, "purpose": None},
        )
    )
    assert (edited["name"], edited["duration_minutes"], edited["purpose"]) == (
        "Coffee first",
        25,
        "",
    )
    assert edited["items"] == read["items"]

    added = ok(
        admin.call(
            "POST",
            f"playbook/meeting-plans/{plan.pk}/items",
            {"prompt": " What do they do on weekends? ", "profile_field": "values"},
        ),
        201,
    )
    assert (added["prompt"], added["profile_field"], added["plan_id"]) == (
        "What do they do on weekends?",
        "values",
        plan.pk,
    )
    assert added["position"] == max(i["position"] for i in read["items"]) + 1

    changed = ok(
        admin.call(
            "PATCH",
            f"playbook/meeting-plans/{plan.pk}/items/{added['id']}",
            {"guidance": "Listen for what they value", "profile_field": None},
        )
    )
    assert changed == {
        **added,
        "guidance": "Listen for what they value",
        "profile_field": None,
    }

    gone = read["items"][0]
    after = ok(admin.call("POST", f"playbook/meeting-plans/{plan.pk}/items/{gone['id']}/remove"))
    assert gone["id"] not in [i["id"] for i in after["items"]]
    assert changed in after["items"]

    meeting = ok(
        alice.call(
            "POST",
            f"partners/{partner.pk}/meetings",
            {"kind": "first_meeting", "scheduled_for": timezone.now().isoformat()},
        ),
        201,
    )
    assert meeting["plan_name"] == "Coffee first"
    assert meeting["duration_minutes"] == 25
    assert [p["prompt"] for p in meeting["points"]] == [i["prompt"] for i in after["items"]]
    kept = ok(alice.call("GET", f"meetings/{planned['id']}"))
    assert gone["prompt"] in [p["prompt"] for p in kept["points"]]
    assert before.points.count() == 0  # a meeting keeps what it was given


def test_a_refused_plan_edit_saves_nothing(playbook_cast: Cast, admin: ApiClient) -> None:
    plan = first_meeting_plan(playbook_cast)
    other = MeetingPlan.objects.get(firm=playbook_cast.firm, kind=MeetingKind.DUE_DILIGENCE)
    item = plan.items.first()
    assert item is not None
    before = settings_of(playbook_cast.firm.pk)
    path = f"playbook/meeting-plans/{plan.pk}"

    refused(
        admin.call("PATCH", path, {"name": "Renamed", "duration_minutes": 3}), "duration_minutes"
    )
    refused(admin.call("PATCH", path, {"name": "  "}), "name")
    refused(admin.call("PATCH", path, {"kind": "other"}), "kind", FIELD_UNKNOWN)
    refused(
        admin.call("POST", f"{path}/items", {"prompt": "  ", "guidance": "Saved?"}),
        "prompt",
        PROMPT_REQUIRED,
    )
    refused(
        admin.call("POST", f"{path}/items", {"guidance": "No prompt"}), "prompt", FIELD_REQUIRED
    )
    refused(
        admin.call("POST", f"{path}/items", {"prompt": "x", "profile_field": "iq"}), "profile_field"
    )
    refused(admin.call("POST", f"{path}/items", {"prompt": "x", "position": 1000}), "position")
    refused(
        admin.call("PATCH", f"{path}/items/{item.pk}", {"prompt": "Kept?", "position": -1}),
        "position",
    )
    refused(
        admin.call("PATCH", f"{path}/items/{item.pk}", {"prompt": "", "guidance": "Saved?"}),
        "prompt",
        PROMPT_REQUIRED,
    )
    # A point is reached through its own plan only.
    wrong = f"playbook/meeting-plans/{other.pk}/items/{item.pk}"
    assert admin.call("PATCH", wrong, {"prompt": "Moved?"}).status_code == 404
    assert admin.call("POST", f"{wrong}/remove").status_code == 404
    assert settings_of(playbook_cast.firm.pk) == before


# --- Cadence defaults -----------------------------------------------------------------------


def test_the_firm_sets_and_removes_a_cadence_default_by_stage(
    playbook_cast: Cast, admin: ApiClient
) -> None:
    partner = playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.QUALIFIED)
    alice = token_client(playbook_cast.alice)
    assert ok(alice.call("GET", f"partners/{partner.pk}/cadences"))["count"] == 0
    count = CadenceDefault.objects.filter(firm=playbook_cast.firm).count()

    answered = ok(
        admin.call(
            "PUT",
            "playbook/cadence-defaults",
            {"stage": "qualified", "kind": "touch_base", "interval_months": 2},
        )
    )
    assert answered["count"] == count + 1
    assert {"stage": "qualified", "kind": "touch_base", "interval_months": 2} in answered["items"]
    assert ok(alice.call("GET", "playbook/cadence-defaults"))["items"] == answered["items"]
    [cadence] = ok(alice.call("GET", f"partners/{partner.pk}/cadences"))["items"]
    assert (cadence["kind"], cadence["interval_months"], cadence["source"]) == (
        "touch_base",
        2,
        "firm",
    )

    changed = ok(
        admin.call(
            "PUT",
            "playbook/cadence-defaults",
            {"stage": "active", "kind": "touch_base", "interval_months": 6},
        )
    )
    assert changed["count"] == count + 1
    assert {"stage": "active", "kind": "touch_base", "interval_months": 6} in changed["items"]

    removed = ok(
        admin.call(
            "PUT",
            "playbook/cadence-defaults",
            {"stage": "qualified", "kind": "touch_base", "enabled": False},
        )
    )
    assert removed["count"] == count
    assert ok(alice.call("GET", f"partners/{partner.pk}/cadences"))["count"] == 0
    membership = ok(
        admin.call("PUT", "playbook/cadence-defaults", {"stage": "proposed", "kind": "newsletter"})
    )
    assert {"stage": "proposed", "kind": "newsletter", "interval_months": None} in membership[
        "items"
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"stage": "active", "kind": "touch_base", "interval_months": 40},
            "interval_months",
            INTERVAL_RANGE,
        ),
        ({"stage": "active", "kind": "touch_base"}, "interval_months", INTERVAL_REQUIRED),
        ({"stage": "nowhere", "kind": "touch_base", "interval_months": 2}, "stage", None),
        ({"stage": "active", "kind": "lunch", "interval_months": 2}, "kind", None),
        (
            {"stage": "active", "kind": "touch_base", "interval_months": "2"},
            "interval_months",
            None,
        ),
        ({"kind": "touch_base", "interval_months": 2}, "stage", FIELD_REQUIRED),
    ],
)
def test_a_refused_cadence_default_saves_nothing(
    playbook_cast: Cast, admin: ApiClient, body: dict[str, Any], field: str, message: str | None
) -> None:
    before = settings_of(playbook_cast.firm.pk)
    refused(admin.call("PUT", "playbook/cadence-defaults", body), field, message)
    assert settings_of(playbook_cast.firm.pk) == before


# --- The question bank ----------------------------------------------------------------------


def test_a_question_is_added_to_the_bank_and_an_archived_one_is_no_longer_drawn(
    playbook_cast: Cast, admin: ApiClient
) -> None:
    tax = list(DiagnosticQuestion.objects.filter(firm=playbook_cast.firm, topic=Topic.TAX))
    created = ok(
        admin.call(
            "POST", "playbook/questions", {"topic": "tax", "text": " Do they hold crypto? "}
        ),
        201,
    )
    assert (created["topic"], created["text"], created["archived_at"]) == (
        "tax",
        "Do they hold crypto?",
        None,
    )
    assert created["position"] == max(q.position for q in tax) + 1
    alice = token_client(playbook_cast.alice)
    assert ok(alice.call("GET", f"playbook/questions/{created['id']}")) == created

    retired = tax[0]
    archived = ok(admin.call("POST", f"playbook/questions/{retired.pk}/archive"))
    assert archived["archived_at"] is not None
    again = ok(admin.call("POST", f"playbook/questions/{retired.pk}/archive"))
    assert again == archived  # archiving twice changes nothing
    listed = ok(alice.call("GET", "playbook/questions", None, QUERY_STRING="limit=200"))["items"]
    assert created in listed
    assert retired.pk not in [q["id"] for q in listed]
    assert ok(alice.call("GET", f"playbook/questions/{retired.pk}")) == archived

    case = ok(
        alice.call(
            "POST",
            f"partners/{playbook_cast.alice_private.pk}/cases",
            {"alias": "A", "description": "A pilot", "topics": ["tax"], "question_count": 12},
        ),
        201,
    )
    drawn = {q["question_id"] for q in case["questions"]}
    assert created["id"] in drawn
    assert retired.pk not in drawn


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"topic": "tax", "text": "   "}, "text", QUESTION_REQUIRED),
        ({"topic": "astrology", "text": "Their sign?"}, "topic", None),
        ({"topic": "tax", "text": "x" * 501}, "text", None),
        ({"text": "No topic?"}, "topic", FIELD_REQUIRED),
        ({"topic": "tax", "text": "x", "position": 1}, "position", FIELD_UNKNOWN),
    ],
)
def test_a_refused_question_saves_nothing(
    playbook_cast: Cast, admin: ApiClient, body: dict[str, Any], field: str, message: str | None
) -> None:
    before = settings_of(playbook_cast.firm.pk)
    refused(admin.call("POST", "playbook/questions", body), field, message)
    assert settings_of(playbook_cast.firm.pk) == before


def test_a_question_already_in_the_topic_is_refused(playbook_cast: Cast, admin: ApiClient) -> None:
    taken = DiagnosticQuestion.objects.filter(firm=playbook_cast.firm, topic=Topic.TAX).first()
    assert taken is not None
    before = settings_of(playbook_cast.firm.pk)
    body = {"topic": "tax", "text": taken.text.upper()}
    refused(admin.call("POST", "playbook/questions", body), "text", QUESTION_TAKEN)
    assert settings_of(playbook_cast.firm.pk) == before


def test_a_question_is_reworded_or_moved_and_refused_without_text_or_twice_in_a_topic(
    playbook_cast: Cast, admin: ApiClient
) -> None:
    first, second = DiagnosticQuestion.objects.filter(firm=playbook_cast.firm, topic=Topic.TAX)[:2]
    path = f"playbook/questions/{first.pk}"

    reworded = ok(admin.call("PATCH", path, {"text": " What did they owe last April? "}))
    assert (reworded["text"], reworded["topic"]) == ("What did they owe last April?", "tax")
    moved = ok(admin.call("PATCH", path, {"topic": "retirement", "text": None}))
    assert (moved["text"], moved["topic"]) == ("What did they owe last April?", "retirement")

    before = settings_of(playbook_cast.firm.pk)
    refused(admin.call("PATCH", path, {"text": "  "}), "text", QUESTION_REQUIRED)
    taken = {"topic": "tax", "text": second.text}
    refused(admin.call("PATCH", path, taken), "text", QUESTION_TAKEN)
    assert settings_of(playbook_cast.firm.pk) == before
    record = first.history.first()
    assert (record.history_user, record.history_source) == (playbook_cast.ada, "api")


# --- The "what we solve" library ------------------------------------------------------------

ENTRY = {
    "title": "Heirs who will fight",
    "topic": "estate",
    "problem": "Children from two marriages and no plan for the family business.",
    "approach": "A family meeting, a trust and a buy-sell agreement.",
    "keywords": ["heirs", "second marriage"],
}


def test_the_library_grows_and_an_archived_entry_no_longer_matches(
    playbook_cast: Cast, admin: ApiClient
) -> None:
    created = ok(admin.call("POST", "playbook/solutions", ENTRY), 201)
    assert {k: created[k] for k in ENTRY} == ENTRY
    assert created["archived_at"] is None
    alice = token_client(playbook_cast.alice)
    assert ok(alice.call("GET", f"playbook/solutions/{created['id']}")) == created
    path = f"playbook/solutions/{created['id']}"

    # What is read can be sent back as it is: the same names, the same shapes.
    body = {k: v for k, v in created.items() if k not in ("id", "archived_at")}
    assert ok(admin.call("PATCH", path, body)) == created

    changed = ok(admin.call("PATCH", path, {"topic": None, "keywords": [" Heirs ", "Will"]}))
    assert changed == {**created, "topic": None, "keywords": ["heirs", "will"]}

    concern = ClientConcernFactory(partner=playbook_cast.alice_private, description="Heirs")
    opportunity = ok(
        alice.call("POST", f"concerns/{concern.pk}/match", {"solution": created["id"]}), 201
    )
    archived = ok(admin.call("POST", f"{path}/archive"))
    assert archived["archived_at"] is not None
    listed = ok(alice.call("GET", "playbook/solutions", None, QUERY_STRING="limit=200"))["items"]
    assert created["id"] not in [s["id"] for s in listed]
    assert ok(alice.call("GET", path)) == archived
    later = ClientConcernFactory(partner=playbook_cast.alice_private, description="Heirs again")
    response = alice.call("POST", f"concerns/{later.pk}/match", {"solution": created["id"]})
    refused(response, "solution", SOLUTION_NOT_IN_FIRM)
    kept = ok(alice.call("GET", f"opportunities/{opportunity['id']}"))
    assert kept["solution_id"] == created["id"]


def test_a_refused_library_edit_saves_nothing(playbook_cast: Cast, admin: ApiClient) -> None:
    taken = SolutionFactory(firm=playbook_cast.firm, title="Sleepless nights")
    before = settings_of(playbook_cast.firm.pk)
    path = f"playbook/solutions/{taken.pk}"

    refused(
        admin.call("POST", "playbook/solutions", {**ENTRY, "title": "SLEEPLESS NIGHTS"}),
        "title",
        TITLE_TAKEN,
    )
    refused(
        admin.call("POST", "playbook/solutions", {**ENTRY, "problem": " "}),
        "problem",
        SOLUTION_NEEDS_TEXT,
    )
    refused(
        admin.call("POST", "playbook/solutions", {"title": "No approach", "problem": "p"}),
        "approach",
        FIELD_REQUIRED,
    )
    refused(
        admin.call("POST", "playbook/solutions", {**ENTRY, "keywords": "heirs, wills"}), "keywords"
    )
    refused(
        admin.call("PATCH", path, {"title": "Renamed", "approach": ""}),
        "problem",
        SOLUTION_NEEDS_TEXT,
    )
    refused(admin.call("PATCH", path, {"title": " "}), "title", TITLE_REQUIRED)
    refused(admin.call("PATCH", path, {"title": "t" * 201}), "title")
    assert settings_of(playbook_cast.firm.pk) == before


# --- Who may read and change it -------------------------------------------------------------


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
    with django_assert_max_num_queries(7):
        body = {"stage": "active", "kind": "touch_base", "interval_months": 6}
        assert ok(admin.call("PUT", "playbook/cadence-defaults", body))["count"] == 7
