"""An advisor's whole book as one JSON document, and reading it back into an empty account.

The format (``"format": "reciprocity-book"``, ``"version": 1``) is documented in the README.
Every record that is the advisor's is in it: the partners they own (archived ones too) and
everything that hangs off them, one table per kind of record in ``BOOK_TABLES``, each row with
its fields by name. A row's ``id`` is only a reference inside the file: a field that points at
another record of the book (a commitment's ``touch``, a referral's ``thank_you_commitment``)
holds that record's ``id``. Who did something is not in the file: the advisor who loads it
becomes the author of every row, and each row's history says it came through ``import``. A
partner's firm-wide links (its team) are left out; links to the firm's playbook library (a
meeting's plan, an opportunity's solution, a case's diagnostic question) are kept by name and
found again in the library of the firm that loads the book, or left empty.
"""

import datetime as dt
import decimal
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute, audit_source
from reciprocity.accounts.models import Firm, Team, User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.partners.models import Partner, Tag

BOOK_FORMAT = "reciprocity-book"
BOOK_VERSION = 1
BOOK_CONTENT_TYPE = "application/json"

# User-facing messages; tests reuse them.
BOOK_NOT_A_BOOK = "This is not a Reciprocity book: its format should be 'reciprocity-book'."
BOOK_NEWER = (
    "This book was written by a newer Reciprocity (format version {version}; this one reads "
    "version {supported} and older). Upgrade Reciprocity, then load it again."
)
BOOK_NOT_EMPTY = (
    "A book loads only into an empty account, and {username} already has partners. Use an "
    "account with none (the import adds to a book that has some)."
)
BOOK_BAD_ROW = "Table {table}, row {row}: {problem}"
BOOK_NO_FIRM = "The account belongs to no firm; add it to one before loading a book."


@dataclass(frozen=True)
class BookTable:
    """One kind of record in the book: ``label`` is the model's, ``partner_path`` the lookup
    from it to the partner it belongs to."""

    label: str
    partner_path: str

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


