"""Bodies of a partner's cadences and of the firm's cadence defaults."""

import datetime as dt

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from reciprocity.api.schemas.common import Input
from reciprocity.partners.models import Stage
from reciprocity.playbook.models import INTERVAL_MAX_MONTHS, INTERVAL_MIN_MONTHS, CadenceKind

INTERVAL_MONTHS = f"{INTERVAL_MIN_MONTHS} to {INTERVAL_MAX_MONTHS}; null for the newsletter."


class Cadence(Schema):
    kind: CadenceKind
    interval_months: int | None = Field(description="Null for a membership (the newsletter).")
    source: str = Field(description="firm (the stage's default) or partner (an override).")
    description: str
    last_touch_at: dt.datetime | None
    due: dt.date | None
    overdue: bool


class CadenceList(Schema):
    items: list[Cadence]
    count: int


class CadenceSet(Input):
    kind: CadenceKind
    enabled: StrictBool = Field(True, description="False turns this cadence off for the partner.")
    interval_months: StrictInt | None = Field(None, description=INTERVAL_MONTHS)
    use_default: StrictBool = Field(
        False, description="Drop the override: the firm's default for the stage applies again."
    )


class CadenceDefault(Schema):
    stage: Stage
    kind: CadenceKind
    interval_months: int | None


class CadenceDefaultList(Schema):
    items: list[CadenceDefault]
    count: int


class CadenceDefaultSet(Input):
    stage: Stage
    kind: CadenceKind
    interval_months: StrictInt | None = Field(None, description=INTERVAL_MONTHS)
    enabled: StrictBool = Field(
        True,
        description="False removes the firm's default of this kind for the stage: its partners "
        "get none unless their advisor sets one.",
    )
