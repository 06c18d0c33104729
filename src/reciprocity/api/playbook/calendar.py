"""The calendar feed through the API: its address, a new secret, or none."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from reciprocity.accounts.decorators import write_required
from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.playbook.schemas import calendar as schemas
from reciprocity.playbook.selectors.calendar import calendar_feed_of
from reciprocity.playbook.services.calendar import calendar_feed_create, calendar_feed_revoke

calendar_feed = Router(tags=["Calendar feed"])


@calendar_feed.get(
    "",
    response=responses({200: schemas.CalendarFeed}, not_found=False),
    summary="Get your calendar feed",
)
def get_calendar_feed(request: HttpRequest) -> dict[str, Any]:
    feed = calendar_feed_of(advisor=current_user(request))
    return {
        "live": feed is not None,
        "hint": feed.hint if feed else "",
        "created_at": feed.created_at if feed else None,
    }


@calendar_feed.post(
    "",
    response=responses({201: schemas.CalendarFeedCreated}, not_found=False),
    summary="Create a calendar feed",
)
@write_required
def create_calendar_feed(request: HttpRequest) -> Status[dict[str, Any]]:
    """A private address for your calendar to subscribe to, shown only in this answer; any
    earlier address stops working."""
    user = current_user(request)
    feed, key = calendar_feed_create(by=user)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[key]))
    return Status(201, {"url": url, "hint": feed.hint, "created_at": feed.created_at})


@calendar_feed.post(
    "/revoke",
    response=responses({200: schemas.CalendarFeedRevoked}, not_found=False),
    summary="Stop your calendar feed",
)
@write_required
def revoke_calendar_feed(request: HttpRequest) -> dict[str, int]:
    user = current_user(request)
    return {"revoked": calendar_feed_revoke(by=user)}
