"""Reading the audit trail: who changed what, when, from where, and what it was before.

Two views of the same history: a partner's History tab (the partner and everything that hangs
off it) and the firm's audit log (every record of the firm, filtered and paginated). Both read a
bounded number of queries per model, however long the history: the records, the records just
before them (for the before → after), and one query per kind of record their fields name.
"""

import datetime as dt
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.audit.models import AuditPurge, ChainVerification
from reciprocity.audit.registry import audited_models, firm_path, history_of, partner_path
from reciprocity.dates import day_start
from reciprocity.partners.models import Partner

ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}
SOURCE_LABELS = {
    "web": "Web",
    "api": "API",
    "cli": "CLI",
    "import": "Import",
    "email": "Email",
    "partner": "Partner",
    "system": "System",
}
# Fields never shown: bookkeeping, hashes of secrets, and a purge's tombstone (its seal).
HIDDEN_FIELDS = {"id", "created_at", "updated_at", "recorded_at", "purged_links", "signature"}
# Kept on a record by other records' writes (a partner's touch count and last touch, by its
# touches), without an entry of its own: a change would show on the record's next entry, as if
# its author had made it. The other records' entries say who changed what.
DERIVED_FIELDS = {"touch_count", "last_touch_at"}
# The first of these a record has names it in a list.
LABEL_FIELDS = ("name", "label", "what", "need", "summary", "username")
NOT_AUDIT_READER = "Only a compliance officer or a firm admin can read the audit log."
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    """One historical record, ready to show."""

    key: str  # unique across models: "<label>:<history id>"
    model: str  # "partners.Touch"
    kind: str  # "Touch"
    object_id: int
    object_label: str
    action: str
    when: dt.datetime
    who: str
    who_id: int | None
    source: str
    changes: list[Change] = field(default_factory=list)
    partner_id: int | None = None
    reason: str = ""  # why, when the change said (a merge does)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def changes_text(self) -> str:
        return "; ".join(f"{c.field}: {c.before} → {c.after}" for c in self.changes)


# --- Display of values --------------------------------------------------------------------------


def record_label(record: Any) -> str:
    """What a record is called, from its own columns (never a query)."""
    if isinstance(record, User) or hasattr(record, "username"):
        full_name = f"{record.first_name} {record.last_name}".strip()
        return full_name or str(record.username)
    for name in LABEL_FIELDS:
        value = getattr(record, name, None)
        if value:
            return str(value)
    return f"#{getattr(record, 'id', None) or record.pk}"


def _shown_fields(model: type[models.Model], historical: type[models.Model]) -> list[models.Field]:
    tracked = {f.name for f in historical._meta.fields}
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable
        and f.name in tracked
        and f.name not in HIDDEN_FIELDS | DERIVED_FIELDS
        and not f.name.endswith("_hash")
    ]


