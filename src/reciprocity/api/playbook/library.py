"""The diagnostic library through the API: a partner's client concerns and client cases, and
the firm's library and question bank (firm admins)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status

from reciprocity.api.auth import current_user
from reciprocity.api.common import ListOperations, RecordOperations, created_for_partner
from reciprocity.api.errors import fields_renamed, responses
from reciprocity.api.playbook.common import changes_of, partner_or_404
from reciprocity.api.playbook.schemas.library import (
    Case,
    CaseCreate,
    CaseReady,
    CaseUpdate,
    Concern,
    ConcernCreate,
    ConcernMatch,
    Question,
    QuestionCreate,
    QuestionUpdate,
    Solution,
    SolutionCreate,
    SolutionUpdate,
)
from reciprocity.api.playbook.schemas.strategies import Opportunity
from reciprocity.api.schemas.common import RecordId
from reciprocity.playbook import models
from reciprocity.playbook.selectors import library as selectors
from reciprocity.playbook.selectors.strategies import opportunity_get_for
from reciprocity.playbook.services import library as services

partner_concerns = Router(tags=["Concerns"])
partner_cases = Router(tags=["Client cases"])
CONCERNS = ListOperations(partner_concerns, "/{id}/concerns", Concern)
CASES = ListOperations(partner_cases, "/{id}/cases", Case)

# The firm's playbook: everyone in the firm reads it; only its firm admins change it (the
# services refuse anyone else with 403, as the web pages do).
firm_library = Router(tags=["Firm playbook"])

concerns = Router(tags=["Concerns"])
cases = Router(tags=["Client cases"])
# How the case questions' ids are named in the request body.
CASE_FIELDS = {"answers": "answers", "questions": "add_questions"}


CONCERN = RecordOperations(concerns, Concern, get=selectors.concern_get_for, record="concern")
CASE = RecordOperations(cases, Case, get=selectors.case_get_for, record="case")
SOLUTIONS = ListOperations(firm_library, "/solutions", Solution, not_found=False)
QUESTIONS = ListOperations(firm_library, "/questions", Question, not_found=False)
SOLUTION = RecordOperations(
    firm_library,
    Solution,
    get=selectors.solution_get_for,
    record="solution",
    path="/solutions/{id}",
)
QUESTION = RecordOperations(
    firm_library,
    Question,
    get=selectors.question_get_for,
    record="question",
    path="/questions/{id}",
)


@CONCERNS.listing("List a partner's client concerns")
def list_concerns(request: HttpRequest, id: RecordId) -> QuerySet[models.ClientConcern]:
    """The inventory of what the partner's clients worry about and the problems the partner
    sees, newest first."""
    return selectors.concerns_of(partner=partner_or_404(current_user(request), id))


@CONCERNS.adding("Log a client concern")
def log_concern(
    request: HttpRequest, id: RecordId, payload: ConcernCreate
) -> Status[models.ClientConcern]:
    return created_for_partner(
        request,
        id,
        services.concern_log,
        answer=selectors.concern_get_for,
        source=payload.source,
        description=payload.description,
        topic=payload.topic or "",
        heard_on=payload.heard_on,
    )


@CONCERN.read("Get a concern")
def get_concern(request: HttpRequest, id: RecordId) -> models.ClientConcern:
    return selectors.concern_get_for(advisor=current_user(request), pk=id)


@concerns.post(
    "/{id}/match",
    response=responses({201: Opportunity}),
    summary="Match a concern with what you solve",
)
def match_concern(
    request: HttpRequest, id: RecordId, payload: ConcernMatch
) -> Status[models.Opportunity]:
    """An entry of the firm's library answers the concern: an opportunity to bring the solution
    to the partner and ask for a meeting with the client."""
    user = current_user(request)
    opportunity = services.concern_match(
        concern=selectors.concern_get_for(advisor=user, pk=id),
        solution=payload.solution,
        by=user,
        proposal=payload.proposal,
        ask_by=payload.ask_by,
    )
    return Status(201, opportunity_get_for(advisor=user, pk=opportunity.pk))


@CONCERN.action("/dismiss", "Dismiss a concern")
def dismiss_concern(request: HttpRequest, id: RecordId) -> models.ClientConcern:
    return CONCERN.changed(request, id, services.concern_dismiss)


@CASES.listing("List a partner's client cases")
def list_cases(request: HttpRequest, id: RecordId) -> QuerySet[models.ClientCase]:
    return selectors.cases_of(partner=partner_or_404(current_user(request), id))


@CASES.adding("Start a client case")
def create_case(
    request: HttpRequest, id: RecordId, payload: CaseCreate
) -> Status[models.ClientCase]:
    """Talk clients, not concepts: one of the partner's top clients, without a name, with 8 to
    12 diagnostic questions drawn from the firm's bank by topic."""
    return created_for_partner(
        request,
        id,
        services.case_create,
        answer=selectors.case_get_for,
        alias=payload.alias,
        description=payload.description,
        topics=[str(topic) for topic in payload.topics],
        question_count=payload.question_count,
    )


