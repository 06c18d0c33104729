"""``reciprocity worker``: the database worker with a heartbeat (tasks of a lost worker are
queued again), keeping the weekly digest queued."""

from typing import Any

from reciprocity.accounts.audit import set_audit_source
from reciprocity.ops.worker import HeartbeatWorkerCommand
from reciprocity.playbook.tasks import weekly_digest_schedule


class Command(HeartbeatWorkerCommand):
    help = (
        "Run the background worker (weekly digests and other queued jobs). "
        "--batch processes what is queued and exits. SIGTERM lets the current job finish."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Changes made by jobs come from the system, not from whoever started the worker.
        set_audit_source("system")
        # A long-running worker keeps the digest on its weekly schedule; a batch run only
        # drains the queue.
        if not options.get("batch"):
            weekly_digest_schedule()
        super().handle(*args, **options)
