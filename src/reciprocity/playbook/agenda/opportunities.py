"""Meeting requests to make on the agenda: each open opportunity by its ask-by day."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet

from reciprocity.accounts.models import User
from reciprocity.partners.agenda import (
    UNKNOWN_AGENDA_ITEM,
    AgendaItem,
    AgendaQuery,
    Completion,
    Controls,
    RecordSource,
)
from reciprocity.partners.models import Partner, TouchKind
from reciprocity.playbook.models import Opportunity, OpportunityStatus
from reciprocity.playbook.selectors.strategies import opportunity_get_for
from reciprocity.playbook.services.strategies import opportunity_request_meeting


class OpportunitySource(RecordSource[Opportunity]):
    """An advisor who lets requests go unmade piles them up: counted and cut in SQL."""

    model = Opportunity
    slug = "opportunity"
    label = "Opportunity"

    def records_due(self, query: AgendaQuery) -> QuerySet[Opportunity]:
        return Opportunity.objects.filter(
            query.scope.among("partner"), status=OpportunityStatus.OPEN, ask_by__lte=query.until
        ).annotate(partner_name=F("partner__name"))  # all an item shows of the partner

    def item_of(self, record: Opportunity, query: AgendaQuery) -> AgendaItem:
        name = record.partner_name  # type: ignore[attr-defined]
        return self.item(
            record.partner_id,
            name,
            (record.pk,),
            title=f"Ask {name} for a meeting with the client: {record.title}",
            due=record.ask_by,
            detail=record.get_strategy_display(),
            object_id=record.pk,
        )

    def sections(self, query: AgendaQuery) -> tuple[Q, Q]:
        return Q(ask_by__lt=query.today), Q(ask_by=query.today)

    def order(self) -> list[Any]:
        return [F("ask_by").asc()]

    def complete(
        self, *, by: User, partner: Partner, reference: str, options: dict[str, Any]
    ) -> Opportunity:
        """The meeting is requested, logged as a touch (a call unless ``touch_kind`` says)."""
        opportunity = opportunity_get_for(advisor=by, pk=reference)
        if opportunity.partner_id != partner.pk:
            raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
        return opportunity_request_meeting(
            opportunity=opportunity,
            by=by,
            touch_kind=options.get("touch_kind") or TouchKind.CALL,
            note=options.get("summary", ""),
            occurred_at=options.get("occurred_at"),
        )

    def describe(self, result: Opportunity) -> str:
        return f"Meeting requested: {result.title}"

    def completion(self, result: Opportunity) -> Completion:
        return Completion(detail=self.describe(result), touch_id=result.request_touch_id)

    def controls(self, item: AgendaItem, today: dt.date) -> Controls:
        return Controls(
            touch_choices=list(TouchKind.choices),
            touch_initial=TouchKind.CALL,
            done_label="Asked",
            link=self.partner_url(item),
        )
