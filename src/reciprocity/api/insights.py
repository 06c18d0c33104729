"""The diagnoses of stalled alliances through the API (insights.diagnoses has the rules).

A partner named that the caller may not see is a 404, like everywhere else. A diagnosis is
dismissed with a reason, and comes back when its evidence changes.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.schemas import insights as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.insights import services
from reciprocity.insights.diagnoses import (
    Diagnosis,
    DiagnosisSlug,
    Paged,
    assess_paged,
    diagnoses_for,
)
from reciprocity.insights.forms import FunnelForm
from reciprocity.insights.funnel import Funnel, funnel_for
from reciprocity.insights.models import Dismissal
from reciprocity.insights.next_action import next_actions_for
from reciprocity.insights.selectors import funnel_scope, mine_only_for
from reciprocity.partners.advised import NextAction
from reciprocity.partners.selectors import partner_get_for

FUNNEL_OF_OTHERS = "Only firm admins and compliance officers see a team's or an advisor's funnel."
UNKNOWN_FUNNEL_SCOPE = {
    "team": "No team of your firm has that id.",
    "owner": "No advisor of your firm has that id.",
}

diagnoses = Router(tags=["Diagnoses"])
partner_diagnoses = Router(tags=["Diagnoses"])
insights = Router(tags=["Insights"])


def _only(found: list[Diagnosis], slug: str | None) -> list[Diagnosis]:
    return [diagnosis for diagnosis in found if slug is None or diagnosis.slug == slug]


@diagnoses.get("", response=responses({200: list[schemas.Diagnosis]}), summary="List diagnoses")
@paginate(Pagination)
def list_diagnoses(
    request: HttpRequest, filters: Query[schemas.DiagnosisFilters]
) -> Paged[Diagnosis]:
    """Stalled alliances among your partners (in the stages from first meeting to champion),
    each with its evidence and the playbook's answer, and ``too_many_partners`` when more than
    seven of your own partners are in the core stages. Your book's diagnosis first, then the
    most severe, then by partner name. Firm admins and compliance officers start from the whole
    firm, like the dashboard (``all=false`` narrows to their own)."""
    user = current_user(request)
    partner = None
    if filters.partner is not None:
        partner = partner_get_for(advisor=user, pk=filters.partner)
    mine_only = mine_only_for(advisor=user, wide=filters.all)
    found = assess_paged(advisor=user, partner=partner, mine_only=mine_only)
    # Worded by the page: only the slice the pagination reads.
    return found.everything.only(filters.slug)


@partner_diagnoses.get(
    "/{id}/diagnoses",
    response=responses({200: list[schemas.Diagnosis]}),
    summary="List a partner's diagnoses",
)
@paginate(Pagination)
def list_partner_diagnoses(
    request: HttpRequest, id: RecordId, filters: Query[schemas.PartnerDiagnosisFilters]
) -> list[Diagnosis]:
    """Whether the alliance with this partner has stalled, why, and what to do about it."""
    user = current_user(request)
    partner = partner_get_for(advisor=user, pk=id)
    return _only(diagnoses_for(advisor=user, partner=partner), filters.slug)


@partner_diagnoses.get(
    "/{id}/next-action",
    response=responses({200: schemas.NextAction}),
    summary="A partner's next best action",
)
def get_next_action(request: HttpRequest, id: RecordId) -> NextAction:
    """What to do next with this partner, in one sentence: the sentence of the board's card
    and the partner's page, read from the agenda, the diagnoses, the next step and the stage.
    An archived partner is a 404."""
    user = current_user(request)
    partner = partner_get_for(advisor=user, pk=id, include_archived=False)
    return next_actions_for(user, [partner.pk])[partner.pk]


@insights.get(
    "/funnel", response=responses({200: schemas.Funnel}, not_found=False), summary="The funnel"
)
def get_funnel(request: HttpRequest, filters: Query[schemas.FunnelFilters]) -> Funnel:
    """Conversion between pipeline stages, median days in each stage, days from the first
    meeting to the first referral, and the top partners by referrals received in twelve months:
    the dashboard's figures. Scoped like the dashboard (``all``); firm admins and compliance
    officers may draw one team's (``team``) or one advisor's (``owner``), else 403."""
    user = current_user(request)
    mine_only = mine_only_for(advisor=user, wide=filters.all)
    team = owner = None
    if filters.team is not None or filters.owner is not None:
        if not user.sees_whole_firm:
            raise PermissionDenied(FUNNEL_OF_OTHERS)
        form = FunnelForm({"team": filters.team, "owner": filters.owner}, user=user)
        if not form.is_valid():
            raise ValidationError({name: UNKNOWN_FUNNEL_SCOPE[name] for name in form.errors})
        team, owner = form.cleaned_data["team"], form.cleaned_data["owner"]
    return funnel_for(
        partners=funnel_scope(advisor=user, mine_only=mine_only, team=team, owner=owner)
    )


@partner_diagnoses.post(
    "/{id}/diagnoses/{slug}/dismiss",
    response=responses({201: schemas.Dismissal}),
    summary="Dismiss a partner's diagnosis",
)
def dismiss_diagnosis(
    request: HttpRequest, id: RecordId, slug: DiagnosisSlug, payload: schemas.DismissalCreate
) -> Status[Dismissal]:
    """Set the diagnosis aside, with the reason: it is not listed again until its evidence
    changes. The dismissal is kept in the partner's history. 422 when the partner does not
    have that diagnosis now or the reason is empty."""
    user = current_user(request)
    partner = partner_get_for(advisor=user, pk=id)
    dismissal = services.dismissal_create(
        partner=partner, by=user, slug=slug, reason=payload.reason
    )
    return Status(201, dismissal)
