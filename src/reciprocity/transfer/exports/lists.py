"""The partner list as a file: CSV, XLSX or vCard, of exactly the partners the list shows.

Each format is one class in ``LIST_FORMATS`` (its slug, file type and how it writes); the web
page, the API and the ``export`` command all ask the registry. Every spreadsheet cell goes
through ``safe_cell``, so a name typed as ``=HYPERLINK(...)`` stays text in Excel.
"""

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import vobject
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner
from reciprocity.partners.selectors import PartnerFilters, next_step_of, partner_list
from reciprocity.spreadsheets import csv_lines, safe_cell

CHUNK = 64 * 1024


def list_partners_for_export(
    *, advisor: User, filters: PartnerFilters | None = None
) -> QuerySet[Partner]:
    """The partners of the list as ``advisor`` sees it with ``filters``, in its order."""
    return (
        partner_list(advisor=advisor, filters=filters)
        .select_related("team")
        .prefetch_related("tags")
    )


def _day(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def _tags(partner: Partner) -> str:
    return ", ".join(tag.name for tag in partner.tags.all())


def _next_step(partner: Partner, part: str) -> Any:
    step = next_step_of(partner)
    if step is None:
        return ""
    return {"what": step.what, "due": _day(step.due), "owner": step.owner}[part]


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Partner], Any]


# The list's columns, then the contact details an address book needs.
COLUMNS = [
    Column("Id", lambda p: p.pk),
    Column("Name", lambda p: p.name),
    Column("Organization", lambda p: p.organization),
    # The profession as its choice, what an "other" one is in its own column: as the import
    # reads them back.
    Column("Profession", lambda p: p.get_profession_display()),
    Column("Profession (other)", lambda p: p.profession_other),
    Column("Stage", lambda p: p.get_stage_display()),
    # Their name, which the import reads as well as a username.
    Column("Owner", lambda p: p.owner.display_name),
    Column("Team", lambda p: p.team.name if p.team else ""),
    Column("Tags", _tags),
    Column("Touches", lambda p: p.touch_count),
    Column("Last touch", lambda p: _day(p.last_touch_at)),
    Column("Next step", lambda p: _next_step(p, "what")),
    Column("Next step due", lambda p: _next_step(p, "due")),
    Column("Next step owner", lambda p: _next_step(p, "owner")),
    Column("Email", lambda p: p.email),
    Column("Phone", lambda p: p.phone),
    Column("Website", lambda p: p.website),
    Column("Notes", lambda p: p.notes),
]


def _rows(partners: Iterable[Partner]) -> Iterator[list[Any]]:
    for partner in partners:
        yield [column.value(partner) for column in COLUMNS]


class ListFormat:
    """One file format of the partner list."""

    slug: ClassVar[str]
    label: ClassVar[str]
    content_type: ClassVar[str]
    extension: ClassVar[str]

    def chunks(self, partners: Iterable[Partner]) -> Iterator[bytes]:
        raise NotImplementedError

    def filename(self) -> str:
        return f"partners-{timezone.localdate().isoformat()}.{self.extension}"


class CsvFormat(ListFormat):
    slug = "csv"
    label = "CSV"
    content_type = "text/csv; charset=utf-8"
    extension = "csv"

    def chunks(self, partners: Iterable[Partner]) -> Iterator[bytes]:
        # A byte-order mark, so Excel reads the file as UTF-8.
        yield "\ufeff".encode()
        for line in csv_lines([c.header for c in COLUMNS], _rows(partners)):
            yield line.encode()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, int):
        return value
    # openpyxl refuses control characters a text field may still hold.
    return ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value))


class XlsxFormat(ListFormat):
    slug = "xlsx"
    label = "Excel"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    extension = "xlsx"

    def chunks(self, partners: Iterable[Partner]) -> Iterator[bytes]:
        # Write-only: rows go to disk as they come, whatever the size of the list.
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Partners")
        sheet.append([c.header for c in COLUMNS])
        for row in _rows(partners):
            sheet.append([_xlsx_cell(value) for value in row])
        with tempfile.TemporaryFile() as out:
            book.save(out)
            out.seek(0)
            while block := out.read(CHUNK):
                yield block


def partner_vcard(partner: Partner) -> Any:
    """One partner as a vCard 3.0 (vobject's component)."""
    card = vobject.vCard()
    card.add("uid").value = f"reciprocity-partner-{partner.pk}"
    card.add("fn").value = partner.name
    given, _space, family = partner.name.rpartition(" ")
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    if partner.organization:
        card.add("org").value = [partner.organization]
    card.add("title").value = partner.profession_label
    if partner.email:
        card.add("email").value = partner.email
        card.email.type_param = "WORK"
    if partner.phone:
        card.add("tel").value = partner.phone
        card.tel.type_param = "WORK"
    if partner.website:
        card.add("url").value = partner.website
    if partner.notes:
        card.add("note").value = partner.notes
    tags = [tag.name for tag in partner.tags.all()]
    if tags:
        card.add("categories").value = tags
    return card


class VcardFormat(ListFormat):
    slug = "vcf"
    label = "vCard"
    content_type = "text/vcard; charset=utf-8"
    extension = "vcf"

    def chunks(self, partners: Iterable[Partner]) -> Iterator[bytes]:
        for partner in partners:
            yield partner_vcard(partner).serialize().encode()


LIST_FORMATS: dict[str, ListFormat] = {
    fmt.slug: fmt for fmt in (CsvFormat(), XlsxFormat(), VcardFormat())
}


def export_chunks(partners: QuerySet[Partner], fmt: ListFormat) -> Iterator[bytes]:
    """The file, a piece at a time, reading the partners in batches."""
    return fmt.chunks(partners.iterator(chunk_size=2000))
