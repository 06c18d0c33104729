"""Backup and restore of a firm or of the whole instance, across SQLite and PostgreSQL.

A backup is a zip archive (format ``reciprocity-backup``, version 1):

- ``manifest.json``: the format and its version, when it was written, the firm's slug (or null
  for the whole instance), the database migrations it was written at, and for each table its
  model, row count and the SHA-256 of its rows;
- ``tables/<table>.jsonl``: one line naming the model and its columns, then one JSON array per
  row, in primary-key order.

Every table of every installed app is in it, historical tables and the audit trail included (a
firm's backup keeps the rows that lead to that firm). Content types and permissions are written
by name, not by id: ``reciprocity migrate`` creates them in the new database with ids of its
own. Rows are read from the database and written to the archive a batch at a time, and read
back the same way, so neither side holds the instance in memory.

``restore_archive`` loads a backup into an empty database migrated to the same migrations, in
one transaction, bypassing the model layer (no signals, no new history, ids kept), then checks
every table's row count and checksum against the manifest and resets PostgreSQL's sequences.
Anything wrong rolls everything back.
"""

import datetime as dt
import decimal
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_string

from reciprocity.accounts.models import Firm
from reciprocity.audit.registry import firm_path

BACKUP_FORMAT = "reciprocity-backup"
BACKUP_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000

# User-facing messages; tests reuse them.
NO_SUCH_FIRM = "No firm with the slug {slug!r}."
NOT_A_BACKUP = "{name} is not a Reciprocity backup (a zip archive with a manifest.json)."
BACKUP_NEWER = (
    "This backup was written by a newer Reciprocity (format version {version}; this one reads "
    "version {supported} and older). Upgrade Reciprocity, then restore it."
)
NOT_EMPTY = (
    "The database is not empty ({table} has rows): a backup is restored only into an empty "
    "database. Create a new one, run `reciprocity migrate`, then restore."
)
MIGRATIONS_MISSING = (
    "The database lacks migrations the backup was written at ({names}): run "
    "`reciprocity migrate` (with this version of Reciprocity or a newer one) first."
)
MIGRATIONS_NEWER = (
    "The database is at migrations the backup was not written at ({names}): restore it with "
    "the version of Reciprocity that wrote it, then upgrade and migrate."
)
UNKNOWN_TABLE = "The backup has a table this version does not know: {table}."
COLUMNS_DIFFER = "The columns of {table} in the backup differ from this database's."
BAD_ROW = "{table}, row {row}: {problem}"
CHECK_FAILED = (
    "{table} does not match the backup after restoring ({problem}); nothing was restored."
)

# Created by `migrate` in every database, with ids of its own: written by name instead.
SEEDED: tuple[type[models.Model], ...] = (ContentType, Permission)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    raise TypeError(f"Cannot write {type(value).__name__} to a backup.")


