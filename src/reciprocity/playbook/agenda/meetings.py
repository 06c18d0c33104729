"""Planned meetings on the agenda: prepare them on the day, record them once held."""

import datetime as dt
from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import reverse

from reciprocity.accounts.models import User
from reciprocity.dates import day_start, local_day
from reciprocity.partners.agenda import (
    AgendaItem,
    AgendaQuery,
    Completion,
    Controls,
    RecordSource,
)
from reciprocity.partners.models import Partner, PartnerQuerySet
from reciprocity.playbook import ics
from reciprocity.playbook.models import Meeting, MeetingStatus
from reciprocity.playbook.selectors.calendar import CalendarSource, meeting_event
from reciprocity.playbook.selectors.meetings import meeting_get_for
from reciprocity.playbook.selectors.message import advisor_profile_of
from reciprocity.playbook.services.meetings import MEETING_AGENDA_SOURCE, meeting_hold

# Held meetings stay in the calendar feed for this long, so last week's meetings do not vanish.
FEED_PAST_MEETING_DAYS = 90


class MeetingSource(CalendarSource, RecordSource[Meeting]):
    """Meetings never recorded pile up: counted and cut in SQL. A meeting's day is its local
    day, so the sections are bounded by local midnights, and its time orders it in the day."""

    model = Meeting
    slug = MEETING_AGENDA_SOURCE
    label = "Meeting"

    def records_due(self, query: AgendaQuery) -> QuerySet[Meeting]:
        return (
            Meeting.objects.filter(
                query.scope.among("partner"),
                status=MeetingStatus.PLANNED,
                scheduled_for__lt=day_start(query.until + dt.timedelta(days=1)),
            )
            .select_related("plan")
            .annotate(partner_name=F("partner__name"))  # all an item shows of the partner
        )

    def item_of(self, record: Meeting, query: AgendaQuery) -> AgendaItem:
        day = local_day(record.scheduled_for)
        verb = "Record what was covered in" if day < query.today else "Prepare"
        name = record.partner_name  # type: ignore[attr-defined]
        return self.item(
            record.partner_id,
            name,
            (record.pk,),
            title=f"{verb} the {record.get_kind_display().lower()} with {name}",
            due=day,
            detail=record.plan.name if record.plan else "",
            object_id=record.pk,
            at=record.scheduled_for,
        )

    def sections(self, query: AgendaQuery) -> tuple[Q, Q]:
        return (
            Q(scheduled_for__lt=day_start(query.today)),
            Q(scheduled_for__lt=day_start(query.today + dt.timedelta(days=1))),
        )

    def order(self) -> list[Any]:
        return [F("scheduled_for").asc()]

    def complete(
        self, *, by: User, partner: Partner, reference: str, options: dict[str, Any]
    ) -> Meeting:
        """Held, which logs the meeting's touch (``occurred_at``, ``summary``)."""
        meeting = meeting_get_for(advisor=by, pk=reference, partner_id=partner.pk)
        return meeting_hold(
            meeting=meeting,
            by=by,
            held_at=options.get("occurred_at"),
            summary=options.get("summary", ""),
        )

    def describe(self, result: Meeting) -> str:
        return f"Held: {result}"

    def completion(self, result: Meeting) -> Completion:
        return Completion(detail=self.describe(result), touch_id=result.touch_id)

    def controls(self, item: AgendaItem, today: dt.date) -> Controls:
        # A meeting is held on its day or later; before, its page is where to prepare it.
        return Controls(
            can_complete=item.due <= today,
            done_label="Held",
            link=reverse("meeting_detail", args=[item.partner_id, item.object_id]),
            link_label="Record" if item.due < today else "Prepare",
        )

    def calendar_events(
        self, *, advisor: User, partners: PartnerQuerySet, today: dt.date
    ) -> list[ics.CalendarEvent]:
        """Planned and recently held meetings at their time, with the plan and the message."""
        since = day_start(today - dt.timedelta(days=FEED_PAST_MEETING_DAYS))
        meetings = (
            Meeting.objects.filter(partner__in=partners, scheduled_for__gte=since)
            .exclude(status=MeetingStatus.CANCELLED)
            .select_related("partner", "plan")
            .prefetch_related("points")
        )
        message = advisor_profile_of(advisor=advisor)
        return [meeting_event(m, m.partner.name, message) for m in meetings]
