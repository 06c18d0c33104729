"""Referrals both ways: their status history, the client's consent, the protocol's steps and
the texts drafted for the partner."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from reciprocity.api.schemas.common import (
    BlankIsNull,
    Changes,
    Input,
    PartnerRef,
    RecordId,
    Text,
    UserRef,
    When,
)
from reciprocity.api.schemas.disclosures import Disclosure
from reciprocity.api.schemas.partners import StageSuggestion, stage_suggestion_of
from reciprocity.referrals import models as referral_models
from reciprocity.referrals.disclosure import ReferralDisclosure
from reciprocity.referrals.drafts import EmailDraft as EmailDraftData
from reciprocity.referrals.models import (
    Answer,
    ConsentMethod,
    Direction,
    Kind,
    ReferralStatus,
    StepSlug,
)
from reciprocity.referrals.selectors import referral_outcome

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
    consent_method: Annotated[ConsentMethod | None, BlankIsNull]
    may_identify_client: bool = Field(
        description="Whether the client may be named: received, or sent with consent."
    )
    receipt_confirmed_at: dt.datetime | None = Field(
        description="When the partner confirmed receipt through their link (sent referrals)."
    )
    client_has_professional: Answer
    existing_relationship: str
    consultation_fee: Answer
    consultation_fee_note: str
    estimated_value: Decimal | None = Field(description='A decimal string, e.g. "2500.00".')
    steps: list[ReferralStep] = Field(description="The protocol's steps; sent referrals only.")
    disclosure: Disclosure = Field(
        description="Its compensation and the evidence of its disclosure; record them with "
        "PATCH /referrals/{id}/disclosure."
    )
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
    def resolve_steps(obj: referral_models.Referral) -> list[referral_models.ReferralStep]:
        # .all() so a prefetch (ordered by position) is used.
        return list(obj.steps.all())

    @staticmethod
    def resolve_disclosure(obj: referral_models.Referral) -> ReferralDisclosure:
        found = getattr(obj, "disclosure", None)
        return found if found is not None else ReferralDisclosure(referral=obj)

    @staticmethod
    def resolve_stage_suggestion(obj: referral_models.Referral) -> StageSuggestion | None:
        return stage_suggestion_of(obj.partner)


class ReferralFilters(Changes, Text):
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
    from_status: Annotated[ReferralStatus | None, BlankIsNull]
    reason: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    by: UserRef

    @staticmethod
    def resolve_status(obj: referral_models.ReferralStatusChange) -> str:
        return obj.to_status


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
