"""Partners and their stage changes."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from reciprocity.api.schemas.common import (
    BlankIsNull,
    Changes,
    Input,
    RecordId,
    TeamRef,
    Text,
    UserRef,
    When,
)
from reciprocity.api.schemas.scores import PartnerScores, scores_json
from reciprocity.partners import models
from reciprocity.partners.models import (
    CanDescribeValue,
    CommitmentOwner,
    ContactMethod,
    FailureReason,
    OrganizationSize,
    Profession,
    Propensity,
    ReferralProcess,
    Stage,
)
from reciprocity.partners.selectors import dormancy_suggested, next_step_of
from reciprocity.referrals.selectors import Balance, balance_for
from reciprocity.referrals.selectors import stage_suggestion as suggest_stage

# The keys of partners.selectors.SORTS (a test keeps them in step).
PartnerSort = Literal[
    "name",
    "-name",
    "stage",
    "-stage",
    "last_touch",
    "-last_touch",
    "touches",
    "-touches",
    "next_step",
    "-next_step",
    "fit",
    "-fit",
    "engagement",
    "-engagement",
    "reciprocity",
    "-reciprocity",
    "yield",
    "-yield",
    "organization",
    "-organization",
]


class StageSuggestion(Schema):
    """A stage the referral flow suggests; never applied automatically."""

    stage: Stage
    reason: str


def _balance(obj: models.Partner) -> Balance:
    """The partner's balance, read once per response: from the ``with_balance`` annotations of a
    list, or in one query for a single partner."""
    cached: Balance | None = getattr(obj, "_api_balance", None)
    if cached is None:
        cached = balance_for(obj)
        obj._api_balance = cached  # type: ignore[attr-defined]
    return cached


def _from_balance(field: str) -> "staticmethod[[models.Partner], Any]":
    """The resolver of a response field read from the partner's balance."""

    def resolve(obj: models.Partner) -> Any:
        return getattr(_balance(obj), field)

    return staticmethod(resolve)


def stage_suggestion_of(partner: models.Partner) -> StageSuggestion | None:
    suggestion = suggest_stage(partner, _balance(partner))
    if suggestion is None:
        return None
    return StageSuggestion(stage=suggestion.stage, reason=suggestion.reason)


class NextStep(Schema):
    """The partner's earliest open commitment."""

    id: int = Field(description="The commitment's id.")
    what: str
    due: dt.date
    owner: CommitmentOwner
    overdue: bool


class Partner(Schema):
    id: int
    name: str
    profession: Profession
    profession_other: str
    organization: str
    organization_size: Annotated[OrganizationSize | None, BlankIsNull]
    specialties: str
    niche: str = Field(description="The clients they serve.")
    growth_mode: bool | None = Field(description="Whether their firm is in growth mode.")
    propensity_to_refer: Propensity | None
    preferred_referral_process: Annotated[ReferralProcess | None, BlankIsNull]
    preferred_contact_method: Annotated[ContactMethod | None, BlankIsNull]
    values: str = Field(description="What they value.")
    can_describe_value: CanDescribeValue = Field(
        description="Whether they can say whom you help and what is unique about you."
    )
    email: str
    phone: str
    website: str
    notes: str
    tags: list[str]
    owner: UserRef
    team: TeamRef | None = Field(description="The team it is shared with.")
    stage: Stage
    stage_changed_at: dt.datetime
    next_step: NextStep | None
    touch_count: int
    last_touch_at: dt.datetime | None
    dormancy_suggested: bool = Field(
        description="No touch for longer than the firm's dormancy window."
    )
    referrals_sent: int = Field(description="Referrals sent to the partner, all time.")
    referrals_received: int = Field(description="Referrals received from the partner, all time.")
    connections_sent: int = Field(description="Connections (introductions) made for the partner.")
    connections_received: int = Field(description="Connections the partner made for you.")
    referrals_sent_12m: int = Field(description="Referrals sent in the last 12 months.")
    referrals_received_12m: int = Field(description="Referrals received in the last 12 months.")
    connections_sent_12m: int = Field(description="Connections made in the last 12 months.")
    connections_received_12m: int = Field(description="Connections received in 12 months.")
    first_referral_received_at: dt.datetime | None = Field(
        description="When the partner's first referral came in."
    )
    stage_suggestion: StageSuggestion | None = Field(
        description="A stage the referrals suggest (never applied automatically)."
    )
    scores: PartnerScores = Field(
        description="Fit, engagement, reciprocity and yield, each 0 to 100 with its parts."
    )
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_scores(obj: models.Partner) -> dict[str, Any]:
        return scores_json(obj)

    @staticmethod
    def resolve_tags(obj: models.Partner) -> list[str]:
        # .all() so a prefetch is used; sorted in Python for the same reason.
        return sorted(tag.name for tag in obj.tags.all())

    @staticmethod
    def resolve_next_step(obj: models.Partner) -> NextStep | None:
        step = next_step_of(obj)
        if step is None:
            return None
        return NextStep(
            id=step.commitment_id,
            what=step.what,
            due=step.due,
            owner=CommitmentOwner(step.owner),
            overdue=step.is_overdue,
        )

    @staticmethod
    def resolve_dormancy_suggested(obj: models.Partner) -> bool:
        return dormancy_suggested(obj)

    resolve_referrals_sent = _from_balance("referrals_sent")
    resolve_referrals_received = _from_balance("referrals_received")
    resolve_connections_sent = _from_balance("connections_sent")
    resolve_connections_received = _from_balance("connections_received")
    resolve_referrals_sent_12m = _from_balance("referrals_sent_12m")
    resolve_referrals_received_12m = _from_balance("referrals_received_12m")
    resolve_connections_sent_12m = _from_balance("connections_sent_12m")
    resolve_connections_received_12m = _from_balance("connections_received_12m")
    resolve_first_referral_received_at = _from_balance("first_referral_received_at")

    @staticmethod
    def resolve_stage_suggestion(obj: models.Partner) -> StageSuggestion | None:
        return stage_suggestion_of(obj)


