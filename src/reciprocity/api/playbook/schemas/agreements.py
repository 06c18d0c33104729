"""Bodies of agreements and their promises."""

import datetime as dt

from ninja import Field, Schema

from reciprocity.api.playbook.schemas.common import Id
from reciprocity.api.schemas.common import Day, Input, PartnerRef, RecordId, UserRef
from reciprocity.partners.models import CommitmentOwner, CommitmentStatus, ReferralProcess
from reciprocity.playbook import models
from reciprocity.playbook.models import AgreementStatus


class Promise(Schema):
    id: int
    owner: CommitmentOwner
    what: str
    commitment_id: int | None
    commitment_status: CommitmentStatus | None
    due: dt.date | None

    @staticmethod
    def resolve_commitment_status(obj: models.AgreementPromise) -> str | None:
        return obj.commitment.status if obj.commitment else None

    @staticmethod
    def resolve_due(obj: models.AgreementPromise) -> dt.date | None:
        return obj.commitment.due if obj.commitment else None


class Agreement(Schema):
    id: int
    partner: PartnerRef
    status: AgreementStatus
    promises: list[Promise]
    referral_process: ReferralProcess
    keep_in_touch: str
    agreed_on: dt.date
    next_review: dt.date
    review_commitment_id: int | None
    meeting_id: int | None
    notes: str
    ended_at: dt.datetime | None
    end_reason: str
    by: UserRef
    created_at: dt.datetime

    @staticmethod
    def resolve_promises(obj: models.Agreement) -> list[models.AgreementPromise]:
        return list(obj.promises.all())


class PromiseCreate(Input):
    owner: CommitmentOwner
    what: str
    due: Day | None = Field(None, description="Defaults to the next review.")


class AgreementCreate(Input):
    partner: Id
    promises: list[PromiseCreate] = Field(
        description="What each side will do: at least one by the advisor and one by the partner."
    )
    referral_process: ReferralProcess
    next_review: Day
    keep_in_touch: str = Field("", description="Defaults to the partner's running cadences.")
    agreed_on: Day | None = Field(None, description="Defaults to today.")
    meeting: Id | None = Field(None, description="The partnership meeting it came from.")
    notes: str = ""


class AgreementFilters(Schema):
    partner: RecordId | None = None
    status: AgreementStatus | None = None


class ReasonBody(Input):
    reason: str
