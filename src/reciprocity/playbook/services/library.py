"""Writes of the diagnostic library (what we solve, the question bank) and of what is learnt
with it: client concerns and anonymous client cases."""

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.choices import unknown_choice_message
from reciprocity.dates import happened_on
from reciprocity.partners.models import Partner
from reciprocity.partners.services import ARCHIVED_PARTNER
from reciprocity.playbook.models import (
    STRATEGY_OF_CONCERN,
    CaseQuestion,
    CaseStatus,
    ClientCase,
    ClientConcern,
    ConcernSource,
    ConcernStatus,
    DiagnosticQuestion,
    Opportunity,
    Solution,
    Strategy,
    Topic,
)
from reciprocity.playbook.selectors.library import question_bank, solutions_of
from reciprocity.playbook.services.common import (
    bulk_create_attributed,
    checked_choice,
    ensure_admin_of_firm,
    ensure_partner_writable,
    local_today,
)
from reciprocity.playbook.services.strategies import TITLE_REQUIRED, ask_by_or_default
from reciprocity.records import lock, model_update

UNKNOWN_TOPIC = unknown_choice_message("topic", Topic)
UNKNOWN_CONCERN_SOURCE = "Say where it came from: " + ", ".join(ConcernSource.values) + "."
DESCRIPTION_REQUIRED = "Describe it in a sentence or two."
CONCERN_DISMISSED = "This concern was dismissed; log it again if it comes back."
SOLUTION_NOT_IN_FIRM = "Choose an entry of your firm's library."
ALREADY_MATCHED = "This concern is already matched to that entry."
TITLE_TAKEN = "Your firm's library already has an entry with that title."
SOLUTION_NEEDS_TEXT = "Describe the problem and how you solve it."
QUESTION_REQUIRED = "Write the question."
QUESTION_TAKEN = "That question is already in the bank for this topic."
ALIAS_REQUIRED = "Give the client a label (never their name), such as 'Client A'."
CASE_NEEDS_TOPIC = "Choose at least one topic to draw questions from."
CASE_QUESTION_COUNT = "Draw between 8 and 12 questions."
CASE_TOO_MANY_QUESTIONS = "A case takes at most 12 diagnostic questions."
CASE_NEEDS_ANSWERS = "Answer at least 8 diagnostic questions before the case is ready."
CASE_NEEDS_SOLUTION = "Write the solution you will bring before the case is ready."
CASE_IS_READY = "This case is ready and can no longer change."
QUESTION_NOT_IN_FIRM = "Choose questions from your firm's bank."
QUESTION_NOT_IN_CASE = "That question does not belong to this case."

# The number of diagnostic questions a case may hold, and must have answered to be ready.
CASE_MIN_ANSWERS = 8
CASE_MAX_QUESTIONS = 12
CASE_DEFAULT_QUESTIONS = 10
SOLUTION_FIELDS = ("title", "topic", "problem", "approach", "keywords")


def _clean_solution(solution: Solution) -> None:
    solution.title = solution.title.strip()
    solution.problem, solution.approach = solution.problem.strip(), solution.approach.strip()
    solution.keywords = ", ".join(solution.keyword_list)
    if not solution.title:
        raise ValidationError({"title": TITLE_REQUIRED})
    if not solution.problem or not solution.approach:
        raise ValidationError({"problem": SOLUTION_NEEDS_TEXT})
    if solution.topic and solution.topic not in Topic.values:
        raise ValidationError({"topic": UNKNOWN_TOPIC})
    clash = Solution.objects.filter(firm_id=solution.firm_id, title__iexact=solution.title)
    if clash.exclude(pk=solution.pk).exists():
        raise ValidationError({"title": TITLE_TAKEN})
    solution.full_clean(exclude=["firm"])


@transaction.atomic
def solution_create(
    *, by: User, title: str, problem: str, approach: str, topic: str = "", keywords: str = ""
) -> Solution:
    firm_id = ensure_admin_of_firm(by, by.firm_id)
    solution = Solution(
        firm_id=firm_id,
        title=title or "",
        topic=topic or "",
        problem=problem or "",
        approach=approach or "",
        keywords=keywords or "",
    )
    _clean_solution(solution)
    attribute(solution, by).save()
    return solution


