"""The import as a background job on ``reciprocity worker``."""

from django.db import transaction
from django.tasks import task

from reciprocity.transfer.imports.models import ImportRun
from reciprocity.transfer.imports.services import import_run_execute


@task
def run_import(run_id: int) -> str:
    """Run a queued import; a run that already finished (a repeated job) is left alone."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return "gone"
    return import_run_execute(run=run).status


def import_run_enqueue(run: ImportRun) -> None:
    """Queue the run once its record is committed, so the worker finds it."""
    transaction.on_commit(lambda: run_import.enqueue(run.pk))
