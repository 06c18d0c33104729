"""``reciprocity restore FILE``: load a backup into an empty, migrated database."""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from reciprocity.accounts.cli import ProductCommand
from reciprocity.transfer.backup import restore_archive

CANNOT_READ = "Cannot read {path}: {reason}"


class Command(ProductCommand):
    help = (
        "Load a backup written by `reciprocity backup` into this database, which must be empty "
        "and migrated (`reciprocity migrate`). All or nothing; checked table by table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            with open(path, "rb") as source:
                restored = restore_archive(source=source, name=path)
        except OSError as error:
            raise CommandError(CANNOT_READ.format(path=path, reason=error.strerror)) from error
        what = f"firm {restored.firm}" if restored.firm else "the whole instance"
        self.stdout.write(
            f"Restored {what}: {restored.rows} rows in {restored.tables} tables, each checked "
            "against the backup."
        )
