"""Request and response bodies. Requests use the names of the responses (PRODUCT.md); choice
fields are enums, so the OpenAPI document lists every slug. A blank choice is ``null``."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, field_validator

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
from reciprocity.referrals import models as referral_models
from reciprocity.referrals.drafts import EmailDraft as EmailDraftData
from reciprocity.referrals.models import (
    Answer,
    ConsentMethod,
    Direction,
    Kind,
    ReferralStatus,
    StepSlug,
)
from reciprocity.referrals.selectors import Balance, balance_for, referral_outcome
from reciprocity.referrals.selectors import stage_suggestion as suggest_stage


def _text_only(value: Any) -> Any:
    # Pydantic would read a bare number as seconds since 1970; the contract is ISO 8601 text.
    if isinstance(value, int | float):
        raise ValueError("Use an ISO 8601 date or date-time string.")
    return value


def _as_utc(value: dt.datetime) -> dt.datetime:
    # The same instant in UTC: PostgreSQL refuses offsets beyond 15:59 that ISO text may carry.
    return value.astimezone(dt.UTC) if value.tzinfo is not None else value


When = Annotated[dt.datetime, BeforeValidator(_text_only), AfterValidator(_as_utc)]
Day = Annotated[dt.date, BeforeValidator(_text_only)]


def _digits_only(value: object) -> object:
    # Paths and query strings arrive as text, and pydantic would read "+1.0" or "1_0" as a number.
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("Give a whole number, in digits.")
    return value


# A whole number as the document promises it: digits in a path or query, a number in a body.
WholeNumber = BeforeValidator(_digits_only)
# Every id the API accepts: a positive 64-bit integer, the range of the databases' keys.
RecordId = Annotated[int, WholeNumber, Field(ge=1, le=2**63 - 1)]

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


# User-facing message; tests reuse it.
NUL_IN_TEXT = "Text cannot contain NUL (\\u0000) characters."


class Text(Schema):
    """Request text is refused when it holds a NUL character: PostgreSQL can neither store nor
    compare it, and would answer a server error instead of saying what is wrong."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError(NUL_IN_TEXT)
        return value


class Input(Text):
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


def _stage_suggestion(partner: models.Partner) -> StageSuggestion | None:
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

    @staticmethod
    def resolve_referrals_sent(obj: models.Partner) -> int:
        return _balance(obj).referrals_sent

    @staticmethod
    def resolve_referrals_received(obj: models.Partner) -> int:
        return _balance(obj).referrals_received

    @staticmethod
    def resolve_connections_sent(obj: models.Partner) -> int:
        return _balance(obj).connections_sent

    @staticmethod
    def resolve_connections_received(obj: models.Partner) -> int:
        return _balance(obj).connections_received

    @staticmethod
    def resolve_referrals_sent_12m(obj: models.Partner) -> int:
        return _balance(obj).referrals_sent_12m

    @staticmethod
    def resolve_referrals_received_12m(obj: models.Partner) -> int:
        return _balance(obj).referrals_received_12m

    @staticmethod
    def resolve_connections_sent_12m(obj: models.Partner) -> int:
        return _balance(obj).connections_sent_12m

    @staticmethod
    def resolve_connections_received_12m(obj: models.Partner) -> int:
        return _balance(obj).connections_received_12m

    @staticmethod
    def resolve_first_referral_received_at(obj: models.Partner) -> dt.datetime | None:
        return _balance(obj).first_referral_received_at

    @staticmethod
    def resolve_stage_suggestion(obj: models.Partner) -> StageSuggestion | None:
        return _stage_suggestion(obj)


class PartnerFilters(Text):
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


# --- Referrals --------------------------------------------------------------------------------
ReferralState = Literal["open", "closed"]
StepAction = Literal["complete", "skip", "reopen"]


class ReferralStep(Schema):
    """One step of the protocol for sending a referral; completing it logs a touch."""

    slug: StepSlug
    label: str
    position: int
    state: Literal["open", "done", "skipped"]
    done_at: dt.datetime | None
    skipped_at: dt.datetime | None
    touch_id: int | None = Field(description="The touch logged when the step was done.")

    @staticmethod
    def resolve_state(obj: referral_models.ReferralStep) -> str:
        if obj.is_done:
            return "done"
        return "skipped" if obj.is_skipped else "open"


