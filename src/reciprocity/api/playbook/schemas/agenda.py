"""Bodies of the agenda: its items, completing one, snoozing one."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from reciprocity.api.schemas.common import Day, Input, PartnerRef, When
from reciprocity.partners.models import CommitmentOwner, TouchKind

# An agenda item's key: ``<source>:<partner id>:<reference>``, as the agenda lists it.
AgendaKey = Annotated[
    str, Field(min_length=5, max_length=120, pattern=r"^[a-z_]+:\d+:[A-Za-z0-9_.:-]+$")
]


class AgendaItem(Schema):
    key: str = Field(description="Address of the item: complete or snooze it by this key.")
    source: str = Field(
        description="commitment, cadence, opportunity, meeting, referral_step, or another."
    )
    partner: PartnerRef
    title: str
    due: dt.date
    at: dt.datetime | None = Field(description="The time of day, for meetings.")
    owner: CommitmentOwner = Field(description="Who has to act.")
    detail: str
    object_id: int | None = Field(
        description="The commitment, opportunity, meeting or referral step."
    )
    overdue: bool


class AgendaCounts(Schema):
    overdue: int
    due_today: int
    this_week: int


class Agenda(Schema):
    today: dt.date
    overdue: list[AgendaItem]
    due_today: list[AgendaItem]
    this_week: list[AgendaItem] = Field(description="Due after today, up to the horizon.")
    counts: AgendaCounts = Field(
        description="Every item of each section; the lists hold one page of them (limit, offset)."
    )
    snoozed: int = Field(description="How many items are snoozed and left out.")
    count: int


class AgendaComplete(Input):
    touch_kind: TouchKind | None = Field(
        None,
        description="The touch to log: a cadence takes one that counts for it (default: the "
        "one it asks for); a commitment logs none unless asked; a meeting request defaults to "
        "a call; a referral step always logs the touch of its kind.",
    )
    summary: str = Field("", description="What happened; a sensible default otherwise.")
    occurred_at: When | None = Field(None, description="Defaults to now.")


class AgendaCompletion(Schema):
    key: str
    source: str
    detail: str = Field(description="What recorded the completion.")
    touch_id: int | None = Field(description="The touch logged, if any.")


class AgendaSnoozeCreate(Input):
    until: Day = Field(description="The day it comes back; within a year.")
    reason: str = Field(description="Why it is put off.")


class AgendaSnooze(Schema):
    key: str
    partner: PartnerRef
    until: dt.date
    reason: str
    created_at: dt.datetime
