"""The import proper: all or nothing, matched on re-import, touches that start the history when
it happened, and its result kept with the channel ``import``."""

import datetime as dt
from unittest import mock

import pytest
from django.db import IntegrityError
from django.utils import timezone

from reciprocity.insights.diagnoses import assess
from reciprocity.partners.models import Partner, StageChange, Touch
from reciprocity.transfer.imports import engine
from reciprocity.transfer.imports.models import ExternalId, ImportRun, ImportStatus
from reciprocity.transfer.imports.services import ImportFiles, import_run_create, import_run_execute
from tests.factories import UserFactory

HEADER = "ID,Name,Organization,Profession,Email,Tags\n"
BOOK = (
    HEADER
    + "r1,Jane Doe,Doe CPA,cpa,jane@example.com,CPA; Golf\n"
    + "r2,Raj Patel,Patel Law,attorney,raj@example.com,\n"
)


def run_import(user, text: str, touches: str = "", preset: str = "") -> ImportRun:
    files = ImportFiles(
        data=text.encode(),
        file_name="book.csv",
        preset=preset,
        touches=touches.encode(),
        touches_name="touches.csv" if touches else "",
    )
    return import_run_execute(run=import_run_create(by=user, files=files))


def test_an_import_creates_partners_with_their_history_marked_import(db):
    advisor = UserFactory()
    run = run_import(advisor, BOOK)
    assert (run.status, run.created, run.updated, run.unchanged) == (ImportStatus.DONE, 2, 0, 0)
    jane = Partner.objects.get(email="jane@example.com")
    assert (jane.owner, jane.profession, jane.organization) == (advisor, "cpa", "Doe CPA")
    assert sorted(jane.tags.values_list("name", flat=True)) == ["CPA", "Golf"]
    record = jane.history.get()
    assert (record.history_user, record.history_source) == (advisor, "import")
    assert StageChange.objects.get(partner=jane).history.get().history_source == "import"
    assert ExternalId.objects.get(partner=jane).external_id == "r1"
    assert run.history.first().history_source == "import"
    assert run.data == b""


def test_importing_again_changes_nothing_and_a_changed_row_updates_that_partner_only(db):
    advisor = UserFactory()
    run_import(advisor, BOOK)
    again = run_import(advisor, BOOK)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    renamed = BOOK.replace("Patel Law", "Patel & Partners Law")
    changed = run_import(advisor, renamed)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert Partner.objects.get(email="raj@example.com").organization == "Patel & Partners Law"
    # Matched on the source's id, even when the email changed.
    moved = run_import(advisor, renamed.replace("jane@example.com", "jane@doecpa.com"))
    assert (moved.created, moved.updated) == (0, 1)
    assert Partner.objects.count() == 2


def test_refused_rows_import_nothing(db):
    advisor = UserFactory()
    run = run_import(advisor, BOOK + "r3,Bad Row,Nowhere,astronaut,,\n")
    assert run.status == ImportStatus.REFUSED
    assert run.refused == [{"line": 4, "column": "Profession", "reason": run.refused[0]["reason"]}]
    assert not Partner.objects.exists()


def test_a_failure_late_in_the_file_leaves_the_database_as_it_was(db):
    advisor = UserFactory()
    run_import(advisor, BOOK)
    before = (Partner.objects.count(), Partner.history.count(), StageChange.objects.count())
    rows = "".join(
        f"n{i},Partner {i},Org {i},cpa,p{i}@example.com,\n" for i in range(engine.BATCH * 2 + 5)
    )
    calls = {"n": 0}
    real = engine.insert_with_history

    def fail_on_the_last_batch(objs, **kwargs):
        if isinstance(objs[0], Partner):
            calls["n"] += 1
            if calls["n"] == 3:
                raise IntegrityError("a constraint failed late in the file")
        return real(objs, **kwargs)

    with mock.patch.object(engine, "insert_with_history", fail_on_the_last_batch):
        run = run_import(advisor, BOOK.replace("Patel Law", "Changed") + rows)
    assert run.status == ImportStatus.FAILED
    assert "nothing was kept" in run.error
    after = (Partner.objects.count(), Partner.history.count(), StageChange.objects.count())
    assert after == before
    assert Partner.objects.get(email="raj@example.com").organization == "Patel Law"


def test_imported_touches_dated_a_year_ago_put_the_partner_past_the_patience_rule(db):
    advisor = UserFactory()
    start = timezone.localdate() - dt.timedelta(days=400)
    touches = "Partner,Date,Kind,Summary\n" + "".join(
        f"r1,{start + dt.timedelta(days=30 * i)},call,Call {i}\n" for i in range(9)
    )
    run = run_import(
        advisor,
        "ID,Name,Organization,Profession,Stage\nr1,Jane Doe,Doe CPA,cpa,first meeting\n",
        touches=touches,
    )
    assert (run.status, run.touches_created) == (ImportStatus.DONE, 9)
    jane = Partner.objects.get()
    assert jane.touch_count == 9
    assert timezone.localdate(jane.last_touch_at) == start + dt.timedelta(days=240)
    assert timezone.localdate(jane.stage_changed_at) == start
    assert Touch.history.filter(history_source="import").count() == 9
    slugs = [d.slug for d in assess(advisor=advisor).diagnoses]
    assert "no_referral_yet" in slugs


def test_a_touch_naming_no_partner_is_refused_with_its_line(db):
    advisor = UserFactory()
    run = run_import(
        advisor,
        BOOK,
        touches="Partner,Date,Kind,Summary\nnobody@example.com,2025-01-02,call,Hello\n"
        "r1,someday,call,Hello\n",
    )
    assert run.status == ImportStatus.REFUSED
    assert [(r["line"], r["column"]) for r in run.refused] == [(3, "Date"), (2, "Partner")]
    assert not Partner.objects.exists()


@pytest.mark.parametrize("preset", ["redtail", "wealthbox", "outlook", "google", "reciprocity"])
def test_files_in_each_presets_shape_import_without_a_mapping(db, preset):
    from pathlib import Path

    advisor = UserFactory()
    text = (Path(__file__).parent / "import_files" / f"{preset}.csv").read_text()
    run = run_import(advisor, text, preset=preset)
    assert run.status == ImportStatus.DONE, run.refused
    assert run.created == 3
    # The same file without the preset is guessed from its header just as well.
    assert run_import(advisor, text, preset=preset).unchanged == 3
