"""iCalendar output that Outlook, Google Calendar and Apple Calendar subscribe to or import."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import icalendar

from reciprocity.dates import shifted

PRODID = "-//Reciprocity//Referral alliances//EN"
# Subscribers poll at their own pace; this asks them to look at least hourly.
REFRESH = dt.timedelta(hours=1)


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    summary: str
    start: dt.date | dt.datetime  # a date makes an all-day event
    end: dt.date | dt.datetime | None = None
    description: str = ""
    location: str = ""
    category: str = ""


def build_calendar(*, name: str, events: Iterable[CalendarEvent], stamp: dt.datetime) -> bytes:
    # Imported here, not at start-up: the agenda's sources import this module, and every CLI
    # command would otherwise pay for the iCalendar library.
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    stamp = stamp.astimezone(dt.UTC)
    for item in events:
        calendar.add_component(_event(item, stamp))
    return calendar.to_ical()


def _event(item: CalendarEvent, stamp: dt.datetime) -> "icalendar.Event":
    import icalendar

    event = icalendar.Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("summary", item.summary)
    if isinstance(item.start, dt.datetime):
        event.add("dtstart", item.start.astimezone(dt.UTC))
        end = item.end if isinstance(item.end, dt.datetime) else item.start
        event.add("dtend", end.astimezone(dt.UTC))
    else:
        # All-day events end on the next day (the end date is exclusive).
        event.add("dtstart", item.start)
        end_day = item.end if isinstance(item.end, dt.date) else item.start
        event.add("dtend", shifted(end_day, dt.timedelta(days=1)))
        event.add("transp", "TRANSPARENT")
    if item.description:
        event.add("description", item.description)
    if item.location:
        event.add("location", item.location)
    if item.category:
        event.add("categories", [item.category])
    return event
