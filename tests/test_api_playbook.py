"""The playbook through the REST API: the agenda with keys to complete and snooze, agreements
whose promises become commitments, cadences, strategies, meetings, concerns matched into
opportunities, client cases, the advisor's message and the calendar feed; and who may see what."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from reciprocity.api.errors import FIELD_UNKNOWN
from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Stage,
    Touch,
    TouchKind,
)
from reciprocity.partners.services import ARCHIVED_PARTNER, IN_THE_FUTURE, READ_ONLY_ROLE
from reciprocity.playbook.agenda import UNKNOWN_AGENDA_ITEM
from reciprocity.playbook.models import (
    AgendaSnooze,
    Agreement,
    CaseStatus,
    ClientCase,
    ClientConcern,
    Meeting,
    MessageCheck,
    Opportunity,
    PartnerStrategy,
    Solution,
)
from reciprocity.playbook.services.agenda import SNOOZE_NEEDS_REASON, SNOOZE_TOO_LONG
from reciprocity.playbook.services.agreements import (
    AGREEMENT_NEEDS_BOTH_SIDES,
    PromiseInput,
    agreement_create,
)
from reciprocity.playbook.services.cadences import INTERVAL_RANGE
from reciprocity.playbook.services.library import (
    CASE_IS_READY,
    CASE_NEEDS_ANSWERS,
    CASE_TOO_MANY_QUESTIONS,
    SOLUTION_NOT_IN_FIRM,
    case_create,
)
from reciprocity.playbook.services.meetings import (
    MEETING_NOT_PLANNED,
    meeting_cancel,
    meeting_schedule,
)
from reciprocity.playbook.services.message import MESSAGE_REQUIRED, message_check_record
from reciprocity.playbook.services.strategies import SAME_STRATEGY
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import (
    ClientConcernFactory,
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    PartnerFactory,
    TouchFactory,
)

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.json()
    return response.json()


def refused(response: Any, field: str | None, message: str | None) -> None:
    """A 422 with an error about ``field``: saying ``message``, or whatever the schema says."""
    assert response.status_code == 422, response.json()
    errors = response.json()["errors"]
    if message is None:
        assert field in [e["field"] for e in errors], errors
    else:
        assert {"field": field, "message": message} in errors


@pytest.fixture
def api(playbook_cast: Cast) -> ApiClient:
    return token_client(playbook_cast.alice)


# --- Acceptance: the keep-warm cadence ------------------------------------------------------


def test_an_active_partner_with_no_cadence_set_is_overdue_four_months_after_its_last_touch(
    playbook_cast: Cast, api: ApiClient
) -> None:
    partner = playbook_cast.alice_private
    ok(api.call("POST", f"partners/{partner.pk}/stage", {"stage": "active"}), 201)
    ok(
        api.call(
            "POST",
            f"partners/{partner.pk}/touches",
            {"kind": "call", "summary": "Caught up", "occurred_at": ago(124).isoformat()},
        ),
        201,
    )
    cadences = ok(api.call("GET", f"partners/{partner.pk}/cadences"))
    touch_base = next(c for c in cadences["items"] if c["kind"] == "touch_base")
    assert (touch_base["interval_months"], touch_base["source"]) == (4, "firm")
    assert touch_base["overdue"] is True

    agenda = ok(api.call("GET", "agenda"))
    [item] = [i for i in agenda["overdue"] if i["source"] == "cadence"]
    assert item["title"] == "Touch base with Priya Private"
    assert item["partner"] == {"id": partner.pk, "name": "Priya Private"}
    assert item["overdue"] is True

    ok(api.call("POST", f"partners/{partner.pk}/touches", {"kind": "call", "summary": "Hi"}), 201)
    agenda = ok(api.call("GET", "agenda"))
    assert not [i for i in agenda["overdue"] if i["source"] == "cadence"]


def test_an_agenda_item_completes_by_its_key(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE, stage_changed_at=ago(200))
    commitment = CommitmentFactory(partner=partner, what="Send the memo", due=days(-1))
    agenda = ok(api.call("GET", "agenda"))
    keys = {i["source"]: i["key"] for i in agenda["overdue"]}
    assert keys["commitment"] == f"commitment:{partner.pk}:{commitment.pk}"
    assert agenda["count"] == 2

    done = ok(api.call("POST", f"agenda/{keys['commitment']}/complete", {"touch_kind": "email"}))
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DONE
    assert done["touch_id"] == commitment.touch_id

    wrong = api.call("POST", f"agenda/{keys['cadence']}/complete", {"touch_kind": "newsletter"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "touch_kind"
    done = ok(api.call("POST", f"agenda/{keys['cadence']}/complete", {}))
    assert Touch.objects.get(pk=done["touch_id"]).kind == TouchKind.CALL
    assert ok(api.call("GET", "agenda"))["count"] == 0


def test_an_agenda_item_is_snoozed_with_a_reason(playbook_cast: Cast, api: ApiClient) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    key = f"commitment:{commitment.partner_id}:{commitment.pk}"
    refused(
        api.call("POST", f"agenda/{key}/snooze", {"until": days(3).isoformat(), "reason": " "}),
        "reason",
        SNOOZE_NEEDS_REASON,
    )
    refused(
        api.call("POST", f"agenda/{key}/snooze", {"until": days(400).isoformat(), "reason": "x"}),
        "until",
        SNOOZE_TOO_LONG,
    )
    snooze = ok(
        api.call("POST", f"agenda/{key}/snooze", {"until": days(3).isoformat(), "reason": "Away"})
    )
    assert (snooze["key"], snooze["until"], snooze["reason"]) == (key, days(3).isoformat(), "Away")
    agenda = ok(api.call("GET", "agenda"))
    assert (agenda["count"], agenda["snoozed"]) == (0, 1)


def test_an_unknown_or_foreign_agenda_key_is_refused(playbook_cast: Cast) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    key = f"commitment:{commitment.partner_id}:{commitment.pk}"
    mallory = token_client(playbook_cast.mallory)
    assert mallory.call("POST", f"agenda/{key}/complete", {}).status_code == 404
    body = {"until": days(3).isoformat(), "reason": "x"}
    assert mallory.call("POST", f"agenda/{key}/snooze", body).status_code == 404
    alice = token_client(playbook_cast.alice)
    refused(alice.call("POST", "agenda/nosuch:1:2/complete", {}), "key", UNKNOWN_AGENDA_ITEM)
    assert not AgendaSnooze.objects.exists()
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.OPEN


def test_the_agenda_costs_the_same_queries_for_a_small_or_a_big_book(
    playbook_cast: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        partner = PartnerFactory(owner=playbook_cast.alice, stage=Stage.ACTIVE)
        TouchFactory(partner=partner, occurred_at=ago(130))
        CommitmentFactory(partner=partner, due=days(n % 8 - 2))
        OpportunityFactory(partner=partner, ask_by=days(n % 5))
        MeetingFactory(partner=partner)
    with django_assert_max_num_queries(14):
        assert ok(api.call("GET", "agenda"))["count"] >= 45


# --- Acceptance: agreements -----------------------------------------------------------------

AGREEMENT = {
    "promises": [
        {"owner": "advisor", "what": "Send the estate-planning article"},
        {"owner": "partner", "what": "Introduce us to the business owners' association"},
    ],
    "referral_process": "conference_call",
}


def test_an_agreements_promises_become_commitments(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    created = ok(
        api.call(
            "POST",
            "agreements",
            {**AGREEMENT, "partner": partner.pk, "next_review": days(90).isoformat()},
        ),
        201,
    )
    assert created["status"] == "active"
    assert created["referral_process"] == "conference_call"
    promises = {(p["owner"], p["what"], p["commitment_status"]) for p in created["promises"]}
    assert promises == {
        ("advisor", "Send the estate-planning article", "open"),
        ("partner", "Introduce us to the business owners' association", "open"),
    }
    commitments = ok(api.call("GET", f"partners/{partner.pk}/commitments"))["items"]
    assert {(c["what"], c["owner"]) for c in commitments} == {
        ("Send the estate-planning article", CommitmentOwner.ADVISOR),
        ("Introduce us to the business owners' association", CommitmentOwner.PARTNER),
        ("Review the agreement with Priya Private", CommitmentOwner.ADVISOR),
    }
    assert ok(api.call("GET", f"agreements/{created['id']}")) == created
    listed = ok(api.call("GET", "agreements", None, QUERY_STRING=f"partner={partner.pk}"))
    assert listed["count"] == 1

    ended = ok(api.call("POST", f"agreements/{created['id']}/end", {"reason": "They retired"}))
    assert (ended["status"], ended["end_reason"]) == ("ended", "They retired")
    review = Commitment.objects.get(pk=created["review_commitment_id"])
    assert review.status == CommitmentStatus.DROPPED


def test_an_agreement_needs_both_sides(playbook_cast: Cast, api: ApiClient) -> None:
    body = {
        **AGREEMENT,
        "promises": AGREEMENT["promises"][:1],
        "partner": playbook_cast.alice_private.pk,
        "next_review": days(90).isoformat(),
    }
    refused(api.call("POST", "agreements", body), "promises", AGREEMENT_NEEDS_BOTH_SIDES)
    assert not Agreement.objects.exists()
    assert not Commitment.objects.exists()


# --- Cadences and strategies ----------------------------------------------------------------


def test_a_cadence_is_overridden_and_reset(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(stage=Stage.ACTIVE)
    path = f"partners/{partner.pk}/cadences"
    changed = ok(api.call("PUT", path, {"kind": "touch_base", "interval_months": 2}))
    touch_base = next(c for c in changed["items"] if c["kind"] == "touch_base")
    assert (touch_base["interval_months"], touch_base["source"]) == (2, "partner")
    off = ok(api.call("PUT", path, {"kind": "newsletter", "enabled": False}))
    assert "newsletter" not in {c["kind"] for c in off["items"]}
    refused(api.call("PUT", path, {"kind": "annual_review", "interval_months": 40}),
            "interval_months", INTERVAL_RANGE)  # fmt: skip
    back = ok(api.call("PUT", path, {"kind": "touch_base", "use_default": True}))
    touch_base = next(c for c in back["items"] if c["kind"] == "touch_base")
    assert (touch_base["interval_months"], touch_base["source"]) == (4, "firm")


def test_the_strategy_is_switched_and_its_history_kept(playbook_cast: Cast, api: ApiClient) -> None:
    path = f"partners/{playbook_cast.alice_private.pk}/strategy"
    current = ok(api.call("GET", path))
    assert (current["strategy"], current["rung"], current["history"]) == (
        "client_requested",
        1,
        [],
    )
    ok(api.call("POST", path, {"strategy": "talk_clients", "note": "They have big clients"}), 201)
    current = ok(api.call("GET", path))
    assert (current["strategy"], current["rung"]) == ("talk_clients", 4)
    assert current["label"] == "Talk clients, not concepts"
    refused(api.call("POST", path, {"strategy": "talk_clients"}), "strategy", SAME_STRATEGY)
    assert PartnerStrategy.objects.count() == 1


# --- Meetings -------------------------------------------------------------------------------


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


# --- Acceptance: concerns become opportunities; cases need eight answers --------------------


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


# --- The message and the calendar feed ------------------------------------------------------


def test_the_advisors_message_is_read_and_written(playbook_cast: Cast, api: ApiClient) -> None:
    assert ok(api.call("GET", "me/message")) == {
        "whom_i_help": "",
        "what_is_unique": "",
        "has_message": False,
        "weekly_digest": True,
    }
    refused(
        api.call("PUT", "me/message", {"whom_i_help": "Dentists", "what_is_unique": ""}),
        "what_is_unique",
        MESSAGE_REQUIRED,
    )
    body = {
        "whom_i_help": "Dentists",
        "what_is_unique": "We sell practices",
        "weekly_digest": False,
    }
    assert ok(api.call("PUT", "me/message", body)) == {**body, "has_message": True}


def test_a_partner_is_checked_on_saying_the_message_back(
    playbook_cast: Cast, api: ApiClient
) -> None:
    partner = playbook_cast.alice_shared
    path = f"partners/{partner.pk}/message-checks"
    assert ok(api.call("GET", path)) == {"items": [], "count": 0}

    earlier = (timezone.now() - dt.timedelta(days=40)).replace(microsecond=0)
    first = ok(
        api.call(
            "POST",
            path,
            {
                "result": "no",
                "heard": " Something about investments? ",
                "checked_at": earlier.isoformat(),
            },
        ),
        201,
    )
    assert (first["result"], first["heard"], first["partner"]) == (
        "no",
        "Something about investments?",
        {"id": partner.pk, "name": partner.name},
    )
    assert dt.datetime.fromisoformat(first["checked_at"]) == earlier
    assert first["by"]["username"] == "alice"
    assert ok(api.call("GET", f"partners/{partner.pk}"))["can_describe_value"] == "no"

    bob = token_client(playbook_cast.bob)  # a teammate the partner is shared with
    second = ok(bob.call("POST", path, {"result": "yes"}), 201)
    assert second["heard"] == ""
    assert ok(api.call("GET", f"partners/{partner.pk}"))["can_describe_value"] == "yes"
    assert ok(api.call("GET", path)) == {"items": [second, first], "count": 2}
    record = MessageCheck.history.get(id=second["id"])  # type: ignore[attr-defined]
    assert (record.history_user, record.history_source) == (playbook_cast.bob, "api")
    partner_record = Partner.history.filter(id=partner.pk).latest("history_date")  # type: ignore[attr-defined]
    assert (partner_record.can_describe_value, partner_record.history_source) == ("yes", "api")


def test_a_refused_message_check_saves_nothing(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    path = f"partners/{partner.pk}/message-checks"
    future = (timezone.now() + dt.timedelta(days=2)).isoformat()

    refused(api.call("POST", path, {"result": "maybe"}), "result", None)
    refused(api.call("POST", path, {"result": "unknown"}), "result", None)
    refused(
        api.call("POST", path, {"result": "yes", "checked_at": future}), "checked_at", IN_THE_FUTURE
    )
    refused(
        api.call("POST", path, {"result": "yes", "occurred_at": future}),
        "occurred_at",
        FIELD_UNKNOWN,
    )
    refused(api.call("POST", path, {"result": "yes", "heard": "x" * 1001}), "heard", None)
    Partner.objects.filter(pk=partner.pk).update(archived_at=timezone.now())
    refused(api.call("POST", path, {"result": "yes"}), None, ARCHIVED_PARTNER)
    assert not MessageCheck.objects.exists()
    partner.refresh_from_db()
    assert partner.can_describe_value == "unknown"


def test_the_calendar_feed_url_is_given_once(playbook_cast: Cast, api: ApiClient) -> None:
    assert ok(api.call("GET", "calendar-feed"))["live"] is False
    created = ok(api.call("POST", "calendar-feed"), 201)
    assert created["url"].startswith("http://testserver/calendar/cal_")
    status = ok(api.call("GET", "calendar-feed"))
    assert status["live"] is True
    assert "url" not in status
    path = created["url"].removeprefix("http://testserver")
    assert api.get(path).status_code == 200
    assert ok(api.call("POST", "calendar-feed/revoke")) == {"revoked": 1}
    assert api.get(path).status_code == 404


# --- Access ---------------------------------------------------------------------------------


def object_endpoints(cast: Cast, partner: Partner) -> list[tuple[str, str, Any]]:
    """Every playbook endpoint about one partner or one of its records, with a valid body."""
    owner = partner.owner
    meeting = MeetingFactory(partner=partner)
    concern = ClientConcernFactory(partner=partner)
    opportunity = OpportunityFactory(partner=partner)
    case = case_create(partner=partner, by=owner, alias="A", description="d", topics=["tax"])
    agreement = agreement_create(
        partner=partner,
        by=owner,
        promises=[PromiseInput("advisor", "a"), PromiseInput("partner", "b")],
        referral_process="email_thread",
        next_review=days(30),
    )
    commitment = CommitmentFactory(partner=partner, due=days(-1))
    solution = Solution.objects.filter(firm=partner.firm).first()
    assert solution is not None
    p = partner.pk
    key = f"commitment:{p}:{commitment.pk}"
    return [
        ("POST", f"agenda/{key}/complete", {}),
        ("POST", f"agenda/{key}/snooze", {"until": days(2).isoformat(), "reason": "x"}),
        ("POST", "agreements", {**AGREEMENT, "partner": p, "next_review": days(9).isoformat()}),
        ("GET", f"agreements/{agreement.pk}", None),
        ("POST", f"agreements/{agreement.pk}/end", {"reason": "x"}),
        ("GET", f"partners/{p}/cadences", None),
        ("PUT", f"partners/{p}/cadences", {"kind": "touch_base", "enabled": False}),
        ("GET", f"partners/{p}/strategy", None),
        ("POST", f"partners/{p}/strategy", {"strategy": "talk_clients"}),
        ("GET", f"partners/{p}/meetings", None),
        ("POST", f"partners/{p}/meetings", {"kind": "other", "scheduled_for": ago(1).isoformat()}),
        ("GET", f"meetings/{meeting.pk}", None),
        ("POST", f"meetings/{meeting.pk}/hold", {}),
        ("POST", f"meetings/{meeting.pk}/reschedule", {"scheduled_for": ago(-9).isoformat()}),
        ("POST", f"meetings/{meeting.pk}/cancel", {}),
        ("GET", f"partners/{p}/opportunities", None),
        ("POST", f"partners/{p}/opportunities", {"title": "Client asked"}),
        ("GET", f"opportunities/{opportunity.pk}", None),
        ("POST", f"opportunities/{opportunity.pk}/request", {}),
        ("POST", f"opportunities/{opportunity.pk}/close", {"outcome": "declined"}),
        ("GET", f"partners/{p}/concerns", None),
        ("POST", f"partners/{p}/concerns", {"source": "client_complaint", "description": "x"}),
        ("GET", f"concerns/{concern.pk}", None),
        ("POST", f"concerns/{concern.pk}/match", {"solution": solution.pk}),
        ("POST", f"concerns/{concern.pk}/dismiss", None),
        ("GET", f"partners/{p}/cases", None),
        ("POST", f"partners/{p}/cases", {"alias": "B", "description": "d", "topics": ["tax"]}),
        ("GET", f"cases/{case.pk}", None),
        ("PATCH", f"cases/{case.pk}", {"solution": "s"}),
        ("POST", f"cases/{case.pk}/ready", {}),
        ("GET", f"partners/{p}/message-checks", None),
        ("POST", f"partners/{p}/message-checks", {"result": "yes", "heard": "x"}),
    ]


def snapshot() -> tuple[Any, ...]:
    return (
        Touch.objects.count(),
        list(Commitment.objects.values_list("pk", "status")),
        list(Meeting.objects.values_list("pk", "status", "scheduled_for")),
        list(Agreement.objects.values_list("pk", "status")),
        list(ClientConcern.objects.values_list("pk", "status")),
        list(Opportunity.objects.values_list("pk", "status")),
        list(ClientCase.objects.values_list("pk", "solution")),
        PartnerStrategy.objects.count(),
        AgendaSnooze.objects.count(),
        MessageCheck.objects.count(),
        list(Partner.objects.values_list("pk", "can_describe_value")),
    )


@pytest.mark.parametrize(
    ("who", "whose"),
    [
        pytest.param("mallory", "alice_shared", id="another firm"),
        pytest.param("carol", "alice_shared", id="colleague not in team"),
        pytest.param("bob", "alice_private", id="teammate, private"),
        pytest.param("ada", "mallory_partner", id="admin, other firm"),
    ],
)
def test_every_playbook_endpoint_answers_404_for_what_one_cannot_see(
    playbook_cast: Cast, who: str, whose: str
) -> None:
    endpoints = object_endpoints(playbook_cast, getattr(playbook_cast, whose))
    api = token_client(getattr(playbook_cast, who))
    before = snapshot()
    for method, path, body in endpoints:
        response = api.call(method, path, body)
        assert response.status_code == 404, (method, path, response.json())
        assert "detail" in response.json()
    assert snapshot() == before


def test_the_lists_hold_nothing_of_another_firm(playbook_cast: Cast) -> None:
    object_endpoints(playbook_cast, playbook_cast.mallory_partner)
    api = token_client(playbook_cast.alice)
    assert ok(api.call("GET", "agreements"))["count"] == 0
    assert ok(api.call("GET", "agenda"))["count"] == 0
    mallorys = Solution.objects.filter(firm=playbook_cast.other_firm).values_list("pk", flat=True)
    listed = {
        s["id"]
        for s in ok(api.call("GET", "playbook/solutions", None, QUERY_STRING="limit=200"))["items"]
    }
    assert listed
    assert not listed & set(mallorys)


def test_compliance_reads_the_playbook_and_changes_nothing(playbook_cast: Cast) -> None:
    partner = PartnerFactory(owner=playbook_cast.alice)
    endpoints = object_endpoints(playbook_cast, partner)
    api = token_client(playbook_cast.cole)
    before = snapshot()
    for method, path, body in endpoints:
        response = api.call(method, path, body)
        if method == "GET":
            assert response.status_code == 200, path
        else:
            assert response.status_code == 403, (method, path, response.json())
            assert response.json()["detail"] == READ_ONLY_ROLE
    assert snapshot() == before
    for method, path, body in (
        ("PUT", "me/message", {"whom_i_help": "x", "what_is_unique": "y"}),
        ("POST", "calendar-feed", None),
    ):
        assert api.call(method, path, body).status_code == 403


def test_lists_of_a_partners_records_cost_constant_queries(
    playbook_cast: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    partner = playbook_cast.alice_private
    for n in range(8):
        MeetingFactory(partner=partner)
        OpportunityFactory(partner=partner)
        ClientConcernFactory(partner=partner)
        case_create(
            partner=partner, by=playbook_cast.alice, alias=f"C{n}", description="d", topics=["tax"]
        )
        agreement_create(
            partner=partner,
            by=playbook_cast.alice,
            promises=[PromiseInput("advisor", "a"), PromiseInput("partner", "b")],
            referral_process="email_thread",
            next_review=days(30),
        )
        message_check_record(partner=partner, by=playbook_cast.alice, result="yes")
    for path in ("meetings", "opportunities", "concerns", "cases", "message-checks"):
        with django_assert_max_num_queries(9):
            assert ok(api.call("GET", f"partners/{partner.pk}/{path}"))["count"] == 8
    with django_assert_max_num_queries(9):
        assert ok(api.call("GET", "agreements"))["count"] == 8
