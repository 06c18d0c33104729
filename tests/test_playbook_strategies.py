"""The influencer referral spectrum: a strategy per partner, its working tools, and the
opportunities each produces, counted so every rung's yield shows."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reciprocity.partners.models import Touch
from reciprocity.partners.services import IN_THE_FUTURE
from reciprocity.playbook import defaults
from reciprocity.playbook.models import (
    CaseStatus,
    ClientCase,
    ConcernStatus,
    DiagnosticQuestion,
    MeetingKind,
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    Solution,
    Strategy,
    Topic,
)
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.library import (
    case_get_for,
    concern_get_for,
    question_bank,
    solutions_matching,
    solutions_of,
)
from reciprocity.playbook.selectors.strategies import (
    opportunities_of,
    opportunity_get_for,
    strategy_history,
    strategy_of,
    strategy_yield,
    with_strategy,
)
from reciprocity.playbook.services.library import (
    ALIAS_REQUIRED,
    ALREADY_MATCHED,
    CASE_DEFAULT_QUESTIONS,
    CASE_IS_READY,
    CASE_NEEDS_ANSWERS,
    CASE_NEEDS_SOLUTION,
    CASE_NEEDS_TOPIC,
    CASE_QUESTION_COUNT,
    CASE_TOO_MANY_QUESTIONS,
    CONCERN_DISMISSED,
    DESCRIPTION_REQUIRED,
    QUESTION_NOT_IN_FIRM,
    QUESTION_REQUIRED,
    QUESTION_TAKEN,
    SOLUTION_NEEDS_TEXT,
    SOLUTION_NOT_IN_FIRM,
    TITLE_TAKEN,
    UNKNOWN_CONCERN_SOURCE,
    UNKNOWN_TOPIC,
    case_create,
    case_mark_ready,
    case_question_remove,
    case_questions_add,
    case_update,
    concern_dismiss,
    concern_log,
    concern_match,
    question_archive,
    question_create,
    question_update,
    solution_archive,
    solution_create,
    solution_update,
)
from reciprocity.playbook.services.meetings import MEETING_OF_ANOTHER_PARTNER
from reciprocity.playbook.services.strategies import (
    ASK_BY_IN_PAST,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_NOT_OPEN,
    SAME_STRATEGY,
    STRATEGY_BEFORE_LAST,
    UNKNOWN_OUTCOME,
    UNKNOWN_STRATEGY,
    opportunity_close,
    opportunity_create,
    opportunity_request_meeting,
    strategy_set,
)
from tests.conftest import Cast
from tests.factories import MeetingFactory, OpportunityFactory, SolutionFactory

pytestmark = pytest.mark.django_db


# --- The strategy of each partner -----------------------------------------------------------


def test_every_partner_starts_on_client_requested_referrals(playbook_cast: Cast) -> None:
    assert strategy_of(partner=playbook_cast.alice_private) == Strategy.CLIENT_REQUESTED


def test_switching_strategy_keeps_the_history(playbook_cast: Cast) -> None:
    partner, alice = playbook_cast.alice_shared, playbook_cast.alice
    strategy_set(partner=partner, by=alice, strategy="client_complaints", note="Try it")
    strategy_set(partner=partner, by=playbook_cast.bob, strategy="talk_clients")

    assert strategy_of(partner=partner) == Strategy.TALK_CLIENTS
    assert [s.strategy for s in strategy_history(partner=partner)] == [
        "talk_clients",
        "client_complaints",
    ]
    annotated = with_strategy(
        type(partner).objects.filter(pk__in=[partner.pk, playbook_cast.alice_private.pk])
    )
    assert {p.name: p.current_strategy for p in annotated} == {  # type: ignore[attr-defined]
        "Sam Shared": "talk_clients",
        "Priya Private": "client_requested",
    }


@pytest.mark.parametrize(
    ("strategy", "message"),
    [("cold_calling", UNKNOWN_STRATEGY), ("client_requested", SAME_STRATEGY)],
)
def test_a_bad_strategy_says_what_is_wrong(
    playbook_cast: Cast, strategy: str, message: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        strategy_set(partner=playbook_cast.alice_private, by=playbook_cast.alice, strategy=strategy)
    assert excinfo.value.message_dict == {"strategy": [message]}
    assert not PartnerStrategy.objects.exists()


def test_a_switch_cannot_be_dated_before_the_last_one(playbook_cast: Cast) -> None:
    partner, alice = playbook_cast.alice_private, playbook_cast.alice
    strategy_set(partner=partner, by=alice, strategy="client_complaints")

    with pytest.raises(ValidationError) as excinfo:
        strategy_set(
            partner=partner,
            by=alice,
            strategy="talk_clients",
            occurred_at=timezone.now() - dt.timedelta(days=3),
        )
    assert excinfo.value.message_dict == {"occurred_at": [STRATEGY_BEFORE_LAST]}


def test_the_fifth_rung_is_labelled_as_co_hosted_client_work(db: None) -> None:
    assert [s.value for s in Strategy] == [
        "client_requested",
        "client_complaints",
        "identified_problems",
        "talk_clients",
        "joint_client_work",
    ]
    assert Strategy.JOINT_CLIENT_WORK.label == "Co-hosted client events and joint reviews"


# --- Client complaints and identified problems ----------------------------------------------


def test_a_complaint_matched_to_a_library_entry_is_an_opportunity_on_the_partner_and_agenda(
    playbook_cast: Cast,
) -> None:
    partner, alice = playbook_cast.alice_private, playbook_cast.alice
    concern = concern_log(
        partner=partner,
        by=alice,
        source="client_complaint",
        description="A client says he cannot sleep when the markets drop.",
    )
    (best, *_) = solutions_matching(concern=concern)
    assert best.solution.title == "Sleepless over market swings"
    assert set(best.matched) >= {"sleep", "markets"}

    opportunity = concern_match(concern=concern, solution=best.solution, by=alice)

    assert opportunity.strategy == Strategy.CLIENT_COMPLAINTS
    assert opportunity.status == OpportunityStatus.OPEN
    assert opportunity.proposal == best.solution.approach
    assert list(opportunities_of(partner=partner)) == [opportunity]
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.MATCHED
    (item,) = agenda_for(alice).items
    assert (item.source, item.object_id) == ("opportunity", opportunity.pk)
    assert item.title.startswith(f"Ask {partner.name} for a meeting with the client: ")


def test_a_problem_the_partner_sees_runs_the_identified_problems_strategy(
    playbook_cast: Cast,
) -> None:
    concern = concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="identified_problem",
        description="Several clients hold most of their wealth in their employer's stock.",
        topic="tax",
    )
    (best, *_) = solutions_matching(concern=concern)

    opportunity = concern_match(
        concern=concern, solution=best.solution, by=playbook_cast.alice, proposal="Staged sales"
    )

    assert best.solution.title == "Too much in one stock"
    assert (opportunity.strategy, opportunity.proposal) == ("identified_problems", "Staged sales")


def test_a_concern_matched_twice_to_the_same_entry_is_refused(playbook_cast: Cast) -> None:
    concern = concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="client_complaint",
        description="Worried about taxes",
    )
    solution = solutions_of(advisor=playbook_cast.alice).get(
        title="Tax bills that come as a surprise"
    )
    concern_match(concern=concern, solution=solution, by=playbook_cast.alice)

    with pytest.raises(ValidationError) as excinfo:
        concern_match(concern=concern, solution=solution, by=playbook_cast.alice)

    assert excinfo.value.message_dict == {"solution": [ALREADY_MATCHED]}
    assert Opportunity.objects.count() == 1


def test_a_concern_cannot_be_matched_to_another_firms_entry_or_once_dismissed(
    playbook_cast: Cast,
) -> None:
    concern = concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="client_complaint",
        description="Worried about taxes",
    )
    foreign = Solution.objects.filter(firm=playbook_cast.other_firm).first()
    assert foreign is not None
    with pytest.raises(ValidationError) as excinfo:
        concern_match(concern=concern, solution=foreign, by=playbook_cast.alice)
    assert excinfo.value.message_dict == {"solution": [SOLUTION_NOT_IN_FIRM]}

    concern_dismiss(concern=concern, by=playbook_cast.alice)
    own = solutions_of(advisor=playbook_cast.alice).first()
    assert own is not None
    with pytest.raises(ValidationError) as excinfo:
        concern_match(concern=concern, solution=own, by=playbook_cast.alice)
    assert excinfo.value.messages == [CONCERN_DISMISSED]


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"source": "rumour"}, {"source": [UNKNOWN_CONCERN_SOURCE]}),
        ({"description": "  "}, {"description": [DESCRIPTION_REQUIRED]}),
        ({"topic": "astrology"}, {"topic": [UNKNOWN_TOPIC]}),
        (
            {"heard_on": timezone.localdate() + dt.timedelta(days=2)},
            {"heard_on": [IN_THE_FUTURE]},
        ),
    ],
)
def test_a_bad_concern_says_what_is_wrong(
    playbook_cast: Cast, kwargs: dict[str, object], errors: dict[str, list[str]]
) -> None:
    values: dict[str, object] = {"source": "client_complaint", "description": "Worried"} | kwargs
    with pytest.raises(ValidationError) as excinfo:
        concern_log(
            partner=playbook_cast.alice_private,
            by=playbook_cast.alice,
            **values,  # type: ignore[arg-type]
        )
    assert excinfo.value.message_dict == errors


def test_an_archived_library_entry_stops_matching(playbook_cast: Cast) -> None:
    concern = concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="client_complaint",
        description="Wants to give to charity",
    )
    entry = solutions_of(advisor=playbook_cast.ada).get(title="Giving without a plan")
    assert solutions_matching(concern=concern)[0].solution == entry

    solution_archive(solution=entry, by=playbook_cast.ada)

    assert entry not in [m.solution for m in solutions_matching(concern=concern)]


def test_the_firm_admin_edits_the_library(playbook_cast: Cast) -> None:
    entry = solution_create(
        by=playbook_cast.ada,
        title="Second home abroad",
        problem="Clients who bought property abroad",
        approach="Cross-border planning",
        keywords=" abroad,  Overseas ,",
    )
    assert entry.keywords == "abroad, overseas"

    with pytest.raises(ValidationError) as excinfo:
        solution_create(by=playbook_cast.ada, title="second home ABROAD", problem="x", approach="y")
    assert excinfo.value.message_dict == {"title": [TITLE_TAKEN]}
    with pytest.raises(ValidationError) as excinfo:
        solution_update(solution=entry, by=playbook_cast.ada, approach="")
    assert excinfo.value.message_dict == {"problem": [SOLUTION_NEEDS_TEXT]}
    with pytest.raises(PermissionDenied):
        solution_create(by=playbook_cast.alice, title="Mine", problem="x", approach="y")
    foreign = SolutionFactory(firm=playbook_cast.other_firm)
    with pytest.raises(Http404):
        solution_update(solution=foreign, by=playbook_cast.ada, title="Taken over")


# --- Talk clients, not concepts -------------------------------------------------------------


def new_case(cast: Cast, **kwargs: object) -> ClientCase:
    values: dict[str, object] = {
        "alias": "Client A",
        "description": "Surgeon, 58, owns her practice, two children at university.",
        "topics": ["retirement", "business_owner"],
    } | kwargs
    return case_create(
        partner=cast.alice_private,
        by=cast.alice,
        **values,  # type: ignore[arg-type]
    )


def answer(case: ClientCase, by: object, count: int) -> None:
    questions = list(case.questions.all()[:count])
    case_update(
        case=case,
        by=by,  # type: ignore[arg-type]
        answers={q.pk: f"Answer {i}" for i, q in enumerate(questions)},
    )


def test_a_case_draws_its_questions_from_the_bank_by_topic(playbook_cast: Cast) -> None:
    case = new_case(playbook_cast)

    drawn = list(case.questions.all())
    assert len(drawn) == CASE_DEFAULT_QUESTIONS
    assert [q.topic for q in drawn[:4]] == [
        "retirement",
        "business_owner",
        "retirement",
        "business_owner",
    ]
    assert drawn[0].text == defaults.QUESTION_BANK[Topic.RETIREMENT][0]


def test_a_case_cannot_be_ready_without_eight_answered_questions(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    case = new_case(playbook_cast)
    case_update(case=case, by=alice, solution="A buy-out funded over ten years")
    answer(case, alice, 7)

    with pytest.raises(ValidationError) as excinfo:
        case_mark_ready(case=case, by=alice)

    assert excinfo.value.message_dict == {"answers": [CASE_NEEDS_ANSWERS]}
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    assert not Opportunity.objects.exists()

    answer(case, alice, 8)
    opportunity = case_mark_ready(case=case, by=alice)

    assert (opportunity.strategy, opportunity.case, opportunity.proposal) == (
        Strategy.TALK_CLIENTS,
        case,
        "A buy-out funded over ten years",
    )
    assert case.status == CaseStatus.READY
    assert [i.object_id for i in agenda_for(alice).items] == [opportunity.pk]


def test_blank_answers_do_not_count(playbook_cast: Cast) -> None:
    case = new_case(playbook_cast)
    case_update(case=case, by=playbook_cast.alice, solution="A plan")
    questions = list(case.questions.all())
    case_update(
        case=case,
        by=playbook_cast.alice,
        answers={q.pk: ("   " if i < 3 else "yes") for i, q in enumerate(questions)},
    )

    with pytest.raises(ValidationError) as excinfo:
        case_mark_ready(case=case, by=playbook_cast.alice)
    assert excinfo.value.message_dict == {"answers": [CASE_NEEDS_ANSWERS]}


def test_a_case_needs_its_solution_before_it_is_ready_and_then_is_frozen(
    playbook_cast: Cast,
) -> None:
    case = new_case(playbook_cast)
    answer(case, playbook_cast.alice, 10)

    with pytest.raises(ValidationError) as excinfo:
        case_mark_ready(case=case, by=playbook_cast.alice)
    assert excinfo.value.message_dict == {"solution": [CASE_NEEDS_SOLUTION]}

    case_update(case=case, by=playbook_cast.alice, solution="A plan")
    case_mark_ready(case=case, by=playbook_cast.alice)
    with pytest.raises(ValidationError) as excinfo:
        case_update(case=case, by=playbook_cast.alice, solution="Another plan")
    assert excinfo.value.messages == [CASE_IS_READY]


def test_a_case_holds_twelve_questions_at_most(playbook_cast: Cast) -> None:
    case = new_case(playbook_cast, question_count=11)
    extra = list(question_bank(advisor=playbook_cast.alice, topic="estate")[:2])

    with pytest.raises(ValidationError) as excinfo:
        case_questions_add(case=case, by=playbook_cast.alice, questions=extra)
    assert excinfo.value.message_dict == {"questions": [CASE_TOO_MANY_QUESTIONS]}

    case_questions_add(case=case, by=playbook_cast.alice, questions=extra[:1])
    assert case.questions.count() == 12
    foreign = DiagnosticQuestion.objects.filter(firm=playbook_cast.other_firm).first()
    assert foreign is not None
    first = case.questions.first()
    assert first is not None
    case_question_remove(case=case, by=playbook_cast.alice, case_question_id=first.pk)
    with pytest.raises(ValidationError) as excinfo:
        case_questions_add(case=case, by=playbook_cast.alice, questions=[foreign])
    assert excinfo.value.message_dict == {"questions": [QUESTION_NOT_IN_FIRM]}


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"alias": " "}, {"alias": [ALIAS_REQUIRED]}),
        ({"description": ""}, {"description": [DESCRIPTION_REQUIRED]}),
        ({"topics": []}, {"topics": [CASE_NEEDS_TOPIC]}),
        ({"topics": ["crypto"]}, {"topics": [UNKNOWN_TOPIC]}),
        ({"question_count": 7}, {"question_count": [CASE_QUESTION_COUNT]}),
        ({"question_count": 13}, {"question_count": [CASE_QUESTION_COUNT]}),
    ],
)
def test_a_bad_case_says_what_is_wrong(
    playbook_cast: Cast, kwargs: dict[str, object], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_case(playbook_cast, **kwargs)
    assert excinfo.value.message_dict == errors
    assert not ClientCase.objects.exists()


def test_the_starter_bank_has_at_least_twelve_questions_per_topic(playbook_cast: Cast) -> None:
    for topic in Topic.values:
        texts = list(question_bank(advisor=playbook_cast.alice, topic=topic))
        assert len(texts) >= 12, topic
        assert len({q.text for q in texts}) == len(texts)


def test_two_admins_adding_the_same_question_at_once_get_a_message_not_an_error(
    playbook_cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = question_create(by=playbook_cast.ada, topic="tax", text="Who files?")
    # As if the other admin's question were saved between the check and this save.
    nothing = DiagnosticQuestion.objects.none()
    monkeypatch.setattr(DiagnosticQuestion.objects, "filter", lambda *args, **kwargs: nothing)

    with pytest.raises(ValidationError) as excinfo:
        question_create(by=playbook_cast.ada, topic="tax", text=existing.text)

    assert excinfo.value.message_dict == {"text": [QUESTION_TAKEN]}


def test_the_firm_admin_edits_the_question_bank(playbook_cast: Cast) -> None:
    ada = playbook_cast.ada
    question = question_create(by=ada, topic="tax", text="Do they file in more than one state?")
    assert question.position == len(defaults.QUESTION_BANK[Topic.TAX]) + 1

    with pytest.raises(ValidationError) as excinfo:
        question_create(by=ada, topic="tax", text="do they file in more than one state?")
    assert excinfo.value.message_dict == {"text": [QUESTION_TAKEN]}
    with pytest.raises(ValidationError) as excinfo:
        question_update(question=question, by=ada, text=" ")
    assert excinfo.value.message_dict == {"text": [QUESTION_REQUIRED]}
    question_archive(question=question, by=ada)
    assert question not in question_bank(advisor=ada, topic="tax")
    with pytest.raises(PermissionDenied):
        question_create(by=playbook_cast.alice, topic="tax", text="Mine?")


# --- Opportunities and yield ----------------------------------------------------------------


def test_an_opportunity_ends_in_a_meeting_request_and_with_luck_a_referral(
    playbook_cast: Cast,
) -> None:
    opportunity = OpportunityFactory(partner=playbook_cast.alice_private)

    opportunity_request_meeting(opportunity=opportunity, by=playbook_cast.alice)
    touch = Touch.objects.get(partner=playbook_cast.alice_private)
    assert touch.summary == f"Asked for a meeting with the client: {opportunity.title}"
    with pytest.raises(ValidationError) as excinfo:
        opportunity_request_meeting(opportunity=opportunity, by=playbook_cast.alice)
    assert excinfo.value.messages == [OPPORTUNITY_NOT_OPEN]

    opportunity_close(opportunity=opportunity, by=playbook_cast.alice, outcome="referred")
    assert opportunity.status == OpportunityStatus.REFERRED
    with pytest.raises(ValidationError) as excinfo:
        opportunity_close(opportunity=opportunity, by=playbook_cast.alice, outcome="declined")
    assert excinfo.value.messages == [OPPORTUNITY_CLOSED]
    with pytest.raises(ValidationError) as excinfo:
        opportunity_close(
            opportunity=OpportunityFactory(partner=playbook_cast.alice_private),
            by=playbook_cast.alice,
            outcome="maybe",
        )
    assert excinfo.value.message_dict == {"outcome": [UNKNOWN_OUTCOME]}


def test_a_client_met_at_a_co_hosted_event_counts_for_joint_client_work(
    playbook_cast: Cast,
) -> None:
    event = MeetingFactory(partner=playbook_cast.alice_shared, kind=MeetingKind.CLIENT_EVENT)

    opportunity = opportunity_create(
        partner=playbook_cast.alice_shared,
        by=playbook_cast.bob,
        title="Attendee asking about succession",
        meeting=event,
    )

    assert opportunity.strategy == Strategy.JOINT_CLIENT_WORK
    with pytest.raises(ValidationError) as excinfo:
        opportunity_create(
            partner=playbook_cast.alice_private, by=playbook_cast.alice, title="x", meeting=event
        )
    assert excinfo.value.message_dict == {"meeting": [MEETING_OF_ANOTHER_PARTNER]}


def test_a_client_who_asked_counts_for_the_partners_current_strategy(
    playbook_cast: Cast,
) -> None:
    opportunity = opportunity_create(
        partner=playbook_cast.alice_private, by=playbook_cast.alice, title="Asked for an advisor"
    )
    assert opportunity.strategy == Strategy.CLIENT_REQUESTED
    with pytest.raises(ValidationError) as excinfo:
        opportunity_create(
            partner=playbook_cast.alice_private,
            by=playbook_cast.alice,
            title="Later",
            ask_by=timezone.localdate() - dt.timedelta(days=1),
        )
    assert excinfo.value.message_dict == {"ask_by": [ASK_BY_IN_PAST]}


def test_the_yield_of_each_strategy_is_counted(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    partner = playbook_cast.alice_private
    strategy_set(partner=partner, by=alice, strategy="client_complaints")
    for status in ("open", "meeting_requested", "referred", "referred"):
        OpportunityFactory(
            partner=partner,
            strategy="client_complaints",
            status=status,
            meeting_requested_at=None if status == "open" else timezone.now(),
        )
    OpportunityFactory(partner=playbook_cast.alice_shared, status="referred")
    OpportunityFactory(partner=playbook_cast.mallory_partner, status="referred")

    rows = {row.strategy: row for row in strategy_yield(advisor=alice)}

    assert [row.strategy for row in strategy_yield(advisor=alice)] == Strategy.values
    complaints = rows["client_complaints"]
    assert (complaints.partners, complaints.opportunities) == (1, 4)
    assert (complaints.meetings_requested, complaints.referred) == (3, 2)
    assert (rows["client_requested"].partners, rows["client_requested"].referred) == (1, 1)
    assert rows["talk_clients"].opportunities == 0
    assert rows["joint_client_work"].rung == 5
    only_shared = {r.strategy: r.referred for r in strategy_yield(advisor=playbook_cast.bob)}
    assert only_shared["client_requested"] == 1
    assert sum(only_shared.values()) == 1


# --- Access ---------------------------------------------------------------------------------


def test_concerns_cases_and_opportunities_are_404_to_whoever_cannot_see_the_partner(
    playbook_cast: Cast,
) -> None:
    concern = concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="client_complaint",
        description="Worried",
    )
    case = new_case(playbook_cast)
    opportunity = OpportunityFactory(partner=playbook_cast.alice_private)

    for outsider in (playbook_cast.bob, playbook_cast.carol, playbook_cast.mallory):
        for getter, pk in (
            (concern_get_for, concern.pk),
            (case_get_for, case.pk),
            (opportunity_get_for, opportunity.pk),
        ):
            with pytest.raises(Http404):
                getter(advisor=outsider, pk=pk)
    assert case_get_for(advisor=playbook_cast.cole, pk=case.pk) == case
    with pytest.raises(PermissionDenied):
        case_update(case=case, by=playbook_cast.cole, solution="x")
    with pytest.raises(Http404):
        opportunity_get_for(advisor=playbook_cast.alice, pk="not-a-number")