class PartnerFilters(Changes, Text):
    q: str = Field("", description="Part of the name or organization.")
    stage: Stage | None = None
    profession: Profession | None = None
    owner: RecordId | None = Field(None, description="The owning advisor's id.")
    overdue: bool = Field(
        False, description="Only partners with an overdue commitment (retired ones left out)."
    )
    archived: bool = Field(False, description="Archived partners instead of current ones.")
    sort: PartnerSort = "name"


class PartnerProfile(Input):
    """Profile fields a partner is created or updated with."""

    profession_other: str = ""
    organization: str = ""
    organization_size: OrganizationSize | None = None
    specialties: str = ""
    niche: str = ""
    growth_mode: bool | None = None
    propensity_to_refer: Propensity | None = None
    preferred_referral_process: ReferralProcess | None = None
    preferred_contact_method: ContactMethod | None = None
    values: str = ""
    can_describe_value: CanDescribeValue = CanDescribeValue.UNKNOWN
    email: str = ""
    phone: str = ""
    website: str = ""
    notes: str = ""


class PartnerCreate(PartnerProfile):
    name: str
    profession: Profession
    tags: list[str] = Field(default_factory=list)
    stage: Stage = Field(Stage.IDENTIFIED, description="Where the partner is now.")
    occurred_at: When | None = Field(
        None, description="When the partner entered that stage; defaults to now."
    )
    first_met_at: When | None = Field(
        None,
        description="When you first met the partner, recorded as the move to first_meeting (the "
        "stage must be first_meeting or later): the patience rules count from it.",
    )
    owner: RecordId | None = Field(
        None, description="The owning advisor's id; defaults to you (firm admins may choose)."
    )
    team: RecordId | None = Field(None, description="Share with this team (the owner's).")


class PartnerUpdate(Input):
    """Only the fields sent are changed. ``team: null`` stops sharing."""

    name: str | None = None
    profession: Profession | None = None
    profession_other: str | None = None
    organization: str | None = None
    organization_size: OrganizationSize | None = None
    specialties: str | None = None
    niche: str | None = None
    growth_mode: bool | None = None
    propensity_to_refer: Propensity | None = None
    preferred_referral_process: ReferralProcess | None = None
    preferred_contact_method: ContactMethod | None = None
    values: str | None = None
    can_describe_value: CanDescribeValue | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    notes: str | None = None
    tags: list[str] | None = None
    owner: RecordId | None = Field(None, description="The new owning advisor's id.")
    team: RecordId | None = Field(None, description="Share with this team; null stops sharing.")


class StageChange(Schema):
    id: int
    stage: Stage
    from_stage: Annotated[Stage | None, BlankIsNull]
    reason: Annotated[FailureReason | None, BlankIsNull]
    note: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    by: UserRef

    @staticmethod
    def resolve_stage(obj: models.StageChange) -> str:
        return obj.to_stage


class QualificationAnswers(Input):
    """The three qualification questions, each recorded on the profile; leave out what was not
    asked."""

    propensity_to_refer: Propensity | None = Field(
        None, description="Do they refer their clients to other professionals? low fails."
    )
    can_describe_value: CanDescribeValue | None = Field(
        None, description="Can they say whom you help and what is unique about you?"
    )
    growth_mode: bool | None = Field(
        None, description="Is their firm growing, meeting new clients? false fails."
    )


class StageChangeCreate(Input):
    stage: Stage
    reason: FailureReason | None = Field(
        None, description="Why you are walking away; required for retired."
    )
    note: str = ""
    occurred_at: When | None = Field(None, description="Defaults to now.")
    answers: QualificationAnswers | None = Field(
        None, description="For a move to qualified: the answers to record on the profile."
    )
    qualify_anyway: bool = Field(
        False, description="Qualify although an answer on the profile names a failure reason."
    )
