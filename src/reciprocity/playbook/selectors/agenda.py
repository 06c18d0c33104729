"""The agenda: everything due from every registered source, grouped, with what is snoozed left
out."""

import datetime as dt
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.partners.agenda import (
    Agenda,
    AgendaItem,
    AgendaQuery,
    agenda_sources,
    merge_windows,
)
from reciprocity.partners.models import PartnerQuerySet
from reciprocity.partners.scope import PartnerScope
from reciprocity.playbook.models import AgendaSnooze


@dataclass(frozen=True)
class AgendaFilters:
    """Narrow the agenda: one partner, one kind (a source's slug), one owner's partners (among
    those the reader may see; without it, the reader's own)."""

    partner: int | None = None
    kind: str = ""
    owner: int | None = None


def agenda_for(
    advisor: User,
    *,
    today: dt.date | None = None,
    horizon_days: int = 7,
    mine_only: bool = True,
    limit: int | None = None,
    filters: AgendaFilters | None = None,
) -> Agenda:
    """Everything due up to ``horizon_days`` ahead, from every source: overdue first, then
    today, then the rest of the week, each section's first ``limit`` items (all without one)
    with its count. Snoozed items are left out until their date."""
    today = today or timezone.localdate()
    f = filters or AgendaFilters()
    scope = PartnerScope(
        reader=advisor,
        owner=f.owner if f.owner is not None else advisor.pk if mine_only else None,
        ids=None if f.partner is None else (f.partner,),
    )
    # All the sources' statements depend on besides themselves: who reads (the visibility
    # rule's terms), which of their partners, the days and their zone, and the limit.
    reader = PartnerQuerySet.visibility_key(advisor)
    zone = timezone.get_current_timezone_name()
    return _agenda(
        advisor,
        scope,
        today=today,
        horizon_days=horizon_days,
        mine_only=mine_only and f.owner is None,
        limit=limit,
        kind=f.kind,
        key=(*reader, mine_only, f.owner, f.partner, today, horizon_days, zone, limit),
    )


def agenda_lists(
    advisor: User, *, key: str, partner_id: int, horizon_days: int, today: dt.date
) -> bool:
    """Whether the agenda holds the item ``key`` of the partner over the coming
    ``horizon_days`` (snoozed or not): a key that names no item, or one whose date has moved,
    is not on it."""
    if AgendaSnooze.objects.filter(advisor_id=advisor.pk, key=key, until__gt=today).exists():
        return True
    found = agenda_for(
        advisor,
        today=today,
        horizon_days=horizon_days,
        mine_only=False,
        filters=AgendaFilters(partner=partner_id, kind=key.split(":", 1)[0]),
    )
    return any(item.key == key for item in found.items)


def first_items_of_partners(
    advisor: User,
    *,
    partner_ids: Collection[int],
    today: dt.date | None = None,
    known: Mapping[str, Any] | None = None,
) -> dict[int, AgendaItem]:
    """The first item the agenda holds for each of these partners (those of them ``advisor``
    may see, whoever owns them) over the coming week, by partner id: what the agenda would
    have them do first. A constant number of queries whatever the number of partners.
    ``known``: what the caller has read already for them, by source slug (``AgendaQuery``)."""
    today = today or timezone.localdate()
    agenda = _agenda(
        advisor,
        PartnerScope(reader=advisor, ids=partner_ids),
        today=today,
        horizon_days=7,
        mine_only=False,
        first_per_partner=True,
        known=known or {},
    )
    first: dict[int, AgendaItem] = {}
    for item in agenda.items:  # in the agenda's order
        first.setdefault(item.partner_id, item)
    return first


def _agenda(
    advisor: User,
    scope: PartnerScope,
    *,
    today: dt.date,
    horizon_days: int,
    mine_only: bool,
    limit: int | None = None,
    kind: str = "",
    first_per_partner: bool = False,
    known: Mapping[str, Any] | None = None,
    key: Hashable | None = None,
) -> Agenda:
    snoozed = frozenset(
        AgendaSnooze.objects.filter(advisor_id=advisor.pk, until__gt=today).values_list(
            "key", flat=True
        )
    )
    query = AgendaQuery(
        advisor=advisor,
        today=today,
        until=today + dt.timedelta(days=horizon_days),
        scope=scope,
        mine_only=mine_only,
        limit=limit,
        snoozed_keys=snoozed,
        first_per_partner=first_per_partner,
        known=known or {},
        key=key,
    )
    sources = [source for source in agenda_sources() if not kind or source.slug == kind]
    return merge_windows((source.window(query) for source in sources), today=today, limit=limit)


def snoozes_of(*, advisor: User, today: dt.date | None = None) -> QuerySet[AgendaSnooze]:
    today = today or timezone.localdate()
    return AgendaSnooze.objects.filter(advisor_id=advisor.pk, until__gt=today).select_related(
        "partner"
    )
