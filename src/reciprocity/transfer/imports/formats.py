"""Readers of the files an advisor brings: CSV, XLSX and vCard, each as a table of text cells.

Every reader hands back a header and the rows one at a time with the line they came from, so a
million-row file is never held as rows in memory, and every refusal can name its line. A file
that is not what its name claims, empty, without a header, or built to exhaust the server is
refused whole with a ``FileRefused`` saying why.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError

# User-facing messages; tests reuse them.
EMPTY_FILE = "The file is empty."
NO_HEADER = "Line 1: the first row must name the columns; it is empty."
BINARY_NOT_CSV = "This file is not a CSV text file: it holds binary data (line {line})."
NOT_XLSX = "This file is not an Excel workbook (.xlsx): it cannot be opened as one."
XLSX_TOO_LARGE = (
    "This workbook unpacks to {size} MB, more than the {limit} MB allowed: it was not opened."
)
XLSX_NO_SHEET = "The workbook has no sheet to read."
BROKEN_VCARD = "Line {line}: this is not a valid vCard line ({reason})."
NO_VCARD = "No contact found: a vCard file starts each contact with BEGIN:VCARD."
UNKNOWN_FORMAT = "Unknown file type {suffix!r}. Use a .csv, .xlsx or .vcf file."
BAD_CSV = "Line {line}: the file cannot be read as CSV ({reason})."

# A workbook's parts unpack to at most this much; the ratio catches small zip bombs.
XLSX_MAX_UNPACKED = 512 * 1024 * 1024
XLSX_MAX_RATIO = 200
# The csv module's default cell limit (128 KiB) would fail a whole file on one long cell; the
# row-length rule (rows.py) refuses such a row by its line instead.
CSV_FIELD_LIMIT = 16 * 1024 * 1024
# Bytes validated as UTF-8 at a time, so detection never decodes the whole file at once.
CHUNK = 1024 * 1024


class FileRefused(ValidationError):
    """The whole file is refused: nothing of it is read further."""


@dataclass
class Table:
    """A file as text cells: the header, and the rows with the line each starts on."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    format: str