class Outcome(Schema):
    """Where the referral ended, or stands while it is open."""

    status: ReferralStatus
    closed_at: dt.datetime | None
    days_open: int = Field(description="From the referral's date to its close, or to now.")
    succeeded: bool | None = Field(description="Null while the referral is open.")
    reason: str


class Referral(Schema):
    id: int
    partner: PartnerRef
    direction: Direction
    kind: Kind
    need: str
    notes: str
    status: ReferralStatus
    status_changed_at: dt.datetime
    next_statuses: list[ReferralStatus] = Field(
        description="The statuses it may move to from here; empty once it is closed."
    )
    occurred_at: dt.datetime = Field(description="When it was sent or received.")
    outcome: Outcome
    client_name: str = Field(description="Stored for a sent referral only with consent.")
    client_contact: str
    consent_at: dt.datetime | None = Field(description="When the client consented to sharing.")
    consent_method: ConsentMethod | None
    may_identify_client: bool = Field(
        description="Whether the client may be named: received, or sent with consent."
    )
    client_has_professional: Answer
    existing_relationship: str
    consultation_fee: Answer
    consultation_fee_note: str
    estimated_value: Decimal | None = Field(description='A decimal string, e.g. "2500.00".')
    steps: list[ReferralStep] = Field(description="The protocol's steps; sent referrals only.")
    thank_you_commitment_id: int | None = Field(
        description="The thank-you note prompted by a received referral."
    )
    report_back_commitment_id: int | None = Field(
        description="The report back prompted by a received referral."
    )
    stage_suggestion: StageSuggestion | None = Field(
        description="A stage the partner's referrals suggest (never applied automatically)."
    )
    by: UserRef
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_next_statuses(obj: referral_models.Referral) -> list[str]:
        return list(obj.lifecycle.allowed_from(obj.status))

    @staticmethod
    def resolve_outcome(obj: referral_models.Referral) -> Outcome:
        outcome = referral_outcome(obj)
        return Outcome(
            status=ReferralStatus(outcome.status),
            closed_at=outcome.closed_at,
            days_open=outcome.days_open,
            succeeded=outcome.succeeded,
            reason=outcome.reason,
        )

    @staticmethod
    def resolve_consent_method(obj: referral_models.Referral) -> str | None:
        return obj.consent_method or None

    @staticmethod
    def resolve_steps(obj: referral_models.Referral) -> list[referral_models.ReferralStep]:
        # .all() so a prefetch (ordered by position) is used.
        return list(obj.steps.all())

    @staticmethod
    def resolve_stage_suggestion(obj: referral_models.Referral) -> StageSuggestion | None:
        return _stage_suggestion(obj.partner)


class ReferralFilters(Text):
    partner: RecordId | None = Field(None, description="The partner's id.")
    direction: Direction | None = None
    kind: Kind | None = None
    status: ReferralStatus | None = None
    state: ReferralState | None = Field(None, description="Open or closed referrals only.")
    archived: bool = Field(False, description="Archived referrals instead of current ones.")
    q: str = Field("", description="Part of the need, the partner's name or the client's name.")


class PreSendAnswers(Input):
    """The questions to answer before a referral is sent."""

    client_has_professional: Answer = Field(
        Answer.UNKNOWN, description="Does the client already have such a professional?"
    )
    existing_relationship: str = Field("", description="What that relationship is like.")
    consultation_fee: Answer = Field(
        Answer.UNKNOWN, description="Is there a fee for an initial consultation?"
    )
    consultation_fee_note: str = ""


