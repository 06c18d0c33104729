"""The agenda: everything due from every registered source, grouped, with what is snoozed left
out."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.partners.agenda import Agenda, AgendaItem, AgendaQuery, agenda_sources, group_items
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.playbook.models import AgendaSnooze


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
    for source in agenda_sources():
        items.extend(source.items(query))
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
