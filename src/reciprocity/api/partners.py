"""Partners and what hangs off one partner: its stage history and touches.

Views stay thin: selectors read (scoped to the caller, 404 for what they may not see), services
write (403 for a read-only role, ValidationError for bad input), the API's handlers turn those
into the JSON error shape.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.models import User
from reciprocity.api.auth import current_user
from reciprocity.api.common import changed, created_for_partner
from reciprocity.api.conditional import guarded
from reciprocity.api.errors import responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.schemas import partners as schemas
from reciprocity.api.schemas import transfer as transfer_schemas
from reciprocity.api.schemas.common import Changes, RecordId
from reciprocity.api.schemas.touches import Touch, TouchCreate
from reciprocity.partners import models, selectors, services
from reciprocity.partners.duplicates import partner_duplicates_for
from reciprocity.referrals.selectors import with_balance

partners = Router(tags=["Partners"])
stage = Router(tags=["Stage changes"])
touches = Router(tags=["Touches"])

# User-facing message; tests reuse it.
DUPLICATES_FOUND = (
    "This partner is likely already in the book; nothing was created. Check the duplicates, "
    "or send the request again without check_duplicates to create it anyway."
)
# Profile fields stored as null when unknown; the others are text or choices, blank when empty.
NULLABLE_FIELDS = {"growth_mode", "propensity_to_refer"}


def _partner(user: User, pk: int) -> models.Partner:
    return selectors.partner_get_for(advisor=user, pk=pk)


def _answered(user: User, pk: int) -> models.Partner:
    """The partner as an answer gives it: its referral balance read in the same query."""
    return selectors.partner_get_for(advisor=user, pk=pk, annotate=with_balance)


def _changed(
    request: HttpRequest, pk: int, change: Callable[..., object], **fields: Any
) -> models.Partner:
    return changed(
        request, pk, get=selectors.partner_get_for, change=change, record="partner", **fields
    )


def _profile(fields: dict[str, Any]) -> dict[str, Any]:
    """The API says null for an empty choice; the models store a blank."""
    return {
        name: ""
        if value is None and name in services.PROFILE_FIELDS and name not in NULLABLE_FIELDS
        else value
        for name, value in fields.items()
    }


def chosen(filters: schemas.PartnerFilters) -> selectors.PartnerFilters:
    """The list's filters as the query string gave them (the list and its exports alike)."""
    return selectors.PartnerFilters(
        search=filters.q.strip(),
        stage=filters.stage or "",
        profession=filters.profession or "",
        owner=filters.owner,
        overdue=filters.overdue,
        archived=filters.archived,
        sort=filters.sort,
        include_archived=filters.include_archived,
        updated_since=filters.updated_since,
    )


# --- Partners ---------------------------------------------------------------------------------
@partners.get(
    "", response=responses({200: list[schemas.Partner]}, not_found=False), summary="List partners"
)
@paginate(Pagination)
def list_partners(
    request: HttpRequest, filters: Query[schemas.PartnerFilters]
) -> QuerySet[models.Partner]:
    """Partners you can see, with their next step and reciprocity balance; filter, sort and page
    through them."""
    found = selectors.partner_list(
        advisor=current_user(request), filters=chosen(filters), scored=True
    )
    return with_balance(found.select_related("team").prefetch_related("tags"))


@partners.post(
    "",
    response=responses(
        {201: schemas.Partner, 409: transfer_schemas.DuplicatesFound}, not_found=False
    ),
    summary="Add a partner",
)
@write_required
def create_partner(
    request: HttpRequest,
    payload: schemas.PartnerCreate,
    options: Query[transfer_schemas.CreateOptions],
) -> Status[models.Partner] | Status[transfer_schemas.DuplicatesFound]:
    """Its first stage is recorded like every later one; ``occurred_at`` may be in the past.
    With ``?check_duplicates=true`` a partner with likely duplicates is not created: the answer
    is 409 with them (``GET /partners/duplicates`` asks the same without creating)."""
    user = current_user(request)
    if options.check_duplicates and (
        found := partner_duplicates_for(
            advisor=user,
            name=payload.name,
            organization=payload.organization,
            email=payload.email,
            phone=payload.phone,
        )
    ):
        return Status(
            409,
            transfer_schemas.DuplicatesFound.model_validate(
                {"detail": DUPLICATES_FOUND, "duplicates": found}
            ),
        )
    partner = services.partner_create(by=user, **_profile(payload.model_dump()))
    return Status(201, _answered(user, partner.pk))


