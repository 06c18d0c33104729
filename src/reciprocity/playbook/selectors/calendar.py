"""The calendar feed: the advisor's dated work, from every agenda source that puts its items on
the calendar, as iCalendar events."""

import abc
import datetime as dt
from typing import Any

from django.http import Http404
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.dates import local_day, shifted
from reciprocity.partners.agenda import agenda_sources
from reciprocity.partners.models import PartnerQuerySet
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.playbook import ics
from reciprocity.playbook.models import AdvisorProfile, CalendarFeed, Meeting
from reciprocity.playbook.selectors.meetings import meeting_get_for

FEED_NOT_FOUND = "No calendar feed at this address."


class CalendarSource(abc.ABC):
    """An agenda source whose work also goes on the advisor's calendar feed."""

    @abc.abstractmethod
    def calendar_events(
        self, *, advisor: User, partners: PartnerQuerySet, today: dt.date
    ) -> list[ics.CalendarEvent]:
        """The events of the partners in scope, in a fixed number of queries."""


def meeting_event(
    meeting: Meeting, partner_name: str, message: AdvisorProfile | None
) -> ics.CalendarEvent:
    lines = []
    # The message goes before every meeting: can the partner say it back yet?
    if message is not None and message.has_message:
        lines += [
            f"Whom you help: {message.whom_i_help}",
            f"What is unique about you: {message.what_is_unique}",
            "",
        ]
    if meeting.plan and meeting.plan.purpose:
        lines.append(meeting.plan.purpose)
    lines += [f"- {point.prompt}" for point in meeting.points.all()]
    return ics.CalendarEvent(
        uid=f"meeting-{meeting.pk}@reciprocity",
        summary=f"{meeting.get_kind_display()} with {partner_name}",
        start=meeting.scheduled_for,
        end=shifted(meeting.scheduled_for, dt.timedelta(minutes=meeting.duration_minutes)),
        description="\n".join(lines),
        location=meeting.location,
        category="Meeting",
    )


def calendar_events_for(*, advisor: User, today: dt.date | None = None) -> list[ics.CalendarEvent]:
    """The advisor's dated work on their own partners (like the agenda), from every source on
    the calendar. A fixed number of queries whatever the book's size."""
    today = today or timezone.localdate()
    partners = partners_visible_to(advisor=advisor).filter(owner_id=advisor.pk)
    events = []
    for source in agenda_sources():
        if isinstance(source, CalendarSource):
            events.extend(source.calendar_events(advisor=advisor, partners=partners, today=today))
    return events


def calendar_feed_for_token(token: str, *, today: dt.date | None = None) -> bytes:
    """The ICS body of the feed behind ``token``; Http404 when it is wrong or revoked."""
    if not token or not token.startswith(CalendarFeed.PREFIX):
        raise Http404(FEED_NOT_FOUND)
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(
            key_hash=CalendarFeed.hash_key(token), revoked_at__isnull=True, user__is_active=True
        )
        .first()
    )
    if feed is None:
        raise Http404(FEED_NOT_FOUND)
    return ics.build_calendar(
        name=f"Reciprocity: {feed.user.display_name}",
        events=calendar_events_for(advisor=feed.user, today=today),
        stamp=timezone.now(),
    )


def calendar_feed_of(*, advisor: User) -> CalendarFeed | None:
    """The advisor's live feed, if any (its secret is never shown again)."""
    return CalendarFeed.objects.filter(user_id=advisor.pk, revoked_at__isnull=True).first()


def meeting_ics(*, advisor: User, partner_id: Any, meeting_id: Any) -> tuple[bytes, str]:
    """One meeting as an .ics file to download, and its file name."""
    meeting = meeting_get_for(advisor=advisor, pk=meeting_id, partner_id=partner_id)
    body = ics.build_calendar(
        name=str(meeting),
        events=[
            meeting_event(
                meeting,
                meeting.partner.name,
                AdvisorProfile.objects.filter(user_id=meeting.partner.owner_id).first(),
            )
        ],
        stamp=timezone.now(),
    )
    day = local_day(meeting.scheduled_for)
    return body, f"meeting-{meeting.pk}-{day.isoformat()}.ics"
