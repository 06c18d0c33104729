"""Bodies of the strategy switch, the strategy yield and opportunities."""

import datetime as dt

from ninja import Field, Schema

from reciprocity.api.playbook.schemas.common import Id
from reciprocity.api.schemas.common import Day, Input, PartnerRef, RecordId, UserRef, When
from reciprocity.partners.models import TouchKind
from reciprocity.playbook import models
from reciprocity.playbook.models import OpportunityStatus, Strategy


class StrategySwitch(Schema):
    id: int
    strategy: Strategy
    started_at: dt.datetime
    note: str
    by: UserRef


class PartnerStrategy(Schema):
    strategy: Strategy
    label: str
    rung: int = Field(description="1 (client-requested) to 5 (joint client work).")
    history: list[StrategySwitch] = Field(description="Every switch, newest first.")


class StrategySwitchCreate(Input):
    strategy: Strategy
    note: str = ""
    occurred_at: When | None = Field(None, description="Defaults to now.")


class Opportunity(Schema):
    id: int
    partner: PartnerRef
    strategy: Strategy
    title: str
    proposal: str
    status: OpportunityStatus
    concern_id: int | None
    solution_id: int | None
    case_id: int | None
    meeting_id: int | None
    ask_by: dt.date
    meeting_requested_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome_note: str
    referral: int | None = Field(description="The received referral it produced, once linked.")
    created_at: dt.datetime

    @staticmethod
    def resolve_referral(obj: models.Opportunity) -> int | None:
        return obj.referral_id


class OpportunityCreate(Input):
    title: str
    strategy: Strategy | None = Field(None, description="Defaults to the partner's current one.")
    proposal: str = ""
    meeting: Id | None = Field(None, description="The co-hosted event or joint review.")
    ask_by: Day | None = Field(None, description="Defaults to a week from today.")


class OpportunityRequest(Input):
    touch_kind: TouchKind = TouchKind.CALL
    note: str = ""
    occurred_at: When | None = None


class OpportunityClose(Input):
    outcome: OpportunityStatus = Field(description="referred or declined.")
    note: str = ""
    occurred_at: When | None = Field(
        None, description="Defaults to now. With a referral, it closes when that was received."
    )
    referral: Id | None = Field(
        None,
        description="When referred: the referral received from the partner that it produced.",
    )


class OpportunityLink(Input):
    referral: Id = Field(
        description="A referral (not a connection) received from the opportunity's partner, "
        "not archived and not linked to another opportunity."
    )
    note: str = ""


class YieldFilters(Schema):
    partner: RecordId | None = Field(None, description="Only this partner's opportunities.")


class StrategyYield(Schema):
    strategy: Strategy
    label: str
    rung: int = Field(description="1 (client-requested) to 5 (joint client work).")
    partners: int = Field(description="Partners currently on this strategy.")
    opportunities: int
    meetings_requested: int
    referred: int = Field(description="Opportunities closed as referred.")
    referrals: int = Field(
        description="Every received referral that came while the strategy was in force with its "
        "partner, linked to an opportunity or not (archived ones not)."
    )
    clients: int = Field(description="Of those referrals, the ones that became clients.")
    linked: int = Field(description="Of those referrals, the ones linked to an opportunity.")
