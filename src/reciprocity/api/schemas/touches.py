"""Touches: the contacts logged with a partner."""

import datetime as dt

from ninja import Field, Schema

from reciprocity.api.schemas.common import Input, UserRef, When
from reciprocity.partners.models import TouchKind


class Touch(Schema):
    id: int
    kind: TouchKind
    summary: str
    occurred_at: dt.datetime
    by: UserRef
    created_at: dt.datetime
    updated_at: dt.datetime


class TouchCreate(Input):
    kind: TouchKind
    summary: str
    occurred_at: When | None = Field(None, description="Defaults to now.")
