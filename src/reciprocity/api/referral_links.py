"""The partner's confirmation links of a sent referral: create one (its URL is in that answer
only), list them with their state, revoke one the partner has not used."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status
from ninja.pagination import paginate

from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.schemas import referral_links as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.referrals import link_selectors, selectors
from reciprocity.referrals.link_models import ReferralLink
from reciprocity.referrals.services import confirmations

referral_links = Router(tags=["Referrals"])


@referral_links.get(
    "/{id}/links",
    response=responses({200: list[schemas.ReferralLink]}),
    summary="List the partner's confirmation links of a referral",
)
@paginate(Pagination)
def list_referral_links(request: HttpRequest, id: RecordId) -> QuerySet[ReferralLink]:
    """Newest first, each with its state: live, answered, revoked or expired."""
    referral = selectors.referral_get_for(advisor=current_user(request), pk=id)
    return link_selectors.links_of(referral=referral)


@referral_links.post(
    "/{id}/links",
    response=responses({201: schemas.ReferralLinkCreated}),
    summary="Create a confirmation link for the partner",
)
def create_referral_link(
    request: HttpRequest, id: RecordId, payload: schemas.ReferralLinkCreate
) -> Status[ReferralLink]:
    """A link for the partner of a sent referral (no account needed) to confirm receipt or
    report the outcome. The answer carries its ``url`` this once: only a hash is kept. An
    earlier unused link of the same purpose stops working."""
    user = current_user(request)
    referral = selectors.referral_get_for(advisor=user, pk=id)
    link, token = confirmations.referral_link_create(
        referral=referral, by=user, purpose=payload.purpose
    )
    # The secret's URL rides on the answer only: it is never stored.
    link.url = request.build_absolute_uri(reverse("partner_link", args=[token]))  # type: ignore[attr-defined]
    return Status(201, link)


@referral_links.post(
    "/{id}/links/{link_id}/revoke",
    response=responses({200: schemas.ReferralLink}),
    summary="Revoke a confirmation link",
)
def revoke_referral_link(request: HttpRequest, id: RecordId, link_id: RecordId) -> ReferralLink:
    """The link stops working; one the partner already used cannot be revoked (422)."""
    user = current_user(request)
    referral = selectors.referral_get_for(advisor=user, pk=id)
    link = link_selectors.referral_link_get(referral=referral, pk=link_id)
    return confirmations.referral_link_revoke(link=link, by=user)
