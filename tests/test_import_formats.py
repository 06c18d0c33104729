"""The readers: CSV in any common encoding and delimiter, XLSX, vCard; and every bad file
refused whole with the line and the reason."""

import io
import zipfile

import openpyxl
import pytest

from reciprocity.dates import IN_THE_FUTURE
from reciprocity.transfer.imports import formats, rows
from reciprocity.transfer.imports.formats import FileRefused, read_table
from reciprocity.transfer.imports.services import ImportFiles, import_check
from tests.factories import UserFactory


def cells(table):
    return [(line, row) for line, row in table.rows]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Name;Organization\nJosé Núñez;Café Ltd\n".encode(), "utf-8"),
        ("Name;Organization\nJosé Núñez;Café Ltd\n".encode("utf-8-sig"), "utf-8-sig"),
        ("Name;Organization\nJosé Núñez;Café Ltd\n".encode("cp1252"), "cp1252"),
        ("Name;Organization\nJosé Núñez;Café Ltd\n".encode("utf-16"), "utf-16"),
    ],
)
def test_csv_in_any_common_encoding_with_its_delimiter_sniffed(data, encoding):
    assert formats.detect_encoding(data) == encoding
    table = read_table(data, "book.csv")
    assert table.header == ["Name", "Organization"]
    assert cells(table) == [(2, ["José Núñez", "Café Ltd"])]


def test_a_quoted_line_break_keeps_the_line_numbers_true():
    table = read_table(b'Name,Notes\nJane,"two\nlines"\nRaj,x\n', "book.csv")
    assert [line for line, _ in table.rows] == [2, 4]


def _xlsx(rows_: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows_:
        book.active.append(row)  # type: ignore[union-attr]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_rows_are_read_as_text():
    data = _xlsx([["Name", "Since", "ID"], ["Jane Doe", "2025-01-02", 1234.0]])
    table = read_table(data, "book.xlsx")
    assert cells(table) == [(2, ["Jane Doe", "2025-01-02", "1234"])]


def test_vcard_with_many_contacts():
    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a1\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n"
        b"ORG:Doe CPA\r\nEMAIL:jane@example.com\r\nCATEGORIES:CPA,Golf\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Raj Patel\r\nORG:Patel Law\r\nEND:VCARD\r\n"
    )
    table = read_table(data, "contacts.vcf")
    found = cells(table)
    assert [line for line, _ in found] == [1, 10]
    first = dict(zip(table.header, found[0][1], strict=True))
    assert (first["UID"], first["Full Name"], first["Organization"]) == (
        "a1",
        "Jane Doe",
        "Doe CPA",
    )
    assert first["Categories"] == "CPA, Golf"


def _bomb(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "book.csv", formats.EMPTY_FILE),
        (b"\n\n  \n", "book.csv", formats.EMPTY_FILE),
        (b",,\nJane,Doe\n", "book.csv", formats.NO_HEADER),
        (b"%PDF-1.4\n\x00\x00binary", "book.csv", formats.BINARY_NOT_CSV.format(line=2)),
        (b"Name,Organization\nJane,Doe\n", "book.xlsx", formats.NOT_XLSX),
        (
            b"BEGIN:VCARD\nVERSION:3.0\nFN:Jane\nthis line is broken\nEND:VCARD\n",
            "a.vcf",
            formats.BROKEN_VCARD.format(line=4, reason="Failed to parse line: this line is broken"),
        ),
        (b"Name\nJane\n", "a.vcf", formats.NO_VCARD),
        (b"Name\nJane\n", "book.pdf", formats.UNKNOWN_FORMAT.format(suffix=".pdf")),
    ],
)
def test_a_bad_file_is_refused_whole_with_the_reason(data, name, message):
    with pytest.raises(FileRefused) as refused:
        read_table(data, name)
    assert refused.value.messages == [message]


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_before_it_is_opened(monkeypatch):
    # The limit scaled down a hundredfold, so the test builds megabytes, not gigabytes.
    monkeypatch.setattr(formats, "XLSX_MAX_UNPACKED", 5 * 1024 * 1024)
    data = _bomb(6 * 1024 * 1024)
    assert len(data) < 64 * 1024
    with pytest.raises(FileRefused) as refused:
        read_table(data, "bomb.xlsx")
    assert "MB allowed: it was not opened" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("Jane," + "x" * 10_001, "", rows.ROW_TOO_LONG.format(length=10_005, limit=10_000)),
        ("Jane,\"=cmd|' /C calc'!A0\"", "Since", rows.FORMULA),
        ("Jane,@SUM(1+1)", "Since", rows.FORMULA),
        ("Jane,14.03.2025", "Since", rows.BAD_DATE.format(value="14.03.2025")),
        (
            "Jane,2999-01-01",
            "Since",
            rows.DATE_IMPLAUSIBLE.format(value="2999-01-01", why=IN_THE_FUTURE),
        ),
    ],
)
def test_a_bad_row_is_refused_with_its_line_column_and_reason(db, row, column, reason):
    outcome = import_check(
        by=UserFactory(),
        files=ImportFiles(data=f"Name,Since\n{row}\n".encode(), file_name="book.csv"),
    )
    assert [r.as_dict() for r in outcome.refused] == [
        {"line": 2, "column": column, "reason": reason}
    ]


def test_phone_numbers_and_dashes_are_not_formulas():
    assert not rows.FORMULA_PATTERN.match("+1 617 555 0100")
    assert not rows.FORMULA_PATTERN.match("- met at the conference (via Raj)")
    assert rows.FORMULA_PATTERN.match("=1+1")
