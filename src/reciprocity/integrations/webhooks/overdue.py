"""``commitment.overdue``: told once per commitment and due date, by a periodic check of the
worker, for the firms with an endpoint that wants it.

A commitment becomes overdue the day after it was due while still open. The check looks back
LOOK_BACK days (a worker stopped for a while still tells what became overdue meanwhile) but
never before the endpoint existed, so a new endpoint is not flooded with the book's past.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from reciprocity import events
from reciprocity.integrations.webhooks.models import WebhookEndpoint, WebhookEvent
from reciprocity.partners.models import Commitment, CommitmentStatus

LOOK_BACK = dt.timedelta(days=7)


def _listening_since(today: dt.date) -> dict[int, dt.date]:
    """Firm id → the first day to look at, for firms with a live endpoint wanting the event."""
    since: dict[int, dt.date] = {}
    endpoints = (
        WebhookEndpoint.objects.live().filter(active=True).only("firm_id", "events", "created_at")
    )
    for endpoint in endpoints:
        if events.COMMITMENT_OVERDUE not in endpoint.events:
            continue
        first = max(today - LOOK_BACK, timezone.localdate(endpoint.created_at) - dt.timedelta(1))
        since[endpoint.firm_id] = min(since.get(endpoint.firm_id, first), first)
    return since


def commitments_overdue_tell(*, today: dt.date | None = None) -> int:
    """Emit ``commitment.overdue`` for each open commitment that became overdue and was not
    told yet; how many were told."""
    today = today or timezone.localdate()
    told = 0
    for firm_id, since in _listening_since(today).items():
        known = set(
            WebhookEvent.objects.filter(
                firm_id=firm_id,
                type=events.COMMITMENT_OVERDUE,
                created_at__gte=timezone.now() - LOOK_BACK - dt.timedelta(days=2),
            ).values_list("once", flat=True)
        )
        overdue = (
            Commitment.objects.filter(
                partner__firm_id=firm_id,
                partner__archived_at__isnull=True,
                status=CommitmentStatus.OPEN,
                due__lt=today,
                due__gte=since,
            )
            .select_related("partner")
            .order_by("due", "pk")
        )
        for commitment in overdue:
            if f"commitment:{commitment.pk}:{commitment.due.isoformat()}" in known:
                continue
            with transaction.atomic():
                events.commitment_overdue(commitment, commitment.partner)
            told += 1
    return told