@transaction.atomic
def solution_update(*, solution: Solution, by: User, **changes: Any) -> Solution:
    ensure_admin_of_firm(by, solution.firm_id)
    unknown = set(changes) - set(SOLUTION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    locked = lock(solution)
    for field, value in changes.items():
        setattr(locked, field, value or "")
    _clean_solution(locked)
    attribute(locked, by).save()
    return locked


@transaction.atomic
def solution_archive(*, solution: Solution, by: User) -> Solution:
    """Archived entries stop matching; the opportunities they produced keep them."""
    ensure_admin_of_firm(by, solution.firm_id)
    if solution.archived_at is None:
        solution.archived_at = timezone.now()
        attribute(solution, by).save(update_fields=["archived_at"])
    return solution


@transaction.atomic
def concern_log(
    *,
    partner: Partner,
    by: User,
    source: str,
    description: str,
    topic: str = "",
    heard_on: dt.date | None = None,
) -> ClientConcern:
    """Add to the partner's inventory a concern one of their clients voiced
    (``client_complaint``) or a problem the partner sees (``identified_problem``)."""
    ensure_partner_writable(partner, by)
    checked_choice(source, ConcernSource.values, UNKNOWN_CONCERN_SOURCE, "source")
    if topic:
        checked_choice(topic, Topic.values, UNKNOWN_TOPIC, "topic")
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": DESCRIPTION_REQUIRED})
    heard_on = happened_on(heard_on or local_today(), "heard_on")
    concern = ClientConcern(
        partner_id=partner.pk,
        source=source,
        description=description,
        topic=topic or "",
        heard_on=heard_on,
        by=by,
    )
    attribute(concern, by).save()
    return concern


@transaction.atomic
def concern_dismiss(*, concern: ClientConcern, by: User) -> ClientConcern:
    ensure_can_write(by)
    if concern.status != ConcernStatus.DISMISSED:
        concern.status = ConcernStatus.DISMISSED
        attribute(concern, by).save(update_fields=["status"])
    return concern


@transaction.atomic
def concern_match(
    *,
    concern: ClientConcern,
    solution: Solution | int,
    by: User,
    proposal: str = "",
    ask_by: dt.date | None = None,
) -> Opportunity:
    """Match a concern with a library entry (given, or by its id): an opportunity to bring the
    solution to the partner and ask for a meeting with the client."""
    if isinstance(solution, int):
        found = solutions_of(advisor=by).filter(pk=solution).first()
        if found is None:
            raise ValidationError({"solution": SOLUTION_NOT_IN_FIRM})
        solution = found
    partner = Partner.objects.get(pk=concern.partner_id)
    ensure_partner_writable(partner, by)
    locked = ClientConcern.objects.select_for_update().get(pk=concern.pk)
    if locked.status == ConcernStatus.DISMISSED:
        raise ValidationError(CONCERN_DISMISSED)
    if solution.firm_id != partner.firm_id or solution.archived_at is not None:
        raise ValidationError({"solution": SOLUTION_NOT_IN_FIRM})
    if Opportunity.objects.filter(concern=locked, solution=solution).exists():
        raise ValidationError({"solution": ALREADY_MATCHED})
    opportunity = Opportunity(
        partner=partner,
        strategy=STRATEGY_OF_CONCERN[ConcernSource(locked.source)],
        title=f"{solution.title}: {locked.description[:120]}"[:200],
        proposal=(proposal or "").strip() or solution.approach,
        concern=locked,
        solution=solution,
        ask_by=ask_by_or_default(ask_by),
        by=by,
    )
    attribute(opportunity, by).save()
    if locked.status != ConcernStatus.MATCHED:
        locked.status = ConcernStatus.MATCHED
        attribute(locked, by).save(update_fields=["status"])
    concern.status = locked.status
    return opportunity


def _clean_question(question: DiagnosticQuestion) -> None:
    question.text = question.text.strip()
    if not question.text:
        raise ValidationError({"text": QUESTION_REQUIRED})
    checked_choice(question.topic, Topic.values, UNKNOWN_TOPIC, "topic")
    clash = DiagnosticQuestion.objects.filter(
        firm_id=question.firm_id, topic=question.topic, text__iexact=question.text
    )
    if clash.exclude(pk=question.pk).exists():
        raise ValidationError({"text": QUESTION_TAKEN})
    question.full_clean(exclude=["firm"])


def _save_question(question: DiagnosticQuestion, by: User) -> None:
    try:
        with transaction.atomic():
            attribute(question, by).save()
    except IntegrityError:
        # Another admin saved the same question in the same topic a moment ago.
        raise ValidationError({"text": QUESTION_TAKEN}) from None


@transaction.atomic
def question_create(
    *, by: User, topic: str, text: str, position: int | None = None
) -> DiagnosticQuestion:
    firm_id = ensure_admin_of_firm(by, by.firm_id)
    if position is None:
        last = (
            DiagnosticQuestion.objects.filter(firm_id=firm_id, topic=topic)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        position = (last or 0) + 1
    question = DiagnosticQuestion(firm_id=firm_id, topic=topic, text=text or "", position=position)
    _clean_question(question)
    _save_question(question, by)
    return question


@transaction.atomic
def question_update(
    *,
    question: DiagnosticQuestion,
    by: User,
    text: str | None = None,
    topic: str | None = None,
    position: int | None = None,
) -> DiagnosticQuestion:
    """Reword or move a question; cases that already asked it keep their copy."""
    ensure_admin_of_firm(by, question.firm_id)
    locked = lock(question)
    model_update(locked, text=text, position=position)
    if topic is not None:  # a choice, checked as given
        locked.topic = topic
    _clean_question(locked)
    _save_question(locked, by)
    return locked


@transaction.atomic
def question_archive(*, question: DiagnosticQuestion, by: User) -> DiagnosticQuestion:
    """Archived questions are no longer drawn; cases keep their copy."""
    ensure_admin_of_firm(by, question.firm_id)
    if question.archived_at is None:
        question.archived_at = timezone.now()
        attribute(question, by).save(update_fields=["archived_at"])
    return question


def _draw(firm_id: int, topics: Sequence[str], count: int) -> list[DiagnosticQuestion]:
    """Take questions from each topic in turn, in the bank's order, until ``count``."""
    by_topic: dict[str, list[DiagnosticQuestion]] = {topic: [] for topic in topics}
    for question in DiagnosticQuestion.objects.live().filter(firm_id=firm_id, topic__in=topics):
        by_topic[question.topic].append(question)
    drawn: list[DiagnosticQuestion] = []
    depth = 0
    while len(drawn) < count and any(len(qs) > depth for qs in by_topic.values()):
        for topic in topics:
            if depth < len(by_topic[topic]) and len(drawn) < count:
                drawn.append(by_topic[topic][depth])
        depth += 1
    return drawn


def _add_questions(case: ClientCase, questions: Iterable[DiagnosticQuestion], by: User) -> None:
    start = max((q.position for q in case.questions.all()), default=0)
    bulk_create_attributed(
        [
            CaseQuestion(case=case, question=q, topic=q.topic, text=q.text, position=start + i)
            for i, q in enumerate(questions, start=1)
        ],
        CaseQuestion,
        by,
    )


@transaction.atomic
def case_create(
    *,
    partner: Partner,
    by: User,
    alias: str,
    description: str,
    topics: Sequence[str],
    question_count: int = CASE_DEFAULT_QUESTIONS,
) -> ClientCase:
    """Start an anonymous client case, with diagnostic questions drawn from the bank by topic."""
    ensure_partner_writable(partner, by)
    errors = {}
    alias, description = (alias or "").strip(), (description or "").strip()
    if not alias:
        errors["alias"] = ALIAS_REQUIRED
    if not description:
        errors["description"] = DESCRIPTION_REQUIRED
    if not topics:
        errors["topics"] = CASE_NEEDS_TOPIC
    elif any(topic not in Topic.values for topic in topics):
        errors["topics"] = UNKNOWN_TOPIC
    if not CASE_MIN_ANSWERS <= question_count <= CASE_MAX_QUESTIONS:
        errors["question_count"] = CASE_QUESTION_COUNT
    if errors:
        raise ValidationError(errors)
    case = ClientCase(partner_id=partner.pk, alias=alias, description=description, by=by)
    case.full_clean(exclude=["partner", "by"])
    attribute(case, by).save()
    _add_questions(case, _draw(partner.firm_id, list(dict.fromkeys(topics)), question_count), by)
    return case


def _locked_draft(case: ClientCase) -> ClientCase:
    locked = ClientCase.objects.select_for_update().select_related("partner").get(pk=case.pk)
    if locked.status != CaseStatus.DRAFT:
        raise ValidationError(CASE_IS_READY)
    return locked


@transaction.atomic
def case_questions_add(
    *, case: ClientCase, by: User, questions: Sequence[DiagnosticQuestion]
) -> ClientCase:
    ensure_can_write(by)
    locked = _locked_draft(case)
    if any(q.firm_id != locked.partner.firm_id or q.archived_at for q in questions):
        raise ValidationError({"questions": QUESTION_NOT_IN_FIRM})
    present = set(locked.questions.values_list("question_id", flat=True))
    new = [q for q in dict.fromkeys(questions) if q.pk not in present]
    if len(present) + len(new) > CASE_MAX_QUESTIONS:
        raise ValidationError({"questions": CASE_TOO_MANY_QUESTIONS})
    _add_questions(locked, new, by)
    return locked


@transaction.atomic
def case_question_remove(*, case: ClientCase, by: User, case_question_id: int) -> None:
    ensure_can_write(by)
    locked = _locked_draft(case)
    question = locked.questions.filter(pk=case_question_id).first()
    if question is None:
        raise ValidationError({"question": QUESTION_NOT_IN_CASE})
    attribute(question, by).delete()


@transaction.atomic
def case_update(
    *,
    case: ClientCase,
    by: User,
    alias: str | None = None,
    description: str | None = None,
    solution: str | None = None,
    answers: Mapping[int, str] | None = None,
    add_questions: Collection[int] = (),
) -> ClientCase:
    """Edit a draft case: its label, description, prepared solution, and answers keyed by
    case question id; ``add_questions`` first draws these questions of the firm's bank by id.
    All or nothing."""
    if add_questions:
        wanted = set(add_questions)
        bank = list(question_bank(advisor=by).filter(pk__in=wanted))
        if len(bank) != len(wanted):
            raise ValidationError({"questions": QUESTION_NOT_IN_FIRM})
        case_questions_add(case=case, by=by, questions=bank)
    ensure_can_write(by)
    locked = _locked_draft(case)
    questions = {q.pk: q for q in locked.questions.all()}
    answers = {int(pk): (text or "").strip() for pk, text in (answers or {}).items()}
    if set(answers) - set(questions):
        raise ValidationError({"answers": QUESTION_NOT_IN_CASE})
    if alias is not None and not alias.strip():
        raise ValidationError({"alias": ALIAS_REQUIRED})
    if description is not None and not description.strip():
        raise ValidationError({"description": DESCRIPTION_REQUIRED})
    model_update(locked, alias=alias, description=description, solution=solution)
    locked.full_clean(exclude=["partner", "by"])
    attribute(locked, by).save()
    for pk, text in answers.items():
        question = questions[pk]
        if question.answer != text:
            question.answer = text
            attribute(question, by).save(update_fields=["answer"])
    return locked


@transaction.atomic
def case_mark_ready(*, case: ClientCase, by: User, ask_by: dt.date | None = None) -> Opportunity:
    """A case is ready once at least eight questions are answered and the solution is written;
    it becomes an opportunity awaiting the meeting request."""
    ensure_can_write(by)
    locked = _locked_draft(case)
    partner = locked.partner
    if partner.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)
    answered = sum(1 for q in locked.questions.all() if q.answer.strip())
    if answered < CASE_MIN_ANSWERS:
        raise ValidationError({"answers": CASE_NEEDS_ANSWERS})
    if not locked.solution.strip():
        raise ValidationError({"solution": CASE_NEEDS_SOLUTION})
    locked.status = CaseStatus.READY
    locked.ready_at = timezone.now()
    attribute(locked, by).save()
    opportunity = Opportunity(
        partner=partner,
        strategy=Strategy.TALK_CLIENTS,
        title=f"{locked.alias}: {locked.description[:120]}"[:200],
        proposal=locked.solution,
        case=locked,
        ask_by=ask_by_or_default(ask_by),
        by=by,
    )
    attribute(opportunity, by).save()
    case.status, case.ready_at = locked.status, locked.ready_at
    return opportunity
