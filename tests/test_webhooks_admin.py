"""A firm admin registers and manages webhook endpoints in the web app and through the API;
nobody else does."""

from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from reciprocity import events
from reciprocity.accounts.services import NOT_FIRM_ADMIN
from reciprocity.integrations.webhooks.addresses import URL_NOT_HTTP, URL_PRIVATE
from reciprocity.integrations.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from reciprocity.integrations.webhooks.services import NOT_GIVEN_UP
from tests.api_client import refused, token_client
from tests.conftest import Cast, client_for
from tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/reciprocity"


def a_delivery(endpoint: WebhookEndpoint, status: str = DeliveryStatus.DELIVERED) -> Any:
    event = WebhookEvent.objects.create(
        firm_id=endpoint.firm_id,
        type=events.TOUCH_LOGGED,
        subject="partner:1",
        payload={"touch": {"summary": "Call"}},
        created_at=timezone.now(),
    )
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        subject=event.subject,
        status=status,
        next_attempt_at=timezone.now(),
        attempts=1,
        last_status_code=200,
    )


# --- API ------------------------------------------------------------------------------------


def test_a_firm_admin_registers_an_endpoint_and_is_given_its_secret(cast: Cast) -> None:
    api = token_client(cast.ada)
    response = api.call(
        "POST", "webhooks", {"url": URL, "events": ["touch.logged"], "description": "CRM"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["touch.logged"]
    assert body["active"] is True
    assert body["created_by"] == cast.ada.pk
    listed = api.call("GET", "webhooks").json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == body["id"]


def test_a_url_that_is_not_http_is_refused_by_the_api_and_nothing_is_saved(cast: Cast) -> None:
    api = token_client(cast.ada)
    response = api.call(
        "POST", "webhooks", {"url": "javascript:alert(1)", "events": ["touch.logged"]}
    )
    refused(response, "url", URL_NOT_HTTP)
    response = api.call("POST", "webhooks", {"url": URL, "events": ["touch.typed"]})
    refused(response, "events")
    assert not WebhookEndpoint.objects.exists()


def test_a_private_address_is_refused_by_the_api_when_not_allowed(cast: Cast) -> None:
    api = token_client(cast.ada)
    with override_settings(WEBHOOKS_ALLOW_PRIVATE=False):
        response = api.call(
            "POST", "webhooks", {"url": "http://192.168.1.10/hook", "events": ["touch.logged"]}
        )
    refused(response, "url", URL_PRIVATE.format(address="192.168.1.10"))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("who", ["alice", "cole"])
def test_only_a_firm_admin_may_list_or_register_endpoints(cast: Cast, who: str) -> None:
    api = token_client(getattr(cast, who))
    assert api.call("GET", "webhooks").status_code == 403
    response = api.call("POST", "webhooks", {"url": URL, "events": ["touch.logged"]})
    assert response.status_code == 403
    # An advisor is told only admins may; a read-only role is refused any write first.
    if who == "alice":
        assert response.json()["detail"] == NOT_FIRM_ADMIN
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_changes_switches_off_rotates_and_archives_an_endpoint(cast: Cast) -> None:
    endpoint = WebhookEndpointFactory(created_by=cast.ada)
    api = token_client(cast.ada)
    changed = api.call(
        "PATCH", f"webhooks/{endpoint.pk}", {"events": ["partner.created"], "active": False}
    ).json()
    assert changed["events"] == ["partner.created"]
    assert changed["active"] is False
    assert changed["disabled_reason"]
    rotated = api.call("POST", f"webhooks/{endpoint.pk}/rotate-secret").json()
    assert rotated["secret"] != endpoint.secret
    archived = api.call("POST", f"webhooks/{endpoint.pk}/archive").json()
    assert archived["archived_at"] is not None
    assert api.call("GET", "webhooks").json()["count"] == 0
    # Every change is in the endpoint's history, the secret never.
    history = WebhookEndpoint.history.filter(id=endpoint.pk)  # type: ignore[attr-defined]
    assert history.count() >= 4
    assert not hasattr(history.first(), "secret")


def test_an_admin_reads_the_deliveries_and_sends_one_again(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    endpoint = WebhookEndpointFactory(created_by=cast.ada)
    delivery = a_delivery(endpoint)
    WebhookAttempt.objects.create(
        delivery=delivery, at=timezone.now(), status_code=200, response_ms=42
    )
    waiting = a_delivery(endpoint, DeliveryStatus.PENDING)
    api = token_client(cast.ada)
    with django_assert_max_num_queries(12):
        listed = api.call("GET", f"webhooks/{endpoint.pk}/deliveries").json()
    assert listed["items"][1]["tries"] == [
        {
            "at": listed["items"][1]["tries"][0]["at"],
            "status_code": 200,
            "response_ms": 42,
            "error": "",
            "by": None,
        }
    ]
    assert [item["id"] for item in listed["items"]] == [waiting.pk, delivery.pk]
    assert listed["items"][1]["type"] == events.TOUCH_LOGGED
    assert listed["items"][1]["event_id"].startswith("msg_")

    again = api.call("POST", f"webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend")
    assert again.status_code == 200
    assert again.json()["status"] == "pending"
    response = api.call("POST", f"webhooks/{endpoint.pk}/deliveries/{waiting.pk}/resend")
    assert response.status_code == 409
    assert NOT_GIVEN_UP in response.json()["detail"]


def test_an_endpoint_of_another_firm_is_not_found(cast: Cast) -> None:
    endpoint = WebhookEndpointFactory(created_by=cast.ada)
    for user in (cast.alice, cast.mallory):
        assert token_client(user).call("GET", f"webhooks/{endpoint.pk}").status_code == 404


# --- Web ------------------------------------------------------------------------------------


def test_the_admin_registers_an_endpoint_on_the_firms_webhooks_page(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    client = client_for(cast.ada)
    response = client.post(
        "/firm/webhooks/", {"url": URL, "events": ["touch.logged", "partner.created"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/firm/webhooks/{endpoint.pk}/"
    assert endpoint.events == ["touch.logged", "partner.created"]
    for _ in range(3):
        a_delivery(endpoint)
    WebhookEndpointFactory(created_by=cast.ada, url="https://other.example.com/")
    with django_assert_max_num_queries(12):
        page = client.get("/firm/webhooks/")
    assert URL in page.content.decode()
    with django_assert_max_num_queries(12):
        page = client.get(f"/firm/webhooks/{endpoint.pk}/")
    html = page.content.decode()
    assert endpoint.secret in html
    assert html.count("Send again") == 3


def test_a_bad_url_on_the_page_is_shown_on_its_field_and_nothing_is_saved(cast: Cast) -> None:
    response = client_for(cast.ada).post(
        "/firm/webhooks/", {"url": "ftp://example.com/", "events": ["touch.logged"]}
    )
    assert response.status_code == 200
    assert URL_NOT_HTTP in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_advisor_is_refused_the_webhooks_page(cast: Cast) -> None:
    assert client_for(cast.alice).get("/firm/webhooks/").status_code == 403
    endpoint = WebhookEndpointFactory(created_by=cast.ada)
    assert client_for(cast.alice).get(f"/firm/webhooks/{endpoint.pk}/").status_code == 404


def test_an_endpoint_switched_off_says_why_on_its_page(cast: Cast) -> None:
    endpoint = WebhookEndpointFactory(
        created_by=cast.ada,
        active=False,
        disabled_at=timezone.now(),
        disabled_reason="Switched off: every delivery failed for a day",
    )
    html = client_for(cast.ada).get(f"/firm/webhooks/{endpoint.pk}/").content.decode()
    assert "every delivery failed for a day" in html
    client_for(cast.ada).post(f"/firm/webhooks/{endpoint.pk}/switch/")
    endpoint.refresh_from_db()
    assert endpoint.active


def test_the_admin_rotates_the_secret_and_sends_a_delivery_again_from_the_page(
    cast: Cast,
) -> None:
    endpoint = WebhookEndpointFactory(created_by=cast.ada)
    delivery = a_delivery(endpoint, DeliveryStatus.FAILED)
    client = client_for(cast.ada)
    client.post(f"/firm/webhooks/{endpoint.pk}/rotate/")
    old = endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.previous_secret == old
    client.post(f"/firm/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend/")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.resent_by == cast.ada
