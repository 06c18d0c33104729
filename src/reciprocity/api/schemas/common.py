"""What every resource's bodies share: dates and ids as the contract takes them, text without
NUL characters, bodies that refuse unknown fields, and references to other records."""

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, field_validator

from reciprocity.accounts.models import User as UserModel
from reciprocity.dates import BEFORE_1900, EARLIEST, TOO_FAR_AHEAD


def _reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text_only(value: Any) -> Any:
    # The contract is ISO 8601 text. Pydantic would read a number, or text that reads as one
    # ("1", "-1.5", "-9e-59": a query string is text), as seconds since 1970; no ISO 8601 date
    # or date-time reads as a number.
    if isinstance(value, int | float) or (isinstance(value, str) and _reads_as_number(value)):
        raise ValueError("Use an ISO 8601 date or date-time string.")
    return value


def _as_utc(value: dt.datetime) -> dt.datetime:
    # The same instant in UTC: PostgreSQL refuses offsets beyond 15:59 that ISO text may carry.
    # Before 1900 no date is plausible (reciprocity.dates), and 0001-01-01T00:00:00+14:00 has
    # no UTC instant at all: both are refused here, naming the field, instead of overflowing.
    if value.year < EARLIEST.year:
        raise ValueError(BEFORE_1900)
    try:
        return value.astimezone(dt.UTC) if value.tzinfo is not None else value
    except OverflowError:
        raise ValueError(TOO_FAR_AHEAD) from None


When = Annotated[dt.datetime, BeforeValidator(_text_only), AfterValidator(_as_utc)]
Day = Annotated[dt.date, BeforeValidator(_text_only)]


# An instant to compare stored ones with (a query's): without an offset, it is read as UTC.
Instant = Annotated[
    When, AfterValidator(lambda value: value if value.tzinfo else value.replace(tzinfo=dt.UTC))
]


def _digits_only(value: object) -> object:
    # Paths and query strings arrive as text, and pydantic would read "+1.0" or "1_0" as a number;
    # in a body it would read true as 1 and 1.0 as 1.
    text_not_digits = isinstance(value, str) and not (value.isascii() and value.isdigit())
    if text_not_digits or isinstance(value, bool | float):
        raise ValueError("Give a whole number, in digits.")
    return value


# A choice the database leaves blank ("") where the API says null.
BlankIsNull = BeforeValidator(lambda value: value or None)


# A whole number as the document promises it: digits in a path or query, a number in a body.
WholeNumber = BeforeValidator(_digits_only)
# Every id the API accepts: a positive 64-bit integer, the range of the databases' keys.
RecordId = Annotated[int, WholeNumber, Field(ge=1, le=2**63 - 1)]


# User-facing messages; tests reuse them.
NUL_IN_TEXT = "Text cannot contain NUL (\\u0000) characters."
NOT_UNICODE = "Text cannot contain lone surrogates (\\ud800 to \\udfff): send valid Unicode."


def _storable(text: str) -> str | None:
    """Why text cannot be stored, or None: PostgreSQL can neither store nor compare a NUL, and
    a lone surrogate (which JSON may carry, escaped) has no UTF-8 form for any database."""
    if "\x00" in text:
        return NUL_IN_TEXT
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return NOT_UNICODE
    return None


class Text(Schema):
    """Request text that cannot be stored is refused, naming the field, instead of failing
    when it is written."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            problem = _storable(text) if isinstance(text, str) else None
            if problem:
                raise ValueError(problem)
        return value


class Input(Text):
    # A misspelt field must not be silently ignored: the client would think it was saved.
    model_config = ConfigDict(extra="forbid")


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


class UpdatedSince(Schema):
    """What a list takes for a sync: only what changed since the last time."""

    updated_since: Instant | None = Field(
        None,
        description="Only the items changed at or after this ISO 8601 date-time (UTC when it "
        "has no offset), in the order they changed (updated_at, then id). Send the updated_at "
        "of the last item you saw, a little earlier to be safe.",
    )


class Changes(UpdatedSince):
    """What a list of records that can be archived takes for a sync."""

    include_archived: bool = Field(
        False, description="Archived items too, along with current ones (to sync archiving)."
    )
