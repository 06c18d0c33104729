"""Commitments: promises by the advisor or the partner, listed and added under their partner,
read and changed (done, dropped) by their own id."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from reciprocity.api.auth import current_user
from reciprocity.api.common import ListOperations, created_for_partner
from reciprocity.api.conditional import guarded
from reciprocity.api.errors import fields_renamed, responses
from reciprocity.api.schemas import commitments as schemas
from reciprocity.api.schemas.common import RecordId, UpdatedSince
from reciprocity.partners import models, selectors, services

partner_commitments = Router(tags=["Commitments"])
COMMITMENTS = ListOperations(partner_commitments, "/{id}/commitments", schemas.Commitment)
commitments = Router(tags=["Commitments"])

# commitment_update names the touch it logs by its own arguments and the touch's fields.
LOG_TOUCH_FIELDS = {
    "touch_kind": "log_touch",
    "kind": "log_touch.kind",
    "summary": "log_touch.summary",
}


@COMMITMENTS.listing("List a partner's commitments")
def list_commitments(
    request: HttpRequest, id: RecordId, changes: Query[UpdatedSince]
) -> QuerySet[models.Commitment]:
    """Open and closed, earliest due first; the earliest open one is the partner's next step.
    Commitments are never archived: done and dropped ones are listed with their status."""
    partner = selectors.partner_get_for(advisor=current_user(request), pk=id)
    return selectors.commitments_of(partner=partner, updated_since=changes.updated_since)


@COMMITMENTS.adding("Add a commitment")
def create_commitment(
    request: HttpRequest, id: RecordId, payload: schemas.CommitmentCreate
) -> Status[models.Commitment]:
    """A promise by the advisor or the partner, with a due date."""
    return created_for_partner(
        request,
        id,
        services.commitment_create,
        answer=selectors.commitment_get_for,
        **payload.model_dump(),
    )


@commitments.get("/{id}", response=responses({200: schemas.Commitment}), summary="Get a commitment")
def get_commitment(request: HttpRequest, id: RecordId) -> models.Commitment:
    return selectors.commitment_get_for(advisor=current_user(request), pk=id)


@commitments.patch(
    "/{id}",
    response=responses({200: schemas.Commitment}, conflict=True),
    summary="Update, complete or drop a commitment",
)
def update_commitment(
    request: HttpRequest, id: RecordId, payload: schemas.CommitmentUpdate
) -> models.Commitment:
    """Only the fields sent change. Completing it (``status: done``) can log a touch at once
    with ``log_touch``."""
    user = current_user(request)
    commitment = selectors.commitment_get_for(advisor=user, pk=id)
    changes = payload.model_dump(exclude_unset=True)
    log_touch = changes.pop("log_touch", None) or {}
    with guarded(request, commitment), fields_renamed(LOG_TOUCH_FIELDS):
        services.commitment_update(
            commitment=commitment,
            by=user,
            what=changes.get("what"),
            owner=changes.get("owner"),
            due=changes.get("due"),
            status=changes.get("status"),
            occurred_at=changes.get("occurred_at"),
            touch_kind=log_touch.get("kind"),
            touch_summary=log_touch.get("summary", ""),
        )
    return selectors.commitment_get_for(advisor=user, pk=id)