def _line(values: Iterable[Any]) -> bytes:
    return (
        json.dumps(list(values), default=_encode, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()


def _firm_lookup(model: type[models.Model]) -> str | None:
    """The lookup from a row of ``model`` to its firm's id (the firm's own history by its id)."""
    if getattr(model, "instance_type", None) is Firm:
        return "id"
    return firm_path(model)


def backed_up_models(firm: Firm | None = None) -> list[type[models.Model]]:
    """Every table a backup holds, in a stable order; for a firm, those that lead to a firm."""
    chosen = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or model in SEEDED:
            continue
        if firm is not None and _firm_lookup(model) is None:
            continue
        chosen.append(model)
    return sorted(chosen, key=lambda model: model._meta.db_table)


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


class _Names:
    """Content types and permissions by name (both directions)."""

    def __init__(self) -> None:
        self.type_names = {
            ct.pk: [ct.app_label, ct.model] for ct in ContentType.objects.order_by("pk")
        }
        self.type_ids = {tuple(name): pk for pk, name in self.type_names.items()}
        self.permission_names = {
            pk: [*self.type_names[ct], codename]
            for pk, ct, codename in Permission.objects.values_list("pk", "content_type", "codename")
        }
        self.permission_ids = {tuple(name): pk for pk, name in self.permission_names.items()}

    def writer(self, field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        if field.related_model is ContentType:
            return lambda pk: None if pk is None else self.type_names.get(pk)
        if field.related_model is Permission:
            return lambda pk: None if pk is None else self.permission_names.get(pk)
        return None

    def reader(self, field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        if field.related_model is ContentType:
            return lambda name: None if name is None else self._content_type(name)
        if field.related_model is Permission:
            return lambda name: None if name is None else self._permission(name)
        return None

    def _content_type(self, name: list[str]) -> int:
        key = tuple(name)
        if key not in self.type_ids:
            created = ContentType.objects.create(app_label=name[0], model=name[1])
            self.type_ids[key] = created.pk
        return self.type_ids[key]

    def _permission(self, name: list[str]) -> int:
        key = tuple(name)
        if key not in self.permission_ids:
            created = Permission.objects.create(
                content_type_id=self._content_type(name[:2]), codename=name[2], name=name[2]
            )
            self.permission_ids[key] = created.pk
        return self.permission_ids[key]


def _rows(model: type[models.Model], firm: Firm | None, names: _Names) -> Iterator[list[Any]]:
    columns = _columns(model)
    writers = [names.writer(field) for field in columns]
    rows = model._base_manager.order_by("pk")
    if firm is not None:
        rows = rows.filter(**{str(_firm_lookup(model)): firm.pk})
    for values in rows.values_list(*[field.attname for field in columns]).iterator(BATCH):
        yield [
            value if write is None else write(value)
            for value, write in zip(values, writers, strict=True)
        ]


@dataclass
class TableSummary:
    model: str
    rows: int = 0
    sha256: str = ""


def table_summaries(firm: Firm | None = None) -> dict[str, TableSummary]:
    """Each table's row count and checksum as the database holds it now (what a backup's
    manifest records, and what a restore is checked against)."""
    names = _Names()
    summaries = {}
    for model in backed_up_models(firm):
        digest = hashlib.sha256()
        summary = TableSummary(model._meta.label)
        for row in _rows(model, firm, names):
            digest.update(_line(row))
            summary.rows += 1
        summary.sha256 = digest.hexdigest()
        summaries[model._meta.db_table] = summary
    return summaries


def _applied_migrations() -> list[str]:
    recorder = MigrationRecorder(connection)
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def backup_write(*, out: IO[bytes], firm_slug: str | None = None) -> dict[str, Any]:
    """Write a backup of the firm ``firm_slug`` (or of everything) to ``out``; the manifest."""
    firm = None
    if firm_slug:
        firm = Firm.objects.filter(slug=firm_slug).first()
        if firm is None:
            raise ValidationError(NO_SUCH_FIRM.format(slug=firm_slug))
    names = _Names()
    tables: dict[str, dict[str, Any]] = {}
    # One snapshot of the database for every table: a repeatable read on PostgreSQL.
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for model in backed_up_models(firm):
            table = model._meta.db_table
            digest = hashlib.sha256()
            count = 0
            with archive.open(f"tables/{table}.jsonl", "w", force_zip64=True) as member:
                header = {"model": model._meta.label, "columns": _column_names(model)}
                member.write(json.dumps(header).encode() + b"\n")
                for row in _rows(model, firm, names):
                    line = _line(row)
                    member.write(line)
                    digest.update(line)
                    count += 1
            tables[table] = {
                "model": model._meta.label,
                "rows": count,
                "sha256": digest.hexdigest(),
            }
        manifest = {
            "format": BACKUP_FORMAT,
            "version": BACKUP_VERSION,
            "written_at": timezone.now().isoformat(),
            "firm": firm.slug if firm else None,
            "database": connection.vendor,
            "migrations": _applied_migrations(),
            "tables": tables,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
    return manifest


def _column_names(model: type[models.Model]) -> list[str]:
    return [field.attname for field in _columns(model)]


# --- Restore ------------------------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError) as error:
        raise ValidationError(NOT_A_BACKUP.format(name=name)) from error
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise ValidationError(NOT_A_BACKUP.format(name=name))
    version = manifest.get("version")
    if not isinstance(version, int) or version > BACKUP_VERSION:
        raise ValidationError(BACKUP_NEWER.format(version=version, supported=BACKUP_VERSION))
    return manifest


def _check_target(manifest: dict[str, Any]) -> None:
    applied = set(_applied_migrations())
    wanted = set(manifest.get("migrations") or [])
    if wanted - applied:
        raise ValidationError(MIGRATIONS_MISSING.format(names=", ".join(sorted(wanted - applied))))
    if applied - wanted:
        raise ValidationError(MIGRATIONS_NEWER.format(names=", ".join(sorted(applied - wanted))))
    for model in backed_up_models():
        if model._base_manager.exists():
            raise ValidationError(NOT_EMPTY.format(table=model._meta.db_table))


@contextmanager
def _stamps_kept(models_: Iterable[type[models.Model]]) -> Iterator[None]:
    """Rows keep the dates they were written with: auto_now(_add) fields are switched off."""
    switched = []
    for model in models_:
        for field in model._meta.concrete_fields:
            flags = (getattr(field, "auto_now", False), getattr(field, "auto_now_add", False))
            if any(flags):
                switched.append((field, flags))
                field.auto_now = field.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for field, (auto_now, auto_now_add) in switched:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]


def _load_table(
    archive: zipfile.ZipFile, table: str, model: type[models.Model], names: _Names
) -> int:
    columns = _columns(model)
    readers = [names.reader(field) or field.to_python for field in columns]
    loaded = 0
    with archive.open(f"tables/{table}.jsonl") as member:
        lines = io.TextIOWrapper(member, encoding="utf-8")
        header = json.loads(next(lines))
        if header.get("columns") != _column_names(model):
            raise ValidationError(COLUMNS_DIFFER.format(table=table))
        batch: list[models.Model] = []
        for number, line in enumerate(lines, start=1):
            try:
                values = json.loads(line)
                batch.append(
                    model(
                        **{
                            field.attname: read(value)
                            for field, read, value in zip(columns, readers, values, strict=True)
                        }
                    )
                )
            except (ValueError, TypeError, ValidationError) as error:
                raise ValidationError(
                    BAD_ROW.format(table=table, row=number, problem=error)
                ) from error
            if len(batch) >= BATCH:
                model._base_manager.bulk_create(batch)
                loaded += len(batch)
                batch = []
        if batch:
            model._base_manager.bulk_create(batch)
            loaded += len(batch)
    return loaded


def _reset_sequences(models_: list[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), models_)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@dataclass(frozen=True)
class Restored:
    firm: str | None
    tables: int
    rows: int


def restore_archive(*, source: IO[bytes], name: str = "the file") -> Restored:
    """Load the backup ``source`` into this (empty, migrated) database; see the module's docs."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValidationError(NOT_A_BACKUP.format(name=name)) from error
    with archive:
        manifest = read_manifest(archive, name)
        tables: dict[str, dict[str, Any]] = manifest.get("tables") or {}
        known = {model._meta.db_table: model for model in backed_up_models()}
        for table in tables:
            if table not in known:
                raise ValidationError(UNKNOWN_TABLE.format(table=table))
        chosen = [known[table] for table in tables]
        rows = 0
        try:
            with transaction.atomic(), _stamps_kept(chosen):
                _check_target(manifest)
                names = _Names()
                for table in tables:
                    rows += _load_table(archive, table, known[table], names)
                _verify(manifest)
                _reset_sequences(chosen)
        except DatabaseError as error:
            raise ValidationError(f"The database refused the backup: {error}") from error
    return Restored(firm=manifest.get("firm"), tables=len(tables), rows=rows)


def _verify(manifest: dict[str, Any]) -> None:
    """Every table now holds exactly the backup's rows (count and checksum)."""
    expected = manifest["tables"]
    firm = None
    if manifest.get("firm"):
        firm = Firm.objects.get(slug=manifest["firm"])
    found = table_summaries(firm)
    for table, wanted in expected.items():
        got = found.get(table)
        if got is None or got.rows != wanted["rows"]:
            problem = f"{got.rows if got else 0} rows instead of {wanted['rows']}"
            raise ValidationError(CHECK_FAILED.format(table=table, problem=problem))
        if got.sha256 != wanted["sha256"]:
            raise ValidationError(CHECK_FAILED.format(table=table, problem="checksum differs"))
