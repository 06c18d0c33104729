"""The playbook in the web UI: the agenda from every source, the partner's playbook panel and
pages (agreement, meetings, cadences, concerns, cases, opportunities), and the settings pages."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from django.utils.html import escape

from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Stage,
    Touch,
    TouchKind,
)
from reciprocity.playbook.models import (
    AdvisorProfile,
    AgendaSnooze,
    Agreement,
    AgreementStatus,
    Cadence,
    CadenceDefault,
    CalendarFeed,
    CaseStatus,
    ClientCase,
    ClientConcern,
    ConcernStatus,
    DiagnosticQuestion,
    Meeting,
    MeetingPlan,
    MeetingStatus,
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    Solution,
    Strategy,
)
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.services.agenda import SNOOZE_NOT_AFTER_TODAY
from reciprocity.playbook.services.agreements import (
    REVIEW_NOT_AFTER_AGREEMENT,
    PromiseInput,
    agreement_create,
)
from reciprocity.playbook.services.cadences import INTERVAL_REQUIRED
from reciprocity.playbook.services.library import (
    CASE_NEEDS_ANSWERS,
    CASE_QUESTION_COUNT,
    SOLUTION_NOT_IN_FIRM,
    TITLE_TAKEN,
    case_create,
)
from reciprocity.playbook.services.meetings import MEETING_NOT_PLANNED, meeting_hold
from reciprocity.playbook.services.message import MESSAGE_REQUIRED
from reciprocity.playbook.services.strategies import SAME_STRATEGY, strategy_set
from tests.conftest import Cast, client_for
from tests.factories import (
    AdvisorProfileFactory,
    ClientConcernFactory,
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    PartnerFactory,
    TouchFactory,
)
from tests.web import htmx, is_partial, queries_for

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def has(page: str, message: str) -> bool:
    """The page shows ``message`` (as the template escapes it)."""
    return escape(message) in page


def page_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- Acceptance: the keep-warm cadence ------------------------------------------------------


def test_an_active_partner_with_no_cadence_gets_the_firm_default_and_goes_overdue_after_four_months(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    # Moved to Active partner today; the last call was four months and a few days ago.
    response = client.post(f"/partners/{partner.pk}/stage/", {"stage": "active"})
    assert response.status_code == 302
    client.post(
        f"/partners/{partner.pk}/touches/",
        {"kind": "call", "summary": "Caught up", "occurred_at": local(ago(124))},
    )
    assert not Cadence.objects.filter(partner=partner).exists()

    detail = page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Touch base every 4 months" in detail
    assert "firm default" in detail

    agenda = page_of(client.get("/agenda/"))
    overdue = agenda.index('id="agenda-overdue"')
    assert overdue < agenda.index("Touch base with Priya Private")

    # Logging a call clears it.
    client.post(
        f"/partners/{partner.pk}/touches/", {"kind": "call", "summary": "Quarterly check-in"}
    )
    assert "Touch base with Priya Private" not in page_of(client.get("/agenda/"))


def test_completing_the_cadence_item_on_the_agenda_logs_the_touch_it_asks_for(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE, stage_changed_at=ago(200))
    TouchFactory(partner=partner, kind=TouchKind.EMAIL, occurred_at=ago(130))
    [item] = agenda_for(alice).overdue
    client = client_for(alice)

    page = page_of(client.get("/agenda/"))
    assert 'value="call" selected' in page  # the touch it asks for is preselected
    assert "Log as" in page

    response = client.post(
        "/agenda/complete/",
        {"key": item.key, "action": "done", "touch_kind": "meeting"},
        headers=htmx("agenda"),
    )
    page = page_of(response)
    assert is_partial(response)
    assert "Touch base with Priya Private" not in page
    assert "Logged: Meeting with Priya Private" in page
    assert Touch.objects.filter(partner=partner, kind=TouchKind.MEETING).count() == 1


def test_a_cadence_refuses_a_touch_that_does_not_count_for_it(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE, stage_changed_at=ago(200))
    [item] = agenda_for(alice).overdue
    client = client_for(alice)
    response = client.post(
        "/agenda/complete/", {"key": item.key, "action": "done", "touch_kind": "newsletter"}
    )
    assert response.status_code == 302
    page = page_of(client.get("/agenda/"))
    assert "That touch does not count for this cadence" in page
    assert "Touch base with Priya Private" in page
    assert not Touch.objects.exists()


def test_the_cadence_can_be_changed_and_reset_for_one_partner(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE)
    client = client_for(alice)
    url = f"/partners/{partner.pk}/cadences/"
    assert "firm default for Active partner" in page_of(client.get(url))

    response = client.post(url, {"kind": "touch_base", "enabled": "1", "interval_months": "2"})
    assert response.status_code == 302
    page = page_of(client.get(url))
    assert "Touch base every 2 months" in page
    assert "set for this partner" in page

    refused = page_of(client.post(url, {"kind": "touch_base", "enabled": "1"}))
    assert has(refused, INTERVAL_REQUIRED)

    client.post(f"{url}reset/", {"kind": "touch_base"})
    assert not Cadence.objects.filter(partner=partner).exists()
    assert "Touch base every 4 months" in page_of(client.get(url))


# --- The agenda -----------------------------------------------------------------------------


def test_the_agenda_holds_every_source_in_its_group(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    CommitmentFactory(partner=partner, what="Send the article", due=days(-2))
    OpportunityFactory(partner=partner, title="Client worried about markets", ask_by=days(0))
    MeetingFactory(
        partner=partner,
        scheduled_for=timezone.make_aware(dt.datetime.combine(days(3), dt.time(10))),
    )
    page = page_of(client_for(alice).get("/agenda/"))
    assert page.index('id="agenda-overdue"') < page.index("Send the article")
    today = page.index('id="agenda-today"')
    assert (
        today
        < page.index("Ask Priya Private for a meeting with the client")
        < page.index('id="agenda-week"')
    )
    assert page.index('id="agenda-week"') < page.index("Prepare the first meeting")
    assert "Meeting asked" not in page  # the agenda says "Asked"
    assert ">Asked<" in page


def test_snoozing_an_item_needs_a_reason_and_a_later_day(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    commitment = CommitmentFactory(partner=partner, what="Send the article", due=days(-2))
    key = f"commitment:{partner.pk}:{commitment.pk}"
    client = client_for(alice)

    refused = client.post(
        "/agenda/snooze/", {"key": key, "until": days(0).isoformat(), "reason": "Busy"}
    )
    page = page_of(refused)
    assert has(page, SNOOZE_NOT_AFTER_TODAY)
    assert '<details class="snooze" open>' in page
    assert not AgendaSnooze.objects.exists()

    response = client.post(
        "/agenda/snooze/",
        {"key": key, "until": days(5).isoformat(), "reason": "Partner on holiday"},
        headers=htmx("agenda"),
    )
    page = page_of(response)
    assert is_partial(response)
    assert 'id="agenda-overdue"' not in page
    assert "Partner on holiday" in page  # listed under Snoozed
    assert AgendaSnooze.objects.get().until == days(5)

    client.post("/agenda/unsnooze/", {"key": key})
    assert page_of(client.get("/agenda/")).count("Send the article") >= 1
    assert not AgendaSnooze.objects.exists()


def test_an_opportunity_is_asked_for_from_the_agenda(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    opportunity = OpportunityFactory(partner=partner, title="Estate worry", ask_by=days(1))
    response = client_for(alice).post(
        "/agenda/complete/",
        {"key": f"opportunity:{partner.pk}:{opportunity.pk}", "touch_kind": "email"},
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.MEETING_REQUESTED
    assert opportunity.request_touch is not None
    assert opportunity.request_touch.kind == TouchKind.EMAIL


def test_an_agenda_key_of_a_partner_one_cannot_see_is_a_404(playbook_cast: Cast) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    key = f"commitment:{commitment.partner_id}:{commitment.pk}"
    client = client_for(playbook_cast.mallory)
    for path, data in (
        ("/agenda/complete/", {"key": key}),
        ("/agenda/complete/", {"key": key, "action": "drop"}),
        ("/agenda/snooze/", {"key": key, "until": days(3).isoformat(), "reason": "x"}),
    ):
        assert client.post(path, data).status_code == 404, path
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.OPEN


def test_the_agenda_costs_the_same_queries_for_a_small_or_a_big_book(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    client = client_for(alice)

    def grow(count: int) -> None:
        for n in range(count):
            partner = PartnerFactory(owner=alice, stage=Stage.ACTIVE, stage_changed_at=ago(200))
            TouchFactory(partner=partner, occurred_at=ago(130))
            CommitmentFactory(partner=partner, due=days(n % 8 - 2))
            OpportunityFactory(partner=partner, ask_by=days(n % 5))
            MeetingFactory(partner=partner)
            AgendaSnooze.objects.create(
                advisor=alice, partner=partner, key=f"x:{partner.pk}:{n}", until=days(3), reason="r"
            )

    grow(2)
    small = queries_for(lambda: client.get("/agenda/"))
    grow(12)
    assert queries_for(lambda: client.get("/agenda/")) == small


# --- The partner's playbook panel -----------------------------------------------------------


def test_the_partner_page_shows_the_message_before_every_meeting(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    page = page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Before you meet" in page
    assert "Write your message" in page

    AdvisorProfileFactory(user=alice, whom_i_help="Dentists who sell their practice")
    page = page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Dentists who sell their practice" in page
    assert "Not checked" in page
    # The stage's meeting plan is suggested.
    assert "First meeting: get to know them" in page


def test_the_message_check_is_recorded_from_the_panel(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    response = client_for(alice).post(
        f"/partners/{partner.pk}/message-check/",
        {"result": "yes", "heard": "You help business owners sell"},
        headers=htmx("playbook"),
    )
    page = page_of(response)
    assert is_partial(response)
    assert 'id="playbook"' in page
    assert "You help business owners sell" in page
    partner.refresh_from_db()
    assert partner.can_describe_value == "yes"


def test_the_strategy_is_switched_in_place(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    assert "Client-requested referral" in page_of(client.get(f"/partners/{partner.pk}/"))
    response = client.post(
        f"/partners/{partner.pk}/strategy/",
        {"strategy": Strategy.CLIENT_COMPLAINTS},
        headers=htmx("playbook"),
    )
    page = page_of(response)
    assert is_partial(response)
    assert "Harvesting client complaints" in page
    assert "rung 2 of 5" in page
    assert PartnerStrategy.objects.get(partner=partner).strategy == Strategy.CLIENT_COMPLAINTS

    again = client.post(
        f"/partners/{partner.pk}/strategy/", {"strategy": Strategy.CLIENT_COMPLAINTS}
    )
    assert again.status_code == 302
    assert has(page_of(client.get(f"/partners/{partner.pk}/")), SAME_STRATEGY)


def test_the_partner_page_costs_the_same_queries_with_little_or_much_playbook_data(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE)
    AdvisorProfileFactory(user=alice)
    client = client_for(alice)
    url = f"/partners/{partner.pk}/"

    def grow(count: int) -> None:
        for n in range(count):
            TouchFactory(partner=partner)
            MeetingFactory(partner=partner)
            OpportunityFactory(partner=partner)
            ClientConcernFactory(partner=partner)
            case_create(
                partner=partner, by=alice, alias=f"Client {n}", description="d", topics=["tax"]
            )
            strategy_set(
                partner=partner,
                by=alice,
                strategy=[Strategy.CLIENT_COMPLAINTS, Strategy.TALK_CLIENTS][n % 2],
            )
        agreement_create(
            partner=partner,
            by=alice,
            promises=[
                PromiseInput(owner, f"Promise {n}")
                for n in range(count)
                for owner in ("advisor", "partner")
            ],
            referral_process="email_thread",
            next_review=days(90),
        )

    grow(2)
    small = queries_for(lambda: client.get(url))
    grow(12)
    assert queries_for(lambda: client.get(url)) == small


# --- Meetings -------------------------------------------------------------------------------


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


# --- Agreements -----------------------------------------------------------------------------

AGREEMENT = {
    "advisor_promises": "Send the estate-planning article\n- Invite them to the client seminar",
    "partner_promises": "Introduce us to the business owners' association",
    "referral_process": "email_thread",
    "keep_in_touch": "",
    "next_review": "",
}


def test_recording_an_agreement_turns_its_promises_into_commitments(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    url = f"/partners/{partner.pk}/agreement/"
    assert "Record the agreement" in page_of(client.get(url))

    response = client.post(url, {**AGREEMENT, "next_review": days(90).isoformat()})
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.status == AgreementStatus.ACTIVE
    commitments = {
        (c.what, c.owner)
        for c in Commitment.objects.filter(partner=partner, status=CommitmentStatus.OPEN)
    }
    assert {
        ("Send the estate-planning article", CommitmentOwner.ADVISOR),
        ("Invite them to the client seminar", CommitmentOwner.ADVISOR),
        ("Introduce us to the business owners' association", CommitmentOwner.PARTNER),
        ("Review the agreement with Priya Private", CommitmentOwner.ADVISOR),
    } == commitments

    detail = page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Introduce us to the business owners&#x27; association" in detail
    page = page_of(client.get(url))
    assert "The agreement in force" in page
    assert "Printable version" in page

    printed = page_of(client.get(f"{url}print/"))
    assert "css/print.css" in printed
    assert "Send the estate-planning article" in printed
    assert "Email thread" in printed


def test_an_agreement_needs_both_sides_and_a_later_review(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    url = f"/partners/{partner.pk}/agreement/"
    page = page_of(
        client_for(alice).post(
            url, {**AGREEMENT, "partner_promises": "  ", "next_review": days(0).isoformat()}
        )
    )
    assert "This field is required." in page
    page = page_of(
        client_for(alice).post(
            url,
            {**AGREEMENT, "next_review": days(-1).isoformat()},
        )
    )
    assert has(page, REVIEW_NOT_AFTER_AGREEMENT)
    assert not Agreement.objects.exists()
    assert not Commitment.objects.exists()


def test_a_new_agreement_replaces_the_old_one_which_stays_in_the_history(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    url = f"/partners/{partner.pk}/agreement/"
    client.post(url, {**AGREEMENT, "next_review": days(90).isoformat()})
    first = Agreement.objects.get()
    client.post(
        url,
        {
            **AGREEMENT,
            "advisor_promises": "Quarterly lunch",
            "next_review": days(180).isoformat(),
        },
    )
    first.refresh_from_db()
    assert first.status == AgreementStatus.SUPERSEDED
    page = page_of(client.get(url))
    assert "Earlier agreements" in page
    assert "Superseded" in page
    assert f"?agreement={first.pk}" in page
    assert "Send the estate-planning article" in page_of(
        client.get(f"{url}print/?agreement={first.pk}")
    )

    client.post(f"{url}end/", {"reason": "They retired"})
    assert not Agreement.objects.filter(status=AgreementStatus.ACTIVE).exists()
    assert client.get(f"{url}print/").status_code == 404


# --- Concerns, opportunities and cases ------------------------------------------------------


def test_a_complaint_matched_to_what_we_solve_is_an_opportunity_on_the_partner_and_the_agenda(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    solution = Solution.objects.create(
        firm=playbook_cast.firm,
        title="Selling the business",
        problem="Owners who want out",
        approach="We plan the sale",
        keywords="sell, business",
    )
    response = client.post(
        f"/partners/{partner.pk}/concerns/",
        {
            "source": "client_complaint",
            "description": "A client wants to sell her business and fears the tax bill",
            "topic": "business_owner",
        },
    )
    concern = ClientConcern.objects.get()
    assert response["Location"] == f"/partners/{partner.pk}/concerns/{concern.pk}/"
    page = page_of(client.get(response["Location"]))
    assert "Selling the business" in page
    assert "sell, business" in page  # the keywords it matched

    client.post(response["Location"], {"solution": solution.pk})
    opportunity = Opportunity.objects.get()
    assert (opportunity.concern, opportunity.solution) == (concern, solution)
    assert opportunity.strategy == Strategy.CLIENT_COMPLAINTS
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.MATCHED
    assert opportunity.title in page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Ask Priya Private for a meeting with the client" in page_of(client.get("/agenda/"))


def test_another_firms_library_entry_cannot_be_matched(playbook_cast: Cast) -> None:
    concern = ClientConcernFactory(partner=playbook_cast.alice_private)
    theirs = Solution.objects.filter(firm=playbook_cast.other_firm).first()
    assert theirs is not None
    url = f"/partners/{concern.partner_id}/concerns/{concern.pk}/"
    page = page_of(client_for(playbook_cast.alice).post(url, {"solution": theirs.pk}))
    assert has(page, SOLUTION_NOT_IN_FIRM)
    assert not Opportunity.objects.exists()


def test_opportunities_are_asked_for_and_closed_from_the_panel(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    opportunity = OpportunityFactory(partner=partner, title="Retirement worry")
    client = client_for(alice)
    base = f"/partners/{partner.pk}/opportunities/{opportunity.pk}"
    response = client.post(f"{base}/request/", {"touch_kind": "call"}, headers=htmx("playbook"))
    assert "Meeting requested" in page_of(response)
    client.post(f"{base}/close/", {"outcome": "referred"})
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.REFERRED
    page = page_of(client.get(f"/partners/{partner.pk}/opportunities/"))
    assert "Retirement worry" in page
    assert "Referred" in page


def test_a_case_cannot_be_ready_below_eight_answers(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    response = client.post(
        f"/partners/{partner.pk}/cases/",
        {
            "alias": "Client A",
            "description": "Surgeon, 58, selling her practice",
            "topics": ["retirement", "tax"],
            "question_count": "10",
        },
    )
    case = ClientCase.objects.get()
    url = f"/partners/{partner.pk}/cases/{case.pk}/"
    assert response["Location"] == url
    questions = list(case.questions.all())
    assert len(questions) == 10

    def save(answered: int) -> None:
        data = {
            "alias": "Client A",
            "description": "Surgeon, 58, selling her practice",
            "solution": "A withdrawal plan and a Roth ladder",
        }
        data.update({f"answer_{q.pk}": f"Answer {n}" for n, q in enumerate(questions[:answered])})
        assert client.post(url, data).status_code == 302

    save(7)
    assert "7 of 10 questions answered" in page_of(client.get(url))
    refused = page_of(client.post(f"{url}ready/"))
    assert has(refused, CASE_NEEDS_ANSWERS)
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT

    save(8)
    assert client.post(f"{url}ready/").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.READY
    opportunity = Opportunity.objects.get(case=case)
    assert opportunity.strategy == Strategy.TALK_CLIENTS
    page = page_of(client.get(url))
    assert "Mark the case ready" not in page  # a ready case no longer changes
    assert opportunity.title in page


def test_a_case_draws_eight_to_twelve_questions_and_takes_more_from_the_bank(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    refused = page_of(
        client.post(
            f"/partners/{partner.pk}/cases/",
            {"alias": "A", "description": "d", "topics": ["tax"], "question_count": "13"},
        )
    )
    assert has(refused, CASE_QUESTION_COUNT)
    case = case_create(
        partner=partner, by=alice, alias="B", description="d", topics=["tax"], question_count=8
    )
    extra = DiagnosticQuestion.objects.filter(firm=playbook_cast.firm, topic="estate")[:2]
    url = f"/partners/{partner.pk}/cases/{case.pk}/"
    client.post(f"{url}questions/", {"questions": [q.pk for q in extra]})
    assert case.questions.count() == 10
    first = case.questions.first()
    assert first is not None
    client.post(f"{url}questions/{first.pk}/remove/")
    assert case.questions.count() == 9


# --- Settings -------------------------------------------------------------------------------


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


# --- Access ---------------------------------------------------------------------------------


def partner_urls(partner: Partner, owner: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Every page and write about one partner's playbook, each with a valid body."""
    meeting = MeetingFactory(partner=partner)
    concern = ClientConcernFactory(partner=partner)
    opportunity = OpportunityFactory(partner=partner)
    case = case_create(partner=partner, by=owner, alias="A", description="d", topics=["tax"])
    question = case.questions.first()
    assert question is not None
    agreement_create(
        partner=partner,
        by=owner,
        promises=[PromiseInput("advisor", "a"), PromiseInput("partner", "b")],
        referral_process="email_thread",
        next_review=days(30),
    )
    solution = Solution.objects.filter(firm=partner.firm).first()
    assert solution is not None
    p = f"/partners/{partner.pk}"
    return [
        ("GET", f"{p}/", {}),
        ("POST", f"{p}/strategy/", {"strategy": "talk_clients"}),
        ("POST", f"{p}/message-check/", {"result": "yes"}),
        ("GET", f"{p}/cadences/", {}),
        ("POST", f"{p}/cadences/", {"kind": "touch_base", "enabled": "0"}),
        ("POST", f"{p}/cadences/reset/", {"kind": "touch_base"}),
        ("GET", f"{p}/meetings/", {}),
        ("POST", f"{p}/meetings/", {"kind": "first_meeting", "scheduled_for": local(ago(-2))}),
        ("GET", f"{p}/meetings/{meeting.pk}/", {}),
        ("POST", f"{p}/meetings/{meeting.pk}/", {"summary": "Held"}),
        (
            "POST",
            f"{p}/meetings/{meeting.pk}/reschedule/",
            {"scheduled_for": local(ago(-3)), "duration_minutes": "30"},
        ),
        ("POST", f"{p}/meetings/{meeting.pk}/cancel/", {}),
        ("GET", f"{p}/meetings/{meeting.pk}.ics", {}),
        ("GET", f"{p}/agreement/", {}),
        ("POST", f"{p}/agreement/", {**AGREEMENT, "next_review": days(40).isoformat()}),
        ("GET", f"{p}/agreement/print/", {}),
        ("POST", f"{p}/agreement/end/", {"reason": "Done"}),
        ("GET", f"{p}/concerns/", {}),
        ("POST", f"{p}/concerns/", {"source": "client_complaint", "description": "Worry"}),
        ("GET", f"{p}/concerns/{concern.pk}/", {}),
        ("POST", f"{p}/concerns/{concern.pk}/", {"solution": solution.pk}),
        ("POST", f"{p}/concerns/{concern.pk}/dismiss/", {}),
        ("GET", f"{p}/opportunities/", {}),
        ("POST", f"{p}/opportunities/", {"title": "Client asked"}),
        ("POST", f"{p}/opportunities/{opportunity.pk}/request/", {"touch_kind": "call"}),
        ("POST", f"{p}/opportunities/{opportunity.pk}/close/", {"outcome": "declined"}),
        ("GET", f"{p}/cases/", {}),
        ("POST", f"{p}/cases/", {"alias": "B", "description": "d", "topics": ["tax"]}),
        ("GET", f"{p}/cases/{case.pk}/", {}),
        ("POST", f"{p}/cases/{case.pk}/", {"alias": "C", "description": "d"}),
        ("POST", f"{p}/cases/{case.pk}/ready/", {}),
        ("POST", f"{p}/cases/{case.pk}/questions/", {"questions": []}),
        ("POST", f"{p}/cases/{case.pk}/questions/{question.pk}/remove/", {}),
    ]


