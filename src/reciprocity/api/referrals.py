"""Referrals both ways with their status history, the client's consent, the protocol's steps and
the texts drafted for the partner; the firm's reciprocity balance; the firm's protocols.

Views stay thin: selectors read (scoped to the caller, 404 for what they may not see), services
write (403 for a read-only role, ValidationError for bad input).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.models import User
from reciprocity.api.auth import current_user
from reciprocity.api.common import RecordOperations
from reciprocity.api.conditional import guarded
from reciprocity.api.errors import responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.schemas import protocols as protocol_schemas
from reciprocity.api.schemas import referrals as schemas
from reciprocity.api.schemas.balance import AdvisorBalance
from reciprocity.api.schemas.common import RecordId
from reciprocity.partners.models import Profession
from reciprocity.referrals import selectors
from reciprocity.referrals.drafts import EmailDraft, referral_email_draft, referral_memo
from reciprocity.referrals.models import (
    ProtocolTemplate,
    Referral,
    ReferralStatusChange,
    ReferralStep,
    StepSlug,
)
from reciprocity.referrals.services import ledger, steps
from reciprocity.referrals.services import protocols as protocol_services

referrals = Router(tags=["Referrals"])
balance = Router(tags=["Reciprocity balance"])
protocols = Router(tags=["Protocols"])

# User-facing messages; tests reuse them.
ONLY_WHEN_COMPLETING = "Only completing a step takes a date and a summary."


def _referral(user: User, pk: int) -> Referral:
    return selectors.referral_get_for(advisor=user, pk=pk)


REFERRAL = RecordOperations(
    referrals, schemas.Referral, get=selectors.referral_get_for, record="referral"
)


# --- Referrals --------------------------------------------------------------------------------
@referrals.get(
    "",
    response=responses({200: list[schemas.Referral]}, not_found=False),
    summary="List referrals",
)
@paginate(Pagination)
def list_referrals(
    request: HttpRequest, filters: Query[schemas.ReferralFilters]
) -> QuerySet[Referral]:
    """Referrals sent and received with the partners you can see, newest first."""
    chosen = selectors.ReferralFilters(
        partner=filters.partner,
        direction=filters.direction or "",
        kind=filters.kind or "",
        status=filters.status or "",
        state=filters.state or "",
        archived=filters.archived,
        search=filters.q.strip(),
        include_archived=filters.include_archived,
        updated_since=filters.updated_since,
    )
    found = selectors.referral_list(advisor=current_user(request), filters=chosen)
    return selectors.with_steps_and_balance(found)


@referrals.post(
    "",
    response=responses({201: schemas.Referral}, not_found=False),
    summary="Log a referral",
)
@write_required
def create_referral(request: HttpRequest, payload: schemas.ReferralCreate) -> Status[Referral]:
    """A referral or connection sent to or received from a partner. ``occurred_at`` may be in
    the past. A sent referral gets the steps of the firm's protocol for the partner's profession;
    its client may be named only once their consent is recorded (``consent_at``,
    ``consent_method``)."""
    user = current_user(request)
    fields: dict[str, Any] = payload.model_dump()
    referral = ledger.referral_create(
        by=user,
        status=fields.pop("status") or None,
        consent_method=fields.pop("consent_method") or "",
        **fields,
    )
    return Status(201, _referral(user, referral.pk))


@REFERRAL.read("Get a referral")
def get_referral(request: HttpRequest, id: RecordId) -> Referral:
    return _referral(current_user(request), id)


@REFERRAL.update("Update a referral")
def update_referral(
    request: HttpRequest, id: RecordId, payload: schemas.ReferralUpdate
) -> Referral:
    """Change the description, the pre-send answers, the estimate or, with the client's consent,
    their name and contact details."""
    return REFERRAL.changed(
        request, id, ledger.referral_update, **payload.model_dump(exclude_unset=True)
    )


@REFERRAL.action("/archive", "Archive a referral")
def archive_referral(request: HttpRequest, id: RecordId) -> Referral:
    """Archived, never deleted: it leaves the balance but stays on the firm's books."""
    return REFERRAL.changed(request, id, ledger.referral_archive)


@REFERRAL.action("/restore", "Restore an archived referral")
def restore_referral(request: HttpRequest, id: RecordId) -> Referral:
    return REFERRAL.changed(request, id, ledger.referral_restore)


# --- Status -----------------------------------------------------------------------------------
@referrals.get(
    "/{id}/status",
    response=responses({200: list[schemas.ReferralStatusChange]}),
    summary="List a referral's status changes",
)
@paginate(Pagination)
def list_referral_status_changes(
    request: HttpRequest, id: RecordId
) -> QuerySet[ReferralStatusChange]:
    """Every dated move of its status, oldest first, so outcomes are measured."""
    return selectors.status_changes_of(referral=_referral(current_user(request), id))


@referrals.post(
    "/{id}/status",
    response=responses({201: schemas.ReferralStatusChange}),
    summary="Move a referral to another status",
)
def change_referral_status(
    request: HttpRequest, id: RecordId, payload: schemas.ReferralStatusChangeCreate
) -> Status[ReferralStatusChange]:
    """Forward along its lifecycle (``next_statuses`` on the referral), or to a failure with a
    reason."""
    user = current_user(request)
    referral = _referral(user, id)
    with guarded(request, referral):
        change = ledger.referral_change_status(
            referral=referral,
            by=user,
            status=payload.status,
            reason=payload.reason,
            occurred_at=payload.occurred_at,
        )
    return Status(201, change)


