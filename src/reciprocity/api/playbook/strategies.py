"""Strategies and opportunities through the API: a partner's strategy and its switches, the
opportunities strategies produce, and each strategy's yield."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from reciprocity.accounts.models import User
from reciprocity.api.auth import current_user
from reciprocity.api.common import ListOperations, RecordOperations, created_for_partner
from reciprocity.api.errors import responses
from reciprocity.api.playbook.common import partner_or_404
from reciprocity.api.playbook.schemas import strategies as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.playbook import models
from reciprocity.playbook.selectors.meetings import meeting_get_for
from reciprocity.playbook.selectors.strategies import (
    opportunities_of,
    opportunity_get_for,
    strategy_history,
    strategy_of,
    strategy_yield,
)
from reciprocity.playbook.services.strategies import (
    opportunity_close,
    opportunity_create,
    opportunity_link_referral,
    opportunity_request_meeting,
    opportunity_unlink_referral,
    strategy_set,
)
from reciprocity.referrals.models import Referral
from reciprocity.referrals.selectors import referral_get_for

partner_strategy = Router(tags=["Strategies"])
partner_opportunities = Router(tags=["Opportunities"])
OPPORTUNITIES = ListOperations(partner_opportunities, "/{id}/opportunities", schemas.Opportunity)
opportunities = Router(tags=["Opportunities"])


OPPORTUNITY = RecordOperations(
    opportunities, schemas.Opportunity, get=opportunity_get_for, record="opportunity"
)


@partner_strategy.get(
    "/{id}/strategy",
    response=responses({200: schemas.PartnerStrategy}),
    summary="Get a partner's referral strategy",
)
def get_strategy(request: HttpRequest, id: RecordId) -> dict[str, Any]:
    """The rung of the influencer referral spectrum run with the partner, and its history."""
    partner = partner_or_404(current_user(request), id)
    strategy = models.Strategy(strategy_of(partner=partner))
    return {
        "strategy": strategy,
        "label": strategy.label,
        "rung": models.STRATEGY_RUNGS[strategy],
        "history": list(strategy_history(partner=partner)),
    }


@partner_strategy.post(
    "/{id}/strategy",
    response=responses({201: schemas.StrategySwitch}),
    summary="Switch a partner's referral strategy",
)
def switch_strategy(
    request: HttpRequest, id: RecordId, payload: schemas.StrategySwitchCreate
) -> Status[models.PartnerStrategy]:
    return created_for_partner(
        request,
        id,
        strategy_set,
        **payload.model_dump(),
    )


@OPPORTUNITIES.listing("List a partner's opportunities")
def list_opportunities(request: HttpRequest, id: RecordId) -> QuerySet[models.Opportunity]:
    """Chances to be introduced to the partner's clients, by the date to ask for the meeting."""
    return opportunities_of(partner=partner_or_404(current_user(request), id))


@OPPORTUNITIES.adding("Add an opportunity")
def create_opportunity(
    request: HttpRequest, id: RecordId, payload: schemas.OpportunityCreate
) -> Status[models.Opportunity]:
    """One that needs no working tool: a client who asked the partner for an advisor, or one met
    at a co-hosted event or joint review (``meeting``)."""
    user = current_user(request)
    partner = partner_or_404(user, id)
    meeting = meeting_get_for(advisor=user, pk=payload.meeting) if payload.meeting else None
    opportunity = opportunity_create(
        partner=partner,
        by=user,
        title=payload.title,
        strategy=payload.strategy,
        proposal=payload.proposal,
        meeting=meeting,
        ask_by=payload.ask_by,
    )
    return Status(201, opportunity_get_for(advisor=user, pk=opportunity.pk))


@opportunities.get(
    "/yield",
    response=responses({200: list[schemas.StrategyYield]}),
    summary="What each strategy produced",
)
def get_strategy_yield(
    request: HttpRequest, filters: Query[schemas.YieldFilters]
) -> list[dict[str, Any]]:
    """Per rung of the referral spectrum, over the partners you can see (or one of them): the
    partners on it, the opportunities it produced, the meetings asked for, those closed as
    referred, every referral received while the strategy was in force (and how many of them are
    linked to an opportunity) and the clients those became."""
    user = current_user(request)
    partner = partner_or_404(user, filters.partner) if filters.partner is not None else None
    return [
        {
            "strategy": row.strategy,
            "label": row.label,
            "rung": row.rung,
            "partners": row.partners,
            "opportunities": row.opportunities,
            "meetings_requested": row.meetings_requested,
            "referred": row.referred,
            "referrals": row.referrals,
            "clients": row.clients,
            "linked": row.linked,
        }
        for row in strategy_yield(advisor=user, partner=partner)
    ]


@OPPORTUNITY.read("Get an opportunity")
def get_opportunity(request: HttpRequest, id: RecordId) -> models.Opportunity:
    return opportunity_get_for(advisor=current_user(request), pk=id)


@OPPORTUNITY.action("/request", "Ask the partner for a meeting with the client")
def request_opportunity_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.OpportunityRequest
) -> models.Opportunity:
    """The ask is a touch with the partner."""
    return OPPORTUNITY.changed(
        request,
        id,
        opportunity_request_meeting,
        **payload.model_dump(),
    )


@OPPORTUNITY.action("/close", "Close an opportunity")
def close_opportunity(
    request: HttpRequest, id: RecordId, payload: schemas.OpportunityClose
) -> models.Opportunity:
    """``referred`` when the client was introduced, ``declined`` otherwise. Referred may name
    the ``referral`` received from the partner that it produced (see the link operation)."""
    user = current_user(request)
    opportunity = opportunity_get_for(advisor=user, pk=id)
    opportunity_close(
        opportunity=opportunity,
        by=user,
        outcome=payload.outcome,
        note=payload.note,
        occurred_at=payload.occurred_at,
        referral=_referral(user, payload.referral) if payload.referral is not None else None,
    )
    return opportunity_get_for(advisor=user, pk=id)


def _referral(user: User, pk: int) -> Referral:
    return referral_get_for(advisor=user, pk=pk)


@OPPORTUNITY.action("/referral", "Link the referral an opportunity produced")
def link_opportunity_referral(
    request: HttpRequest, id: RecordId, payload: schemas.OpportunityLink
) -> models.Opportunity:
    """The referral received from the partner that this opportunity produced: one of kind
    ``referral``, not archived, not linked to another opportunity. An open opportunity becomes
    referred, closed when the referral was received; a referred one just gets the link. A
    declined one cannot be linked. The strategy's yield then counts the referral, and the
    client if it becomes one."""
    user = current_user(request)
    opportunity = opportunity_get_for(advisor=user, pk=id)
    opportunity_link_referral(
        opportunity=opportunity,
        referral=_referral(user, payload.referral),
        by=user,
        note=payload.note,
    )
    return opportunity_get_for(advisor=user, pk=id)


@OPPORTUNITY.action("/referral/unlink", "Unlink an opportunity's referral")
def unlink_opportunity_referral(request: HttpRequest, id: RecordId) -> models.Opportunity:
    """For a link made by mistake: the opportunity stays referred; the history keeps both."""
    return OPPORTUNITY.changed(request, id, opportunity_unlink_referral)
