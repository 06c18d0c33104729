"""What every resource's bodies share: dates and ids as the contract takes them, text without
NUL characters, bodies that refuse unknown fields, and references to other records."""

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, field_validator

from reciprocity.accounts.models import User as UserModel
from reciprocity.dates import BEFORE_1900, EARLIEST, TOO_FAR_AHEAD


def _text_only(value: Any) -> Any:
    # Pydantic would read a bare number as seconds since 1970; the contract is ISO 8601 text.
    if isinstance(value, int | float):
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


def _digits_only(value: object) -> object:
    # Paths and query strings arrive as text, and pydantic would read "+1.0" or "1_0" as a number.
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("Give a whole number, in digits.")
    return value


# A whole number as the document promises it: digits in a path or query, a number in a body.
WholeNumber = BeforeValidator(_digits_only)
# Every id the API accepts: a positive 64-bit integer, the range of the databases' keys.
RecordId = Annotated[int, WholeNumber, Field(ge=1, le=2**63 - 1)]


# User-facing message; tests reuse it.
NUL_IN_TEXT = "Text cannot contain NUL (\\u0000) characters."


class Text(Schema):
    """Request text is refused when it holds a NUL character: PostgreSQL can neither store nor
    compare it, and would answer a server error instead of saying what is wrong."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError(NUL_IN_TEXT)
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
