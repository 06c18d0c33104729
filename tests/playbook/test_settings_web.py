"""The playbook's settings pages: the message, the calendar feed, and the firm's playbook."""

import pytest

from reciprocity.playbook.models import (
    AdvisorProfile,
    CadenceDefault,
    CalendarFeed,
    DiagnosticQuestion,
    MeetingPlan,
    Solution,
)
from reciprocity.playbook.services.library import TITLE_TAKEN
from reciprocity.playbook.services.message import MESSAGE_REQUIRED
from tests.conftest import Cast, client_for
from tests.playbook.helpers import has, page_of

pytestmark = pytest.mark.django_db


def test_the_advisor_writes_their_message(playbook_cast: Cast) -> None:
    client = client_for(playbook_cast.alice)
    refused = page_of(
        client.post("/playbook/message/", {"whom_i_help": "Dentists", "what_is_unique": ""})
    )
    assert has(refused, MESSAGE_REQUIRED)
    response = client.post(
        "/playbook/message/",
        {"whom_i_help": "Dentists", "what_is_unique": "We sell practices"},
    )
    assert response.status_code == 302
    profile = AdvisorProfile.objects.get(user=playbook_cast.alice)
    assert (profile.whom_i_help, profile.what_is_unique) == ("Dentists", "We sell practices")
    client.post("/playbook/digest/", {})
    profile.refresh_from_db()
    assert profile.weekly_digest is False


def test_the_calendar_address_is_shown_once(playbook_cast: Cast) -> None:
    client = client_for(playbook_cast.alice)
    assert "Create the feed" in page_of(client.get("/playbook/calendar/"))
    page = page_of(client.post("/playbook/calendar/"))
    feed = CalendarFeed.objects.get()
    assert "http://testserver/calendar/cal_" in page
    token = page.split("http://testserver/calendar/")[1].split(".ics")[0]
    assert CalendarFeed.hash_key(token) == feed.key_hash
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    again = page_of(client.get("/playbook/calendar/"))
    assert token not in again
    assert "Stop the feed" in again
    client.post("/playbook/calendar/revoke/")
    assert client.get(f"/calendar/{token}.ics").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/playbook/",
        "/playbook/message/",
        "/playbook/calendar/",
        "/playbook/meetings/",
        "/playbook/cadences/",
        "/playbook/questions/",
        "/playbook/library/",
    ],
)
def test_every_settings_page_opens_for_an_advisor(playbook_cast: Cast, path: str) -> None:
    page = page_of(client_for(playbook_cast.alice).get(path))
    assert "Playbook" in page


def test_a_firm_admin_edits_the_firms_playbook_and_an_advisor_only_reads_it(
    playbook_cast: Cast,
) -> None:
    admin, advisor = client_for(playbook_cast.ada), client_for(playbook_cast.alice)
    plan = MeetingPlan.objects.get(firm=playbook_cast.firm, kind="first_meeting")
    item = plan.items.first()
    assert item is not None
    solution = Solution.objects.filter(firm=playbook_cast.firm).first()
    assert solution is not None
    question = DiagnosticQuestion.objects.filter(firm=playbook_cast.firm).first()
    assert question is not None
    writes = [
        (f"/playbook/meetings/{plan.pk}/", {"name": "Hello", "duration_minutes": "20"}),
        (f"/playbook/meetings/{plan.pk}/items/", {"prompt": "Ask about their week"}),
        (f"/playbook/meetings/{plan.pk}/items/{item.pk}/", {"prompt": "Changed prompt"}),
        ("/playbook/cadences/", {"stage": "active", "kind": "touch_base", "interval_months": "6"}),
        ("/playbook/questions/", {"topic": "tax", "text": "Do they own crypto?"}),
        (f"/playbook/questions/{question.pk}/", {"topic": "tax", "text": "Reworded?"}),
        (f"/playbook/questions/{question.pk}/archive/", {}),
        ("/playbook/library/", {"title": "New", "problem": "p", "approach": "a"}),
        (
            f"/playbook/library/{solution.pk}/",
            {"title": "Renamed", "problem": "p", "approach": "a"},
        ),
        (f"/playbook/library/{solution.pk}/archive/", {}),
        ("/playbook/cadences/remove/", {"stage": "proposed", "kind": "touch_base"}),
        (f"/playbook/meetings/{plan.pk}/items/{item.pk}/remove/", {}),
    ]
    for path, data in writes:
        assert advisor.post(path, data).status_code == 403, path
    assert "Save the plan" not in page_of(advisor.get(f"/playbook/meetings/{plan.pk}/"))
    assert "Save the question" not in page_of(advisor.get(f"/playbook/questions/{question.pk}/"))
    assert "Save the question" in page_of(admin.get(f"/playbook/questions/{question.pk}/"))
    assert MeetingPlan.objects.get(pk=plan.pk).name != "Hello"

    for path, data in writes:
        assert admin.post(path, data).status_code == 302, path
    plan.refresh_from_db()
    assert plan.name == "Hello"
    assert plan.items.filter(prompt="Ask about their week").exists()
    assert not plan.items.filter(pk=item.pk).exists()
    assert (
        CadenceDefault.objects.get(
            firm=playbook_cast.firm, stage="active", kind="touch_base"
        ).interval_months
        == 6
    )
    assert not CadenceDefault.objects.filter(firm=playbook_cast.firm, stage="proposed").exists()
    assert DiagnosticQuestion.objects.filter(text="Do they own crypto?").exists()
    question.refresh_from_db()
    assert (question.topic, question.text, question.archived_at is not None) == (
        "tax",
        "Reworded?",
        True,
    )
    solution.refresh_from_db()
    assert (solution.title, solution.archived_at is not None) == ("Renamed", True)


def test_a_refused_admin_edit_shows_the_reason(playbook_cast: Cast) -> None:
    taken = Solution.objects.filter(firm=playbook_cast.firm).first()
    assert taken is not None
    page = page_of(
        client_for(playbook_cast.ada).post(
            "/playbook/library/", {"title": taken.title, "problem": "p", "approach": "a"}
        )
    )
    assert has(page, TITLE_TAKEN)
