"""Two imports of the same file at once create each partner once."""

import threading

import pytest
from django.db import connection

from reciprocity.partners.models import Partner
from reciprocity.transfer.imports.models import ImportStatus
from reciprocity.transfer.imports.services import (
    ImportFiles,
    import_run_create,
    import_run_execute,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.slow

BOOK = "Name,Organization,Profession\n" + "".join(
    f"Partner {i},Org {i},cpa\n" for i in range(1500)
)


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
