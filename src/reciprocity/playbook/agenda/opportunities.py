"""Meeting requests to make on the agenda: each open opportunity by its ask-by day."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F

from reciprocity.accounts.models import User
from reciprocity.partners.agenda import (
    UNKNOWN_AGENDA_ITEM,
    AgendaItem,
    AgendaQuery,
    AgendaSource,
    Completion,
    Controls,
)
from reciprocity.partners.models import Partner, TouchKind
from reciprocity.playbook.models import Opportunity, OpportunityStatus
from reciprocity.playbook.selectors.strategies import opportunity_get_for
from reciprocity.playbook.services.strategies import opportunity_request_meeting


class OpportunitySource(AgendaSource[Opportunity]):
    slug = "opportunity"
    label = "Opportunity"

    def items(self, query: AgendaQuery) -> list[AgendaItem]:
        opportunities = Opportunity.objects.filter(
            partner__in=query.partners, status=OpportunityStatus.OPEN, ask_by__lte=query.until
        ).annotate(partner_name=F("partner__name"))  # all an item shows of the partner
        return [
            self.item(
                o.partner_id,
                o.partner_name,
                (o.pk,),
                title=f"Ask {o.partner_name} for a meeting with the client: {o.title}",
                due=o.ask_by,
                detail=o.get_strategy_display(),
                object_id=o.pk,
            )
            for o in opportunities
        ]

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
