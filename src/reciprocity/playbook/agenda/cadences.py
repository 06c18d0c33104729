"""Keep-warm touches on the agenda: each cadence of a partner, when it comes due."""

import datetime as dt
from typing import Any

from django.http import Http404

from reciprocity.accounts.models import User
from reciprocity.dates import local_day
from reciprocity.partners.agenda import (
    UNKNOWN_AGENDA_ITEM,
    AgendaItem,
    AgendaQuery,
    AgendaSource,
    Completion,
    Controls,
    Window,
    parse_item_key,
)
from reciprocity.partners.models import Partner, PartnerQuerySet, Touch, TouchKind
from reciprocity.playbook import ics
from reciprocity.playbook.models import CADENCE_COMPLETION_TOUCH, CADENCE_TOUCH_KINDS, CadenceKind
from reciprocity.playbook.selectors.cadence_due import cadence_window
from reciprocity.playbook.selectors.cadences import (
    CADENCE_TITLES,
    cadence_description,
    cadence_items_of,
)
from reciprocity.playbook.selectors.calendar import CalendarSource
from reciprocity.playbook.services.cadences import cadence_complete


class CadenceSource(CalendarSource, AgendaSource[Touch]):
    """Its key ends with the cadence's kind and due date, so a snooze lasts one round."""

    slug = "cadence"
    label = "Keep warm"

    def _item(
        self,
        *,
        partner_id: int,
        partner_name: str,
        kind: str,
        due: dt.date,
        last_touch_at: dt.datetime | None,
        description: str,
    ) -> AgendaItem:
        last = (
            f"last on {local_day(last_touch_at):%b %-d, %Y}"
            if last_touch_at
            else "no touch logged yet"
        )
        return self.item(
            partner_id,
            partner_name,
            (kind, due.isoformat()),
            title=CADENCE_TITLES[kind].format(name=partner_name),
            due=due,
            detail=f"{description}; {last}.",
        )

    def items(self, query: AgendaQuery) -> list[AgendaItem]:
        items = []
        known = query.known.get(self.slug)
        cadences = (
            cadence_items_of(advisor=query.advisor, partners=query.partners)
            if known is None
            else known
        )
        for cadence in cadences:
            assert cadence.due is not None
            if cadence.due > query.until:
                continue
            items.append(
                self._item(
                    partner_id=cadence.partner_id,
                    partner_name=cadence.partner_name,
                    kind=cadence.kind,
                    due=cadence.due,
                    last_touch_at=cadence.last_touch_at,
                    description=cadence.description,
                )
            )
        return items

    def window(self, query: AgendaQuery) -> Window:
        """Counted and cut in SQL when a limit is asked (the due dates computed by the
        database): two queries, whatever the size of the book."""
        if query.limit is None:
            return super().window(query)
        snoozed: dict[str, list[tuple[int, dt.date]]] = {}
        for parsed in map(parse_item_key, query.snoozed_keys):
            if parsed is None or parsed.source != self.slug:
                continue
            kind, _, day = parsed.reference.partition(":")
            try:
                due = dt.date.fromisoformat(day)
            except ValueError:
                continue
            snoozed.setdefault(kind, []).append((parsed.partner_id, due))
        found = cadence_window(
            partners=query.partners,
            firm_ids=[query.advisor.firm_id] if query.advisor.firm_id else [],
            today=query.today,
            until=query.until,
            limit=query.limit,
            snoozed=snoozed,
        )
        return Window(
            items=[
                self._item(
                    partner_id=c.partner_id,
                    partner_name=c.partner_name,
                    kind=c.kind,
                    due=c.due,
                    last_touch_at=c.last_touch_at,
                    description=cadence_description(c.kind, c.interval_months),
                )
                for c in found.cadences
            ],
            counts=found.counts,
            snoozed=found.snoozed,
        )

    def complete(
        self, *, by: User, partner: Partner, reference: str, options: dict[str, Any]
    ) -> Touch:
        """The touch that keeps the cadence's round of the key: one that counts for it
        (``touch_kind``)."""
        kind, _, day = reference.partition(":")
        try:
            due = dt.date.fromisoformat(day)
        except ValueError:
            due = None
        if kind not in CadenceKind.values or due is None:
            raise Http404(UNKNOWN_AGENDA_ITEM)
        return cadence_complete(
            partner=partner,
            by=by,
            kind=kind,
            due=due,
            touch_kind=options.get("touch_kind"),
            summary=options.get("summary", ""),
            occurred_at=options.get("occurred_at"),
        )

    def describe(self, result: Touch) -> str:
        return f"Logged: {result.get_kind_display()} with {result.partner.name}"

    def completion(self, result: Touch) -> Completion:
        return Completion(detail=result.summary, touch_id=result.pk)

    def controls(self, item: AgendaItem, today: dt.date) -> Controls:
        kind = item.key.split(":")[2]
        return Controls(
            touch_choices=[(k, TouchKind(k).label) for k in CADENCE_TOUCH_KINDS.get(kind, ())],
            touch_initial=CADENCE_COMPLETION_TOUCH.get(kind, ""),
            link=self.partner_url(item),
        )

    def calendar_events(
        self, *, advisor: User, partners: PartnerQuerySet, today: dt.date
    ) -> list[ics.CalendarEvent]:
        """Each dated cadence at its next due date, however far ahead."""
        events = []
        for cadence in cadence_items_of(advisor=advisor, partners=partners):
            assert cadence.due is not None
            events.append(
                ics.CalendarEvent(
                    uid=f"cadence-{cadence.partner_id}-{cadence.kind}@reciprocity",
                    summary=CADENCE_TITLES[cadence.kind].format(name=cadence.partner_name),
                    start=cadence.due,
                    description=cadence.description,
                    category="Keep warm",
                )
            )
        return events