class ReferralCreate(PreSendAnswers):
    partner: RecordId = Field(description="The partner's id.")
    direction: Direction
    kind: Kind = Kind.REFERRAL
    need: str = Field(
        description="The need or topic in a line, without the client's name: it shows on the "
        "agenda, in the weekly email and in the memo."
    )
    status: ReferralStatus | None = Field(
        None, description="Defaults to the first status of its lifecycle."
    )
    reason: str = Field("", description="Why it failed; required for a failure status.")
    occurred_at: When | None = Field(
        None, description="When it was sent or received; defaults to now."
    )
    notes: str = ""
    estimated_value: Decimal | None = None
    client_name: str = Field(
        "", description="Refused for a sent referral unless the client's consent is recorded."
    )
    client_contact: str = ""
    consent_at: When | None = Field(None, description="When the client consented.")
    consent_method: ConsentMethod | None = None
    follow_up: bool | None = Field(
        None,
        description="Prompt a thank-you and a report back (received referrals); by default "
        "only for one of the last 30 days.",
    )


class ReferralUpdate(Input):
    """Only the fields sent are changed. Status, consent, steps and archiving have their own
    endpoints."""

    need: str | None = None
    notes: str | None = None
    client_name: str | None = Field(None, description="Refused without the client's consent.")
    client_contact: str | None = None
    client_has_professional: Answer | None = None
    existing_relationship: str | None = None
    consultation_fee: Answer | None = None
    consultation_fee_note: str | None = None
    estimated_value: Decimal | None = None
    outcome_reason: str | None = None


class ReferralStatusChange(Schema):
    id: int
    status: ReferralStatus
    from_status: ReferralStatus | None
    reason: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    by: UserRef

    @staticmethod
    def resolve_status(obj: referral_models.ReferralStatusChange) -> str:
        return obj.to_status

    @staticmethod
    def resolve_from_status(obj: referral_models.ReferralStatusChange) -> str | None:
        return obj.from_status or None


class ReferralStatusChangeCreate(Input):
    status: ReferralStatus
    reason: str = Field("", description="Required for declined, not_a_fit and lost.")
    occurred_at: When | None = Field(None, description="Defaults to now.")


class ConsentCreate(Input):
    method: ConsentMethod = Field(description="How the client consented.")
    consent_at: When | None = Field(None, description="Defaults to now.")
    client_name: str | None = Field(None, description="The client's name, now it may be shared.")
    client_contact: str | None = None


class StepChange(Input):
    action: StepAction
    occurred_at: When | None = Field(
        None, description="When the step was done (complete only); defaults to now."
    )
    summary: str = Field(
        "", description="The summary of the touch it logs (complete only); a default names it."
    )


class Memo(Schema):
    text: str = Field(description="The hypothetical referral memo: it identifies no one.")


class EmailDraft(Schema):
    to: str
    subject: str
    body: str
    mailto: str = Field(description="Opens the draft in a mail client.")

    @staticmethod
    def resolve_mailto(obj: EmailDraftData) -> str:
        return obj.mailto


# --- Reciprocity balance ----------------------------------------------------------------------
class AdvisorBalance(Schema):
    """One advisor's partners and the referrals flowing both ways with them."""

    advisor: UserRef
    partners: int
    referrals_sent: int
    referrals_received: int
    connections_sent: int
    connections_received: int
    referrals_sent_12m: int
    referrals_received_12m: int
    connections_sent_12m: int
    connections_received_12m: int


# --- Protocols --------------------------------------------------------------------------------
class ProtocolStep(Input):
    slug: StepSlug
    label: str


class Protocol(Schema):
    """The firm's steps for sending a referral to one profession."""

    profession: Profession
    steps: list[ProtocolStep]
    is_default: bool = Field(description="Whether the steps are the product's defaults.")
    updated_at: dt.datetime | None = Field(description="Null while never edited nor used.")

    @staticmethod
    def resolve_is_default(obj: referral_models.ProtocolTemplate) -> bool:
        return obj.steps == referral_models.default_protocol(obj.profession)

    @staticmethod
    def resolve_updated_at(obj: referral_models.ProtocolTemplate) -> dt.datetime | None:
        return obj.updated_at if obj.pk else None


class ProtocolUpdate(Input):
    steps: list[ProtocolStep] = Field(description="The steps, in order; each slug at most once.")
