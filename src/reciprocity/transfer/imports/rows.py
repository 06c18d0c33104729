"""One row of a file, checked: either a partner (or touch) to import, or the reasons it is
refused, each with its line and column. Checks here need no database, so a million rows are
read at the pace of the file."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone

from reciprocity.dates import happened_at
from reciprocity.partners.models import Partner, Profession
from reciprocity.partners.services import clean_tags
from reciprocity.spreadsheets import unsafe_cell
from reciprocity.transfer.imports.mapping import CHOICES, JOINED, NO, YES, Mapping, normal

# User-facing messages; tests reuse them.
ROW_TOO_LONG = "The row has {length} characters; a row may have at most {limit}."
FORMULA = "The cell holds a spreadsheet formula; type its value instead."
NAME_MISSING = "The name is empty."
TOO_LONG = "At most {limit} characters ({length} given)."
BAD_EMAIL = "{value!r} is not an email address."
BAD_WEBSITE = "{value!r} is not a web address."
UNKNOWN_VALUE = "Unknown {what} {value!r}. {hint} Or map the value on the mapping step."
BAD_YES_NO = "{value!r} is neither yes nor no."
BAD_DATE = "{value!r} is not a date this import reads. Use 2025-03-14, 03/14/2025 or Mar 14, 2025."
DATE_IMPLAUSIBLE = "{value!r} is not a plausible date: {why}"
RETIRED_BY_IMPORT = "A partner cannot be imported as retired: retire them with a reason afterwards."
PARTNER_KEY_MISSING = "Say which partner: the partner column is empty."

# A row longer than this is refused (a runaway quote, or not a contact at all).
MAX_ROW_CHARS = 10_000
# Spreadsheet formulas: "=..." always; "+", "-" or "@" only when followed by a function call or
# a DDE pipe, so "+1 617 555 0100" and "- met at the conference" stay text.
FORMULA_PATTERN = re.compile(r"^\s*(=|[+\-@]\s*[A-Za-z_][\w.]*\s*\(|[+\-@].*\|)")
DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%Y/%m/%d",
)

# Fields whose text must be an address: the check, and the refusal.
ADDRESSES: dict[str, tuple[Callable[[str], None], str]] = {
    "email": (EmailValidator(), BAD_EMAIL),
    "website": (URLValidator(), BAD_WEBSITE),
}


def plausible_date(value: str) -> dt.datetime:
    """The moment a date cell names, in the firm's time zone (noon when it names a day), or a
    ValidationError saying why not. The one date rule of the import."""
    text = value.strip()
    when: dt.datetime | None = None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        for pattern in DATE_FORMATS:
            try:
                when = dt.datetime.strptime(text, pattern).replace(hour=12)
                break
            except ValueError:
                continue
    if when is None:
        raise ValidationError(BAD_DATE.format(value=value))
    if len(text) == 10 and "T" not in text and when.hour == 0:
        when = when.replace(hour=12)
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    try:
        # The product's one rule for a moment that happened (reciprocity.dates).
        return happened_at(when, "date")
    except ValidationError as error:
        why = " ".join(error.messages)
        raise ValidationError(DATE_IMPLAUSIBLE.format(value=value, why=why)) from error


@dataclass(frozen=True)
class Refusal:
    line: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class PartnerRow:
    """A checked row: only the fields the file gives (an empty cell changes nothing)."""

    line: int
    name: str
    external_id: str = ""
    profile: dict[str, Any] = field(default_factory=dict)
    tags: list[str] | None = None
    stage: str = ""
    stage_since: dt.datetime | None = None
    owner: str = ""
    # What a tag says they do, for a partner the import creates: a guess never replaces the
    # profession of a partner in the book.
    guessed_profession: str = ""

    @property
    def organization(self) -> str:
        return str(self.profile.get("organization", ""))

    @property
    def email(self) -> str:
        return str(self.profile.get("email", "")).lower()


def name_key(name: str, organization: str) -> str:
    """Names compare without case, punctuation or spacing, within their organization."""
    return normal(name) + "|" + normal(organization)


def _limit(field_name: str) -> int | None:
    return getattr(Partner._meta.get_field(field_name), "max_length", None)


class RowChecker:
    """Reads rows of one file with one mapping."""

    def __init__(self, header: list[str], mapping: Mapping) -> None:
        self.header = header
        self.mapping = mapping
        self.columns: dict[str, list[int]] = {}
        for index, column in enumerate(header):
            found = mapping.columns.get(column)
            if found:
                self.columns.setdefault(found, []).append(index)
        self.names = header

    def _value(self, cells: list[str], field_name: str) -> tuple[str, str]:
        """The field's text and the column it came from (several columns joined)."""
        indexes = self.columns.get(field_name, [])
        parts = [(cells[i].strip(), self.names[i]) for i in indexes if i < len(cells)]
        parts = [(text, column) for text, column in parts if text]
        if not parts:
            return "", self.names[indexes[0]] if indexes else field_name
        if field_name in JOINED:
            return JOINED[field_name].join(text for text, _ in parts), parts[0][1]
        return parts[0]

    def _common(self, line: int, cells: list[str]) -> list[Refusal]:
        length = sum(len(cell) for cell in cells)
        if length > MAX_ROW_CHARS:
            return [Refusal(line, "", ROW_TOO_LONG.format(length=length, limit=MAX_ROW_CHARS))]
        return [
            Refusal(line, self.names[i] if i < len(self.names) else f"#{i + 1}", FORMULA)
            for i, cell in enumerate(cells)
            if cell and FORMULA_PATTERN.match(cell)
        ]

    def _choice(self, field_name: str, value: str) -> str | None:
        return CHOICES[field_name].lookup(value, self.mapping.values.get(field_name, {}))

    def partner(self, line: int, cells: list[str]) -> PartnerRow | list[Refusal]:
        cells = [unsafe_cell(cell) for cell in cells]
        refused = self._common(line, cells)
        if refused:
            return refused
        row = PartnerRow(line=line, name="")
        name, column = self._value(cells, "name")
        if not name:
            first, _ = self._value(cells, "first_name")
            last, _ = self._value(cells, "last_name")
            name = f"{first} {last}".strip()
        if not name:
            refused.append(Refusal(line, column, NAME_MISSING))
        elif len(name) > (_limit("name") or 0):
            refused.append(
                Refusal(line, column, TOO_LONG.format(limit=_limit("name"), length=len(name)))
            )
        row.name = name
        for field_name in self.columns:
            if field_name in ("name", "first_name", "last_name"):
                continue
            text, column = self._value(cells, field_name)
            if not text:
                continue
            try:
                self._field(row, field_name, text)
            except ValidationError as error:
                refused.append(Refusal(line, column, " ".join(error.messages)))
        if "profession" not in row.profile and row.tags:
            # A tag may say what they do ("CPA", "Estate attorney").
            for tag in row.tags:
                profession = CHOICES["profession"].lookup(tag, {})
                if profession and profession != Profession.OTHER:
                    row.guessed_profession = profession
                    break
        return refused or row

    def _field(self, row: PartnerRow, field_name: str, text: str) -> None:
        handlers: dict[str, Callable[[str], None]] = {
            "external_id": lambda t: setattr(row, "external_id", _text(t, 100)),
            "tags": lambda t: setattr(row, "tags", split_tags(t)),
            "stage": lambda t: setattr(row, "stage", self._stage(t)),
            "stage_since": lambda t: setattr(row, "stage_since", plausible_date(t)),
            "owner": lambda t: setattr(row, "owner", t.strip()),
        }
        if field_name in handlers:
            handlers[field_name](text)
        elif field_name in ADDRESSES:
            validate, message = ADDRESSES[field_name]
            value = text if field_name != "website" or "://" in text else "https://" + text
            value = _text(value, _limit(field_name))
            try:
                validate(value)
            except ValidationError:
                raise ValidationError(message.format(value=text)) from None
            row.profile[field_name] = value
        elif field_name == "growth_mode":
            key = normal(text)
            if key not in YES | NO:
                raise ValidationError(BAD_YES_NO.format(value=text))
            row.profile["growth_mode"] = key in YES
        elif field_name in CHOICES:
            slug = self._choice(field_name, text)
            if slug is None:
                what = getattr(Partner._meta.get_field(field_name), "verbose_name", field_name)
                raise ValidationError(
                    UNKNOWN_VALUE.format(what=what, value=text, hint=CHOICES[field_name].hint)
                )
            row.profile[field_name] = slug
        else:
            row.profile[field_name] = _text(text, _limit(field_name))

    def _stage(self, text: str) -> str:
        slug = self._choice("stage", text)
        if slug is None:
            raise ValidationError(
                UNKNOWN_VALUE.format(what="stage", value=text, hint=CHOICES["stage"].hint)
            )
        return slug


