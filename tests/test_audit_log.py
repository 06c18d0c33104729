"""The firm's audit log: every change of the firm, for compliance officers and firm admins,
filtered, paginated, and exported to CSV that no spreadsheet will run as formulas."""

import csv
import datetime as dt
import io

import pytest
from django.db import models
from django.utils import timezone

from reciprocity.accounts.audit import audit_source
from reciprocity.audit.registry import audited_models, firm_path
from reciprocity.audit.selectors import AuditFilters, audit_entries, audit_log
from reciprocity.audit.views import AUDIT_PAGE_SIZE
from reciprocity.partners import services
from reciprocity.partners.models import Partner
from reciprocity.spreadsheets import csv_lines, safe_cell
from tests.conftest import Cast, client_for
from tests.web import queries_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", audited_models(), ids=lambda m: m._meta.label)
def test_every_record_with_history_traces_to_its_firm(model: type[models.Model]) -> None:
    assert firm_path(model) is not None, f"{model._meta.label} cannot be traced to a firm"


def labels(cast: Cast, reader: object, **filters: object) -> list[str]:
    rows = audit_log(reader=reader, filters=AuditFilters(**filters))  # type: ignore[arg-type]
    return [f"{e.kind}:{e.object_label}" for e in audit_entries(rows)]


def test_the_log_holds_every_change_of_the_firm_and_nothing_of_another(cast: Cast) -> None:
    services.partner_create(by=cast.alice, name="Firm Record", profession="cpa")
    services.partner_create(by=cast.mallory, name="Other Firm Record", profession="cpa")
    seen = labels(cast, cast.cole)
    assert "Partner:Firm Record" in seen
    assert not any("Other Firm" in label for label in seen)
    assert "User:" + cast.alice.display_name in seen
    assert "Team:North" in seen


def test_filters_narrow_by_who_record_source_and_dates(cast: Cast) -> None:
    with audit_source("api"):
        services.partner_create(by=cast.alice, name="Via API", profession="cpa")
    with audit_source("web"):
        partner = services.partner_create(by=cast.bob, name="Via Web", profession="cpa")
        services.touch_log(partner=partner, by=cast.bob, kind="call", summary="A call")
    assert labels(cast, cast.ada, who=cast.bob.pk, model="partners.Partner") == ["Partner:Via Web"]
    assert "Partner:Via API" in labels(cast, cast.ada, source="api")
    assert "Partner:Via Web" not in labels(cast, cast.ada, source="api")
    assert labels(cast, cast.ada, model="partners.Touch") == ["Touch:A call"]
    today = timezone.localdate()
    assert "Partner:Via API" in labels(cast, cast.ada, since=today, until=today)
    assert labels(cast, cast.ada, until=today - dt.timedelta(days=1)) == []


def test_the_page_filters_and_paginates(cast: Cast) -> None:
    for n in range(AUDIT_PAGE_SIZE + 5):
        services.partner_create(by=cast.alice, name=f"Partner {n:03}", profession="cpa")
    client = client_for(cast.cole)
    first = client.get("/audit/", {"model": "partners.Partner"})
    html = first.content.decode()
    assert first.status_code == 200
    assert "Page 1 of 2" in html
    assert "Partner 054" in html
    assert "Partner 000" not in html
    assert (
        "Partner 000"
        in client.get("/audit/", {"model": "partners.Partner", "page": 2}).content.decode()
    )


def test_the_page_reads_a_constant_number_of_queries(cast: Cast) -> None:
    client = client_for(cast.ada)
    partner = services.partner_create(by=cast.alice, name="Counted", profession="cpa")
    services.touch_log(partner=partner, by=cast.alice, kind="call", summary="First call")
    services.partner_update(partner=partner, by=cast.alice, notes="first note")
    before = queries_for(lambda: client.get("/audit/"))
    for n in range(10):
        services.partner_update(partner=partner, by=cast.alice, notes=f"note {n}")
        services.touch_log(partner=partner, by=cast.alice, kind="call", summary=f"Call {n}")
    assert queries_for(lambda: client.get("/audit/")) == before


def test_a_change_in_the_log_shows_before_and_after(cast: Cast) -> None:
    partner = services.partner_create(by=cast.alice, name="Before", profession="cpa")
    services.partner_update(partner=partner, by=cast.alice, name="After")
    entry = audit_entries(
        audit_log(reader=cast.cole, filters=AuditFilters(model="partners.Partner"))
    )[0]
    assert ("Name", "Before", "After") in [(c.field, c.before, c.after) for c in entry.changes]
    assert entry.partner_id == partner.pk


def test_only_compliance_and_firm_admins_read_the_log(cast: Cast) -> None:
    assert client_for(cast.cole).get("/audit/").status_code == 200
    assert client_for(cast.ada).get("/audit/").status_code == 200
    assert client_for(cast.alice).get("/audit/").status_code == 403
    assert client_for(cast.alice).get("/audit/export.csv").status_code == 403


# --- CSV export ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Plain name", "Plain name"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
        (-3, "'-3"),
    ],
)
def test_a_cell_that_could_run_as_a_formula_gets_a_leading_apostrophe(
    value: object, cell: str
) -> None:
    assert safe_cell(value) == cell


def test_csv_lines_neutralise_every_cell_header_included() -> None:
    text = "".join(csv_lines(["=head"], [["=1+1", "ok"]]))
    assert list(csv.reader(io.StringIO(text))) == [["'=head"], ["'=1+1", "ok"]]


def test_the_export_is_the_filtered_log_and_runs_no_formula(cast: Cast) -> None:
    services.partner_create(
        by=cast.alice, name='=HYPERLINK("http://evil.example","x")', profession="cpa"
    )
    services.partner_create(by=cast.alice, name="@SUM(1+1)", profession="cpa")
    response = client_for(cast.cole).get("/audit/export.csv", {"model": "partners.Partner"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0] == ["When", "Who", "From", "Action", "Record", "Id", "Name", "Changes"]
    names = {row[6] for row in rows[1:]}
    assert {'\'=HYPERLINK("http://evil.example","x")', "'@SUM(1+1)"} <= names
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert Partner.objects.count() == 5
