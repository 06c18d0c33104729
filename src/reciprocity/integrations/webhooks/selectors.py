"""Reads of a firm's webhook endpoints and their deliveries: for the firm's admins only; to
anyone else an endpoint is not found."""

from typing import Any

from django.db.models import QuerySet

from reciprocity.accounts.models import User
from reciprocity.ids import get_visible_or_404
from reciprocity.integrations.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
)

NO_ENDPOINT = "No webhook endpoint with that id."
NO_DELIVERY = "No delivery with that id."
DELIVERIES_SHOWN = 50


def webhook_endpoints_of(
    *, admin: User, include_archived: bool = False
) -> QuerySet[WebhookEndpoint]:
    if admin.firm_id is None or not admin.manages_firm:
        return WebhookEndpoint.objects.none()
    endpoints = WebhookEndpoint.objects.filter(firm_id=admin.firm_id).select_related("created_by")
    return endpoints if include_archived else endpoints.live()


def webhook_endpoint_get_for(*, admin: User, pk: Any) -> WebhookEndpoint:
    endpoints = webhook_endpoints_of(admin=admin, include_archived=True)
    return get_visible_or_404(endpoints, pk, not_found=NO_ENDPOINT)


def webhook_deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest event first (the endpoint was read for its admin)."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("attempt_log")
    )


def webhook_delivery_get_for(*, admin: User, endpoint_pk: Any, pk: Any) -> WebhookDelivery:
    endpoint = webhook_endpoint_get_for(admin=admin, pk=endpoint_pk)
    deliveries = webhook_deliveries_of(endpoint=endpoint).select_related("endpoint")
    return get_visible_or_404(deliveries, pk, not_found=NO_DELIVERY)
