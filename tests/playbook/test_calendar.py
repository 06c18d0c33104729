"""The private calendar feed and the .ics download of a meeting."""

import datetime as dt

import icalendar
import pytest
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reciprocity.partners.models import CommitmentStatus, Stage
from reciprocity.playbook.models import CadenceKind, CalendarFeed
from reciprocity.playbook.selectors.cadences import add_months, cadences_of
from reciprocity.playbook.selectors.calendar import calendar_feed_for_token, calendar_feed_of
from reciprocity.playbook.services.calendar import calendar_feed_create, calendar_feed_revoke
from reciprocity.playbook.services.meetings import meeting_cancel, meeting_schedule
from reciprocity.playbook.services.message import advisor_message_set
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, MeetingFactory, PartnerFactory, TouchFactory

pytestmark = pytest.mark.django_db


def events_of(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def feed_url(token: str) -> str:
    return reverse("calendar_feed", kwargs={"token": token})


def active_partner_quiet_for(owner: object, days: int) -> object:
    partner = PartnerFactory(
        owner=owner,
        stage=Stage.ACTIVE,
        stage_changed_at=timezone.now() - dt.timedelta(days=days),
    )
    TouchFactory(partner=partner, occurred_at=timezone.now() - dt.timedelta(days=days))
    return partner


def test_the_feed_parses_and_holds_every_open_commitment_and_cadence_item_on_its_date(
    playbook_cast: Cast,
) -> None:
    alice = playbook_cast.alice
    today = timezone.localdate()
    overdue = CommitmentFactory(partner=playbook_cast.alice_private, due=today - dt.timedelta(3))
    later = CommitmentFactory(
        partner=playbook_cast.alice_shared, due=today + dt.timedelta(40), owner="partner"
    )
    done = CommitmentFactory(
        partner=playbook_cast.alice_shared, due=today, status=CommitmentStatus.DONE
    )
    quiet = active_partner_quiet_for(alice, 200)
    fresh = active_partner_quiet_for(alice, 10)
    meeting = MeetingFactory(
        partner=playbook_cast.alice_private,
        scheduled_for=timezone.make_aware(dt.datetime.combine(today, dt.time(15, 30))),
        duration_minutes=40,
        location="Their office",
    )
    CommitmentFactory(partner=PartnerFactory(owner=playbook_cast.bob))  # not alice's
    _, token = calendar_feed_create(by=alice)

    response = Client().get(feed_url(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_of(response.content)
    commitments = {uid: e for uid, e in events.items() if uid.startswith("commitment-")}
    assert set(commitments) == {
        f"commitment-{overdue.pk}@reciprocity",
        f"commitment-{later.pk}@reciprocity",
    }
    assert commitments[f"commitment-{overdue.pk}@reciprocity"]["dtstart"].dt == overdue.due
    assert commitments[f"commitment-{later.pk}@reciprocity"]["dtstart"].dt == later.due
    assert str(commitments[f"commitment-{later.pk}@reciprocity"]["summary"]).startswith(
        "Waiting on partner: "
    )
    assert f"commitment-{done.pk}@reciprocity" not in events

    cadence_events = {uid: e for uid, e in events.items() if uid.startswith("cadence-")}
    expected = {
        f"cadence-{c.partner_id}-{c.kind}@reciprocity": c.due
        for partner in (quiet, fresh)
        for c in cadences_of(partner=partner)  # type: ignore[arg-type]
        if c.due is not None
    }
    assert len(expected) == 4  # touch base and annual review for each partner
    assert {uid: e["dtstart"].dt for uid, e in cadence_events.items()} == expected
    quiet_due = expected[f"cadence-{quiet.pk}-{CadenceKind.TOUCH_BASE}@reciprocity"]  # type: ignore[attr-defined]
    assert quiet_due == add_months(today - dt.timedelta(days=200), 4)

    meeting_event = events[f"meeting-{meeting.pk}@reciprocity"]
    assert meeting_event["dtstart"].dt == meeting.scheduled_for
    assert meeting_event["dtend"].dt == meeting.scheduled_for + dt.timedelta(minutes=40)
    assert str(meeting_event["location"]) == "Their office"


def test_a_wrong_token_is_a_404(playbook_cast: Cast) -> None:
    calendar_feed_create(by=playbook_cast.alice)

    for token in ("cal_wrong", "nonsense", "cal_"):
        assert Client().get(feed_url(token)).status_code == 404
        with pytest.raises(Http404):
            calendar_feed_for_token(token)


def test_a_revoked_token_is_a_404(playbook_cast: Cast) -> None:
    _, token = calendar_feed_create(by=playbook_cast.alice)
    assert Client().get(feed_url(token)).status_code == 200

    assert calendar_feed_revoke(by=playbook_cast.alice) == 1

    assert Client().get(feed_url(token)).status_code == 404
    assert calendar_feed_of(advisor=playbook_cast.alice) is None


def test_a_new_feed_replaces_the_old_one(playbook_cast: Cast) -> None:
    _, old = calendar_feed_create(by=playbook_cast.alice)
    feed, new = calendar_feed_create(by=playbook_cast.alice)

    assert Client().get(feed_url(old)).status_code == 404
    assert Client().get(feed_url(new)).status_code == 200
    assert calendar_feed_of(advisor=playbook_cast.alice) == feed


def test_only_a_hash_of_the_secret_is_stored(playbook_cast: Cast) -> None:
    feed, token = calendar_feed_create(by=playbook_cast.alice)

    stored = CalendarFeed.objects.values_list("key_hash", "hint").get(pk=feed.pk)
    assert token not in stored
    assert stored[0] == CalendarFeed.hash_key(token)
    assert token.startswith(stored[1])


def test_the_feed_of_a_deactivated_user_is_a_404(playbook_cast: Cast) -> None:
    _, token = calendar_feed_create(by=playbook_cast.alice)
    playbook_cast.alice.is_active = False
    playbook_cast.alice.save()

    assert Client().get(feed_url(token)).status_code == 404


def test_the_feed_costs_the_same_queries_for_any_book(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    _, token = calendar_feed_create(by=alice)

    def fill(n: int) -> None:
        for _ in range(n):
            partner = active_partner_quiet_for(alice, 50)
            CommitmentFactory(partner=partner)
            MeetingFactory(partner=partner)

    fill(1)
    with CaptureQueriesContext(connection) as small:
        calendar_feed_for_token(token)
    fill(8)
    with CaptureQueriesContext(connection) as large:
        body = calendar_feed_for_token(token)

    assert len(events_of(body)) == 9 * 4
    assert len(large) == len(small)


# --- One meeting as a download --------------------------------------------------------------


def meeting_url(partner_id: int, meeting_id: int) -> str:
    return reverse("meeting_ics", kwargs={"partner_id": partner_id, "meeting_id": meeting_id})


def test_a_meeting_downloads_as_an_ics_file_with_its_plan(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_shared
    when = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    meeting = meeting_schedule(
        partner=partner, by=playbook_cast.alice, kind="due_diligence", scheduled_for=when
    )

    advisor_message_set(
        by=playbook_cast.alice,
        whom_i_help="Physicians selling their practice",
        what_is_unique="One plan for the sale and the retirement",
    )

    response = client_for(playbook_cast.bob).get(meeting_url(partner.pk, meeting.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="meeting-')
    (event,) = events_of(response.content).values()
    assert event["dtstart"].dt == when
    assert event["dtend"].dt == when + dt.timedelta(minutes=40)
    assert str(event["summary"]) == f"Due-diligence meeting with {partner.name}"
    description = str(event["description"])
    assert description.startswith("Whom you help: Physicians selling their practice\n")
    assert "Describe the clients they serve best" in description


def test_a_meeting_download_is_a_404_to_whoever_cannot_see_the_partner(
    playbook_cast: Cast,
) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private)
    url = meeting_url(playbook_cast.alice_private.pk, meeting.pk)

    for outsider in (playbook_cast.bob, playbook_cast.carol, playbook_cast.mallory):
        assert client_for(outsider).get(url).status_code == 404
    wrong_partner = meeting_url(playbook_cast.alice_shared.pk, meeting.pk)
    assert client_for(playbook_cast.alice).get(wrong_partner).status_code == 404
    assert client_for(playbook_cast.ada).get(url).status_code == 200


def test_a_meeting_download_needs_a_login(playbook_cast: Cast) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private)

    response = Client().get(meeting_url(playbook_cast.alice_private.pk, meeting.pk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_cancelled_meeting_leaves_the_feed(playbook_cast: Cast) -> None:
    meeting = MeetingFactory(partner=playbook_cast.alice_private)
    _, token = calendar_feed_create(by=playbook_cast.alice)
    meeting_cancel(meeting=meeting, by=playbook_cast.alice, reason="They are ill")

    assert f"meeting-{meeting.pk}@reciprocity" not in events_of(calendar_feed_for_token(token))


def test_the_feed_asks_subscribers_to_refresh_hourly(playbook_cast: Cast) -> None:
    _, token = calendar_feed_create(by=playbook_cast.alice)

    body = calendar_feed_for_token(token)

    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    assert str(icalendar.Calendar.from_ical(body)["x-wr-calname"]) == (
        f"Reciprocity: {playbook_cast.alice.display_name}"
    )