# --- CSV ------------------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 with its mark, else Windows-1252: the
    encodings spreadsheets and CRMs export. A file that is valid UTF-8 is read as UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), CHUNK):
            decoder.decode(data[start : start + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _binary_line(data: bytes, encoding: str) -> int | None:
    """The line of the first NUL byte of an 8-bit text file: text never holds one."""
    if encoding == "utf-16":
        return None
    position = data.find(b"\x00")
    return None if position < 0 else data.count(b"\n", 0, position) + 1


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        # One column, or too little to tell: a comma is what the file would have used.
        return csv.excel


def read_csv(data: bytes) -> Table:
    encoding = detect_encoding(data)
    line = _binary_line(data, encoding)
    if line is not None:
        raise FileRefused(BINARY_NOT_CSV.format(line=line))
    # cp1252 leaves five bytes undefined; decode them rather than refuse a whole file for one.
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    sample = text.read(64 * 1024)
    text.seek(0)
    if not sample.strip():
        raise FileRefused(EMPTY_FILE)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(text, _dialect(sample))
    try:
        header = next(reader)
    except csv.Error as error:
        raise FileRefused(BAD_CSV.format(line=1, reason=error)) from None
    if not any(cell.strip() for cell in header):
        raise FileRefused(NO_HEADER)

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileRefused(BAD_CSV.format(line=line, reason=error)) from None
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1

    return Table(header=[cell.strip() for cell in header], rows=rows(), format="csv")


# --- XLSX -----------------------------------------------------------------------------------


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook before opening it when its parts would unpack to too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRefused(NOT_XLSX) from None
    with archive:
        infos = archive.infolist()
        if not any(info.filename.startswith("xl/") for info in infos):
            raise FileRefused(NOT_XLSX)
        unpacked = sum(info.file_size for info in infos)
        packed = sum(info.compress_size for info in infos) or 1
    if unpacked > XLSX_MAX_UNPACKED or unpacked > XLSX_MAX_RATIO * max(packed, 1024 * 1024):
        raise FileRefused(
            XLSX_TOO_LARGE.format(
                size=unpacked // (1024 * 1024), limit=XLSX_MAX_UNPACKED // (1024 * 1024)
            )
        )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> Table:
    import openpyxl

    _check_unpacked_size(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise FileRefused(NOT_XLSX) from None
    if not book.worksheets:
        raise FileRefused(XLSX_NO_SHEET)
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header_row = next(values, None)
    if header_row is None:
        raise FileRefused(EMPTY_FILE)
    header = [_cell_text(cell).strip() for cell in header_row]
    if not any(header):
        raise FileRefused(NO_HEADER)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, row in enumerate(values, start=2):
            cells = [_cell_text(cell) for cell in row]
            if any(cell.strip() for cell in cells):
                yield line, cells
        book.close()

    return Table(header=header, rows=rows(), format="xlsx")


# --- vCard ----------------------------------------------------------------------------------

# The columns a vCard contact becomes; the mapping guesses them like any other header.
VCARD_COLUMNS = [
    "UID",
    "Full Name",
    "First Name",
    "Last Name",
    "Organization",
    "Title",
    "E-mail",
    "Phone",
    "Address",
    "Website",
    "Categories",
    "Note",
]


def _vcard_row(card: object) -> list[str]:
    contents: dict[str, list[object]] = getattr(card, "contents", {})

    def first(key: str) -> object:
        values = contents.get(key) or []
        return getattr(values[0], "value", "") if values else ""

    name = first("n")
    org = first("org")
    categories = first("categories")
    address = first("adr")
    return [
        str(first("uid") or ""),
        str(first("fn") or ""),
        str(getattr(name, "given", "") or ""),
        str(getattr(name, "family", "") or ""),
        org[0] if isinstance(org, list) and org else str(org or ""),
        str(first("title") or ""),
        str(first("email") or ""),
        str(first("tel") or ""),
        " ".join(str(address).split()) if address else "",
        str(first("url") or ""),
        ", ".join(categories) if isinstance(categories, list) else str(categories or ""),
        str(first("note") or ""),
    ]


def _broken_line(text: str, reason: str) -> int | None:
    """The number of the line vobject could not parse: its own count drifts on folded and
    empty lines, so the line it quotes is looked up instead."""
    quoted = reason.rsplit("line: ", 1)[-1].strip()
    if not quoted:
        return None
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() == quoted:
            return number
    return None


def read_vcard(data: bytes) -> Table:
    import vobject

    encoding = detect_encoding(data)
    # vobject counts a CR and its LF as two lines; one line ending keeps its numbers true.
    text = data.decode(encoding, errors="replace").replace("\r\n", "\n")
    if not text.strip():
        raise FileRefused(EMPTY_FILE)
    starts = [
        number
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip().upper() == "BEGIN:VCARD"
    ]
    if not starts:
        raise FileRefused(NO_VCARD)
    try:
        cards = [
            card
            for card in vobject.readComponents(text, validate=False)
            if card.name.upper() == "VCARD"
        ]
    except vobject.base.ParseError as error:
        reason = str(error).split(": ", 1)[-1] if ": " in str(error) else str(error)
        line = _broken_line(text, reason) or getattr(error, "lineNumber", None) or "?"
        raise FileRefused(BROKEN_VCARD.format(line=line, reason=reason)) from None
    except Exception as error:  # vobject raises plain errors for some malformed values
        raise FileRefused(BROKEN_VCARD.format(line="?", reason=error)) from None
    rows = [(line, _vcard_row(card)) for line, card in zip(starts, cards, strict=False)]
    return Table(header=list(VCARD_COLUMNS), rows=iter(rows), format="vcf")


READERS: dict[str, Callable[[bytes], Table]] = {
    ".csv": read_csv,
    ".txt": read_csv,
    ".xlsx": read_xlsx,
    ".vcf": read_vcard,
}


def read_table(data: bytes, filename: str) -> Table:
    """The file as a table, read by the reader of its suffix."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    reader = READERS.get(suffix)
    if reader is None:
        raise FileRefused(UNKNOWN_FORMAT.format(suffix=suffix or filename))
    if not data:
        raise FileRefused(EMPTY_FILE)
    return reader(data)
