"""Every write of an import: the dry run (which writes nothing), the run queued for the worker,
and the run itself, all or nothing in one transaction."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute, audit_source
from reciprocity.accounts.models import Firm, User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.transfer.imports.engine import Outcome, Walk
from reciprocity.transfer.imports.formats import FileRefused, Table, read_table
from reciprocity.transfer.imports.mapping import Mapping, mapping_for, preset_get
from reciprocity.transfer.imports.models import ImportRun, ImportStatus

logger = logging.getLogger(__name__)

# User-facing messages; tests reuse them.
NO_FIRM = "Your account belongs to no firm; ask an administrator to add you to one."
FILE_TOO_LARGE = "The file is {size} MB; an import takes files of up to {limit} MB."
JSON_NOT_YET = (
    "A whole book (JSON) is read back into an empty account with `reciprocity import "
    "FILE.json`; here, import a CSV, XLSX or vCard file."
)
ALREADY_RAN = "This import has already run."
NOT_A_DRAFT = "This import has started already; its mapping cannot change."
ROWS_REFUSED = "{count} row(s) refused: nothing was imported. Correct them and import again."

# The largest file an import takes (the web page states it).
MAX_UPLOAD_MB = 200


class _Refused(Exception):
    """Rows were refused: everything written by the run is rolled back."""


@dataclass
class ImportFiles:
    """What an advisor brings: the partners file, maybe a touches file, and how to read them."""

    data: bytes
    file_name: str
    preset: str = ""
    columns: dict[str, str] | None = None
    values: dict[str, dict[str, str]] | None = None
    touches: bytes = b""
    touches_name: str = ""

    @property
    def source(self) -> str:
        """Whose ids the file's external ids are: the preset's system, else the file's."""
        return self.preset or "file"


