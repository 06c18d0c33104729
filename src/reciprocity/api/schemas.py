"""Request and response bodies. Requests use the names of the responses (PRODUCT.md); choice
fields are enums, so the OpenAPI document lists every slug. A blank choice is ``null``."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict

from reciprocity.accounts.models import User as UserModel
from reciprocity.partners import models
from reciprocity.partners.models import (
    CanDescribeValue,
    CommitmentOwner,
    CommitmentStatus,
    ContactMethod,
    FailureReason,
    OrganizationSize,
    Profession,
    Propensity,
    ReferralProcess,
    Stage,
    TouchKind,
)
from reciprocity.partners.selectors import dormancy_suggested, next_step_of


def _text_only(value: Any) -> Any:
    # Pydantic would read a bare number as seconds since 1970; the contract is ISO 8601 text.
    if isinstance(value, int | float):
        raise ValueError("Use an ISO 8601 date or date-time string.")
    return value


When = Annotated[dt.datetime, BeforeValidator(_text_only)]
Day = Annotated[dt.date, BeforeValidator(_text_only)]

# Every id the API accepts: a positive 64-bit integer, the range of the databases' keys.
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]

# The keys of partners.selectors.SORTS (a test keeps them in step).
PartnerSort = Literal[
    "name",
    "-name",
    "stage",
    "last_touch",
    "-last_touch",
    "touches",
    "-touches",
    "next_step",
    "organization",
]


class Input(Schema):
    # A misspelt field must not be silently ignored: the client would think it was saved.
    model_config = ConfigDict(extra="forbid")


# --- References -------------------------------------------------------------------------------
class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: UserModel) -> str:
        return obj.display_name


class TeamRef(Schema):
    id: int
    name: str


class PartnerRef(Schema):
    id: int
    name: str


# --- Partners ---------------------------------------------------------------------------------
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
    organization_size: OrganizationSize | None
    specialties: str
    niche: str = Field(description="The clients they serve.")
    growth_mode: bool | None = Field(description="Whether their firm is in growth mode.")
    propensity_to_refer: Propensity | None
    preferred_referral_process: ReferralProcess | None
    preferred_contact_method: ContactMethod | None
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
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_organization_size(obj: models.Partner) -> str | None:
        return obj.organization_size or None

    @staticmethod
    def resolve_preferred_referral_process(obj: models.Partner) -> str | None:
        return obj.preferred_referral_process or None

    @staticmethod
    def resolve_preferred_contact_method(obj: models.Partner) -> str | None:
        return obj.preferred_contact_method or None

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


class PartnerFilters(Schema):
    q: str = Field("", description="Part of the name or organization.")
    stage: Stage | None = None
    profession: Profession | None = None
    owner: RecordId | None = Field(None, description="The owning advisor's id.")
    overdue: bool = Field(False, description="Only partners with an overdue commitment.")
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


# --- Stage changes ----------------------------------------------------------------------------
class StageChange(Schema):
    id: int
    stage: Stage
    from_stage: Stage | None
    reason: FailureReason | None
    note: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    by: UserRef

    @staticmethod
    def resolve_stage(obj: models.StageChange) -> str:
        return obj.to_stage

    @staticmethod
    def resolve_from_stage(obj: models.StageChange) -> str | None:
        return obj.from_stage or None

    @staticmethod
    def resolve_reason(obj: models.StageChange) -> str | None:
        return obj.reason or None


class StageChangeCreate(Input):
    stage: Stage
    reason: FailureReason | None = Field(
        None, description="Why you are walking away; required for retired."
    )
    note: str = ""
    occurred_at: When | None = Field(None, description="Defaults to now.")


# --- Touches ----------------------------------------------------------------------------------
class Touch(Schema):
    id: int
    kind: TouchKind
    summary: str
    occurred_at: dt.datetime
    by: UserRef
    created_at: dt.datetime


class TouchCreate(Input):
    kind: TouchKind
    summary: str
    occurred_at: When | None = Field(None, description="Defaults to now.")


# --- Commitments ------------------------------------------------------------------------------
class Commitment(Schema):
    id: int
    partner: PartnerRef
    what: str
    due: dt.date
    owner: CommitmentOwner = Field(description="Who promised it: the advisor or the partner.")
    status: CommitmentStatus
    overdue: bool
    completed_at: dt.datetime | None
    touch_id: int | None = Field(description="The touch logged when it was completed.")
    created_at: dt.datetime

    @staticmethod
    def resolve_overdue(obj: models.Commitment) -> bool:
        return obj.is_open and obj.due < timezone.localdate()


class CommitmentCreate(Input):
    what: str
    due: Day
    owner: CommitmentOwner = CommitmentOwner.ADVISOR


class LogTouch(Input):
    kind: TouchKind
    summary: str = Field("", description="Defaults to 'Done: <what>'.")


class CommitmentUpdate(Input):
    """Only the fields sent are changed."""

    what: str | None = None
    due: Day | None = None
    owner: CommitmentOwner | None = None
    status: CommitmentStatus | None = None
    occurred_at: When | None = Field(
        None, description="When it was done or dropped; defaults to now."
    )
    log_touch: LogTouch | None = Field(
        None, description="Log this touch with the partner when completing (status done)."
    )
