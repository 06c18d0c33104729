"""The pipeline board: the partners by stage, each column's most urgent cards."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from reciprocity.accounts.models import User
from reciprocity.partners import selectors
from reciprocity.partners.advised import next_actions
from reciprocity.partners.forms import (
    BoardFilterForm,
)
from reciprocity.partners.models import (
    CORE_STAGES,
    PIPELINE_STAGES,
    Partner,
    Stage,
)
from reciprocity.partners.scored import with_scores
from reciprocity.partners.views.regions import BOARD
from reciprocity.referrals.selectors import (
    with_referral_counts,
)
from reciprocity.web.http import (
    AuthedRequest,
    htmx_target,
    render_region,
    vary_on_htmx,
)

# The research default: a handful of core partners get the attention they need.
CORE_FOCUS_LIMIT = 7


@dataclass(frozen=True)
class Column:
    stage: Stage
    cards: list[Partner]
    total: int
    list_url: str

    @property
    def capped(self) -> bool:
        return self.total > len(self.cards)


def board_owner(request: AuthedRequest, data: Any) -> User | None:
    """Firm admins (and compliance) may narrow the board to one advisor's partners."""
    if not request.user.sees_whole_firm:
        return None
    form = BoardFilterForm(data, user=request.user)
    return form.cleaned_data.get("owner") if form.is_valid() else None


def board_context(request: AuthedRequest, owner: User | None) -> dict[str, Any]:
    list_url = reverse("partner_list")
    columns = []

    def annotate(cards: QuerySet[Partner]) -> QuerySet[Partner]:
        # The cards' referral counts in the cards' own query, and their scores.
        return with_scores(with_referral_counts(cards), firm_id=request.user.firm_id)

    board = selectors.board_columns(
        advisor=request.user, owner=owner.pk if owner else None, annotate=annotate
    )
    for stage, cards, total in board.columns:
        query = {
            "stage": stage.value,
            "sort": "next_step",
            **({"owner": owner.pk} if owner else {}),
        }
        columns.append(Column(stage, cards, total, f"{list_url}?{urlencode(query)}"))
    by_stage = {column.stage: column for column in columns}
    shown = [partner for column in columns for partner in column.cards]
    actions = next_actions(request.user, [partner.pk for partner in shown])
    core = sum(by_stage[stage].total for stage in CORE_STAGES)
    return {
        "pipeline_columns": [by_stage[stage] for stage in PIPELINE_STAGES],
        "side_columns": [column for column in columns if column.stage not in PIPELINE_STAGES],
        "in_pipeline": sum(by_stage[stage].total for stage in PIPELINE_STAGES),
        "core_count": core,
        "too_many_core": core > CORE_FOCUS_LIMIT,
        "overdue_count": board.overdue,
        "dormant_hints": board.going_quiet,
        "empty": not any(column.total for column in columns),
        "next_actions": actions,
        "owner": owner,
        "can_write": not request.user.is_read_only,
        "board_url": reverse("pipeline") + (f"?{urlencode({'owner': owner.pk})}" if owner else ""),
    }


@login_required
@vary_on_htmx
def pipeline(request: AuthedRequest) -> HttpResponse:
    owner = board_owner(request, request.GET)
    context = board_context(request, owner)
    if htmx_target(request) == BOARD:
        return render_region(request, "partners/pipeline.html#board", context)
    if request.user.sees_whole_firm:
        context["filter_form"] = BoardFilterForm(request.GET or None, user=request.user)
    return render(request, "partners/pipeline.html", context)
