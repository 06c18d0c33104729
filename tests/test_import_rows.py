"""An import checks every row, and a dry run says what it would do without writing anything."""

import pytest

from reciprocity.partners.models import TEXT_MAX, Partner
from reciprocity.transfer.imports import engine, rows
from reciprocity.transfer.imports.services import ImportFiles, import_check
from tests.factories import PartnerFactory, UserFactory

HEADER = "Name,Organization,Profession,Email,Stage\n"


def check(user, text: str, name: str = "book.csv", **options):
    return import_check(by=user, files=ImportFiles(data=text.encode(), file_name=name, **options))


def test_a_dry_run_counts_what_it_would_create_and_writes_nothing(db):
    advisor = UserFactory()
    outcome = check(
        advisor,
        HEADER + "Jane Doe,Doe CPA,Accountant,jane@example.com,Prospect\n"
        "Raj Patel,Patel Law,attorney,raj@example.com,active\n",
    )
    assert (outcome.created, outcome.updated, outcome.unchanged) == (2, 0, 0)
    assert outcome.refused == []
    assert not Partner.objects.exists()


def test_every_refused_row_names_its_line_column_and_reason(db):
    advisor = UserFactory()
    outcome = check(
        advisor,
        HEADER + "Jane Doe,Doe CPA,Dentist,jane@example.com,\n"
        ",Nobody Inc,cpa,,\n"
        'Raj Patel,=HYPERLINK("x"),cpa,raj@example,\n',
    )
    found = {(r.line, r.column) for r in outcome.refused}
    # A formula refuses its row at once: nothing else of it is read.
    assert found == {(2, "Profession"), (3, "Name"), (4, "Organization")}
    reasons = {r.line: r.reason for r in outcome.refused}
    assert reasons[3] == rows.NAME_MISSING
    assert reasons[2].startswith("Unknown profession 'Dentist'")


def test_an_over_long_text_refuses_its_row_naming_the_column(db):
    advisor = UserFactory()
    outcome = check(
        advisor,
        "Name,Profession,Niche\n"
        f"Jane Doe,cpa,{'x' * (TEXT_MAX + 1)}\n"
        "Raj Patel,attorney,Business owners\n",
    )
    assert [(r.line, r.column) for r in outcome.refused] == [(2, "Niche")]
    assert outcome.refused[0].reason == rows.TOO_LONG.format(limit=TEXT_MAX, length=TEXT_MAX + 1)


def test_an_over_long_tag_refuses_its_row_not_cut(db):
    outcome = check(UserFactory(), f"Name,Profession,Tags\nJane Doe,cpa,vip; {'t' * 51}\n")
    assert [(r.line, r.column) for r in outcome.refused] == [(2, "Tags")]


def test_a_row_matching_a_partner_of_the_book_updates_or_leaves_it(db):
    advisor = UserFactory()
    PartnerFactory(
        owner=advisor, name="Jane Doe", organization="DOE  CPA", profession="cpa", email=""
    )
    outcome = check(
        advisor, HEADER + "Jane Doe,DOE  CPA,cpa,,\nJane Doe,Doe CPA,cpa,j@example.com,\n"
    )
    assert outcome.unchanged == 1
    assert outcome.refused[0].reason == engine.SAME_AS_LINE.format(line=2)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("2025-03-14", True),
        ("03/14/2025", True),
        ("Mar 14, 2025", True),
        ("14.03.2025", False),
        ("2999-01-01", False),
        ("1850-01-01", False),
    ],
)
def test_dates_follow_one_rule(value, accepted):
    if accepted:
        assert rows.plausible_date(value).date().isoformat() == "2025-03-14"
    else:
        with pytest.raises(Exception):  # noqa: B017, PT011
            rows.plausible_date(value)
