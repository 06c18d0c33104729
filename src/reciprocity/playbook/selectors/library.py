"""Reads of the firm's diagnostic library (what we solve, the question bank) and of a
partner's client concerns and client cases."""

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from reciprocity.accounts.models import User
from reciprocity.ids import get_visible_or_404
from reciprocity.partners.models import Partner
from reciprocity.playbook.models import ClientCase, ClientConcern, DiagnosticQuestion, Solution
from reciprocity.playbook.selectors.common import visible_partners

CONCERN_NOT_FOUND = "No client concern with that id."
CASE_NOT_FOUND = "No client case with that id."
SOLUTION_NOT_FOUND = "No library entry with that id."
QUESTION_NOT_FOUND = "No diagnostic question with that id."


def solutions_of(*, advisor: User, include_archived: bool = False) -> QuerySet[Solution]:
    if advisor.firm_id is None:
        return Solution.objects.none()
    qs = Solution.objects.filter(firm_id=advisor.firm_id)
    if not include_archived:
        qs = qs.live()
    return qs


def solution_get_for(*, advisor: User, pk: Any) -> Solution:
    visible = solutions_of(advisor=advisor, include_archived=True)
    return get_visible_or_404(visible, pk, not_found=SOLUTION_NOT_FOUND)


@dataclass(frozen=True)
class SolutionMatch:
    solution: Solution
    score: int
    matched: tuple[str, ...]  # the keywords found in the concern


def solutions_matching(*, concern: ClientConcern, limit: int = 5) -> list[SolutionMatch]:
    """Library entries whose keywords appear in the concern, best first; same topic counts too."""
    # Possessives and plurals should not hide a match: "employer's stock", "markets".
    text = re.sub(r"['\u2019]s\b", "", concern.description.lower())
    matches = []
    for solution in Solution.objects.live().filter(firm_id=concern.partner.firm_id):
        found = tuple(
            word
            for word in solution.keyword_list
            if re.search(r"(?<!\w)" + re.escape(word) + r"(?:e?s)?(?!\w)", text)
        )
        score = len(found) + (1 if concern.topic and concern.topic == solution.topic else 0)
        if score:
            matches.append(SolutionMatch(solution=solution, score=score, matched=found))
    matches.sort(key=lambda m: (-m.score, m.solution.title))
    return matches[:limit]


def concerns_of(*, partner: Partner) -> QuerySet[ClientConcern]:
    return partner.concerns.prefetch_related("opportunities__solution")


def concern_get_for(*, advisor: User, pk: Any) -> ClientConcern:
    visible = ClientConcern.objects.select_related("partner").filter(
        partner__in=visible_partners(advisor)
    )
    return get_visible_or_404(visible, pk, not_found=CONCERN_NOT_FOUND)


def concern_of(*, partner: Partner, pk: Any) -> ClientConcern:
    """A concern of a partner already fetched through ``partner_get_for``; else Http404."""
    return get_visible_or_404(
        partner.concerns.select_related("partner"), pk, not_found=CONCERN_NOT_FOUND
    )


def question_bank(
    *, advisor: User, topic: str | None = None, include_archived: bool = False
) -> QuerySet[DiagnosticQuestion]:
    if advisor.firm_id is None:
        return DiagnosticQuestion.objects.none()
    qs = DiagnosticQuestion.objects.filter(firm_id=advisor.firm_id)
    if topic:
        qs = qs.filter(topic=topic)
    if not include_archived:
        qs = qs.live()
    return qs


def question_get_for(*, advisor: User, pk: Any) -> DiagnosticQuestion:
    visible = question_bank(advisor=advisor, include_archived=True)
    return get_visible_or_404(visible, pk, not_found=QUESTION_NOT_FOUND)


def cases_of(*, partner: Partner) -> QuerySet[ClientCase]:
    return partner.client_cases.prefetch_related("questions")


def case_get_for(*, advisor: User, pk: Any) -> ClientCase:
    visible = (
        ClientCase.objects.select_related("partner")
        .prefetch_related("questions")
        .filter(partner__in=visible_partners(advisor))
    )
    return get_visible_or_404(visible, pk, not_found=CASE_NOT_FOUND)


def case_of(*, partner: Partner, pk: Any) -> ClientCase:
    """A case of a partner already fetched through ``partner_get_for``; else Http404."""
    visible = partner.client_cases.select_related("partner").prefetch_related("questions")
    return get_visible_or_404(visible, pk, not_found=CASE_NOT_FOUND)


def answered_count(case: ClientCase) -> int:
    return sum(1 for question in case.questions.all() if question.answer.strip())
