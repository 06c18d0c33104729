"""Bodies of meetings and of the firm's meeting plans."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from reciprocity.api.playbook.schemas.common import Id
from reciprocity.api.schemas.common import BlankIsNull, Input, PartnerRef, When
from reciprocity.playbook import models
from reciprocity.playbook.models import MeetingKind, MeetingStatus, ProfileField


class MeetingPoint(Schema):
    id: int
    position: int
    prompt: str
    profile_field: Annotated[ProfileField | None, BlankIsNull] = Field(
        description="The profile field its answer fills."
    )
    covered: bool
    answer: str


class Meeting(Schema):
    id: int
    partner: PartnerRef
    kind: MeetingKind
    plan_id: int | None
    plan_name: str
    scheduled_for: dt.datetime
    duration_minutes: int
    location: str
    status: MeetingStatus
    held_at: dt.datetime | None
    summary: str
    touch_id: int | None
    points: list[MeetingPoint]
    created_at: dt.datetime

    @staticmethod
    def resolve_plan_name(obj: models.Meeting) -> str:
        return obj.plan.name if obj.plan else ""

    @staticmethod
    def resolve_points(obj: models.Meeting) -> list[models.MeetingPoint]:
        return list(obj.points.all())


class MeetingCreate(Input):
    kind: MeetingKind
    scheduled_for: When = Field(description="May be in the past, to log a meeting held.")
    duration_minutes: StrictInt | None = Field(None, description="Defaults to the plan's length.")
    location: str = ""


class PointAnswer(Input):
    point: Id
    answer: str = ""
    covered: StrictBool = False


class MeetingHold(Input):
    held_at: When | None = Field(None, description="Defaults to now.")
    summary: str = ""
    points: list[PointAnswer] = Field(
        default_factory=list,
        description="Answers by point id; an answer to a point naming a profile field fills it.",
    )


class MeetingCancel(Input):
    reason: str = ""


class MeetingReschedule(Input):
    """Move a planned meeting; its points and plan stay."""

    scheduled_for: When = Field(description="The new date and time.")
    duration_minutes: StrictInt | None = Field(None, description="5 to 480; unchanged if left out.")
    location: str | None = Field(None, description="Unchanged if left out.")


class MeetingPlanItem(Schema):
    id: int
    plan_id: int
    position: int
    prompt: str
    guidance: str
    profile_field: Annotated[ProfileField | None, BlankIsNull]


class MeetingPlan(Schema):
    id: int
    kind: MeetingKind
    name: str
    purpose: str
    duration_minutes: int
    items: list[MeetingPlanItem]

    @staticmethod
    def resolve_items(obj: models.MeetingPlan) -> list[models.MeetingPlanItem]:
        return list(obj.items.all())


# Updates change only the fields sent; null clears a field that may be empty (a purpose, a
# guidance, a topic, a profile field, the keywords) and leaves a required one as it is.
class MeetingPlanUpdate(Input):
    """Only the fields sent change; ``purpose: null`` empties it."""

    name: str | None = None
    purpose: str | None = None
    duration_minutes: StrictInt | None = Field(None, description="5 to 480.")


PlanPosition = Annotated[StrictInt, Field(ge=0, le=999)]


class MeetingPlanItemCreate(Input):
    prompt: str = Field(description="The point to cover.")
    guidance: str = ""
    profile_field: ProfileField | None = Field(
        None, description="The partner's profile field its answer fills."
    )
    position: PlanPosition | None = Field(None, description="Defaults to after the last point.")


class MeetingPlanItemUpdate(Input):
    """Only the fields sent change; ``guidance: null`` empties it, ``profile_field: null``
    makes the answer fill no field."""

    prompt: str | None = None
    guidance: str | None = None
    profile_field: ProfileField | None = None
    position: PlanPosition | None = None
