"""Agreements through the API: list, write, read, end."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from reciprocity.api.auth import current_user
from reciprocity.api.common import RecordOperations
from reciprocity.api.errors import responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.playbook.common import partner_or_404
from reciprocity.api.playbook.schemas import agreements as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.playbook import models
from reciprocity.playbook.selectors.agreements import agreement_get_for, agreements_for
from reciprocity.playbook.selectors.meetings import meeting_get_for
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create, agreement_end

agreements = Router(tags=["Agreements"])
AGREEMENT = RecordOperations(
    agreements, schemas.Agreement, get=agreement_get_for, record="agreement"
)


@agreements.get(
    "",
    response=responses({200: list[schemas.Agreement]}, not_found=False),
    summary="List agreements",
)
@paginate(Pagination)
def list_agreements(
    request: HttpRequest, filters: Query[schemas.AgreementFilters]
) -> QuerySet[models.Agreement]:
    """Agreements with the partners you can see, newest first, the ended and replaced ones too."""
    return agreements_for(
        advisor=current_user(request), partner_id=filters.partner, status=filters.status
    )


@agreements.post(
    "",
    response=responses({201: schemas.Agreement}),
    summary="Record an agreement",
)
def create_agreement(
    request: HttpRequest, payload: schemas.AgreementCreate
) -> Status[models.Agreement]:
    """The written partnership: it replaces the partner's active agreement, each promise becomes
    a commitment of its side, and the review becomes your commitment on its date."""
    user = current_user(request)
    partner = partner_or_404(user, payload.partner)
    meeting = meeting_get_for(advisor=user, pk=payload.meeting) if payload.meeting else None
    agreement = agreement_create(
        partner=partner,
        by=user,
        promises=[PromiseInput(p.owner, p.what, p.due) for p in payload.promises],
        referral_process=payload.referral_process,
        next_review=payload.next_review,
        keep_in_touch=payload.keep_in_touch,
        agreed_on=payload.agreed_on,
        meeting=meeting,
        notes=payload.notes,
    )
    return Status(201, agreement_get_for(advisor=user, pk=agreement.pk))


@AGREEMENT.read("Get an agreement")
def get_agreement(request: HttpRequest, id: RecordId) -> models.Agreement:
    return agreement_get_for(advisor=current_user(request), pk=id)


@AGREEMENT.action("/end", "End an agreement")
def end_agreement(
    request: HttpRequest, id: RecordId, payload: schemas.ReasonBody
) -> models.Agreement:
    """The record stays, with its history; its open review is dropped."""
    return AGREEMENT.changed(request, id, agreement_end, reason=payload.reason)