def snapshot() -> tuple[Any, ...]:
    return (
        Touch.objects.count(),
        Commitment.objects.count(),
        Meeting.objects.filter(status=MeetingStatus.PLANNED).count(),
        list(Meeting.objects.order_by("pk").values_list("scheduled_for", "duration_minutes")),
        Agreement.objects.filter(status=AgreementStatus.ACTIVE).count(),
        list(ClientConcern.objects.values_list("status", flat=True)),
        list(Opportunity.objects.values_list("status", flat=True)),
        ClientCase.objects.count(),
        PartnerStrategy.objects.count(),
        Cadence.objects.count(),
    )


def test_every_playbook_url_of_another_firms_partner_is_a_404(playbook_cast: Cast) -> None:
    urls = partner_urls(playbook_cast.mallory_partner, playbook_cast.mallory)
    before = snapshot()
    for who in (playbook_cast.alice, playbook_cast.ada, playbook_cast.cole):
        client = client_for(who)
        for method, path, data in urls:
            response = client.get(path) if method == "GET" else client.post(path, data)
            assert response.status_code == 404, (who.username, method, path)
    assert snapshot() == before


def test_a_teammate_cannot_reach_a_private_partners_playbook(playbook_cast: Cast) -> None:
    urls = partner_urls(playbook_cast.alice_private, playbook_cast.alice)
    client = client_for(playbook_cast.bob)
    for method, path, data in urls:
        response = client.get(path) if method == "GET" else client.post(path, data)
        assert response.status_code == 404, (method, path)


