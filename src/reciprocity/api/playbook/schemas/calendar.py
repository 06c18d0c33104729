"""Bodies of the calendar feed."""

import datetime as dt

from ninja import Field, Schema


class CalendarFeed(Schema):
    live: bool
    hint: str = Field(description="The first characters of the live address's secret.")
    created_at: dt.datetime | None


class CalendarFeedCreated(Schema):
    url: str = Field(description="The secret address to subscribe to; shown only this once.")
    hint: str
    created_at: dt.datetime


class CalendarFeedRevoked(Schema):
    revoked: int = Field(description="How many live feeds were stopped.")
