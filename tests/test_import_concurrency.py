"""Two imports of the same file at once create each partner once."""

import threading

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from reciprocity.partners.models import Partner
from reciprocity.transfer.imports.models import ImportStatus
from reciprocity.transfer.imports.services import (
    ImportFiles,
    import_run_create,
    import_run_execute,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.slow

BOOK = "Name,Organization,Profession\n" + "".join(f"Partner {i},Org {i},cpa\n" for i in range(1500))


@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_creates_each_partner_once():
    advisor = UserFactory()
    files = ImportFiles(data=BOOK.encode(), file_name="book.csv")
    runs = [import_run_create(by=advisor, files=files) for _ in range(2)]
    done = []
    start = threading.Barrier(2)

    def work(run):
        start.wait()
        try:
            done.append(import_run_execute(run=run))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Partner.objects.count() == 1500
    assert sorted((run.status, run.created, run.unchanged) for run in done) == [
        (ImportStatus.DONE, 0, 1500),
        (ImportStatus.DONE, 1500, 0),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_progress_is_readable_while_the_import_runs():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: the progress shows when the run ends")
    advisor = UserFactory()
    run = import_run_create(by=advisor, files=ImportFiles(data=BOOK.encode(), file_name="b.csv"))
    seen = []

    def read_elsewhere(rows: int) -> None:
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT progress FROM transfer_importrun WHERE id = %s", [run.pk])
                seen.append(cursor.fetchone()[0])
        finally:
            other.close()

    import_run_execute(run=run, progress=read_elsewhere)
    assert seen[:2] == [1000, 1500]