# --- Consent ----------------------------------------------------------------------------------
@REFERRAL.action("/consent", "Record the client's consent")
def record_consent(request: HttpRequest, id: RecordId, payload: schemas.ConsentCreate) -> Referral:
    """The client agreed to their name and details being shared (a sent referral); the client's
    name and contact details may come with it. A proposed referral moves to consent_given."""
    return REFERRAL.changed(
        request,
        id,
        ledger.referral_record_consent,
        **payload.model_dump(),
    )


@REFERRAL.action("/consent/withdraw", "Withdraw the client's consent")
def withdraw_consent(request: HttpRequest, id: RecordId) -> Referral:
    """Forgets the consent and the client's name and contact details it allowed."""
    return REFERRAL.changed(request, id, ledger.referral_consent_withdraw)


# --- Steps ------------------------------------------------------------------------------------
@referrals.get(
    "/{id}/steps",
    response=responses({200: list[schemas.ReferralStep]}),
    summary="List a referral's protocol steps",
)
@paginate(Pagination)
def list_referral_steps(request: HttpRequest, id: RecordId) -> QuerySet[ReferralStep]:
    """The checklist for sending it, in order; a received referral has none."""
    return selectors.steps_of(referral=_referral(current_user(request), id))


@referrals.post(
    "/{id}/steps/{slug}",
    response=responses({200: schemas.ReferralStep}),
    summary="Complete, skip or reopen a protocol step",
)
def change_referral_step(
    request: HttpRequest, id: RecordId, slug: StepSlug, payload: schemas.StepChange
) -> ReferralStep:
    """Completing a step logs it as a touch on the partner's timeline; reopening archives that
    touch. Steps may be done in any order. An If-Match is compared with the referral."""
    user = current_user(request)
    referral = _referral(user, id)
    step = selectors.referral_step_get(referral=referral, slug=slug)
    if payload.action != "complete" and (payload.occurred_at or payload.summary):
        field = "occurred_at" if payload.occurred_at else "summary"
        raise ValidationError({field: ONLY_WHEN_COMPLETING})
    with guarded(request, referral):
        if payload.action == "complete":
            return steps.referral_step_complete(
                step=step, by=user, occurred_at=payload.occurred_at, summary=payload.summary
            )
        if payload.action == "skip":
            return steps.referral_step_skip(step=step, by=user)
        return steps.referral_step_reopen(step=step, by=user)


# --- Drafts -----------------------------------------------------------------------------------
@referrals.get(
    "/{id}/memo", response=responses({200: schemas.Memo}), summary="Draft a hypothetical memo"
)
def get_referral_memo(request: HttpRequest, id: RecordId) -> dict[str, str]:
    """The situation described without identifying the client, to share before consent."""
    return {"text": referral_memo(_referral(current_user(request), id))}


@referrals.get(
    "/{id}/email-draft",
    response=responses({200: schemas.EmailDraft}),
    summary="Draft the email to the partner",
)
def get_referral_email_draft(request: HttpRequest, id: RecordId) -> EmailDraft:
    """The protocol's email: notes and next steps. It names the client only with their consent;
    otherwise its body is the hypothetical memo. Nothing is sent."""
    user = current_user(request)
    return referral_email_draft(_referral(user, id), sender=user)


# --- Balance ----------------------------------------------------------------------------------
@balance.get(
    "",
    response=responses({200: list[AdvisorBalance]}, not_found=False),
    summary="The reciprocity balance per advisor",
)
@paginate(Pagination)
def list_reciprocity_balance(request: HttpRequest) -> list[selectors.AdvisorBalance]:
    """Referrals and connections sent and received, all time and in the last 12 months, per
    advisor. Firm admins and compliance see every advisor of the firm; an advisor sees the
    owners of the partners visible to them."""
    return selectors.firm_balance_table(advisor=current_user(request))


# --- Protocols --------------------------------------------------------------------------------
@protocols.get(
    "",
    response=responses({200: list[protocol_schemas.Protocol]}, not_found=False),
    summary="List the firm's referral protocols",
)
@paginate(Pagination)
def list_protocols(request: HttpRequest) -> list[ProtocolTemplate]:
    """The steps for sending a referral, per profession; a new referral copies them."""
    return selectors.protocol_templates_of(advisor=current_user(request))


@protocols.put(
    "/{profession}",
    response=responses({200: protocol_schemas.Protocol}, not_found=False),
    summary="Replace a referral protocol",
)
def update_protocol(
    request: HttpRequest, profession: Profession, payload: protocol_schemas.ProtocolUpdate
) -> ProtocolTemplate:
    """Firm admins only. Referrals already logged keep the steps they were created with."""
    return protocol_services.protocol_template_update(
        by=current_user(request),
        profession=profession,
        steps=[step.model_dump() for step in payload.steps],
    )


@protocols.post(
    "/{profession}/reset",
    response=responses({200: protocol_schemas.Protocol}, not_found=False),
    summary="Reset a referral protocol to the defaults",
)
def reset_protocol(request: HttpRequest, profession: Profession) -> ProtocolTemplate:
    """Firm admins only."""
    return protocol_services.protocol_template_reset(
        by=current_user(request), profession=profession
    )
