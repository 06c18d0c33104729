"""``reciprocity tasks``: the background queue at a glance; ``tasks retry ID`` queues a failed
task again."""

import datetime as dt
import json
from argparse import ArgumentParser
from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from reciprocity.ops.selectors import TaskRow, WorkerRow, tasks_overview
from reciprocity.ops.services import task_retry

RETRY_NEEDS_ID = "Say which task: `reciprocity tasks retry ID`."
RETRIED = "Queued again: {id}"


def when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def worker_text(row: TaskRow) -> str:
    if row.worker is None:
        return f"worker {row.worker_id or '?'} (no heartbeat)"
    silent = ", silent" if row.worker.silent else ""
    return (
        f"worker {row.worker_id} ({row.worker.hostname}:{row.worker.pid}, "
        f"last heartbeat {when(row.worker.beat_at)}{silent})"
    )


def task_line(row: TaskRow) -> str:
    name = row.task.rsplit(".", 1)[-1]
    if row.status == "READY":
        later = f"  runs after {when(row.run_after)}" if row.run_after else ""
        return f"  {row.id}  {name}  queued {when(row.enqueued_at)}{later}"
    if row.status == "RUNNING":
        return f"  {row.id}  {name}  since {when(row.started_at)} on {worker_text(row)}"
    lost = f"  (worker lost {row.lost_runs} times)" if row.lost_runs else ""
    return f"  {row.id}  {name}  failed {when(row.finished_at)}: {row.error}{lost}"


def worker_line(row: WorkerRow) -> str:
    state = "SILENT" if row.silent else "alive"
    return (
        f"  {row.worker_id}  {row.hostname}:{row.pid}  {state}, started {when(row.started_at)}, "
        f"last heartbeat {when(row.beat_at)}"
    )


class Command(BaseCommand):
    # Asked of a host in trouble: answer at once (``reciprocity check`` runs the checks).
    requires_system_checks: list[str] = []
    help = (
        "List queued, running (on which worker, since when) and failed background tasks; "
        "`tasks retry ID` queues a failed task again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", nargs="?", choices=["retry"], help="retry a failed task")
        parser.add_argument("task_id", nargs="?", metavar="ID", help="the task to retry")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "retry":
            if not options["task_id"]:
                raise CommandError(RETRY_NEEDS_ID)
            try:
                result = task_retry(task_id=options["task_id"])
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            self.stdout.write(RETRIED.format(id=result.pk))
            return
        overview = tasks_overview()
        if options["json"]:
            self.stdout.write(json.dumps(asdict(overview), cls=DjangoJSONEncoder, indent=2))
            return
        sections = [
            ("Queued", overview.queued, "queued"),
            ("Running", overview.running, "running"),
            ("Failed", overview.failed, "failed"),
        ]
        for title, rows, key in sections:
            self.stdout.write(f"{title} ({overview.counts[key]})")
            for row in rows:
                self.stdout.write(task_line(row))
            if overview.counts[key] > len(rows):
                self.stdout.write(f"  ... and {overview.counts[key] - len(rows)} more")
        self.stdout.write(f"Workers ({len(overview.workers)})")
        for worker in overview.workers:
            self.stdout.write(worker_line(worker))