@CASE.read("Get a client case")
def get_case(request: HttpRequest, id: RecordId) -> models.ClientCase:
    return selectors.case_get_for(advisor=current_user(request), pk=id)


@CASE.update("Update a client case")
def update_case(request: HttpRequest, id: RecordId, payload: CaseUpdate) -> Any:
    """Answer its questions, write the solution, add questions from the bank; all or nothing."""
    user = current_user(request)
    case = selectors.case_get_for(advisor=user, pk=id)
    changes = payload.model_dump(exclude_unset=True)
    with fields_renamed(CASE_FIELDS):
        services.case_update(
            case=case,
            by=user,
            alias=changes.get("alias"),
            description=changes.get("description"),
            solution=changes.get("solution"),
            answers={a.question: a.answer for a in payload.answers},
            add_questions=payload.add_questions,
        )
    return selectors.case_get_for(advisor=user, pk=id)


@cases.post(
    "/{id}/ready",
    response=responses({201: Opportunity}),
    summary="Mark a client case ready",
)
def mark_case_ready(
    request: HttpRequest, id: RecordId, payload: CaseReady
) -> Status[models.Opportunity]:
    """Refused below eight answers or without a solution; once ready, the case is an
    opportunity awaiting the meeting request."""
    user = current_user(request)
    opportunity = services.case_mark_ready(
        case=selectors.case_get_for(advisor=user, pk=id), by=user, ask_by=payload.ask_by
    )
    return Status(201, opportunity_get_for(advisor=user, pk=opportunity.pk))


@SOLUTIONS.listing("List what the firm solves")
def list_solutions(request: HttpRequest) -> QuerySet[models.Solution]:
    """The "what we solve" library that concerns are matched against."""
    return selectors.solutions_of(advisor=current_user(request))


@SOLUTIONS.adding("Add to what the firm solves")
def create_solution(request: HttpRequest, payload: SolutionCreate) -> Status[models.Solution]:
    """Firm admins only. Its keywords are what concerns are matched on."""
    solution = services.solution_create(
        by=current_user(request),
        title=payload.title,
        topic=payload.topic or "",
        problem=payload.problem,
        approach=payload.approach,
        keywords=", ".join(payload.keywords),
    )
    return Status(201, solution)


@SOLUTION.read("Get a library entry")
def get_solution(request: HttpRequest, id: RecordId) -> models.Solution:
    """Archived entries too."""
    return selectors.solution_get_for(advisor=current_user(request), pk=id)


@SOLUTION.update("Update a library entry")
def update_solution(request: HttpRequest, id: RecordId, payload: SolutionUpdate) -> models.Solution:
    """Firm admins only. Opportunities already matched keep their text."""
    changes = changes_of(payload, clearable=("topic", "keywords"))
    if "keywords" in changes:
        changes["keywords"] = ", ".join(changes["keywords"])
    return SOLUTION.changed(request, id, services.solution_update, **changes)


@SOLUTION.action("/archive", "Archive a library entry")
def archive_solution(request: HttpRequest, id: RecordId) -> models.Solution:
    """Firm admins only. It no longer matches concerns; the opportunities it produced keep it."""
    return SOLUTION.changed(request, id, services.solution_archive)


@QUESTIONS.listing("List the diagnostic question bank")
def list_questions(request: HttpRequest) -> QuerySet[models.DiagnosticQuestion]:
    return selectors.question_bank(advisor=current_user(request))


@QUESTIONS.adding("Add a diagnostic question")
def create_question(
    request: HttpRequest, payload: QuestionCreate
) -> Status[models.DiagnosticQuestion]:
    """Firm admins only. It comes last in its topic, and new client cases can draw it."""
    question = services.question_create(
        by=current_user(request), topic=payload.topic, text=payload.text
    )
    return Status(201, question)


@QUESTION.read("Get a diagnostic question")
def get_question(request: HttpRequest, id: RecordId) -> models.DiagnosticQuestion:
    """Archived questions too."""
    return selectors.question_get_for(advisor=current_user(request), pk=id)


@QUESTION.update("Reword or move a diagnostic question")
def update_question(
    request: HttpRequest, id: RecordId, payload: QuestionUpdate
) -> models.DiagnosticQuestion:
    """Firm admins only. Cases that already asked it keep their wording."""
    return QUESTION.changed(
        request, id, services.question_update, **changes_of(payload, clearable=())
    )


@QUESTION.action("/archive", "Archive a diagnostic question")
def archive_question(request: HttpRequest, id: RecordId) -> models.DiagnosticQuestion:
    """Firm admins only. It is no longer drawn; the cases that asked it keep it."""
    return QUESTION.changed(request, id, services.question_archive)
