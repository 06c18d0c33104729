"""The firm admin's webhook pages under /firm/webhooks/: the endpoints, one endpoint with its
secret and recent deliveries, and the actions on it. Other roles get a 403 for the list, and
a 404 for any one endpoint (it is found through the selectors)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from reciprocity.accounts.decorators import firm_admin_required, write_required
from reciprocity.integrations.webhooks import selectors, services
from reciprocity.integrations.webhooks.forms import WebhookEndpointForm
from reciprocity.integrations.webhooks.models import WebhookEndpoint
from reciprocity.web.forms import form_creates, form_saves
from reciprocity.web.http import AuthedRequest, action_taken


@firm_admin_required
@require_http_methods(["GET", "POST"])
def webhooks(request: AuthedRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None, initial={"events": []})
    if request.method == "POST":
        endpoint = form_creates(
            form, lambda data: services.webhook_endpoint_create(by=request.user, **data)
        )
        if endpoint is not None:
            messages.success(request, f"Endpoint added: {endpoint.url}. Copy its secret below.")
            return redirect("webhook_detail", pk=endpoint.pk)
    endpoints = list(selectors.webhook_endpoints_of(admin=request.user))
    return render(request, "integrations/webhooks.html", {"endpoints": endpoints, "form": form})


def _detail(request: AuthedRequest, endpoint: WebhookEndpoint, form: Any) -> HttpResponse:
    deliveries = list(
        selectors.webhook_deliveries_of(endpoint=endpoint)[: selectors.DELIVERIES_SHOWN]
    )
    return render(
        request,
        "integrations/webhook.html",
        {"endpoint": endpoint, "form": form, "deliveries": deliveries},
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    endpoint = selectors.webhook_endpoint_get_for(admin=request.user, pk=pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form_saves(
        form,
        lambda data: services.webhook_endpoint_update(endpoint=endpoint, by=request.user, **data),
    ):
        messages.success(request, "Endpoint saved.")
        return redirect("webhook_detail", pk=endpoint.pk)
    return _detail(request, endpoint, form)


def _rotate(request: AuthedRequest, endpoint: WebhookEndpoint) -> str:
    services.webhook_endpoint_rotate_secret(endpoint=endpoint, by=request.user)
    return "New secret made; the old one also signs for the next 24 hours."


def _switch(request: AuthedRequest, endpoint: WebhookEndpoint) -> str:
    turned_on = not endpoint.active
    services.webhook_endpoint_update(endpoint=endpoint, by=request.user, active=turned_on)
    return "Endpoint switched on." if turned_on else "Switched off."


def _archive(request: AuthedRequest, endpoint: WebhookEndpoint) -> str:
    services.webhook_endpoint_archive(endpoint=endpoint, by=request.user)
    return f"Endpoint archived: {endpoint.url}."


@dataclass(frozen=True)
class EndpointAction:
    """A button on an endpoint's page: the service it runs, saying what it did, and the page
    it goes to once done (the endpoint's own when empty)."""

    run: Callable[[AuthedRequest, WebhookEndpoint], str]
    then: str = ""


# The buttons on an endpoint's page, by the name of their route.
ENDPOINT_ACTIONS = {
    "rotate": EndpointAction(_rotate),
    "switch": EndpointAction(_switch),
    "archive": EndpointAction(_archive, then="webhooks"),
}


def _act(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    endpoint = selectors.webhook_endpoint_get_for(admin=request.user, pk=pk)
    button = ENDPOINT_ACTIONS[action]
    if action_taken(request, lambda: button.run(request, endpoint)) and button.then:
        return redirect(button.then)
    return redirect("webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
@write_required
def webhook_rotate(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "rotate")


@login_required
@require_POST
@write_required
def webhook_switch(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "switch")


@login_required
@require_POST
@write_required
def webhook_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "archive")


@login_required
@require_POST
@write_required
def webhook_resend(request: AuthedRequest, pk: int, delivery_pk: int) -> HttpResponse:
    delivery = selectors.webhook_delivery_get_for(
        admin=request.user, endpoint_pk=pk, pk=delivery_pk
    )

    def resend() -> str:
        services.webhook_delivery_resend(delivery=delivery, by=request.user)
        return f"{delivery.event.type} will be sent again in a moment."

    action_taken(request, resend)
    return redirect("webhook_detail", pk=pk)
