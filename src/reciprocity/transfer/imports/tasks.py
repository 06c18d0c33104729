"""The import as a background job on ``reciprocity worker``."""

from django.db import transaction
from django.tasks import task

from reciprocity.accounts.models import User
from reciprocity.transfer.imports.models import ImportRun
from reciprocity.transfer.imports.services import import_run_execute, import_run_queue


@task
def run_import(run_id: int) -> str:
    """Run a queued import; a run that already finished (a repeated job) is left alone."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return "gone"
    return import_run_execute(run=run).status


@transaction.atomic
def import_run_start(*, run: ImportRun, by: User) -> ImportRun:
    """Confirm an import and hand it to the worker once that is committed."""
    run = import_run_queue(run=run, by=by)
    transaction.on_commit(lambda: run_import.enqueue(run.pk))
    return run
