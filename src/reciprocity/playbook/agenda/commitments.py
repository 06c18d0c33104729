"""Open commitments on the agenda: the advisor's own promises and those they wait on."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.http import Http404

from reciprocity.accounts.models import User
from reciprocity.partners.agenda import (
    SECTIONS,
    UNKNOWN_AGENDA_ITEM,
    AgendaItem,
    AgendaQuery,
    Completion,
    Controls,
    RecordSource,
    Window,
    section_of,
)
from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    PartnerQuerySet,
    TouchKind,
)
from reciprocity.partners.selectors import agenda_first_due, agenda_items, commitment_get_for
from reciprocity.partners.services import commitment_complete, commitment_update
from reciprocity.playbook import ics
from reciprocity.playbook.selectors.calendar import CalendarSource


class CommitmentSource(CalendarSource, RecordSource[Commitment]):
    model = Commitment
    slug = "commitment"
    label = "Promise"

    def records_due(self, query: AgendaQuery) -> QuerySet[Commitment]:
        return agenda_items(scope=query.scope, until=query.until)

    def item_of(self, record: Commitment, query: AgendaQuery) -> AgendaItem:
        return self.item(
            record.partner_id,
            record.partner_name,  # type: ignore[attr-defined]
            (record.pk,),
            title=record.what,
            due=record.due,
            owner=record.owner,
            object_id=record.pk,
        )

    def sections(self, query: AgendaQuery) -> tuple[Q, Q]:
        return Q(due__lt=query.today), Q(due__lte=query.today)

    def order(self) -> list[Any]:
        return [F("due").asc()]

    def window(self, query: AgendaQuery) -> Window:
        """Each partner's first commitments alone when only those are asked for (the board's
        next best actions), counted as kept."""
        if not query.first_per_partner:
            return super().window(query)
        kept = agenda_first_due(
            scope=query.scope, until=query.until, snoozed=self.snoozed_ids(query)
        )
        items = [self.item_of(record, query) for record in kept]
        counts = dict.fromkeys(SECTIONS, 0)
        for item in items:
            counts[section_of(item.due, query.today)] += 1
        return Window(items=items, counts=counts, snoozed=0)

    def _commitment(self, by: User, partner: Partner, reference: str) -> Commitment:
        commitment = commitment_get_for(advisor=by, pk=reference)
        if commitment.partner_id != partner.pk:
            raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
        return commitment

    def complete(
        self, *, by: User, partner: Partner, reference: str, options: dict[str, Any]
    ) -> Commitment:
        """Done, with a touch when ``touch_kind`` asks for one; refused once it is closed."""
        return commitment_complete(
            commitment=self._commitment(by, partner, reference),
            by=by,
            touch_kind=options.get("touch_kind"),
            touch_summary=options.get("summary", ""),
            occurred_at=options.get("occurred_at"),
        )

    def set_aside(self, *, by: User, partner: Partner, reference: str) -> Commitment:
        """Dropped: it stays on the partner's record, no longer due."""
        commitment = commitment_get_for(advisor=by, pk=reference)
        if commitment.partner_id != partner.pk:
            raise Http404("No commitment with that id.")
        return commitment_update(commitment=commitment, by=by, status=CommitmentStatus.DROPPED)

    def describe(self, result: Commitment) -> str:
        return f"Done: {result.what}"

    def describe_set_aside(self, result: Commitment) -> str:
        return f"Dropped: {result.what}"

    def completion(self, result: Commitment) -> Completion:
        return Completion(detail=result.what, touch_id=result.touch_id)

    def badge(self, item: AgendaItem) -> str:
        return "Their promise" if item.owner == CommitmentOwner.PARTNER else "Your promise"

    def owner_note(self, item: AgendaItem) -> str:
        return "Waiting on partner" if item.owner == CommitmentOwner.PARTNER else "Yours"

    def controls(self, item: AgendaItem, today: dt.date) -> Controls:
        return Controls(
            touch_choices=[("", "No touch"), *TouchKind.choices],
            set_aside_label="Drop",
            link=self.partner_url(item),
        )

    def calendar_events(
        self, *, advisor: User, partners: PartnerQuerySet, today: dt.date
    ) -> list[ics.CalendarEvent]:
        """Every open commitment at its due date, whoever owes it, but a retired partner's
        (``agenda_items``)."""
        commitments = Commitment.objects.filter(
            partner__in=partners.not_retired(), status=CommitmentStatus.OPEN
        ).select_related("partner")
        events = []
        for c in commitments.order_by("due", "pk"):
            waiting_on = "" if c.owner == CommitmentOwner.ADVISOR else "Waiting on partner: "
            events.append(
                ics.CalendarEvent(
                    uid=f"commitment-{c.pk}@reciprocity",
                    summary=f"{waiting_on}{c.what} ({c.partner.name})",
                    start=c.due,
                    category="Commitment",
                )
            )
        return events
