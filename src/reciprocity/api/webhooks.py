"""A firm's webhook endpoints through the API: firm admins only (another role is refused the
list with 403; any one endpoint is a 404 to whoever is not an admin of its firm)."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.models import User
from reciprocity.accounts.services import NOT_FIRM_ADMIN
from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.schemas.common import Input, RecordId
from reciprocity.integrations.webhooks import models, selectors, services

webhooks = Router(tags=["Webhooks"])


class WebhookEndpoint(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    secret: str = Field(description="Signs each delivery (Standard Webhooks, `whsec_…`).")
    active: bool
    disabled_at: dt.datetime | None
    disabled_reason: str
    created_by: int
    created_at: dt.datetime
    archived_at: dt.datetime | None

    @staticmethod
    def resolve_created_by(endpoint: models.WebhookEndpoint) -> int:
        return endpoint.created_by_id


class WebhookEndpointCreate(Input):
    url: str = Field(description="An http:// or https:// URL on the internet.")
    events: list[str] = Field(description="The event types wanted, e.g. `touch.logged`.")
    description: str = ""


class WebhookEndpointUpdate(Input):
    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    active: bool | None = Field(None, description="Switch the endpoint off or on again.")


class WebhookAttempt(Schema):
    at: dt.datetime
    status_code: int | None
    response_ms: int | None
    error: str
    by: int | None = Field(description="Who sent it again by hand; null for the worker's tries.")

    @staticmethod
    def resolve_by(attempt: models.WebhookAttempt) -> int | None:
        return attempt.by_id


class WebhookDelivery(Schema):
    id: int
    event_id: str = Field(description="The message id, sent as `webhook-id`.")
    type: str
    status: str = Field(description="`pending`, `delivered` or `failed` (given up).")
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_response_ms: int | None
    last_error: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    payload: dict[str, Any]
    tries: list[WebhookAttempt] = Field(description="Every try, newest first.")

    @staticmethod
    def resolve_tries(delivery: models.WebhookDelivery) -> list[models.WebhookAttempt]:
        return list(delivery.attempt_log.all())

    @staticmethod
    def resolve_event_id(delivery: models.WebhookDelivery) -> str:
        return delivery.event.message_id

    @staticmethod
    def resolve_type(delivery: models.WebhookDelivery) -> str:
        return delivery.event.type

    @staticmethod
    def resolve_next_attempt_at(delivery: models.WebhookDelivery) -> dt.datetime | None:
        return delivery.next_attempt_at if delivery.status == "pending" else None

    @staticmethod
    def resolve_payload(delivery: models.WebhookDelivery) -> dict[str, Any]:
        return dict(delivery.event.payload)


def _admin(request: HttpRequest) -> User:
    user = current_user(request)
    if not user.manages_firm:
        raise PermissionDenied(NOT_FIRM_ADMIN)
    return user


def _endpoint(request: HttpRequest, id: int) -> models.WebhookEndpoint:
    return selectors.webhook_endpoint_get_for(admin=current_user(request), pk=id)


@webhooks.get(
    "",
    response=responses({200: list[WebhookEndpoint]}, not_found=False),
    summary="List the firm's webhook endpoints",
)
@paginate(Pagination)
def list_webhooks(request: HttpRequest) -> QuerySet[models.WebhookEndpoint]:
    """The endpoints of the caller's firm, archived ones left out, oldest first."""
    return selectors.webhook_endpoints_of(admin=_admin(request))


@webhooks.post(
    "",
    response=responses({201: WebhookEndpoint}, not_found=False),
    summary="Register a webhook endpoint",
)
@write_required
def create_webhook(
    request: HttpRequest, payload: WebhookEndpointCreate
) -> Status[models.WebhookEndpoint]:
    """The answer carries the new endpoint's secret: verify each delivery's signature with it."""
    endpoint = services.webhook_endpoint_create(by=_admin(request), **payload.model_dump())
    return Status(201, endpoint)


@webhooks.get("/{id}", response=responses({200: WebhookEndpoint}), summary="Get a webhook endpoint")
def get_webhook(request: HttpRequest, id: RecordId) -> models.WebhookEndpoint:
    return _endpoint(request, id)


@webhooks.patch(
    "/{id}", response=responses({200: WebhookEndpoint}), summary="Update a webhook endpoint"
)
@write_required
def update_webhook(
    request: HttpRequest, id: RecordId, payload: WebhookEndpointUpdate
) -> models.WebhookEndpoint:
    """Change its URL, events or description; ``active`` switches it off, or on again after it
    was switched off (by hand, or after a day of failures)."""
    changes = payload.model_dump(exclude_unset=True)
    return services.webhook_endpoint_update(
        endpoint=_endpoint(request, id), by=current_user(request), **changes
    )


@webhooks.post(
    "/{id}/archive",
    response=responses({200: WebhookEndpoint}),
    summary="Archive a webhook endpoint",
)
@write_required
def archive_webhook(request: HttpRequest, id: RecordId) -> models.WebhookEndpoint:
    """Nothing more is sent to it; it and its deliveries stay on record."""
    return services.webhook_endpoint_archive(
        endpoint=_endpoint(request, id), by=current_user(request)
    )


@webhooks.post(
    "/{id}/rotate-secret",
    response=responses({200: WebhookEndpoint}),
    summary="Rotate a webhook endpoint's secret",
)
@write_required
def rotate_webhook_secret(request: HttpRequest, id: RecordId) -> models.WebhookEndpoint:
    """A new secret signs from now on; for 24 hours the old one signs too (two signatures in
    ``webhook-signature``), so the receiver can switch without losing a delivery."""
    return services.webhook_endpoint_rotate_secret(
        endpoint=_endpoint(request, id), by=current_user(request)
    )


@webhooks.get(
    "/{id}/deliveries",
    response=responses({200: list[WebhookDelivery]}),
    summary="List a webhook endpoint's deliveries",
)
@paginate(Pagination)
def list_webhook_deliveries(request: HttpRequest, id: RecordId) -> QuerySet[models.WebhookDelivery]:
    """Newest event first, each with its status, tries, and the last answer and error."""
    return selectors.webhook_deliveries_of(endpoint=_endpoint(request, id))


@webhooks.post(
    "/{id}/deliveries/{delivery_id}/resend",
    response=responses({200: WebhookDelivery}, conflict=True),
    summary="Send a delivery again",
)
@write_required
def resend_webhook_delivery(
    request: HttpRequest, id: RecordId, delivery_id: RecordId
) -> models.WebhookDelivery:
    """Sent again by the worker in a moment, with the same ``webhook-id``; a delivery still
    waiting is refused."""
    user = current_user(request)
    delivery = selectors.webhook_delivery_get_for(admin=user, endpoint_pk=id, pk=delivery_id)
    services.webhook_delivery_resend(delivery=delivery, by=user)
    return selectors.webhook_delivery_get_for(admin=user, endpoint_pk=id, pk=delivery_id)
