"""``reciprocity import``: the acceptance of a 10,000-row book, and the exit statuses (0
imported, 1 rows refused, 2 a bad file)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reciprocity.partners.models import Partner
from reciprocity.transfer.imports import rows
from tests.factories import PartnerFactory, UserFactory

ROWS = 10_000
HEADER = "ID,First Name,Last Name,Company,Category,Email,Stage\n"
PROFESSIONS = ["CPA", "Estate attorney", "insurance", "banker", "Realtor"]
# Fifty bad rows, each with its own reason, spread through the file.
BAD = {
    100 * i + 37: bad
    for i, bad in enumerate(
        [
            ("Category", "Dentist"),
            ("Email", "not-an-email"),
            ("Stage", "Hot lead"),
            ("First Name", "=HYPERLINK(1)"),
            ("Company", "@SUM(A1)"),
        ]
        * 10
    )
}


def book(bad: bool = True, changed: int | None = None) -> str:
    lines = [HEADER]
    for i in range(ROWS):
        values = {
            "ID": f"c{i}",
            "First Name": f"Pat{i}",
            "Last Name": "Lee",
            "Company": f"Firm {i % 977}" if i != changed else "A New Firm",
            "Category": PROFESSIONS[i % 5],
            "Email": f"pat{i}@example.com",
            "Stage": "prospect",
        }
        if bad and i in BAD:
            column, value = BAD[i]
            values[column] = value
        lines.append(",".join(values.values()) + "\n")
    return "".join(lines)


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, dict]:
    path = tmp_path / "book.csv"
    path.write_text(text)
    out = io.StringIO()
    try:
        call_command("import", str(path), "--json", *args, stdout=out)
    except CommandError as error:
        return error.returncode, json.loads(out.getvalue()) if out.getvalue() else {}
    return 0, json.loads(out.getvalue())


@pytest.mark.slow
def test_a_ten_thousand_row_book_from_dry_run_to_reimport(db, tmp_path):
    advisor = UserFactory(username="jordan")
    status, dry = run(tmp_path, book(), "--dry-run", "--user", "jordan")
    assert status == 1
    assert sorted(r["line"] for r in dry["refused"]) == sorted(i + 2 for i in BAD)
    assert {r["column"] for r in dry["refused"]} == {
        "Category",
        "Email",
        "Stage",
        "First Name",
        "Company",
    }
    assert dry["created"] == ROWS - len(BAD)
    assert not Partner.objects.exists()

    status, first = run(tmp_path, book(bad=False), "--user", "jordan")
    assert (status, first["created"], first["refused"]) == (0, ROWS, [])
    assert Partner.objects.filter(owner=advisor).count() == ROWS

    status, again = run(tmp_path, book(bad=False), "--user", "jordan")
    assert (status, again["created"], again["updated"], again["unchanged"]) == (0, 0, 0, ROWS)

    status, changed = run(tmp_path, book(bad=False, changed=4321), "--user", "jordan")
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, ROWS - 1)
    assert Partner.objects.get(email="pat4321@example.com").organization == "A New Firm"
    assert Partner.objects.count() == ROWS


def test_exit_statuses_and_messages(db, tmp_path):
    UserFactory(username="jordan")
    status, _ = run(tmp_path, "Name,Profession\nJane Doe,cpa\n", "--user", "jordan")
    assert status == 0
    status, result = run(tmp_path, "Name,Profession\nJane Doe,cpa\n,cpa\n", "--user", "jordan")
    assert status == 1
    assert result["refused"] == [{"line": 3, "column": "Name", "reason": rows.NAME_MISSING}]
    status, _ = run(tmp_path, "", "--user", "jordan")
    assert status == 2
    with pytest.raises(CommandError) as missing:
        call_command("import", str(tmp_path / "nowhere.csv"), "--user", "jordan")
    assert missing.value.returncode == 2


def test_a_mapping_file_and_a_touches_file(db, tmp_path):
    UserFactory(username="jordan")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {"Who": "name", "Kind": "profession"},
                "values": {"profession": {"Numbers person": "cpa"}},
            }
        )
    )
    touches = tmp_path / "touches.csv"
    touches.write_text("Partner,Date,Kind,Summary\nJane Doe,2025-02-03,lunch,Talked shop\n")
    status, result = run(
        tmp_path,
        "Who,Kind\nJane Doe,Numbers person\n",
        "--mapping",
        str(mapping),
        "--touches",
        str(touches),
        "--user",
        "jordan",
    )
    assert (status, result["created"], result["touches"]) == (0, 1, 1)
    jane = Partner.objects.get()
    assert (jane.profession, jane.touch_count) == ("cpa", 1)
    assert jane.touches.get().kind == "meeting"


def test_a_whole_book_exported_as_json_imports_into_an_empty_account(db, tmp_path):
    jordan = UserFactory(username="jordan")
    PartnerFactory(owner=jordan, name="Dana Whitfield")
    path = tmp_path / "book.json"
    call_command("export", "--user", "jordan", "--format", "json", "-o", str(path))
    UserFactory(username="riley")
    out = io.StringIO()
    call_command("import", str(path), "--user", "riley", "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 1
    assert Partner.objects.get(owner__username="riley").name == "Dana Whitfield"


def test_a_json_file_that_is_no_book_is_refused_with_status_2(db, tmp_path):
    UserFactory(username="jordan")
    path = tmp_path / "book.json"
    path.write_text("{")
    with pytest.raises(CommandError, match="not a JSON document") as refused:
        call_command("import", str(path), "--user", "jordan")
    assert refused.value.returncode == 2
