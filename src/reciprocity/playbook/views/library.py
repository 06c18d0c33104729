"""Web pages of client concerns, client cases, and the firm's question bank and library."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from reciprocity.accounts.decorators import posting_requires_write, write_required
from reciprocity.playbook.forms.library import (
    CaseCreateForm,
    CaseForm,
    CaseQuestionsForm,
    ConcernForm,
    ConcernMatchForm,
    QuestionForm,
    SolutionForm,
)
from reciprocity.playbook.models import CaseStatus, ConcernStatus, Topic
from reciprocity.playbook.selectors import library as selectors
from reciprocity.playbook.services import library as services
from reciprocity.playbook.views.common import (
    PartnerRecords,
    firm_entries_page,
    is_firm_admin,
    partner_or_404,
    partner_page,
)
from reciprocity.playbook.views.overview import panel_or_redirect
from reciprocity.web.forms import form_saves, form_submitted
from reciprocity.web.http import AuthedRequest, action_taken

partner_concerns = PartnerRecords(
    template="playbook/partner_concerns.html",
    form=ConcernForm,
    create=services.concern_log,
    created="Concern logged. Match it with what you solve.",
    detail="concern_detail",
    listing="concerns",
    records=selectors.concerns_of,
).view()


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def concern_detail(request: AuthedRequest, partner_id: int, concern_id: int) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    concern = selectors.concern_of(partner=partner, pk=concern_id)
    solutions = selectors.solutions_of(advisor=request.user)
    matches = selectors.solutions_matching(concern=concern)
    initial = {"solution": matches[0].solution.pk} if matches else {}
    form = ConcernMatchForm(request.POST or None, solutions=solutions, initial=initial)
    if form_submitted(
        request,
        form,
        lambda data: services.concern_match(concern=concern, by=request.user, **data),
        done="Matched: an opportunity to bring the solution and ask for a meeting.",
    ):
        return redirect("partner_detail", pk=partner.pk)
    return partner_page(
        request,
        partner,
        "playbook/concern_detail.html",
        {
            "concern": concern,
            "matches": matches,
            "form": form,
            "opportunities": list(concern.opportunities.select_related("solution")),
        },
        writable=concern.status != ConcernStatus.DISMISSED,
    )


@login_required
@require_POST
@write_required
def concern_dismiss(request: AuthedRequest, partner_id: int, concern_id: int) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    concern = selectors.concern_of(partner=partner, pk=concern_id)
    services.concern_dismiss(concern=concern, by=request.user)
    messages.success(request, "Concern dismissed.")
    return panel_or_redirect(request, partner, reverse("partner_concerns", args=[partner.pk]))


partner_cases = PartnerRecords(
    template="playbook/partner_cases.html",
    form=CaseCreateForm,
    create=services.case_create,
    created="Case started: ask the partner these questions.",
    detail="case_detail",
    listing="cases",
    records=selectors.cases_of,
).view()


def _case_page(
    request: AuthedRequest, partner: Any, case: Any, form: CaseForm | None = None, **extra: Any
) -> HttpResponse:
    questions = list(case.questions.all())
    form = form or CaseForm(
        initial={"alias": case.alias, "description": case.description, "solution": case.solution},
        questions=questions,
    )
    present = {q.question_id for q in questions}
    bank = selectors.question_bank(advisor=request.user).exclude(pk__in=present)
    return partner_page(
        request,
        partner,
        "playbook/case_detail.html",
        {
            "case": case,
            "form": form,
            "answered": selectors.answered_count(case),
            "minimum": services.CASE_MIN_ANSWERS,
            "maximum": services.CASE_MAX_QUESTIONS,
            "questions_form": extra.get("questions_form") or CaseQuestionsForm(bank=bank),
            "ready_errors": extra.get("ready_errors", []),
            "opportunity": getattr(case, "opportunity", None)
            if case.status == CaseStatus.READY
            else None,
        },
        writable=case.status == CaseStatus.DRAFT,
    )


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def case_detail(request: AuthedRequest, partner_id: int, case_id: int) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    case = selectors.case_of(partner=partner, pk=case_id)
    if request.method == "GET":
        return _case_page(request, partner, case)
    form = CaseForm(request.POST, questions=list(case.questions.all()))
    if form_saves(
        form,
        lambda data: services.case_update(
            case=case,
            by=request.user,
            alias=data["alias"],
            description=data["description"],
            solution=data.get("solution") or "",
            answers=form.answers(),
        ),
    ):
        messages.success(request, "Case saved.")
        return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)
    return _case_page(request, partner, case, form)


@login_required
@require_POST
@write_required
def case_ready(request: AuthedRequest, partner_id: int, case_id: int) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    case = selectors.case_of(partner=partner, pk=case_id)
    try:
        services.case_mark_ready(case=case, by=request.user)
    except ValidationError as error:
        return _case_page(request, partner, case, ready_errors=error.messages)
    messages.success(request, "Case ready: ask the partner for a meeting with the client.")
    return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)


@login_required
@require_POST
@write_required
def case_questions_add(request: AuthedRequest, partner_id: int, case_id: int) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    case = selectors.case_of(partner=partner, pk=case_id)
    form = CaseQuestionsForm(request.POST, bank=selectors.question_bank(advisor=request.user))
    if form_saves(
        form,
        lambda data: services.case_questions_add(
            case=case, by=request.user, questions=list(data["questions"])
        ),
    ):
        messages.success(request, "Questions added.")
        return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)
    return _case_page(
        request, partner, selectors.case_of(partner=partner, pk=case_id), questions_form=form
    )


@login_required
@require_POST
@write_required
def case_question_remove(
    request: AuthedRequest, partner_id: int, case_id: int, question_id: int
) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    case = selectors.case_of(partner=partner, pk=case_id)

    def remove() -> str:
        services.case_question_remove(case=case, by=request.user, case_question_id=question_id)
        return "Question removed."

    action_taken(request, remove)
    return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def question_bank(request: AuthedRequest) -> HttpResponse:
    def by_topic() -> dict[str, Any]:
        questions = list(selectors.question_bank(advisor=request.user))
        return {
            "by_topic": [
                (topic, [q for q in questions if q.topic == topic.value]) for topic in Topic
            ]
        }

    return firm_entries_page(
        request,
        QuestionForm(request.POST or None),
        services.question_create,
        added="Question added to the bank.",
        template="playbook/question_bank.html",
        entries=by_topic,
    )


@dataclass(frozen=True)
class FirmEntry:
    """One kind of entry of the firm's playbook (``name``: question or solution): its page,
    where firm admins change it and others read, and its archiving."""

    name: str  # the template's and the services' name for the entry
    get: Callable[..., Any]  # the selector: (advisor=, pk=) -> the entry
    form: type[forms.Form]
    fields: tuple[str, ...]  # the form's fields, read from the entry
    update: Callable[..., object]  # the service: (<name>=, by=, **the form's data)
    saved: str
    archive: Callable[..., object]  # the service: (<name>=, by=)
    archived: Callable[[Any], str]  # what is said once the entry is archived
    listing: str  # the route of the entry's list, where both go back to

    def _entry(self, request: AuthedRequest, ids: dict[str, int]) -> Any:
        # The route names the entry's id after it: question_id, solution_id.
        return self.get(advisor=request.user, pk=ids[f"{self.name}_id"])

    def detail_view(self) -> Callable[..., HttpResponse]:
        @login_required
        @require_http_methods(["GET", "POST"])
        def detail(request: AuthedRequest, **ids: int) -> HttpResponse:
            entry = self._entry(request, ids)
            initial = {field: getattr(entry, field) for field in self.fields}
            form = self.form(request.POST or None, initial=initial)
            if form_submitted(
                request,
                form,
                lambda data: self.update(**{self.name: entry}, by=request.user, **data),
                done=self.saved,
            ):
                return redirect(self.listing)
            if request.method == "POST":
                entry.refresh_from_db()  # the page shows the entry as saved, not the refused change
            context = {self.name: entry, "form": form, "is_admin": is_firm_admin(request)}
            return render(request, f"playbook/{self.name}_detail.html", context)

        return detail

    def archive_view(self) -> Callable[..., HttpResponse]:
        @login_required
        @require_POST
        def archive(request: AuthedRequest, **ids: int) -> HttpResponse:
            entry = self._entry(request, ids)
            self.archive(**{self.name: entry}, by=request.user)
            messages.success(request, self.archived(entry))
            return redirect(self.listing)

        return archive


QUESTIONS = FirmEntry(
    name="question",
    get=selectors.question_get_for,
    form=QuestionForm,
    fields=("topic", "text"),
    update=services.question_update,
    saved="Question saved; cases that asked it keep their wording.",
    archive=services.question_archive,
    archived=lambda question: "Question archived; cases that asked it keep it.",
    listing="question_bank",
)
question_detail = QUESTIONS.detail_view()
question_archive = QUESTIONS.archive_view()


@login_required
@require_http_methods(["GET", "POST"])
def solution_library(request: AuthedRequest) -> HttpResponse:
    return firm_entries_page(
        request,
        SolutionForm(request.POST or None),
        services.solution_create,
        added="Added to what you solve.",
        template="playbook/solution_library.html",
        entries=lambda: {"solutions": list(selectors.solutions_of(advisor=request.user))},
    )


SOLUTIONS = FirmEntry(
    name="solution",
    get=selectors.solution_get_for,
    form=SolutionForm,
    fields=services.SOLUTION_FIELDS,
    update=services.solution_update,
    saved="Library entry saved.",
    archive=services.solution_archive,
    archived=lambda solution: f"Archived: {solution.title}. It no longer matches concerns.",
    listing="solution_library",
)
solution_detail = SOLUTIONS.detail_view()
solution_archive = SOLUTIONS.archive_view()