def split_tags(text: str) -> list[str]:
    """Tags separated by commas, semicolons or Google's " ::: "; Google's own system labels
    ("* myContacts") are not the advisor's."""
    parts = (part.strip() for part in re.split(r",|;|:::", text))
    return clean_tags(part for part in parts if not part.startswith("*"))


def _text(text: str, limit: int | None) -> str:
    if limit and len(text) > limit:
        raise ValidationError(TOO_LONG.format(limit=limit, length=len(text)))
    return text


# --- Touches --------------------------------------------------------------------------------

TOUCH_FIELDS = {
    "partner": ["partner", "contact", "contact id", "id", "name", "email", "key", "partner key"],
    "date": ["date", "when", "occurred at", "occurred", "activity date", "start date"],
    "kind": ["kind", "type", "activity type", "touch"],
    "summary": ["summary", "subject", "note", "notes", "description", "details"],
}


@dataclass(frozen=True)
class TouchRow:
    line: int
    partner: str
    occurred_at: dt.datetime
    kind: str
    summary: str


class TouchChecker:
    """Rows of a touches file: partner key, date, kind, summary, by their headers."""

    def __init__(self, header: list[str]) -> None:
        self.header = header
        self.index: dict[str, int] = {}
        for position, column in enumerate(header):
            for name, words in TOUCH_FIELDS.items():
                if normal(column) in words and name not in self.index:
                    self.index[name] = position
                    break

    missing_message = (
        "The touches file needs the columns partner, date, kind and summary; {missing} not found."
    )

    def check_header(self) -> None:
        missing = [name for name in TOUCH_FIELDS if name not in self.index]
        if missing:
            raise ValidationError(
                {"touches": self.missing_message.format(missing=", ".join(missing))}
            )

    def touch(self, line: int, cells: list[str]) -> TouchRow | list[Refusal]:
        cells = [unsafe_cell(cell) for cell in cells]

        def cell(name: str) -> str:
            position = self.index[name]
            return cells[position].strip() if position < len(cells) else ""

        refused = [
            Refusal(line, self.header[i] if i < len(self.header) else "", FORMULA)
            for i, text in enumerate(cells)
            if text and FORMULA_PATTERN.match(text)
        ]
        if refused:
            return refused
        partner, date, kind_text, summary = (
            cell("partner"),
            cell("date"),
            cell("kind"),
            cell("summary"),
        )
        if not partner:
            refused.append(Refusal(line, self.header[self.index["partner"]], PARTNER_KEY_MISSING))
        occurred_at = None
        try:
            occurred_at = plausible_date(date)
        except ValidationError as error:
            refused.append(Refusal(line, self.header[self.index["date"]], " ".join(error.messages)))
        kind = CHOICES["kind"].lookup(kind_text, {})
        if kind is None:
            refused.append(
                Refusal(
                    line,
                    self.header[self.index["kind"]],
                    UNKNOWN_VALUE.format(what="kind", value=kind_text, hint=CHOICES["kind"].hint),
                )
            )
        if len(summary) > 500:
            refused.append(
                Refusal(
                    line,
                    self.header[self.index["summary"]],
                    TOO_LONG.format(limit=500, length=len(summary)),
                )
            )
        if refused or occurred_at is None or kind is None:
            return refused
        return TouchRow(line, partner, occurred_at, kind, summary or kind_text)
