"""Bodies of the advisor's message and of the message checks."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import StrictBool

from reciprocity.api.schemas.common import Input, PartnerRef, UserRef, When


class AdvisorMessage(Schema):
    whom_i_help: str
    what_is_unique: str
    has_message: bool
    weekly_digest: bool


class AdvisorMessageSet(Input):
    whom_i_help: str
    what_is_unique: str
    weekly_digest: StrictBool | None = Field(None, description="Email me my week on Mondays.")


# Whether the partner could say the advisor's message back.
CheckResult = Literal["yes", "no"]


class MessageCheck(Schema):
    id: int
    partner: PartnerRef
    result: CheckResult = Field(description="yes: they said it back; no: not yet.")
    heard: str = Field(description="What they said.")
    checked_at: dt.datetime
    by: UserRef


class MessageCheckCreate(Input):
    result: CheckResult = Field(description="The partner's profile (can_describe_value) follows.")
    heard: str = Field("", max_length=1000, description="What they said, in their words.")
    checked_at: When | None = Field(None, description="Defaults to now; may be in the past.")
