"""Meetings through the API."""

import datetime as dt

import pytest
from django.utils import timezone

from reciprocity.partners.models import Partner
from reciprocity.partners.services import ARCHIVED_PARTNER
from reciprocity.playbook.models import Meeting
from reciprocity.playbook.services.meetings import (
    MEETING_NOT_PLANNED,
    meeting_cancel,
    meeting_schedule,
)
from tests.api_client import ApiClient, refused
from tests.conftest import Cast
from tests.factories import MeetingFactory, ago
from tests.playbook.helpers import ok

pytestmark = pytest.mark.django_db


def test_a_meeting_is_scheduled_with_its_plan_and_held(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    meeting = ok(
        api.call(
            "POST",
            f"partners/{partner.pk}/meetings",
            {"kind": "due_diligence", "scheduled_for": ago(0).isoformat()},
        ),
        201,
    )
    assert meeting["plan_name"] == "Due diligence: build their profile"
    assert meeting["duration_minutes"] == 40
    size = next(p for p in meeting["points"] if p["profile_field"] == "organization_size")
    refer = next(p for p in meeting["points"] if p["profile_field"] == "propensity_to_refer")

    bad = api.call(
        "POST",
        f"meetings/{meeting['id']}/hold",
        {"points": [{"point": size["id"], "answer": "huge"}]},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "points"

    held = ok(
        api.call(
            "POST",
            f"meetings/{meeting['id']}/hold",
            {
                "summary": "Good conversation",
                "points": [
                    {"point": size["id"], "answer": "small"},
                    {"point": refer["id"], "answer": "high"},
                    {"point": meeting["points"][0]["id"], "covered": True},
                ],
            },
        )
    )
    assert held["status"] == "held"
    assert held["touch_id"] is not None
    partner.refresh_from_db()
    assert (partner.organization_size, partner.propensity_to_refer) == ("small", "high")
    listed = ok(api.call("GET", f"partners/{partner.pk}/meetings"))
    assert listed["count"] == 1
    refused(api.call("POST", f"meetings/{meeting['id']}/cancel", {}), None, MEETING_NOT_PLANNED)


def test_a_planned_meeting_is_rescheduled_and_the_agenda_follows(
    playbook_cast: Cast, api: ApiClient
) -> None:
    partner = playbook_cast.alice_private
    meeting = meeting_schedule(
        partner=partner,
        by=playbook_cast.alice,
        kind="first_meeting",
        scheduled_for=timezone.now() + dt.timedelta(days=2),
        location="Their office",
    )
    points = list(meeting.points.values_list("pk", flat=True))
    assert points
    later = (timezone.now() + dt.timedelta(days=20)).replace(microsecond=0)

    moved = ok(
        api.call(
            "POST",
            f"meetings/{meeting.pk}/reschedule",
            {"scheduled_for": later.isoformat(), "location": " The cafe "},
        )
    )
    assert dt.datetime.fromisoformat(moved["scheduled_for"]) == later
    assert (moved["location"], moved["duration_minutes"], moved["status"]) == (
        "The cafe",
        30,
        "planned",
    )
    assert [p["id"] for p in moved["points"]] == points
    assert ok(api.call("GET", f"meetings/{meeting.pk}")) == moved
    agenda = ok(api.call("GET", "agenda", None, QUERY_STRING="days=30"))
    [item] = [i for i in agenda["this_week"] if i["source"] == "meeting"]
    assert item["due"] == timezone.localtime(later).date().isoformat()

    longer = ok(
        api.call(
            "POST",
            f"meetings/{meeting.pk}/reschedule",
            {"scheduled_for": later.isoformat(), "duration_minutes": 60},
        )
    )
    assert (longer["duration_minutes"], longer["location"]) == (60, "The cafe")
    record = Meeting.history.filter(id=meeting.pk).latest("history_date")  # type: ignore[attr-defined]
    assert (record.history_user, record.history_source) == (playbook_cast.alice, "api")


def test_a_refused_reschedule_moves_nothing(playbook_cast: Cast, api: ApiClient) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private, location="Their office")
    when = (timezone.now() + dt.timedelta(days=9)).isoformat()
    path = f"meetings/{meeting.pk}/reschedule"

    refused(
        api.call("POST", path, {"scheduled_for": when, "duration_minutes": 2, "location": "X"}),
        "duration_minutes",
        None,
    )
    refused(api.call("POST", path, {"location": "X"}), "scheduled_for", None)
    refused(api.call("POST", path, {"scheduled_for": when, "kind": "other"}), "kind", None)
    refused(api.call("POST", path, {"scheduled_for": 1767225600}), "scheduled_for", None)
    after = Meeting.objects.get(pk=meeting.pk)
    assert (after.scheduled_for, after.location, after.duration_minutes) == (
        meeting.scheduled_for,
        "Their office",
        meeting.duration_minutes,
    )

    meeting_cancel(meeting=meeting, by=playbook_cast.alice, reason="Travelling")
    refused(api.call("POST", path, {"scheduled_for": when}), None, MEETING_NOT_PLANNED)
    assert Meeting.objects.get(pk=meeting.pk).scheduled_for == meeting.scheduled_for

    other = MeetingFactory(partner=playbook_cast.alice_private)
    Partner.objects.filter(pk=other.partner_id).update(archived_at=timezone.now())
    refused(
        api.call("POST", f"meetings/{other.pk}/reschedule", {"scheduled_for": when}),
        None,
        ARCHIVED_PARTNER,
    )
    assert Meeting.objects.get(pk=other.pk).scheduled_for == other.scheduled_for
