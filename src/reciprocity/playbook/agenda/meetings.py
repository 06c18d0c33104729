"""Planned meetings on the agenda: prepare them on the day, record them once held."""

import datetime as dt
from typing import Any

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.dates import local_day
from reciprocity.partners.agenda import (
    AgendaItem,
    AgendaQuery,
    AgendaSource,
    Completion,
    Controls,
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


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


class MeetingSource(CalendarSource, AgendaSource[Meeting]):
    slug = MEETING_AGENDA_SOURCE
    label = "Meeting"

    def items(self, query: AgendaQuery) -> list[AgendaItem]:
        meetings = (
            Meeting.objects.filter(
                partner__in=query.partners,
                status=MeetingStatus.PLANNED,
                scheduled_for__lt=_day_end(query.until),
            )
            .select_related("plan")
            .annotate(partner_name=F("partner__name"))  # all an item shows of the partner
        )
        items = []
        for m in meetings:
            day = local_day(m.scheduled_for)
            verb = "Record what was covered in" if day < query.today else "Prepare"
            items.append(
                self.item(
                    m.partner_id,
                    m.partner_name,
                    (m.pk,),
                    title=f"{verb} the {m.get_kind_display().lower()} with {m.partner_name}",
                    due=day,
                    detail=m.plan.name if m.plan else "",
                    object_id=m.pk,
                    at=m.scheduled_for,
                )
            )
        return items

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
        since = timezone.make_aware(
            dt.datetime.combine(today - dt.timedelta(days=FEED_PAST_MEETING_DAYS), dt.time.min)
        )
        meetings = (
            Meeting.objects.filter(partner__in=partners, scheduled_for__gte=since)
            .exclude(status=MeetingStatus.CANCELLED)
            .select_related("partner", "plan")
            .prefetch_related("points")
        )
        message = advisor_profile_of(advisor=advisor)
        return [meeting_event(m, m.partner.name, message) for m in meetings]
