"""The partner list as CSV, XLSX and vCard, and an advisor's whole book as versioned JSON that
reads back into an empty account."""

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import vobject
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from openpyxl import load_workbook

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner, Stage
from reciprocity.partners.services import partner_update
from reciprocity.playbook.services.firm import firm_defaults_install
from reciprocity.transfer.exports.book import (
    BOOK_NEWER,
    BOOK_NOT_A_BOOK,
    BOOK_NOT_EMPTY,
    BOOK_TABLES,
    book_dump,
    book_load,
)
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import (
    CommitmentFactory,
    FirmFactory,
    PartnerFactory,
    ReferralFactory,
    TouchFactory,
    UserFactory,
)
from tests.web import queries_for

FORMULA = '=HYPERLINK("http://evil.example","click")'


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def book_of_alice(cast: Cast) -> Cast:
    PartnerFactory(
        owner=cast.alice,
        name=FORMULA,
        organization="@SUM(A1)",
        stage=Stage.ACTIVE,
        email="f@example.com",
    )
    PartnerFactory(owner=cast.alice, name="Quinn Quill", stage=Stage.QUALIFIED)
    return cast


def test_the_csv_export_is_the_list_as_filtered_with_formulas_neutralised(
    book_of_alice: Cast,
) -> None:
    cast = book_of_alice
    client = client_for(cast.alice)
    response = client.get("/partners/export/?format=csv&stage=active")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(body(response))
    assert [row["Name"] for row in rows] == ["'" + FORMULA]
    assert rows[0]["Organization"] == "'@SUM(A1)"
    everything = csv_rows(body(client.get("/partners/export/?format=csv")))
    names = {row["Name"] for row in everything}
    assert names == {"'" + FORMULA, "Quinn Quill", "Priya Private", "Sam Shared"}


def test_an_export_reads_the_same_number_of_queries_whatever_the_size_of_the_list(
    cast: Cast,
) -> None:
    client = client_for(cast.alice)

    def queries(fmt: str) -> int:
        def export() -> Any:
            response = client.get(f"/partners/export/?format={fmt}")
            body(response)
            return response

        return queries_for(export)

    few = {fmt: queries(fmt) for fmt in ("csv", "xlsx", "vcf")}
    for _ in range(6):
        partner = PartnerFactory(owner=cast.alice)
        partner_update(partner=partner, by=cast.alice, tags=["estate"])
        CommitmentFactory(partner=partner)
    assert {fmt: queries(fmt) for fmt in ("csv", "xlsx", "vcf")} == few


def test_the_list_page_links_its_exports_with_its_filters(book_of_alice: Cast) -> None:
    page = client_for(book_of_alice.alice).get("/partners/?stage=active").content.decode()
    assert "/partners/export/?stage=active&amp;format=csv" in page
    assert "/partners/export/?stage=active&amp;format=vcf" in page


def test_the_xlsx_export_keeps_formulas_as_text(book_of_alice: Cast) -> None:
    response = client_for(book_of_alice.alice).get("/partners/export/?format=xlsx&stage=active")
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
    assert sheet is not None
    header, first = list(sheet.iter_rows(values_only=True))
    assert header[1] == "Name"
    assert first[1] == "'" + FORMULA
    assert isinstance(first[header.index("Touches")], int)  # the touch count stays a number


def test_vcards_out_parse_back_into_the_same_partners(cast: Cast) -> None:
    written = [
        PartnerFactory(
            owner=cast.alice,
            name="José Ñúñez-Smith",
            organization="Ledger, Tax & Co",
            email="jose@ledger.example",
            phone="+1 617 555 0101",
            website="https://ledger.example",
            notes="Line one\nLine two; with: punctuation",
        ),
        PartnerFactory(owner=cast.alice, name="Madonna", organization=""),
    ]
    partner_update(partner=written[0], by=cast.alice, tags=["estate", "downtown"])
    data = body(
        client_for(cast.alice).get("/partners/export/?format=vcf&owner=" + str(cast.alice.pk))
    )
    cards = list(vobject.readComponents(data.decode()))
    shown = {p.name: p for p in Partner.objects.filter(owner=cast.alice).prefetch_related("tags")}
    assert {card.fn.value for card in cards} == set(shown)
    for card in cards:
        partner = shown[card.fn.value]
        contents = card.contents
        assert (contents["org"][0].value[0] if "org" in contents else "") == partner.organization
        assert (card.email.value if "email" in contents else "") == partner.email
        assert (card.tel.value if "tel" in contents else "") == partner.phone
        assert (card.url.value if "url" in contents else "") == partner.website
        assert (card.note.value if "note" in contents else "") == partner.notes
        tags = card.categories.value if "categories" in contents else []
        assert sorted(tags) == sorted(tag.name for tag in partner.tags.all())


