"""``reciprocity backup [--firm SLUG] -o FILE``: a versioned archive of a firm or of everything."""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from reciprocity.accounts.cli import ProductCommand
from reciprocity.transfer.backup import backup_write

CANNOT_WRITE = "Cannot write {path}: {reason}"


class Command(ProductCommand):
    help = (
        "Write a backup of one firm (--firm) or of the whole instance, history and audit trail "
        "included; `reciprocity restore FILE` loads it into an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", metavar="SLUG", help="only this firm (default: everything)")
        parser.add_argument("-o", "--output", metavar="FILE", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["output"]
        try:
            with open(path, "wb") as out:
                manifest = backup_write(out=out, firm_slug=options["firm"])
        except OSError as error:
            raise CommandError(CANNOT_WRITE.format(path=path, reason=error.strerror)) from error
        rows = sum(table["rows"] for table in manifest["tables"].values())
        what = f"firm {manifest['firm']}" if manifest["firm"] else "the whole instance"
        self.stdout.write(
            f"Backed up {what}: {rows} rows in {len(manifest['tables'])} tables to {path}."
        )
