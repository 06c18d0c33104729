"""The diagnostic library at work: client complaints and identified problems matched to what
we solve, and anonymous client cases diagnosed with the question bank."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reciprocity.dates import IN_THE_FUTURE
from reciprocity.playbook import defaults, models
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.library import question_bank, solutions_matching, solutions_of
from reciprocity.playbook.selectors.strategies import opportunities_of
from reciprocity.playbook.services import library
from tests.conftest import Cast
from tests.factories import SolutionFactory

pytestmark = pytest.mark.django_db


# --- Client complaints and identified problems ----------------------------------------------------


def test_a_complaint_matched_to_a_library_entry_is_an_opportunity_on_the_partner_and_agenda(
    playbook_cast: Cast,
) -> None:
    partner, alice = playbook_cast.alice_private, playbook_cast.alice
    concern = library.concern_log(
        partner=partner,
        by=alice,
        source="client_complaint",
        description="A client says he cannot sleep when the markets drop.",
    )
    (best, *_) = solutions_matching(concern=concern)
    assert best.solution.title == "Sleepless over market swings"
    assert set(best.matched) >= {"sleep", "markets"}

    opportunity = library.concern_match(concern=concern, solution=best.solution, by=alice)

    assert opportunity.strategy == models.Strategy.CLIENT_COMPLAINTS
    assert opportunity.status == models.OpportunityStatus.OPEN
    assert opportunity.proposal == best.solution.approach
    assert list(opportunities_of(partner=partner)) == [opportunity]
    concern.refresh_from_db()
    assert concern.status == models.ConcernStatus.MATCHED
    (item,) = agenda_for(alice).items
    assert (item.source, item.object_id) == ("opportunity", opportunity.pk)
    assert item.title.startswith(f"Ask {partner.name} for a meeting with the client: ")


def test_a_problem_the_partner_sees_runs_the_identified_problems_strategy(
    playbook_cast: Cast,
) -> None:
    concern = library.concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="identified_problem",
        description="Several clients hold most of their wealth in their employer's stock.",
        topic="tax",
    )
    (best, *_) = solutions_matching(concern=concern)

    opportunity = library.concern_match(
        concern=concern, solution=best.solution, by=playbook_cast.alice, proposal="Staged sales"
    )

    assert best.solution.title == "Too much in one stock"
    assert (opportunity.strategy, opportunity.proposal) == ("identified_problems", "Staged sales")


def test_a_concern_matched_twice_to_the_same_entry_is_refused(playbook_cast: Cast) -> None:
    concern = library.concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="client_complaint",
        description="Worried about taxes",
    )
    solution = solutions_of(advisor=playbook_cast.alice).get(
        title="Tax bills that come as a surprise"
    )
    library.concern_match(concern=concern, solution=solution, by=playbook_cast.alice)

    with pytest.raises(ValidationError) as excinfo:
        library.concern_match(concern=concern, solution=solution, by=playbook_cast.alice)

    assert excinfo.value.message_dict == {"solution": [library.ALREADY_MATCHED]}
    assert models.Opportunity.objects.count() == 1


def test_a_concern_cannot_be_matched_to_another_firms_entry_or_once_dismissed(
    playbook_cast: Cast,
) -> None:
    concern = library.concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="client_complaint",
        description="Worried about taxes",
    )
    foreign = models.Solution.objects.filter(firm=playbook_cast.other_firm).first()
    assert foreign is not None
    with pytest.raises(ValidationError) as excinfo:
        library.concern_match(concern=concern, solution=foreign, by=playbook_cast.alice)
    assert excinfo.value.message_dict == {"solution": [library.SOLUTION_NOT_IN_FIRM]}

    library.concern_dismiss(concern=concern, by=playbook_cast.alice)
    own = solutions_of(advisor=playbook_cast.alice).first()
    assert own is not None
    with pytest.raises(ValidationError) as excinfo:
        library.concern_match(concern=concern, solution=own, by=playbook_cast.alice)
    assert excinfo.value.messages == [library.CONCERN_DISMISSED]


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"source": "rumour"}, {"source": [library.UNKNOWN_CONCERN_SOURCE]}),
        ({"description": "  "}, {"description": [library.DESCRIPTION_REQUIRED]}),
        ({"topic": "astrology"}, {"topic": [library.UNKNOWN_TOPIC]}),
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
        library.concern_log(
            partner=playbook_cast.alice_private,
            by=playbook_cast.alice,
            **values,  # type: ignore[arg-type]
        )
    assert excinfo.value.message_dict == errors


def test_an_archived_library_entry_stops_matching(playbook_cast: Cast) -> None:
    concern = library.concern_log(
        partner=playbook_cast.alice_private,
        by=playbook_cast.alice,
        source="client_complaint",
        description="Wants to give to charity",
    )
    entry = solutions_of(advisor=playbook_cast.ada).get(title="Giving without a plan")
    assert solutions_matching(concern=concern)[0].solution == entry

    library.solution_archive(solution=entry, by=playbook_cast.ada)

    assert entry not in [m.solution for m in solutions_matching(concern=concern)]


def test_the_firm_admin_edits_the_library(playbook_cast: Cast) -> None:
    entry = library.solution_create(
        by=playbook_cast.ada,
        title="Second home abroad",
        problem="Clients who bought property abroad",
        approach="Cross-border planning",
        keywords=" abroad,  Overseas ,",
    )
    assert entry.keywords == "abroad, overseas"

    with pytest.raises(ValidationError) as excinfo:
        library.solution_create(
            by=playbook_cast.ada, title="second home ABROAD", problem="x", approach="y"
        )
    assert excinfo.value.message_dict == {"title": [library.TITLE_TAKEN]}
    with pytest.raises(ValidationError) as excinfo:
        library.solution_update(solution=entry, by=playbook_cast.ada, approach="")
    assert excinfo.value.message_dict == {"problem": [library.SOLUTION_NEEDS_TEXT]}
    with pytest.raises(PermissionDenied):
        library.solution_create(by=playbook_cast.alice, title="Mine", problem="x", approach="y")
    foreign = SolutionFactory(firm=playbook_cast.other_firm)
    with pytest.raises(Http404):
        library.solution_update(solution=foreign, by=playbook_cast.ada, title="Taken over")


# --- Talk clients, not concepts -------------------------------------------------------------------


def new_case(cast: Cast, **kwargs: object) -> models.ClientCase:
    values: dict[str, object] = {
        "alias": "Client A",
        "description": "Surgeon, 58, owns her practice, two children at university.",
        "topics": ["retirement", "business_owner"],
    } | kwargs
    return library.case_create(
        partner=cast.alice_private,
        by=cast.alice,
        **values,  # type: ignore[arg-type]
    )


def answer(case: models.ClientCase, by: object, count: int) -> None:
    questions = list(case.questions.all()[:count])
    library.case_update(
        case=case,
        by=by,  # type: ignore[arg-type]
        answers={q.pk: f"Answer {i}" for i, q in enumerate(questions)},
    )


def test_a_case_draws_its_questions_from_the_bank_by_topic(playbook_cast: Cast) -> None:
    case = new_case(playbook_cast)

    drawn = list(case.questions.all())
    assert len(drawn) == library.CASE_DEFAULT_QUESTIONS
    assert [q.topic for q in drawn[:4]] == [
        "retirement",
        "business_owner",
        "retirement",
        "business_owner",
    ]
    assert drawn[0].text == defaults.QUESTION_BANK[models.Topic.RETIREMENT][0]


def test_a_case_cannot_be_ready_without_eight_answered_questions(playbook_cast: Cast) -> None:
    alice = playbook_cast.alice
    case = new_case(playbook_cast)
    library.case_update(case=case, by=alice, solution="A buy-out funded over ten years")
    answer(case, alice, 7)

    with pytest.raises(ValidationError) as excinfo:
        library.case_mark_ready(case=case, by=alice)

    assert excinfo.value.message_dict == {"answers": [library.CASE_NEEDS_ANSWERS]}
    case.refresh_from_db()
    assert case.status == models.CaseStatus.DRAFT
    assert not models.Opportunity.objects.exists()

    answer(case, alice, 8)
    opportunity = library.case_mark_ready(case=case, by=alice)

    assert (opportunity.strategy, opportunity.case, opportunity.proposal) == (
        models.Strategy.TALK_CLIENTS,
        case,
        "A buy-out funded over ten years",
    )
    assert case.status == models.CaseStatus.READY
    assert [i.object_id for i in agenda_for(alice).items] == [opportunity.pk]


def test_blank_answers_do_not_count(playbook_cast: Cast) -> None:
    case = new_case(playbook_cast)
    library.case_update(case=case, by=playbook_cast.alice, solution="A plan")
    questions = list(case.questions.all())
    library.case_update(
        case=case,
        by=playbook_cast.alice,
        answers={q.pk: ("   " if i < 3 else "yes") for i, q in enumerate(questions)},
    )

    with pytest.raises(ValidationError) as excinfo:
        library.case_mark_ready(case=case, by=playbook_cast.alice)
    assert excinfo.value.message_dict == {"answers": [library.CASE_NEEDS_ANSWERS]}


def test_a_case_needs_its_solution_before_it_is_ready_and_then_is_frozen(
    playbook_cast: Cast,
) -> None:
    case = new_case(playbook_cast)
    answer(case, playbook_cast.alice, 10)

    with pytest.raises(ValidationError) as excinfo:
        library.case_mark_ready(case=case, by=playbook_cast.alice)
    assert excinfo.value.message_dict == {"solution": [library.CASE_NEEDS_SOLUTION]}

    library.case_update(case=case, by=playbook_cast.alice, solution="A plan")
    library.case_mark_ready(case=case, by=playbook_cast.alice)
    with pytest.raises(ValidationError) as excinfo:
        library.case_update(case=case, by=playbook_cast.alice, solution="Another plan")
    assert excinfo.value.messages == [library.CASE_IS_READY]


def test_a_case_holds_twelve_questions_at_most(playbook_cast: Cast) -> None:
    case = new_case(playbook_cast, question_count=11)
    extra = list(question_bank(advisor=playbook_cast.alice, topic="estate")[:2])

    with pytest.raises(ValidationError) as excinfo:
        library.case_questions_add(case=case, by=playbook_cast.alice, questions=extra)
    assert excinfo.value.message_dict == {"questions": [library.CASE_TOO_MANY_QUESTIONS]}

    library.case_questions_add(case=case, by=playbook_cast.alice, questions=extra[:1])
    assert case.questions.count() == 12
    foreign = models.DiagnosticQuestion.objects.filter(firm=playbook_cast.other_firm).first()
    assert foreign is not None
    first = case.questions.first()
    assert first is not None
    library.case_question_remove(case=case, by=playbook_cast.alice, case_question_id=first.pk)
    with pytest.raises(ValidationError) as excinfo:
        library.case_questions_add(case=case, by=playbook_cast.alice, questions=[foreign])
    assert excinfo.value.message_dict == {"questions": [library.QUESTION_NOT_IN_FIRM]}


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"alias": " "}, {"alias": [library.ALIAS_REQUIRED]}),
        ({"description": ""}, {"description": [library.DESCRIPTION_REQUIRED]}),
        ({"topics": []}, {"topics": [library.CASE_NEEDS_TOPIC]}),
        ({"topics": ["crypto"]}, {"topics": [library.UNKNOWN_TOPIC]}),
        ({"question_count": 7}, {"question_count": [library.CASE_QUESTION_COUNT]}),
        ({"question_count": 13}, {"question_count": [library.CASE_QUESTION_COUNT]}),
    ],
)
def test_a_bad_case_says_what_is_wrong(
    playbook_cast: Cast, kwargs: dict[str, object], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_case(playbook_cast, **kwargs)
    assert excinfo.value.message_dict == errors
    assert not models.ClientCase.objects.exists()


def test_the_starter_bank_has_at_least_twelve_questions_per_topic(playbook_cast: Cast) -> None:
    for topic in models.Topic.values:
        texts = list(question_bank(advisor=playbook_cast.alice, topic=topic))
        assert len(texts) >= 12, topic
        assert len({q.text for q in texts}) == len(texts)


def test_two_admins_adding_the_same_question_at_once_get_a_message_not_an_error(
    playbook_cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = library.question_create(by=playbook_cast.ada, topic="tax", text="Who files?")
    # As if the other admin's question were saved between the check and this save.
    nothing = models.DiagnosticQuestion.objects.none()
    monkeypatch.setattr(
        models.DiagnosticQuestion.objects, "filter", lambda *args, **kwargs: nothing
    )

    with pytest.raises(ValidationError) as excinfo:
        library.question_create(by=playbook_cast.ada, topic="tax", text=existing.text)

    assert excinfo.value.message_dict == {"text": [library.QUESTION_TAKEN]}


def test_the_firm_admin_edits_the_question_bank(playbook_cast: Cast) -> None:
    ada = playbook_cast.ada
    question = library.question_create(
        by=ada, topic="tax", text="Do they file in more than one state?"
    )
    assert question.position == len(defaults.QUESTION_BANK[models.Topic.TAX]) + 1

    with pytest.raises(ValidationError) as excinfo:
        library.question_create(by=ada, topic="tax", text="do they file in more than one state?")
    assert excinfo.value.message_dict == {"text": [library.QUESTION_TAKEN]}
    with pytest.raises(ValidationError) as excinfo:
        library.question_update(question=question, by=ada, text=" ")
    assert excinfo.value.message_dict == {"text": [library.QUESTION_REQUIRED]}
    library.question_archive(question=question, by=ada)
    assert question not in question_bank(advisor=ada, topic="tax")
    with pytest.raises(PermissionDenied):
        library.question_create(by=playbook_cast.alice, topic="tax", text="Mine?")
