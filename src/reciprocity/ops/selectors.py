"""Every read of the operations app."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from reciprocity.ops.models import LostRun, WorkerHeartbeat
from reciprocity.ops.services import stale_after

# Lists stay readable on a busy queue; the counts are always whole.
LIST_LIMIT = 100


@dataclass(frozen=True)
class WorkerRow:
    worker_id: str
    hostname: str
    pid: int
    started_at: dt.datetime
    beat_at: dt.datetime
    silent: bool


@dataclass(frozen=True)
class TaskRow:
    id: str
    task: str
    status: str
    enqueued_at: dt.datetime
    run_after: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    worker: WorkerRow | None
    worker_id: str
    lost_runs: int
    error: str


@dataclass(frozen=True)
class TasksOverview:
    queued: list[TaskRow]
    running: list[TaskRow]
    failed: list[TaskRow]
    workers: list[WorkerRow]
    counts: dict[str, int]


def _error(result: DBTaskResult) -> str:
    lines = [line for line in result.traceback.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else result.exception_class_path


def tasks_overview(*, now: dt.datetime | None = None) -> TasksOverview:
    """What is queued, running (on which worker, since when) and failed, and the workers."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    workers = {
        beat.worker_id: WorkerRow(
            worker_id=beat.worker_id,
            hostname=beat.hostname,
            pid=beat.pid,
            started_at=beat.started_at,
            beat_at=beat.beat_at,
            silent=beat.beat_at < cutoff,
        )
        for beat in WorkerHeartbeat.objects.all()
    }
    lost = Coalesce(
        Subquery(
            LostRun.objects.filter(task=OuterRef("pk"))
            .order_by()
            .values("task")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )
    results = DBTaskResult.objects.annotate(lost_runs=lost).defer("args_kwargs", "return_value")
    never = get_date_max()

    def row(result: DBTaskResult) -> TaskRow:
        worker_id = (result.worker_ids or [""])[-1]
        return TaskRow(
            id=str(result.pk),
            task=result.task_path,
            status=result.status,
            enqueued_at=result.enqueued_at,
            run_after=None if result.run_after == never else result.run_after,
            started_at=result.started_at,
            finished_at=result.finished_at,
            worker=workers.get(worker_id),
            worker_id=worker_id,
            lost_runs=result.lost_runs,  # type: ignore[attr-defined]
            error=_error(result) if result.status == TaskResultStatus.FAILED else "",
        )

    queued = results.filter(status=TaskResultStatus.READY)
    running = results.filter(status=TaskResultStatus.RUNNING).order_by("started_at")
    failed = results.filter(status=TaskResultStatus.FAILED).order_by("-finished_at")
    return TasksOverview(
        queued=[row(r) for r in queued[:LIST_LIMIT]],
        running=[row(r) for r in running[:LIST_LIMIT]],
        failed=[row(r) for r in failed[:LIST_LIMIT]],
        workers=list(workers.values()),
        counts={
            "queued": queued.count(),
            "running": running.count(),
            "failed": failed.count(),
        },
    )
