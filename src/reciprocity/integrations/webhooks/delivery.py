"""Sending: the worker posts each waiting delivery, signed as Standard Webhooks says, and
logs what the endpoint answered.

A delivery is sent when it is due, nobody else is sending it, and no earlier event about the
same subject (a partner) is still waiting for that endpoint: a partner's events arrive in order.
A failure is tried again after RETRY_AFTER[n] (about a day in all), then given up. An endpoint
that has failed without a single success for FAILING_LIMIT is switched off, and the firm's
admins are told by email (its page says so too).
"""

import datetime as dt
import json
import logging
import time

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from reciprocity.accounts.models import Role, User
from reciprocity.integrations.webhooks.addresses import AddressRefused, post
from reciprocity.integrations.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)

# Waits before the 2nd, 3rd… try; after the last one fails the delivery is given up.
RETRY_AFTER = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
)
FAILING_LIMIT = dt.timedelta(days=1)
USER_AGENT = "Reciprocity-Webhooks/1"
ERROR_STATUS = "The endpoint answered {status}."
ERROR_TIMEOUT = "The endpoint did not answer within {seconds:g} seconds."
ERROR_CONNECTION = "Could not connect: {error}"
DISABLED_REASON = "Switched off on {date}: every delivery failed for a day (last: {error})"
DISABLED_SUBJECT = "A webhook endpoint was switched off"
DISABLED_BODY = (
    "The webhook endpoint {url} of {firm} failed every delivery for a day, so it was switched "
    "off. Last error: {error}\n\nOnce it answers again, switch it back on: {link}\n"
)
# How many deliveries one run sends at most before handing over to the next run.
BATCH = 200


def message_body(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    document = {
        "type": event.type,
        "timestamp": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def signed_headers(delivery: WebhookDelivery, body: bytes, now: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers: id, timestamp, and one signature per live secret."""
    message_id = delivery.event.message_id
    signatures = [
        Webhook(secret).sign(msg_id=message_id, timestamp=now, data=body)
        for secret in delivery.endpoint.signing_secrets(now)
    ]
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def _due(now: dt.datetime) -> QuerySet[WebhookDelivery]:
    earlier_waiting = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        subject=OuterRef("subject"),
        status=DeliveryStatus.PENDING,
        event_id__lt=OuterRef("event_id"),
    )
    return (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint__active=True,
            endpoint__archived_at__isnull=True,
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .exclude(Exists(earlier_waiting))
        .order_by("event_id", "pk")
    )


def _claim(now: dt.datetime) -> WebhookDelivery | None:
    """The next due delivery, held for this worker (a conditional update: of two workers
    claiming the same one, one wins)."""
    lease = now + dt.timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS * 3 + 30)
    for candidate in _due(now).values_list("pk", flat=True)[:20]:
        claimed = (
            WebhookDelivery.objects.filter(pk=candidate, status=DeliveryStatus.PENDING)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .update(leased_until=lease)
        )
        if claimed:
            return WebhookDelivery.objects.select_related("event", "endpoint__firm").get(
                pk=candidate
            )
    return None


def _send(delivery: WebhookDelivery) -> tuple[int | None, int | None, str]:
    """(status code, response time in ms, error) of one try, signed as of the clock's now (a
    receiver refuses a timestamp more than a few minutes off)."""
    body = message_body(delivery)
    headers = signed_headers(delivery, body, timezone.now())
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
    started = time.monotonic()
    try:
        answer = post(delivery.endpoint.url, body=body, headers=headers, timeout=timeout)
    except AddressRefused as refused:
        return None, None, str(refused)
    except TimeoutError:
        return None, None, ERROR_TIMEOUT.format(seconds=timeout)
    except OSError as error:
        return None, None, ERROR_CONNECTION.format(error=error)[:500]
    elapsed = int((time.monotonic() - started) * 1000)
    problem = "" if 200 <= answer.status < 300 else ERROR_STATUS.format(status=answer.status)
    return answer.status, elapsed, problem


def webhook_delivery_attempt(
    *, delivery: WebhookDelivery, now: dt.datetime | None = None
) -> WebhookAttempt:
    """Send a claimed delivery once and record what happened."""
    now = now or timezone.now()
    status, elapsed, error = _send(delivery)
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        attempt = WebhookAttempt.objects.create(
            delivery=locked,
            at=now,
            status_code=status,
            response_ms=elapsed,
            error=error,
            by_id=locked.resent_by_id,
        )
        locked.attempts += 1
        locked.last_status_code, locked.last_response_ms, locked.last_error = status, elapsed, error
        locked.leased_until, locked.resent_by = None, None
        if not error:
            locked.status, locked.delivered_at = DeliveryStatus.DELIVERED, now
        elif locked.attempts > len(RETRY_AFTER):
            locked.status = DeliveryStatus.FAILED
        else:
            locked.next_attempt_at = now + RETRY_AFTER[locked.attempts - 1]
        locked.save()
        _endpoint_health(locked.endpoint_id, failed=bool(error), error=error, now=now)
    return attempt


def _endpoint_health(endpoint_id: int, *, failed: bool, error: str, now: dt.datetime) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if not failed:
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since", "updated_at"])
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since", "updated_at"])
        return
    if endpoint.active and now - endpoint.failing_since >= FAILING_LIMIT:
        endpoint.active, endpoint.disabled_at = False, now
        endpoint.disabled_reason = DISABLED_REASON.format(
            date=timezone.localdate(now).isoformat(), error=error
        )[:300]
        endpoint.save()  # the history names the system as who switched it off
        transaction.on_commit(lambda: _tell_admins(endpoint, error))
        log.warning("Webhook endpoint %s switched off after a day of failures.", endpoint.pk)


def _tell_admins(endpoint: WebhookEndpoint, error: str) -> None:
    admins = User.objects.filter(firm_id=endpoint.firm_id, role=Role.FIRM_ADMIN, is_active=True)
    recipients = sorted({admin.email for admin in admins if admin.email})
    if not recipients:
        return
    send_mail(
        DISABLED_SUBJECT,
        DISABLED_BODY.format(
            url=endpoint.url,
            firm=endpoint.firm.name,
            error=error,
            link=f"{settings.RECIPROCITY_SITE_URL}/firm/webhooks/{endpoint.pk}/",
        ),
        settings.DEFAULT_FROM_EMAIL,
        recipients,
    )


def webhooks_send_due(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Send every due delivery (up to ``limit``); how many were tried."""
    sent = 0
    while sent < limit:
        moment = now or timezone.now()
        delivery = _claim(moment)
        if delivery is None:
            break
        webhook_delivery_attempt(delivery=delivery, now=moment)
        sent += 1
    return sent


def next_due_at() -> dt.datetime | None:
    """When the next waiting delivery (of a live endpoint) is due, if any waits."""
    first = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            endpoint__active=True,
            endpoint__archived_at__isnull=True,
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return first
