"""``reciprocity import FILE``: bring partners (and their touches) in from a CSV, XLSX or
vCard file; ``--dry-run`` says what it would do and writes nothing. A ``.json`` file is a whole
book written by ``reciprocity export --format json``, read back into an empty account.

Exit status: 0 when it imported (or the dry run refused nothing), 1 when rows were refused, 2
when the file itself was refused.
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from reciprocity.accounts.cli import (
    ProductCommand,
    add_user_argument,
    resolve_user,
    validation_text,
)
from reciprocity.transfer.exports.book import book_load
from reciprocity.transfer.imports.mapping import PRESETS, mapping_from_file
from reciprocity.transfer.imports.models import ImportStatus
from reciprocity.transfer.imports.services import (
    ImportFiles,
    import_check,
    import_run_create,
    import_run_execute,
)

ROWS_REFUSED = 1
FILE_REFUSED = 2
PROGRESS_LINE_EVERY = 100_000
NO_FILE = "Cannot read {path}: {reason}."
BOOK_SUFFIX = ".json"
BOOK_NOT_JSON = "{path} is not a JSON document (line {line}: {reason})."
BOOK_ALONE = (
    "A whole book is read back as it is: --dry-run, --preset, --mapping and --touches are for "
    "CSV, XLSX and vCard files."
)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(
            NO_FILE.format(path=path, reason=error.strerror), returncode=FILE_REFUSED
        ) from None


class Command(ProductCommand):
    help = "Import partners from a CSV, XLSX or vCard file (and touches from a second file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--preset", default="", choices=sorted(PRESETS), help="the file's source"
        )
        parser.add_argument("--mapping", metavar="FILE", help="JSON: columns and value maps")
        parser.add_argument(
            "--touches", metavar="FILE", help="touches: partner, date, kind, summary"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would happen; write nothing"
        )
        add_user_argument(parser)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        if Path(options["file"]).suffix.lower() == BOOK_SUFFIX:
            self._load_book(user, options)
            return
        columns, values = None, None
        if options["mapping"]:
            try:
                columns, values = mapping_from_file(
                    _read(options["mapping"]).decode("utf-8", "replace")
                )
            except ValidationError as error:
                raise CommandError(validation_text(error), returncode=FILE_REFUSED) from None
        files = ImportFiles(
            data=_read(options["file"]),
            file_name=Path(options["file"]).name,
            preset=options["preset"],
            columns=columns,
            values=values,
            touches=_read(options["touches"]) if options["touches"] else b"",
            touches_name=Path(options["touches"]).name if options["touches"] else "",
        )
        try:
            if options["dry_run"]:
                outcome = import_check(by=user, files=files)
                self._report(outcome.as_dict(), outcome.refused_count, options["json"], dry=True)
                return
            run = import_run_create(by=user, files=files)
        except ValidationError as error:
            raise CommandError(validation_text(error), returncode=FILE_REFUSED) from None
        run = import_run_execute(run=run, progress=self._progress)
        if run.status == ImportStatus.FAILED:
            raise CommandError(run.error, returncode=FILE_REFUSED)
        if run.status == ImportStatus.REFUSED and not run.refused:
            raise CommandError(run.error, returncode=FILE_REFUSED)
        result = {
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "touches": run.touches_created,
            "refused": run.refused,
        }
        self._report(result, len(run.refused), options["json"], dry=False)

    def _load_book(self, user: Any, options: dict[str, Any]) -> None:
        """A whole book, into an account that has no partner yet (all or nothing)."""
        if options["dry_run"] or options["preset"] or options["mapping"] or options["touches"]:
            raise CommandError(BOOK_ALONE, returncode=FILE_REFUSED)
        path = options["file"]
        try:
            data = json.loads(_read(path))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            line = getattr(error, "lineno", 1)
            reason = getattr(error, "msg", "not UTF-8 text")
            raise CommandError(
                BOOK_NOT_JSON.format(path=path, line=line, reason=reason), returncode=FILE_REFUSED
            ) from None
        try:
            loaded = book_load(user=user, data=data)
        except ValidationError as error:
            raise CommandError(validation_text(error), returncode=FILE_REFUSED) from None
        result = {
            "created": loaded.counts.get("partners.Partner", 0),
            "touches": loaded.counts.get("partners.Touch", 0),
            "updated": 0,
            "unchanged": 0,
            "refused": [],
            "records": loaded.counts,
        }
        self._report(result, 0, options["json"], dry=False)

    def _progress(self, rows: int) -> None:
        # A terminal sees the count move in place; a log gets a line now and then.
        if sys.stderr.isatty():
            self.stderr.write(f"{rows} rows read", ending="\r")
        elif rows % PROGRESS_LINE_EVERY == 0:
            self.stderr.write(f"{rows} rows read")

    def _report(self, result: dict[str, Any], refused: int, as_json: bool, *, dry: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            verb = "Would create" if dry else "Created"
            self.stdout.write(
                f"{verb} {result['created']}, updated {result['updated']}, left "
                f"{result['unchanged']} unchanged, {result['touches']} touches; "
                f"{refused} refused."
            )
            for line in result.get("duplicates", []):
                self.stdout.write(f"Possible duplicate: {line}")
            for row in result["refused"]:
                column = f" ({row['column']})" if row["column"] else ""
                self.stdout.write(f"Line {row['line']}{column}: {row['reason']}")
        if refused:
            message = "Rows were refused" + ("." if dry else ": nothing was imported.")
            raise CommandError(message, returncode=ROWS_REFUSED)