def test_the_api_exports_the_list_with_the_same_filters(book_of_alice: Cast) -> None:
    api = token_client(book_of_alice.alice)
    response = api.get("/api/v1/partners/export?format=csv&stage=qualified")
    assert response.status_code == 200
    assert [row["Name"] for row in csv_rows(body(response))] == ["Quinn Quill"]
    refused = api.get("/api/v1/partners/export?format=pdf")
    assert refused.status_code == 422
    book = json.loads(body(api.get("/api/v1/partners/export?format=json")))
    assert (book["format"], book["version"]) == ("reciprocity-book", 1)


def test_the_export_command_writes_each_format(book_of_alice: Cast, tmp_path: Path) -> None:
    for fmt in ("csv", "xlsx", "vcf", "json"):
        target = tmp_path / f"out.{fmt}"
        call_command("export", "--user", "alice", "--format", fmt, "-o", str(target))
        assert target.stat().st_size > 0
    rows = csv_rows((tmp_path / "out.csv").read_bytes())
    assert "Quinn Quill" in {row["Name"] for row in rows}


# --- The whole book -------------------------------------------------------------------------


def renumbered(book: dict[str, Any]) -> dict[str, Any]:
    """The book's tables with each row's id replaced by its rank in its table, and references
    likewise, so two books of the same records compare equal whatever the ids."""
    book = copy.deepcopy(book)
    ranks = {
        label: {row["id"]: rank for rank, row in enumerate(rows)}
        for label, rows in book["tables"].items()
    }
    targets = {
        table.label: {
            field.name: field.related_model._meta.label
            for field in table.model._meta.concrete_fields
            if field.related_model is not None and field.related_model._meta.label in ranks
        }
        for table in BOOK_TABLES
    }
    for label, rows in book["tables"].items():
        for row in rows:
            row["id"] = ranks[label][row["id"]]
            for name, target in targets[label].items():
                if row.get(name) is not None:
                    row[name] = ranks[target].get(row[name])
            row.pop("updated_at", None)
    return book["tables"]


def a_book(owner: User) -> None:
    partner = PartnerFactory(owner=owner, name="Dana Whitfield")
    partner_update(partner=partner, by=owner, tags=["estate"])
    touch = TouchFactory(partner=partner)
    CommitmentFactory(partner=partner, touch=touch, status="done")
    ReferralFactory(partner=partner)
    PartnerFactory(owner=owner, name="Quinn Quill", archived_at="2026-01-02T00:00:00Z")


def an_empty_account() -> User:
    firm = FirmFactory(slug="newcomer-firm")
    firm_defaults_install(firm=firm)
    return UserFactory(firm=firm, username="newcomer")


def test_a_book_reads_back_into_an_empty_account_of_another_firm(cast: Cast) -> None:
    a_book(cast.alice)
    newcomer = an_empty_account()
    written = book_dump(user=cast.alice)
    loaded = book_load(user=newcomer, data=json.loads(json.dumps(written)))
    assert loaded.counts["partners.Partner"] == 4
    assert renumbered(book_dump(user=newcomer)) == renumbered(written)
    kept = Partner.objects.get(owner=newcomer, name="Dana Whitfield")
    assert kept.firm == newcomer.firm
    assert [t.name for t in kept.tags.all()] == ["estate"]
    assert kept.history.first().history_source == "import"


@pytest.mark.slow
def test_the_demo_book_reads_back_whole(db: None) -> None:
    call_command("demo", stdout=io.StringIO())
    demo = User.objects.get(username="demo")
    newcomer = an_empty_account()
    written = book_dump(user=demo)
    assert all(written["tables"][table.label] for table in BOOK_TABLES[:12])
    book_load(user=newcomer, data=json.loads(json.dumps(written)))
    assert renumbered(book_dump(user=newcomer)) == renumbered(written)


def test_a_book_is_refused_by_an_account_that_has_partners(cast: Cast) -> None:
    PartnerFactory(owner=cast.bob)
    with pytest.raises(ValidationError) as refused:
        book_load(user=cast.bob, data=book_dump(user=cast.alice))
    assert refused.value.messages == [BOOK_NOT_EMPTY.format(username="bob")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, BOOK_NEWER.format(version=2, supported=1)),
        ({"format": "something-else"}, BOOK_NOT_A_BOOK),
        ({"tables": "nope"}, BOOK_NOT_A_BOOK),
    ],
)
def test_a_newer_or_foreign_document_is_refused(
    cast: Cast, change: dict[str, Any], message: str
) -> None:
    written = {**book_dump(user=cast.alice), **change}
    with pytest.raises(ValidationError) as refused:
        book_load(user=an_empty_account(), data=written)
    assert refused.value.messages == [message]


def test_a_bad_row_refuses_the_whole_book_and_says_where(cast: Cast) -> None:
    a_book(cast.alice)
    written = book_dump(user=cast.alice)
    written["tables"]["partners.Touch"][0]["kind"] = "carrier_pigeon"
    newcomer = an_empty_account()
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        book_load(user=newcomer, data=written)
    assert refused.value.messages[0].startswith("Table partners.Touch, row 1: kind:")
    assert not Partner.objects.filter(owner=newcomer).exists()
