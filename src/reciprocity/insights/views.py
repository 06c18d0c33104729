"""The dashboard: the advisor's picture of their book, and what has stalled in it."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from reciprocity.accounts.models import User
from reciprocity.insights import charts
from reciprocity.insights.diagnoses import PATIENCE_MONTHS, assess
from reciprocity.insights.selectors import mine_only_for, picture_for
from reciprocity.ops.routers import reads_from_replica
from reciprocity.web.http import AuthedRequest

# ?scope=all widens the picture from the advisor's own partners to every partner they may see;
# ?scope=mine narrows it back; without it, mine_only_for decides.
SCOPE_ALL = "all"
SCOPE_MINE = "mine"
SCOPES = {SCOPE_ALL: True, SCOPE_MINE: False}


# The dashboard names the first diagnoses and partners too early to judge, with their counts;
# "more" shows this many more each time, up to the maximum.
DASHBOARD_LIST_LIMIT = 20
DASHBOARD_MAX_SHOWN = 500


def dashboard_context(
    user: User, *, mine_only: bool, shown: int = DASHBOARD_LIST_LIMIT
) -> dict[str, Any]:
    picture = picture_for(advisor=user, mine_only=mine_only)
    assessment = assess(advisor=user, mine_only=mine_only, today=picture.today)
    more = min(shown + DASHBOARD_LIST_LIMIT, DASHBOARD_MAX_SHOWN)
    return {
        "picture": picture,
        "diagnoses": assessment.diagnoses[:shown],
        "diagnoses_count": len(assessment.diagnoses),
        "too_early": assessment.too_early[:shown],
        "too_early_count": len(assessment.too_early),
        "more_shown": more if more > shown else None,
        "patience_months": PATIENCE_MONTHS,
        "stage_chart": charts.stage_chart(picture.pipeline),
        "referral_chart": charts.referral_chart(picture.months),
        "chart_width": charts.WIDTH,
        "chart_height": charts.HEIGHT,
        "mine_only": mine_only,
        "can_write": not user.is_read_only,
    }


@login_required
@reads_from_replica
def dashboard(request: AuthedRequest) -> HttpResponse:
    wide = SCOPES.get(request.GET.get("scope", ""))
    mine_only = mine_only_for(advisor=request.user, wide=wide)
    shown = request.GET.get("shown", "")
    context = dashboard_context(
        request.user,
        mine_only=mine_only,
        shown=min(int(shown), DASHBOARD_MAX_SHOWN)
        if shown.isdigit() and int(shown)
        else DASHBOARD_LIST_LIMIT,
    )
    return render(request, "insights/dashboard.html", context)