# In the order they load: a record comes after every record of the book it points at.
BOOK_TABLES = [
    BookTable("partners.Partner", "pk"),
    BookTable("partners.StageChange", "partner"),
    BookTable("partners.Touch", "partner"),
    BookTable("partners.Commitment", "partner"),
    BookTable("playbook.Meeting", "partner"),
    BookTable("playbook.MeetingPoint", "meeting__partner"),
    BookTable("referrals.Referral", "partner"),
    BookTable("referrals.ReferralStatusChange", "referral__partner"),
    BookTable("referrals.ReferralStep", "referral__partner"),
    BookTable("playbook.Agreement", "partner"),
    BookTable("playbook.AgreementPromise", "agreement__partner"),
    BookTable("playbook.ClientConcern", "partner"),
    BookTable("playbook.ClientCase", "partner"),
    BookTable("playbook.CaseQuestion", "case__partner"),
    BookTable("playbook.Opportunity", "partner"),
    BookTable("playbook.PartnerStrategy", "partner"),
    BookTable("playbook.Cadence", "partner"),
    BookTable("playbook.MessageCheck", "partner"),
]
# The firm's playbook library, referred to by what names a record in it.
LIBRARY_KEYS = {
    "playbook.MeetingPlan": ("kind",),
    "playbook.Solution": ("title",),
    "playbook.DiagnosticQuestion": ("topic", "text"),
}
# Firm-wide links a book does not carry.
LEFT_OUT = {Firm, Team}
BOOK_LABELS = {table.label for table in BOOK_TABLES}


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _row(obj: models.Model, library: dict[tuple[str, Any], list[Any] | None]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": obj.pk}
    for field in _fields(type(obj)):
        related = field.related_model
        if related is None:
            row[field.name] = _json_value(getattr(obj, field.attname))
        elif related in LEFT_OUT or related is User:
            continue
        elif related._meta.label in BOOK_LABELS:
            row[field.name] = getattr(obj, field.attname)
        else:
            pk = getattr(obj, field.attname)
            row[field.name] = library.get((related._meta.label, pk)) if pk else None
    if isinstance(obj, Partner):
        row["tags"] = sorted(tag.name for tag in obj.tags.all())
    return row


def _library_names(firm_id: int | None) -> dict[tuple[str, Any], list[Any] | None]:
    names: dict[tuple[str, Any], list[Any] | None] = {}
    for label, keys in LIBRARY_KEYS.items():
        for pk, *values in (
            apps.get_model(label)._default_manager.filter(firm_id=firm_id).values_list("pk", *keys)
        ):
            names[(label, pk)] = values
    return names


def book_dump(*, user: User) -> dict[str, Any]:
    """Every record of ``user``'s book (see the module's docs)."""
    library = _library_names(user.firm_id)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in BOOK_TABLES:
        lookup = "owner" if table.partner_path == "pk" else f"{table.partner_path}__owner"
        rows = table.model._default_manager.filter(**{lookup: user}).order_by("pk")
        if table.model is Partner:
            rows = rows.prefetch_related("tags")
        tables[table.label] = [_row(obj, library) for obj in rows.iterator(chunk_size=2000)]
    return {
        "format": BOOK_FORMAT,
        "version": BOOK_VERSION,
        "exported_at": timezone.now().isoformat(),
        "advisor": {"username": user.username, "name": user.display_name},
        "tables": tables,
    }


def book_filename(username: str) -> str:
    return f"reciprocity-book-{username}-{timezone.localdate().isoformat()}.json"


def book_chunks(*, user: User) -> Iterator[bytes]:
    yield json.dumps(book_dump(user=user), indent=1, ensure_ascii=False).encode()


# --- Reading a book back ------------------------------------------------------------------------


def _check_header(data: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(data, dict) or data.get("format") != BOOK_FORMAT:
        raise ValidationError(BOOK_NOT_A_BOOK)
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValidationError(BOOK_NOT_A_BOOK)
    if version > BOOK_VERSION:
        raise ValidationError(BOOK_NEWER.format(version=version, supported=BOOK_VERSION))
    tables = data.get("tables")
    if not isinstance(tables, dict) or not all(isinstance(rows, list) for rows in tables.values()):
        raise ValidationError(BOOK_NOT_A_BOOK)
    unknown = set(tables) - BOOK_LABELS
    if unknown:
        raise ValidationError(f"{BOOK_NOT_A_BOOK} Unknown tables: {', '.join(sorted(unknown))}.")
    return tables


class _Loader:
    def __init__(self, user: User) -> None:
        self.user = user
        self.pending: list[tuple[type[models.Model], int, dict[str, Any]]] = []
        self.new_ids: dict[str, dict[Any, int]] = {label: {} for label in BOOK_LABELS}
        self.library: dict[tuple[str, tuple[Any, ...]], int] = {}
        for label, keys in LIBRARY_KEYS.items():
            for pk, *values in (
                apps.get_model(label)
                ._default_manager.filter(firm_id=user.firm_id)
                .values_list("pk", *keys)
            ):
                self.library[(label, tuple(values))] = pk

    def _value(self, field: models.Field[Any, Any], value: Any) -> Any:
        related = field.related_model
        if related is None or value is None:
            return value
        label = related._meta.label
        if label in BOOK_LABELS:
            if value not in self.new_ids[label]:
                raise ValueError(f"{field.name} points at a record the book does not have.")
            return self.new_ids[label][value]
        if not isinstance(value, list):
            raise ValueError(f"{field.name} should name a record of the library.")
        return self.library.get((label, tuple(value)))

    def load_row(self, model: type[models.Model], row: dict[str, Any]) -> None:
        if not isinstance(row, dict) or "id" not in row:
            raise ValueError("a row is an object with an id.")
        fields = {field.name: field for field in _fields(model)}
        extra = set(row) - set(fields) - {"id", "tags"}
        if extra:
            raise ValueError(f"unknown fields: {', '.join(sorted(extra))}.")
        values: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for name, field in fields.items():
            related = field.related_model
            if related is User:
                values[field.attname] = self.user.pk
            elif related is Firm:
                values[field.attname] = self.user.firm_id
            elif related in LEFT_OUT or name not in row:
                continue
            elif related is model:
                later[field.attname] = row[name]  # a partner merged into another: second pass
            else:
                values[field.attname] = self._value(field, row[name])
        obj = model(**values)
        if isinstance(obj, Partner):
            obj.owner_id = self.user.pk
        obj.clean_fields(exclude=[f.name for f in fields.values() if f.related_model])
        attribute(obj, self.user).save(force_insert=True)
        # Creation stamps (created_at, recorded_at) say when the record first existed.
        stamps = {
            field.attname: field.to_python(row[name])
            for name, field in fields.items()
            if getattr(field, "auto_now_add", False) and row.get(name)
        }
        if stamps:
            model._default_manager.filter(pk=obj.pk).update(**stamps)
        self.new_ids[model._meta.label][row["id"]] = obj.pk
        if isinstance(obj, Partner):
            names = row.get("tags") or []
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError("tags is a list of names.")
            tags = [Tag.objects.get_or_create(firm_id=obj.firm_id, name=n[:50])[0] for n in names]
            obj.tags.set(tags)
        if later:
            self.pending.append((model, obj.pk, later))

    def finish(self) -> None:
        for model, pk, links in self.pending:
            label = model._meta.label
            resolved = {
                attname: self.new_ids[label].get(value) if value is not None else None
                for attname, value in links.items()
            }
            model._default_manager.filter(pk=pk).update(**resolved)


@dataclass(frozen=True)
class BookLoaded:
    counts: dict[str, int]


@transaction.atomic
def book_load(*, user: User, data: Any) -> BookLoaded:
    """Read a book (``book_dump``'s document, parsed) into ``user``'s account, which must have
    no partner yet. All or nothing: a bad row refuses the whole book, saying which and why."""
    ensure_can_write(user)
    tables = _check_header(data)
    if user.firm_id is None:
        raise ValidationError(BOOK_NO_FIRM)
    if Partner.objects.filter(owner=user).exists():
        raise ValidationError(BOOK_NOT_EMPTY.format(username=user.username))
    loader = _Loader(user)
    counts = {}
    with audit_source("import"):
        for table in BOOK_TABLES:
            rows = tables.get(table.label, [])
            for index, row in enumerate(rows, start=1):
                try:
                    loader.load_row(table.model, row)
                except ValidationError as error:
                    problem = "; ".join(
                        f"{field}: {' '.join(messages)}"
                        for field, messages in error.message_dict.items()
                    )
                    raise ValidationError(
                        BOOK_BAD_ROW.format(table=table.label, row=index, problem=problem)
                    ) from error
                except (ValueError, TypeError, IntegrityError, DatabaseError) as error:
                    raise ValidationError(
                        BOOK_BAD_ROW.format(table=table.label, row=index, problem=error)
                    ) from error
            counts[table.label] = len(rows)
        loader.finish()
    return BookLoaded(counts=counts)
