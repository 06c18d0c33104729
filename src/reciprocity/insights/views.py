"""The dashboard: the advisor's picture of their book, and what has stalled in it."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reciprocity.accounts.models import User
from reciprocity.insights import charts
from reciprocity.insights.diagnoses import PATIENCE_MONTHS, assess
from reciprocity.insights.selectors import picture_for

# ?scope=all widens the picture from the advisor's own partners to every partner they may see;
# ?scope=mine narrows it back. Firm admins and compliance officers rarely own partners, so the
# whole firm is where their picture starts.
SCOPE_ALL = "all"
SCOPE_MINE = "mine"


class AuthedRequest(HttpRequest):
    user: User


def dashboard_context(user: User, *, mine_only: bool) -> dict[str, Any]:
    picture = picture_for(advisor=user, mine_only=mine_only)
    assessment = assess(advisor=user, mine_only=mine_only, today=picture.today)
    return {
        "picture": picture,
        "diagnoses": assessment.diagnoses,
        "too_early": assessment.too_early,
        "patience_months": PATIENCE_MONTHS,
        "stage_chart": charts.stage_chart(picture.pipeline),
        "referral_chart": charts.referral_chart(picture.months),
        "chart_width": charts.WIDTH,
        "chart_height": charts.HEIGHT,
        "mine_only": mine_only,
        "can_write": not user.is_read_only,
    }


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    scope = request.GET.get("scope")
    if scope not in (SCOPE_ALL, SCOPE_MINE):
        scope = SCOPE_ALL if request.user.sees_whole_firm else SCOPE_MINE
    mine_only = scope == SCOPE_MINE
    context = dashboard_context(request.user, mine_only=mine_only)
    return render(request, "insights/dashboard.html", context)