@partners.get("/{id}", response=responses({200: schemas.Partner}), summary="Get a partner")
def get_partner(request: HttpRequest, id: RecordId) -> models.Partner:
    return _answered(current_user(request), id)


@partners.patch("/{id}", response=responses({200: schemas.Partner}), summary="Update a partner")
@write_required
def update_partner(
    request: HttpRequest, id: RecordId, payload: schemas.PartnerUpdate
) -> models.Partner:
    """Change profile fields, tags, owner or team. Stage changes go to ``/stage``."""
    user = current_user(request)
    partner = _partner(user, id)
    changes = payload.model_dump(exclude_unset=True)
    with guarded(request, partner):
        updated = services.partner_update(
            partner=partner, by=user, tags=changes.pop("tags", None), **_profile(changes)
        )
    try:
        return _answered(user, id)
    except Http404:
        # Handed to a colleague and no longer shared with the caller: answered as it now is.
        return _answered(updated.owner, id)


@partners.post(
    "/{id}/archive",
    response=responses({200: schemas.Partner}),
    summary="Archive a partner",
)
def archive_partner(request: HttpRequest, id: RecordId) -> models.Partner:
    """Archived, never deleted: the record and its history stay for the firm's books."""
    return _changed(request, id, services.partner_archive)


@partners.post(
    "/{id}/restore",
    response=responses({200: schemas.Partner}),
    summary="Restore an archived partner",
)
def restore_partner(request: HttpRequest, id: RecordId) -> models.Partner:
    return _changed(request, id, services.partner_restore)


# --- Stage ------------------------------------------------------------------------------------
@stage.get(
    "/{id}/stage",
    response=responses({200: list[schemas.StageChange]}),
    summary="List a partner's stage changes",
)
@paginate(Pagination)
def list_stage_changes(request: HttpRequest, id: RecordId) -> QuerySet[models.StageChange]:
    """Every move in the pipeline, newest first, so time in stage can be measured."""
    return selectors.stage_changes_of(partner=_partner(current_user(request), id))


@stage.post(
    "/{id}/stage",
    response=responses({201: schemas.StageChange}),
    summary="Move a partner to another stage",
)
def change_stage(
    request: HttpRequest, id: RecordId, payload: schemas.StageChangeCreate
) -> Status[models.StageChange]:
    """Retired needs a reason from the three failure reasons (or other). Qualified asks the
    three qualification questions: a profile that fails one is refused (422) unless
    `qualify_anyway`."""
    return created_for_partner(
        request,
        id,
        services.partner_change_stage,
        stage=payload.stage,
        reason=payload.reason or "",
        note=payload.note,
        occurred_at=payload.occurred_at,
        answers=payload.answers.model_dump(exclude_unset=True) if payload.answers else None,
        qualify_anyway=payload.qualify_anyway,
    )


# --- Touches ----------------------------------------------------------------------------------
@touches.get(
    "/{id}/touches",
    response=responses({200: list[Touch]}),
    summary="List a partner's touches",
)
@paginate(Pagination)
def list_touches(
    request: HttpRequest, id: RecordId, changes: Query[Changes]
) -> QuerySet[models.Touch]:
    """Logged contacts, newest first; the partner's ``touch_count`` counts these."""
    return selectors.touches_of(
        partner=_partner(current_user(request), id),
        include_archived=changes.include_archived,
        updated_since=changes.updated_since,
    )


@touches.post(
    "/{id}/touches",
    response=responses({201: Touch}),
    summary="Log a touch",
)
def log_touch(request: HttpRequest, id: RecordId, payload: TouchCreate) -> Status[models.Touch]:
    """A call, email, meeting… with the partner; ``occurred_at`` defaults to now."""
    return created_for_partner(
        request,
        id,
        services.touch_log,
        **payload.model_dump(),
    )
