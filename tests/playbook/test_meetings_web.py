"""Meetings on the web: schedule, prepare, hold, move and cancel."""

import datetime as dt

import pytest
from django.utils import timezone

from reciprocity.partners.models import Touch, TouchKind
from reciprocity.playbook.models import Meeting, MeetingPlan, MeetingStatus
from reciprocity.playbook.services.meetings import MEETING_NOT_PLANNED, meeting_hold
from tests.conftest import Cast, client_for
from tests.factories import MeetingFactory, ago
from tests.playbook.helpers import has, local, page_of

pytestmark = pytest.mark.django_db


def test_a_meeting_is_scheduled_against_its_plan_and_held_answers_fill_the_profile(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    response = client.post(
        f"/partners/{partner.pk}/meetings/",
        {"kind": "due_diligence", "scheduled_for": local(timezone.now() - dt.timedelta(hours=2))},
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == f"/partners/{partner.pk}/meetings/{meeting.pk}/"
    assert meeting.plan == MeetingPlan.objects.get(firm=playbook_cast.firm, kind="due_diligence")
    assert meeting.duration_minutes == 40

    page = page_of(client.get(response["Location"]))
    points = list(meeting.points.all())
    niche = next(p for p in points if p.profile_field == "niche")
    growth = next(p for p in points if p.profile_field == "growth_mode")
    assert niche.prompt in page
    assert "Answer with one of: yes, no." in page

    refused = client.post(
        response["Location"], {f"point_{growth.pk}": "perhaps", f"point_{niche.pk}": "Doctors"}
    )
    assert "This answer fills the partner&#x27;s firm in growth mode" in page_of(refused)
    assert Meeting.objects.get().status == MeetingStatus.PLANNED

    held = client.post(
        response["Location"],
        {
            f"point_{growth.pk}": "yes",
            f"point_{niche.pk}": "Doctors near retirement",
            "summary": "Went well",
        },
    )
    assert held.status_code == 302
    meeting.refresh_from_db()
    partner.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert (partner.niche, partner.growth_mode) == ("Doctors near retirement", True)
    assert Touch.objects.get(partner=partner).kind == TouchKind.MEETING


def test_a_meeting_can_be_cancelled(playbook_cast: Cast) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private)
    url = f"/partners/{meeting.partner_id}/meetings/{meeting.pk}/cancel/"
    client_for(playbook_cast.alice).post(url, {"reason": "They moved offices"})
    meeting.refresh_from_db()
    assert (meeting.status, meeting.summary) == (MeetingStatus.CANCELLED, "They moved offices")


def test_a_planned_meeting_can_be_moved_to_another_time_and_place(playbook_cast: Cast) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private)
    detail = f"/partners/{meeting.partner_id}/meetings/{meeting.pk}/"
    client = client_for(playbook_cast.alice)
    assert "Reschedule" in page_of(client.get(detail))
    later = ago(-10).replace(second=0, microsecond=0)

    moved = client.post(
        detail + "reschedule/",
        {"scheduled_for": local(later), "duration_minutes": "60", "location": " Their office "},
    )

    assert moved.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.scheduled_for, meeting.duration_minutes, meeting.location) == (
        later,
        60,
        "Their office",
    )
    assert meeting.history.first().history_user == playbook_cast.alice


def test_rescheduling_needs_a_time_and_changes_nothing_without_one(playbook_cast: Cast) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private)
    before = (meeting.scheduled_for, meeting.duration_minutes)
    url = f"/partners/{meeting.partner_id}/meetings/{meeting.pk}/reschedule/"

    refused = client_for(playbook_cast.alice).post(
        url, {"scheduled_for": "soon", "duration_minutes": "1"}, follow=True
    )

    assert "Enter a valid date/time." in page_of(refused)
    meeting.refresh_from_db()
    assert (meeting.scheduled_for, meeting.duration_minutes) == before


def test_a_held_meeting_cannot_be_rescheduled(playbook_cast: Cast) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private)
    before = meeting.duration_minutes
    meeting_hold(meeting=meeting, by=playbook_cast.alice)
    url = f"/partners/{meeting.partner_id}/meetings/{meeting.pk}/reschedule/"

    refused = client_for(playbook_cast.alice).post(
        url, {"scheduled_for": local(ago(-3)), "duration_minutes": "45"}, follow=True
    )

    assert has(page_of(refused), MEETING_NOT_PLANNED)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.duration_minutes) == (MeetingStatus.HELD, before)
