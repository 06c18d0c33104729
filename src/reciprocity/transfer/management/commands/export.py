"""``reciprocity export``: a user's partner list as CSV, XLSX or vCard, or their whole book as
JSON, to a file or to standard output."""

import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

from django.core.management.base import CommandError, CommandParser

from reciprocity.accounts.cli import ProductCommand, add_user_argument, resolve_user
from reciprocity.transfer.exports.book import book_chunks
from reciprocity.transfer.exports.lists import (
    LIST_FORMATS,
    export_chunks,
    list_partners_for_export,
)

FORMATS = [*LIST_FORMATS, "json"]
CANNOT_WRITE = "Cannot write {path}: {reason}"


def write_chunks(chunks: Iterator[bytes], out: BinaryIO) -> None:
    for chunk in chunks:
        out.write(chunk)


class Command(ProductCommand):
    help = (
        "Export the partners a user sees (csv, xlsx, vcf), or their whole book as JSON, which "
        "`reciprocity import` reads back into an empty account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_user_argument(parser)
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="the file to write (standard output if left out)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        if options["format"] == "json":
            chunks = book_chunks(user=user)
        else:
            partners = list_partners_for_export(advisor=user)
            chunks = export_chunks(partners, LIST_FORMATS[options["format"]])
        path = options["output"]
        if not path:
            out = getattr(self.stdout, "_out", sys.stdout)
            buffer = getattr(out, "buffer", None)
            if buffer is not None:
                write_chunks(chunks, buffer)
                buffer.flush()
            else:  # a text stream (call_command with stdout=StringIO)
                for chunk in chunks:
                    out.write(chunk.decode("utf-8", errors="replace"))
            return
        try:
            with open(path, "wb") as out_file:
                write_chunks(chunks, out_file)
        except OSError as error:
            raise CommandError(CANNOT_WRITE.format(path=path, reason=error.strerror)) from error
