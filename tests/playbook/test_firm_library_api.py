"""The firm's question bank and "what we solve" library through the API (firm admins edit them)."""

from typing import Any

import pytest

from reciprocity.api.errors import FIELD_REQUIRED, FIELD_UNKNOWN
from reciprocity.playbook.models import (
    DiagnosticQuestion,
    Topic,
)
from reciprocity.playbook.services.library import (
    QUESTION_REQUIRED,
    QUESTION_TAKEN,
    SOLUTION_NEEDS_TEXT,
    SOLUTION_NOT_IN_FIRM,
    TITLE_TAKEN,
)
from reciprocity.playbook.services.strategies import TITLE_REQUIRED
from tests.api_client import ApiClient, refused, token_client
from tests.conftest import Cast
from tests.factories import ClientConcernFactory, SolutionFactory
from tests.playbook.helpers import ok, settings_of

pytestmark = pytest.mark.django_db


# --- The question bank ----------------------------------------------------------------------------


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


# --- The "what we solve" library ------------------------------------------------------------------


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
