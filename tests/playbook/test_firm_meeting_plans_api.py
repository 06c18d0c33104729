"""The firm's meeting plans through the API (firm admins edit them)."""

import pytest
from django.utils import timezone

from reciprocity.api.errors import FIELD_REQUIRED, FIELD_UNKNOWN
from reciprocity.playbook.models import (
    MeetingKind,
    MeetingPlan,
)
from reciprocity.playbook.services.meetings import PROMPT_REQUIRED, meeting_plan_item_add
from tests.api_client import ApiClient, refused, token_client
from tests.conftest import Cast
from tests.factories import MeetingFactory
from tests.playbook.helpers import first_meeting_plan, ok, settings_of

pytestmark = pytest.mark.django_db


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
