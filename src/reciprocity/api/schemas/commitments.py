"""Commitments: promises by the advisor or the partner."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Schema
from pydantic import field_validator

from reciprocity.api.schemas.common import Day, Input, PartnerRef, When
from reciprocity.partners import models
from reciprocity.partners.models import CommitmentOwner, CommitmentStatus, TouchKind


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
    updated_at: dt.datetime

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


# User-facing message; tests reuse it.
NOT_CLEARED = "A commitment always has one: leave the field out to keep it."


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

    @field_validator("what", "due", "owner", "status", mode="before")
    @classmethod
    def _not_cleared(cls, value: object) -> object:
        # Sent as null, these were ignored: only a field left out is kept as it is.
        if value is None:
            raise ValueError(NOT_CLEARED)
        return value
