"""Writes of the private calendar feed: a new secret, or none."""

import secrets

from django.db import transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.playbook.models import CalendarFeed


@transaction.atomic
def calendar_feed_create(*, by: User) -> tuple[CalendarFeed, str]:
    """A new private feed URL secret; any earlier feed of the user stops working."""
    calendar_feed_revoke(by=by)
    key = CalendarFeed.PREFIX + secrets.token_urlsafe(32)
    feed = attribute(CalendarFeed(user=by, key_hash=CalendarFeed.hash_key(key), hint=key[:10]), by)
    feed.save()
    return feed, key


@transaction.atomic
def calendar_feed_revoke(*, by: User) -> int:
    """Stop every live feed of the user; returns how many were stopped."""
    now = timezone.now()
    live = list(
        CalendarFeed.objects.select_for_update().filter(user_id=by.pk, revoked_at__isnull=True)
    )
    for feed in live:
        feed.revoked_at = now
        attribute(feed, by).save(update_fields=["revoked_at"])
    return len(live)