class Names:
    """Names of the records that foreign keys point to, fetched in one query per model."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.found: dict[tuple[type[models.Model], Any], str] = {}

    def want(self, model: type[models.Model], pk: Any) -> None:
        if pk is not None:
            self.wanted[model].add(pk)

    def fetch(self) -> None:
        for model, pks in self.wanted.items():
            pks -= {pk for (m, pk) in self.found if m is model}
            if pks:
                for obj in model._default_manager.filter(pk__in=pks):
                    self.found[(model, obj.pk)] = record_label(obj)
        self.wanted.clear()

    def get(self, model: type[models.Model], pk: Any) -> str:
        if pk is None:
            return EMPTY
        return self.found.get((model, pk), f"#{pk} (gone)")


def _display(field_: models.Field, value: Any, names: Names) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(field_, models.ForeignKey):
        return names.get(field_.related_model, value)
    if field_.choices:
        return str(dict(field_.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- From historical records to entries -----------------------------------------------------------


def _m2m_ids(record: Any, accessor: str, column: str) -> set[Any]:
    return {getattr(row, column) for row in getattr(record, accessor).all()}


def _m2m_fields(historical: type[models.Model]) -> list[tuple[str, str, str, type[models.Model]]]:
    """Per many-to-many field with history: (field name, accessor of the history's through rows
    on a historical record, column of the target's id on those rows, target model)."""
    found = []
    for m2m in getattr(historical, "_history_m2m_fields", []):
        target = m2m.related_model
        for relation in historical._meta.related_objects:
            through = relation.related_model
            assert isinstance(through, type)
            columns = [
                f.attname
                for f in through._meta.fields
                if isinstance(f, models.ForeignKey) and f.related_model is target
            ]
            if columns and through.__name__.endswith(f"_{m2m.name}"):
                found.append((m2m.name, str(relation.get_accessor_name()), columns[0], target))
    return found


def _entries(
    model: type[models.Model], records: Sequence[Any], previous: dict[int, Any]
) -> list[tuple[Any, Any, list[tuple[Any, Any, Any]]]]:
    """Per record: the record, the one before it, and the raw (field, before, after) changes."""
    historical = history_of(model)
    fields = _shown_fields(model, historical)
    m2m = _m2m_fields(historical)
    raw = []
    for record in records:
        before = previous.get(record.history_id)
        changes: list[tuple[Any, Any, Any]] = []
        if record.history_type != "-":
            for f in fields:
                old = getattr(before, f.attname) if before is not None else None
                new = getattr(record, f.attname)
                if old != new and not (before is None and new in (None, "")):
                    changes.append((f, old, new))
            for name, accessor, column, target in m2m:
                old_ids = _m2m_ids(before, accessor, column) if before is not None else set()
                new_ids = _m2m_ids(record, accessor, column)
                if old_ids != new_ids:
                    changes.append(((name, target), old_ids, new_ids))
        raw.append((record, before, changes))
    return raw


def _build(model: type[models.Model], raw: Iterable[Any], names: Names) -> list[Entry]:
    entries = []
    ppath = partner_path(model)
    for record, _before, changes in raw:
        shown = []
        for f, old, new in changes:
            if isinstance(f, tuple):
                name, target = f
                label = str(model._meta.get_field(name).verbose_name).capitalize()  # type: ignore[union-attr]
                before = ", ".join(sorted(names.get(target, pk) for pk in old)) or EMPTY
                after = ", ".join(sorted(names.get(target, pk) for pk in new)) or EMPTY
                shown.append(Change(label, before, after))
            else:
                label = str(f.verbose_name).capitalize()
                shown.append(Change(label, _display(f, old, names), _display(f, new, names)))
        partner_id = None
        if ppath is not None and "__" not in ppath:
            partner_id = getattr(record, ppath)
        entries.append(
            Entry(
                key=f"{model._meta.label}:{record.history_id}",
                model=model._meta.label,
                kind=str(model._meta.verbose_name).capitalize(),
                object_id=record.id,
                object_label=record_label(record),
                action=ACTIONS.get(record.history_type, record.history_type),
                when=record.history_date,
                who=names.get(User, record.history_user_id) if record.history_user_id else "System",
                who_id=record.history_user_id,
                source=getattr(record, "history_source", "system"),
                changes=shown,
                partner_id=partner_id,
                reason=record.history_change_reason or "",
            )
        )
    return entries


def _want_names(model: type[models.Model], raw: Iterable[Any], names: Names) -> None:
    for record, _before, changes in raw:
        names.want(User, record.history_user_id)
        for f, old, new in changes:
            if isinstance(f, tuple):
                for pk in old | new:
                    names.want(f[1], pk)
            elif isinstance(f, models.ForeignKey):
                names.want(f.related_model, old)
                names.want(f.related_model, new)


def _prefetched(historical: type[models.Model], qs: QuerySet[Any]) -> QuerySet[Any]:
    m2m = [accessor for _name, accessor, _column, _target in _m2m_fields(historical)]
    return qs.prefetch_related(*m2m) if m2m else qs


# --- A partner's history ------------------------------------------------------------------------


def partner_history(*, partner: Partner) -> list[Entry]:
    """Everything recorded about a partner and the records that hang off it, newest first.

    The caller has already checked the partner is visible (partner_get_for)."""
    names = Names()
    collected: list[tuple[type[models.Model], list[Any]]] = []
    for model in audited_models():
        path = partner_path(model)
        if path is None:
            continue
        historical = history_of(model)
        records = list(
            _prefetched(
                historical,
                historical._default_manager.filter(**{path: partner.pk}).order_by(
                    "id", "history_date", "history_id"
                ),
            )
        )
        previous: dict[int, Any] = {}
        for before, record in itertools.pairwise(records):
            if before.id == record.id:
                previous[record.history_id] = before
        raw = _entries(model, records, previous)
        _want_names(model, raw, names)
        collected.append((model, raw))
    names.fetch()
    entries = [entry for model, raw in collected for entry in _build(model, raw, names)]
    return sorted(entries, key=lambda entry: (entry.when, entry.key), reverse=True)


# --- The firm's audit log -----------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    who: int | None = None
    model: str = ""
    source: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def _ensure_reader(user: User) -> None:
    if not user.reads_audit_log:
        raise PermissionDenied(NOT_AUDIT_READER)


def audit_log(*, reader: User, filters: AuditFilters | None = None) -> QuerySet[Any]:
    """Every historical record of the reader's firm, newest first, as rows of ``history_id``,
    ``history_date``, ``model`` (a label): one row per change, to paginate and then pass to
    ``audit_entries``."""
    _ensure_reader(reader)
    filters = filters or AuditFilters()
    parts = []
    for model in audited_models():
        label = model._meta.label
        path = firm_path(model)
        if path is None or (filters.model and filters.model != label):
            continue
        qs = history_of(model)._default_manager.filter(**{path: reader.firm_id})
        if filters.who:
            qs = qs.filter(history_user_id=filters.who)
        if filters.source:
            qs = qs.filter(history_source=filters.source)
        if filters.since:
            qs = qs.filter(history_date__gte=day_start(filters.since))
        if filters.until:
            qs = qs.filter(history_date__lt=day_start(filters.until + dt.timedelta(days=1)))
        parts.append(
            qs.order_by()
            .annotate(model=Value(label, output_field=CharField()))
            .values("history_id", "history_date", "model")
        )
    if not parts:
        return history_of(Partner)._default_manager.none().values("history_id")
    first, *rest = parts
    return first.union(*rest, all=True).order_by("-history_date", "-history_id")


def audit_entries(rows: Iterable[dict[str, Any]]) -> list[Entry]:
    """The audit log rows (one page of them) as entries, with what changed."""
    rows = list(rows)
    by_model: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_model[row["model"]].append(row["history_id"])
    names = Names()
    collected: list[tuple[type[models.Model], list[Any]]] = []
    for model in audited_models():
        ids = by_model.get(model._meta.label)
        if not ids:
            continue
        historical = history_of(model)
        manager = historical._default_manager
        earlier = manager.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        records = list(
            _prefetched(historical, manager.filter(history_id__in=ids)).annotate(
                previous_id=Subquery(
                    earlier.order_by("-history_date", "-history_id").values("history_id")[:1]
                )
            )
        )
        wanted = {r.previous_id for r in records if r.previous_id is not None}
        before = {
            r.history_id: r for r in _prefetched(historical, manager.filter(history_id__in=wanted))
        }
        previous = {r.history_id: before[r.previous_id] for r in records if r.previous_id in before}
        raw = _entries(model, records, previous)
        _want_names(model, raw, names)
        collected.append((model, raw))
    names.fetch()
    entries = {
        (entry.model, int(entry.key.rsplit(":", 1)[1])): entry
        for model, raw in collected
        for entry in _build(model, raw, names)
    }
    return [entries[(row["model"], row["history_id"])] for row in rows]


def audit_people(*, reader: User) -> QuerySet[User]:
    """Everyone of the reader's firm, for the "who" filter (the deactivated too)."""
    _ensure_reader(reader)
    return User.objects.filter(firm=reader.firm).order_by("first_name", "last_name", "username")


def audit_kinds() -> list[tuple[str, str]]:
    """(label, name) of every kind of record in the audit log."""
    return [
        (model._meta.label, str(model._meta.verbose_name).capitalize())
        for model in audited_models()
        if firm_path(model) is not None
    ]


def purges_of(*, reader: User) -> QuerySet[AuditPurge]:
    _ensure_reader(reader)
    return AuditPurge.objects.filter(firm=reader.firm).select_related("by")


def last_verification(*, reader: User) -> ChainVerification | None:
    """The latest check of the reader's firm's chain, if it was ever checked."""
    _ensure_reader(reader)
    return ChainVerification.objects.filter(firm=reader.firm).select_related("by").first()