def _check_size(data: bytes) -> None:
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise FileRefused(
            FILE_TOO_LARGE.format(size=len(data) // (1024 * 1024), limit=MAX_UPLOAD_MB)
        )


def import_open(files: ImportFiles) -> tuple[Table, Mapping, Table | None]:
    """The files read and their mapping checked, or a refusal of the whole file."""
    if files.file_name.lower().endswith(".json"):
        raise FileRefused(JSON_NOT_YET)
    _check_size(files.data)
    if files.preset:
        preset_get(files.preset)
    table = read_table(files.data, files.file_name)
    mapping = mapping_for(
        table.header, preset=files.preset, columns=files.columns, values=files.values
    )
    touches = None
    if files.touches:
        _check_size(files.touches)
        touches = read_table(files.touches, files.touches_name or "touches.csv")
    return table, mapping, touches


def _importer(by: User) -> Firm:
    ensure_can_write(by)
    if by.firm is None:
        raise PermissionDenied(NO_FIRM)
    return by.firm


def import_check(*, by: User, files: ImportFiles) -> Outcome:
    """The dry run: what the import would do, row by row. Nothing is written."""
    _importer(by)
    table, mapping, touches = import_open(files)
    return Walk(by=by, table=table, mapping=mapping, source=files.source, touches=touches).run()


@transaction.atomic
def import_run_create(*, by: User, files: ImportFiles) -> ImportRun:
    """Record an import to run: the files are read once here, so a bad file is refused now and
    not by the worker."""
    firm = _importer(by)
    table, mapping, _touches = import_open(files)
    run = ImportRun(
        firm=firm,
        by=by,
        file_name=files.file_name[:255],
        touches_file_name=files.touches_name[:255] if files.touches else "",
        preset=files.preset,
        mapping=mapping.columns,
        values=mapping.values,
        data=files.data,
        touches_data=files.touches,
        total=_row_estimate(files.data, table.format),
    )
    attribute(run, by).save()
    return run


def import_files_of(run: ImportRun) -> ImportFiles:
    """The files of a run as the advisor brought them, with the mapping chosen since."""
    return ImportFiles(
        data=bytes(run.data),
        file_name=run.file_name,
        preset=run.preset,
        columns=run.mapping,
        values=run.values,
        touches=bytes(run.touches_data),
        touches_name=run.touches_file_name,
    )


@transaction.atomic
def import_run_map(
    *,
    run: ImportRun,
    by: User,
    columns: dict[str, str],
    values: dict[str, dict[str, str]] | None = None,
) -> ImportRun:
    """Correct the mapping (and the value maps) of an import not started yet."""
    _importer(by)
    locked = ImportRun.objects.select_for_update().get(pk=run.pk, by=by)
    if not locked.is_draft:
        raise ValidationError(NOT_A_DRAFT)
    files = import_files_of(locked)
    files.columns = columns
    if values is not None:
        files.values = values
    _table, mapping, _touches = import_open(files)
    locked.mapping = mapping.columns
    locked.values = mapping.values
    attribute(locked, by).save(update_fields=["mapping", "values"])
    return locked


@transaction.atomic
def import_run_queue(*, run: ImportRun, by: User) -> ImportRun:
    """Confirm an import: it waits for the worker from now on."""
    _importer(by)
    locked = ImportRun.objects.select_for_update().get(pk=run.pk, by=by)
    if not locked.is_draft:
        raise ValidationError(NOT_A_DRAFT)
    locked.status = ImportStatus.QUEUED
    attribute(locked, by).save(update_fields=["status"])
    return locked


def _row_estimate(data: bytes, kind: str) -> int:
    """Rows in the file, counted cheaply for the progress bar (an estimate: a quoted cell may
    hold a line break)."""
    if kind == "vcf":
        return data.upper().count(b"BEGIN:VCARD")
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    # The first line names the columns.
    return max(lines - 1, 1)


class _ProgressWriter:
    """The run's progress, written where the page can read it while the import's own
    transaction is still open: on a second connection (PostgreSQL). SQLite has one writer at a
    time, so there the page shows the run's progress when it ends."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.connection = None
        if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, rows: int) -> None:
        self.run.progress = rows
        if self.connection is None:
            return
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportRun._meta.db_table} SET progress = %s WHERE id = %s",  # noqa: S608
                [rows, self.run.pk],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def import_run_execute(
    *, run: ImportRun, progress: Callable[[int], None] | None = None
) -> ImportRun:
    """Run an import: all of it in one transaction, or nothing. Safe to run again: a finished
    run is left as it is."""
    if run.is_finished:
        return run
    by = User.objects.select_related("firm").get(pk=run.by_id)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, progress=0)
    files = import_files_of(run)
    writer = _ProgressWriter(run)

    def report(rows: int) -> None:
        writer(rows)
        if progress is not None:
            progress(rows)

    outcome: Outcome | None = None
    status, error = ImportStatus.DONE, ""
    try:
        with audit_source("import"), transaction.atomic():
            _importer(by)
            # One import at a time per firm: the same file twice at once updates the second
            # time instead of creating twice.
            Firm.objects.select_for_update().filter(pk=run.firm_id).first()
            table, mapping, touches = import_open(files)
            walk = Walk(
                by=by,
                table=table,
                mapping=mapping,
                source=files.source,
                touches=touches,
                write=True,
                progress=report,
            )
            outcome = walk.run()
            # What the walk keeps of a million rows goes before the run is written.
            del walk
            if outcome.refused_count:
                raise _Refused
    except _Refused:
        status = ImportStatus.REFUSED
        assert outcome is not None
        error = ROWS_REFUSED.format(count=outcome.refused_count)
    except (ValidationError, PermissionDenied) as refusal:
        status, error = ImportStatus.REFUSED, " ".join(getattr(refusal, "messages", [str(refusal)]))
    except Exception as failure:
        logger.exception("Import %s failed", run.pk)
        status, error = ImportStatus.FAILED, f"The import failed and nothing was kept: {failure}"
    finally:
        writer.close()
    return _finish(run, by, status, error, outcome)


def _finish(
    run: ImportRun, by: User, status: str, error: str, outcome: Outcome | None
) -> ImportRun:
    # Not read again: the file would come back into memory just to be dropped.
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.data = b""
    run.touches_data = b""
    if outcome is not None:
        run.progress = outcome.rows
        run.total = max(run.total, outcome.rows) if status == ImportStatus.DONE else run.total
        run.refused = [refusal.as_dict() for refusal in outcome.refused]
        if status == ImportStatus.DONE:
            run.created, run.updated, run.unchanged = (
                outcome.created,
                outcome.updated,
                outcome.unchanged,
            )
            run.touches_created = outcome.touches
    with audit_source("import"):
        attribute(run, by).save()
    return run
