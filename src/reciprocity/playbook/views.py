"""The two calendar URLs: they serve iCalendar files, not pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from reciprocity.playbook.selectors import calendar_feed_for_token, meeting_ics

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