def test_a_record_of_another_partner_is_a_404_under_this_one(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    meeting = MeetingFactory(partner=playbook_cast.alice_shared)
    concern = ClientConcernFactory(partner=playbook_cast.alice_shared)
    opportunity = OpportunityFactory(partner=playbook_cast.alice_shared)
    p = f"/partners/{playbook_cast.alice_private.pk}"
    client = client_for(alice)
    for path in (
        f"{p}/meetings/{meeting.pk}/",
        f"{p}/concerns/{concern.pk}/",
        f"{p}/opportunities/{opportunity.pk}/close/",
    ):
        response = client.post(path, {"outcome": "declined"})
        assert response.status_code == 404, path


def test_compliance_reads_the_playbook_and_changes_nothing(playbook_cast: Cast) -> None:
    partner = PartnerFactory(owner=playbook_cast.alice, name="Watched Partner")
    urls = partner_urls(partner, playbook_cast.alice)
    client = client_for(playbook_cast.cole)
    before = snapshot()
    for method, path, data in urls:
        if method == "GET":
            page = page_of(client.get(path)) if not path.endswith(".ics") else ""
            assert 'method="post"' not in page.split("<main", 1)[-1], path
        else:
            assert client.post(path, data).status_code == 403, path
    assert snapshot() == before
    for path in ("/playbook/message/", "/playbook/calendar/"):
        assert client.post(path, {"whom_i_help": "x", "what_is_unique": "y"}).status_code == 403
    assert "Save the message" not in page_of(client.get("/playbook/message/"))


def test_an_archived_partner_shows_its_playbook_without_forms(playbook_cast: Cast) -> None:
    partner = playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(archived_at=timezone.now())
    page = page_of(client_for(playbook_cast.alice).get(f"/partners/{partner.pk}/agreement/"))
    assert "Record the agreement" not in page
    assert "is archived" in page
