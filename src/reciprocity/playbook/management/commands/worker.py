"""``reciprocity worker``: django-tasks-db's database worker, keeping the weekly digest queued."""

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from reciprocity.accounts.audit import set_audit_source
from reciprocity.playbook.tasks import weekly_digest_schedule


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background worker (weekly digests and other queued jobs). "
        "--batch processes what is queued and exits."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Changes made by jobs come from the system, not from whoever started the worker.
        set_audit_source("system")
        # A long-running worker keeps the digest on its weekly schedule; a batch run only
        # drains the queue.
        if not options.get("batch"):
            weekly_digest_schedule()
        super().handle(*args, **options)
