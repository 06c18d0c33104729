"""The pages that gather every part of the playbook: a partner's playbook panel, and the
playbook's home page."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from reciprocity.partners.models import TouchKind
from reciprocity.playbook.models import (
    OPEN_OPPORTUNITY_STATUSES,
    STRATEGY_RUNGS,
    ConcernStatus,
    Meeting,
    Opportunity,
    Strategy,
)
from reciprocity.playbook.selectors import library as selectors
from reciprocity.playbook.selectors.brief import PartnerBrief, partner_brief
from reciprocity.playbook.selectors.cadences import (
    EffectiveCadence,
    cadence_defaults_of,
    cadences_of,
)
from reciprocity.playbook.selectors.calendar import calendar_feed_of
from reciprocity.playbook.selectors.meetings import meeting_plans_of
from reciprocity.playbook.selectors.message import advisor_profile_of
from reciprocity.playbook.selectors.strategies import (
    opportunities_of,
    referrals_to_link,
    strategy_yield,
)
from reciprocity.playbook.views.common import can_write_partner, is_firm_admin, partner_or_404
from reciprocity.web.http import AuthedRequest, htmx_target, render_region, safe_next

PLAYBOOK = "playbook"


@dataclass(frozen=True)
class PartnerPlaybook:
    """What the playbook panel of a partner page shows."""

    brief: PartnerBrief
    cadences: list[EffectiveCadence]
    meetings: list[Meeting]
    opportunities: list[Opportunity]
    referrals: list[Any]  # received referrals an opportunity closed as referred may link
    concerns: list[Any]
    cases: list[Any]
    strategies: list[tuple[str, str]]
    rung: int

    @property
    def partner(self) -> Any:
        return self.brief.partner


def partner_playbook(
    partner: Any, *, cadences: list[EffectiveCadence] | None = None
) -> PartnerPlaybook:
    """The panel's data in a fixed number of queries, whatever the partner's history.
    ``cadences``: the partner's running cadences, when the page has read them already."""
    brief = partner_brief(partner=partner)
    return PartnerPlaybook(
        brief=brief,
        cadences=cadences_of(partner=partner) if cadences is None else cadences,
        meetings=brief.planned,
        opportunities=list(
            opportunities_of(partner=brief.partner).filter(status__in=OPEN_OPPORTUNITY_STATUSES)[
                :PANEL_LIMIT
            ]
        ),
        referrals=list(referrals_to_link(partner=brief.partner)),
        concerns=list(
            selectors.concerns_of(partner=brief.partner).filter(status=ConcernStatus.OPEN)[
                :PANEL_LIMIT
            ]
        ),
        cases=list(selectors.cases_of(partner=brief.partner)[:PANEL_LIMIT]),
        strategies=[(s.value, s.label) for s in Strategy if s.value != brief.strategy],
        rung=STRATEGY_RUNGS[Strategy(brief.strategy)],
    )


# How many of each kind of record the panel lists; the partner's own pages list them all.
PANEL_LIMIT = 5


def panel_context(
    request: AuthedRequest, partner: Any, *, cadences: list[EffectiveCadence] | None = None
) -> dict[str, Any]:
    return {
        "playbook": partner_playbook(partner, cadences=cadences),
        "partner": partner,
        "is_owner": partner.owner_id == request.user.pk,
        "can_write": can_write_partner(request, partner),
        "touch_kinds": TouchKind.choices,
    }


def panel_or_redirect(request: AuthedRequest, partner: Any, fallback: str = "") -> HttpResponse:
    """After a write from the panel: the panel again (htmx), else back to where it came from."""
    if htmx_target(request) == PLAYBOOK:
        partner = partner_or_404(request, partner.pk)
        return render_region(
            request, "playbook/includes/partner_panel.html", panel_context(request, partner)
        )
    default = fallback or reverse("partner_detail", args=[partner.pk]) + "#playbook"
    return redirect(safe_next(request) or default)


@login_required
@require_GET
def playbook_home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "playbook/home.html",
        {
            "profile": advisor_profile_of(advisor=user),
            "feed": calendar_feed_of(advisor=user),
            "plans": list(meeting_plans_of(advisor=user)),
            "yields": strategy_yield(advisor=user),
            "defaults": list(cadence_defaults_of(advisor=user)),
            "questions": selectors.question_bank(advisor=user).count(),
            "solutions": selectors.solutions_of(advisor=user).count(),
            "is_admin": is_firm_admin(request),
        },
    )
