"""The two calendar URLs (the private feed, one meeting's file) and the feed's settings page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reciprocity.accounts.decorators import posting_requires_write, write_required
from reciprocity.playbook.selectors.calendar import (
    calendar_feed_for_token,
    calendar_feed_of,
    meeting_ics,
)
from reciprocity.playbook.services.calendar import calendar_feed_create, calendar_feed_revoke
from reciprocity.web.http import AuthedRequest

ICS_TYPE = "text/calendar; charset=utf-8"


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed calendars subscribe to; the secret in the URL is the only credential."""
    response = HttpResponse(calendar_feed_for_token(token), content_type=ICS_TYPE)
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = 'inline; filename="reciprocity.ics"'
    return response


@require_GET
@login_required
def meeting_download(request: HttpRequest, partner_id: int, meeting_id: int) -> HttpResponse:
    body, filename = meeting_ics(
        advisor=request.user,  # type: ignore[arg-type]
        partner_id=partner_id,
        meeting_id=meeting_id,
    )
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def playbook_calendar(request: AuthedRequest) -> HttpResponse:
    """The private calendar feed. Its secret URL is shown once, right after it is made."""
    secret_url = ""
    if request.method == "POST":
        _feed, key = calendar_feed_create(by=request.user)
        secret_url = request.build_absolute_uri(reverse("calendar_feed", args=[key]))
        messages.success(request, "New calendar feed: copy its address now.")
    return render(
        request,
        "playbook/calendar.html",
        {
            "feed": calendar_feed_of(advisor=request.user),
            "secret_url": secret_url,
            "can_write": not request.user.is_read_only,
        },
    )


@login_required
@require_POST
@write_required
def playbook_calendar_revoke(request: AuthedRequest) -> HttpResponse:
    stopped = calendar_feed_revoke(by=request.user)
    messages.success(
        request, "Calendar feed stopped." if stopped else "There was no calendar feed to stop."
    )
    return redirect("playbook_calendar")
