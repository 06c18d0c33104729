"""Every write of a firm's webhook endpoints, and the outbox the events are written to.

Endpoints are a firm admin's: registered, changed, switched off and on, their secret rotated,
archived (never deleted). ``events_record`` is the sink the domain's events reach, inside the
transaction that made the change: it keeps the event for each endpoint that wants it and asks
the worker to send once that transaction is committed.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reciprocity import events
from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import NOT_FIRM_ADMIN, ensure_can_write, ensure_firm_admin
from reciprocity.integrations.webhooks.addresses import AddressRefused, check_url
from reciprocity.integrations.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_secret,
)
from reciprocity.records import Conflict, lock

# User-facing messages; tests reuse them.
NO_EVENTS = "Choose at least one event."
UNKNOWN_EVENT = "Unknown event {type}: use one of {allowed}."
ARCHIVED_ENDPOINT = "This endpoint is archived; restore it first."
NOT_GIVEN_UP = "Only a delivered or given-up delivery can be sent again; this one is waiting."
SWITCHED_OFF_BY = "Switched off by {name}."

# After a rotation, the old secret signs too for this long.
ROTATION_OVERLAP = dt.timedelta(hours=24)


def _clean_events(wanted: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(wanted or []))
    if not chosen:
        raise ValidationError({"events": NO_EVENTS})
    for kind in chosen:
        if kind not in events.TYPES:
            allowed = ", ".join(events.TYPES)
            raise ValidationError({"events": UNKNOWN_EVENT.format(type=kind, allowed=allowed)})
    return chosen


def _clean_url(url: str) -> str:
    try:
        check_url(url)
    except AddressRefused as refused:
        raise ValidationError({"url": str(refused)}) from None
    return url.strip()


def _ensure_admin_of(endpoint: WebhookEndpoint, by: User) -> None:
    ensure_firm_admin(by)
    ensure_can_write(by)
    if by.firm_id != endpoint.firm_id:
        raise PermissionDenied(NOT_FIRM_ADMIN)  # never reached through the selectors


@transaction.atomic
def webhook_endpoint_create(
    *, by: User, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    """Register an endpoint of the admin's firm; it is given a new secret."""
    ensure_firm_admin(by)
    ensure_can_write(by)
    assert by.firm_id is not None  # a firm admin has a firm
    endpoint = WebhookEndpoint(
        firm_id=by.firm_id,
        url=_clean_url(url),
        events=_clean_events(events),
        description=(description or "").strip(),
        secret=new_secret(),
        created_by=by,
    )
    endpoint.full_clean(exclude=["firm", "created_by"])
    attribute(endpoint, by).save()
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    by: User,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; switching an endpoint on again clears why it was off."""
    _ensure_admin_of(endpoint, by)
    locked = lock(endpoint)
    if locked.archived_at is not None:
        raise ValidationError(ARCHIVED_ENDPOINT)
    if url is not None:
        locked.url = _clean_url(url)
    if events is not None:
        locked.events = _clean_events(events)
    if description is not None:
        locked.description = description.strip()
    if active is True and not locked.active:
        locked.active, locked.disabled_at, locked.disabled_reason = True, None, ""
        locked.failing_since = None
    elif active is False and locked.active:
        locked.active, locked.disabled_at = False, timezone.now()
        locked.disabled_reason = SWITCHED_OFF_BY.format(name=by.display_name)
    locked.full_clean(exclude=["firm", "created_by"])
    attribute(locked, by).save()
    return locked


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by: User) -> WebhookEndpoint:
    """A new secret signs from now on; the old one signs too for ROTATION_OVERLAP, so the
    receiver can switch without losing a delivery."""
    _ensure_admin_of(endpoint, by)
    locked = lock(endpoint)
    if locked.archived_at is not None:
        raise ValidationError(ARCHIVED_ENDPOINT)
    locked.previous_secret = locked.secret
    locked.previous_secret_until = timezone.now() + ROTATION_OVERLAP
    locked.secret = new_secret()
    attribute(locked, by).save()
    return locked


@transaction.atomic
def webhook_endpoint_archive(*, endpoint: WebhookEndpoint, by: User) -> WebhookEndpoint:
    """Stop sending to it and put it away; its deliveries stay on record."""
    _ensure_admin_of(endpoint, by)
    locked = lock(endpoint)
    if locked.archived_at is None:
        locked.archived_at = timezone.now()
        locked.active = False
        attribute(locked, by).save()
    return locked


@transaction.atomic
def webhook_delivery_resend(*, delivery: WebhookDelivery, by: User) -> WebhookDelivery:
    """Send a delivered or given-up delivery again, with the same message id (a receiver that
    already has it can tell), and a full round of retries."""
    _ensure_admin_of(delivery.endpoint, by)
    locked = lock(delivery)
    if locked.status == DeliveryStatus.PENDING:
        raise Conflict({"status": NOT_GIVEN_UP})
    locked.status = DeliveryStatus.PENDING
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.leased_until = None
    locked.resent_by = by
    locked.save()
    _send_after_commit()
    return locked


# --- The outbox -----------------------------------------------------------------------------


def _send_after_commit() -> None:
    from reciprocity.integrations.webhooks.tasks import webhooks_send_soon

    transaction.on_commit(webhooks_send_soon)


def events_record(batch: Sequence[events.Event]) -> list[WebhookEvent]:
    """Keep each event of ``batch`` for every live endpoint of its firm that wants it (nothing
    when none does), in the caller's transaction; the worker sends them once that is committed.

    A batch costs a constant number of statements whatever its length (the endpoints, then the
    events and their deliveries inserted in bulk); an event told once only (``once``) is
    written on its own, so that one told already is skipped."""
    firm_ids = {event.firm_id for event in batch}
    wanting: dict[tuple[int, str], list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in (
        WebhookEndpoint.objects.live()
        .filter(firm_id__in=firm_ids, active=True)
        .only("pk", "firm_id", "events")
    ):
        for kind in endpoint.events:
            wanting[endpoint.firm_id, kind].append(endpoint)
    kept = [event for event in batch if wanting.get((event.firm_id, event.type))]
    if not kept:
        return []
    now = timezone.now()
    records: list[WebhookEvent] = []
    plain: list[WebhookEvent] = []
    for event in kept:
        record = WebhookEvent(
            firm_id=event.firm_id,
            type=event.type,
            subject=event.subject,
            payload=event.payload,
            once=event.once,
            created_at=now,
        )
        if not event.once:
            plain.append(record)
            records.append(record)
            continue
        # The bulk insert below comes after: ids stay in the order the events happened.
        WebhookEvent.objects.bulk_create(plain)
        plain = []
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            continue  # told already
        records.append(record)
    WebhookEvent.objects.bulk_create(plain)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint, event=record, subject=record.subject, next_attempt_at=now
        )
        for record in records
        for endpoint in wanting[record.firm_id, record.type]
    )
    if records:
        _send_after_commit()
    return records
