"""Everything Reciprocity writes into a spreadsheet cell passes through ``safe_cell``.

A CSV file opened in Excel, LibreOffice or Google Sheets runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula (and a leading tab or carriage return can hide such a start).
A partner's name or a note typed by anyone could then fetch a URL or run a command on the
reader's machine. A leading apostrophe makes the spreadsheet show the text as text.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """``value`` as cell text that no spreadsheet will evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unsafe_cell(text: str) -> str:
    """The text ``safe_cell`` was given: a file written by it (this product's exports) read
    back without the apostrophe it put before a formula-like start."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like target for csv.writer that hands back what was written."""

    def write(self, text: str) -> str:
        return text


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text, one line at a time (for a streaming response), every cell made safe."""
    writer = csv.writer(_Line())
    yield writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])
