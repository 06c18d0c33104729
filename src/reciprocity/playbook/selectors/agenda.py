"""The agenda: everything due from every source, grouped, with what is snoozed left out."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.partners.selectors import agenda_items, partners_visible_to
from reciprocity.playbook.agenda import (
    Agenda,
    AgendaItem,
    AgendaQuery,
    agenda_sources,
    group_items,
    item_key,
    register_agenda_source,
)
from reciprocity.playbook.models import (
    AgendaSnooze,
    Meeting,
    MeetingStatus,
    Opportunity,
    OpportunityStatus,
)
from reciprocity.playbook.selectors.cadences import CADENCE_TITLES, cadence_items_of


def _commitment_items(query: AgendaQuery) -> list[AgendaItem]:
    # agenda_items counts its horizon from the real today; shift it so ``until`` matches.
    horizon = (query.until - timezone.localdate()).days
    return [
        AgendaItem(
            source="commitment",
            key=item_key("commitment", c.partner_id, c.pk),
            partner_id=c.partner_id,
            partner_name=c.partner.name,
            title=c.what,
            due=c.due,
            owner=c.owner,
            object_id=c.pk,
        )
        for c in agenda_items(
            advisor=query.advisor, horizon_days=horizon, mine_only=query.mine_only
        )
    ]


def _cadence_items(query: AgendaQuery) -> list[AgendaItem]:
    items = []
    for cadence in cadence_items_of(advisor=query.advisor, partners=query.partners):
        assert cadence.due is not None
        if cadence.due > query.until:
            continue
        last = (
            f"last on {timezone.localdate(cadence.last_touch_at):%b %-d, %Y}"
            if cadence.last_touch_at
            else "no touch logged yet"
        )
        items.append(
            AgendaItem(
                source="cadence",
                key=item_key("cadence", cadence.partner_id, cadence.kind, cadence.due.isoformat()),
                partner_id=cadence.partner_id,
                partner_name=cadence.partner_name,
                title=CADENCE_TITLES[cadence.kind].format(name=cadence.partner_name),
                due=cadence.due,
                detail=f"{cadence.description}; {last}.",
            )
        )
    return items


def _opportunity_items(query: AgendaQuery) -> list[AgendaItem]:
    opportunities = Opportunity.objects.filter(
        partner__in=query.partners, status=OpportunityStatus.OPEN, ask_by__lte=query.until
    ).select_related("partner")
    return [
        AgendaItem(
            source="opportunity",
            key=item_key("opportunity", o.partner_id, o.pk),
            partner_id=o.partner_id,
            partner_name=o.partner.name,
            title=f"Ask {o.partner.name} for a meeting with the client: {o.title}",
            due=o.ask_by,
            detail=o.get_strategy_display(),
            object_id=o.pk,
        )
        for o in opportunities
    ]


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _meeting_items(query: AgendaQuery) -> list[AgendaItem]:
    meetings = Meeting.objects.filter(
        partner__in=query.partners,
        status=MeetingStatus.PLANNED,
        scheduled_for__lt=_day_end(query.until),
    ).select_related("partner", "plan")
    items = []
    for m in meetings:
        day = timezone.localdate(m.scheduled_for)
        verb = "Record what was covered in" if day < query.today else "Prepare"
        items.append(
            AgendaItem(
                source="meeting",
                key=item_key("meeting", m.partner_id, m.pk),
                partner_id=m.partner_id,
                partner_name=m.partner.name,
                title=f"{verb} the {m.get_kind_display().lower()} with {m.partner.name}",
                due=day,
                detail=m.plan.name if m.plan else "",
                object_id=m.pk,
                at=m.scheduled_for,
            )
        )
    return items


register_agenda_source("commitment", _commitment_items)


register_agenda_source("cadence", _cadence_items)


register_agenda_source("opportunity", _opportunity_items)


register_agenda_source("meeting", _meeting_items)


def agenda_for(
    advisor: User,
    *,
    today: dt.date | None = None,
    horizon_days: int = 7,
    mine_only: bool = True,
) -> Agenda:
    """Everything due up to ``horizon_days`` ahead, from every source: overdue first, then
    today, then the rest of the week. Snoozed items are left out until their date."""
    today = today or timezone.localdate()
    partners = partners_visible_to(advisor=advisor)
    if mine_only:
        partners = partners.filter(owner_id=advisor.pk)
    query = AgendaQuery(
        advisor=advisor,
        today=today,
        until=today + dt.timedelta(days=horizon_days),
        partners=partners,
        mine_only=mine_only,
    )
    items: list[AgendaItem] = []
    for lister in agenda_sources().values():
        items.extend(lister(query))
    snoozed = set(
        AgendaSnooze.objects.filter(advisor_id=advisor.pk, until__gt=today).values_list(
            "key", flat=True
        )
    )
    return group_items(items, today=today, snoozed_keys=snoozed)


def snoozes_of(*, advisor: User, today: dt.date | None = None) -> QuerySet[AgendaSnooze]:
    today = today or timezone.localdate()
    return AgendaSnooze.objects.filter(advisor_id=advisor.pk, until__gt=today).select_related(
        "partner"
    )
