"""A partner's brief: what to read before every meeting with them."""

from dataclasses import dataclass

from reciprocity.partners.models import Partner
from reciprocity.playbook.models import (
    MEETING_FOR_STAGE,
    AdvisorProfile,
    Agreement,
    Meeting,
    MeetingPlan,
    MeetingStatus,
    MessageCheck,
    Strategy,
)
from reciprocity.playbook.selectors.agreements import agreement_active_for
from reciprocity.playbook.selectors.strategies import strategy_of


@dataclass(frozen=True)
class PartnerBrief:
    """What to read before every meeting with a partner."""

    partner: Partner
    message: AdvisorProfile | None  # the owner's: the partner is the owner's relationship
    can_describe_value: str
    last_check: MessageCheck | None
    strategy: str
    agreement: Agreement | None
    # The first planned meetings (PLANNED_SHOWN), soonest first: the partner's panel lists them.
    planned: list[Meeting]
    plan: MeetingPlan | None

    @property
    def next_meeting(self) -> Meeting | None:
        return self.planned[0] if self.planned else None

    @property
    def strategy_label(self) -> str:
        return Strategy(self.strategy).label

    @property
    def message_missing(self) -> bool:
        return self.message is None or not self.message.has_message


# How many planned meetings a brief holds.
PLANNED_SHOWN = 5


def partner_brief(*, partner: Partner) -> PartnerBrief:
    """The brief of a partner, read for whoever asks (``partner_get_for``)."""
    planned = list(
        Meeting.objects.filter(partner=partner, status=MeetingStatus.PLANNED)
        .select_related("plan")
        .order_by("scheduled_for", "pk")[:PLANNED_SHOWN]
    )
    kind = planned[0].kind if planned else MEETING_FOR_STAGE.get(partner.stage)
    return PartnerBrief(
        partner=partner,
        message=AdvisorProfile.objects.filter(user_id=partner.owner_id).first(),
        can_describe_value=partner.can_describe_value,
        last_check=partner.message_checks.select_related("by").first(),
        strategy=strategy_of(partner=partner),
        agreement=agreement_active_for(partner=partner),
        planned=planned,
        plan=(
            MeetingPlan.objects.filter(firm_id=partner.firm_id, kind=kind)
            .prefetch_related("items")
            .first()
            if kind
            else None
        ),
    )
