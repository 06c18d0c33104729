"""Every write of the operations app: keyword-only ``<entity>_<action>`` functions."""

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from reciprocity.ops.models import LostRun, ScheduledRun, WorkerHeartbeat

# A task whose worker was lost this many times is marked failed, not queued again: it may be
# what kills its workers.
MAX_LOST_RUNS = 3

# User-facing messages; tests reuse them.
NO_TASK = "No task with that id."
NOT_FAILED = "Only a failed task can be queued again; this one is {status}."
WORKER_LOST = (
    "Its worker stopped answering {count} times (last {worker}, silent since {since}); "
    "queue it again with `reciprocity tasks retry {id}`."
)


class WorkerLost(Exception):
    """Recorded as the error of a task given up after MAX_LOST_RUNS lost runs."""


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.TASK_STALE_AFTER_SECONDS)


# --- Workers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    requeued: list[str]
    failed: list[str]


def _host() -> dict[str, object]:
    return {"hostname": socket.gethostname()[:255], "pid": os.getpid()}


def worker_start(*, worker_id: str, now: dt.datetime | None = None) -> Recovery:
    """Register a starting worker. A task still RUNNING under its id was lost with an earlier
    process of that id (a worker restarted after a crash, under a fixed id): it is queued
    again now, since the new process is running nothing yet."""
    now = now or timezone.now()
    with exclusive_transaction(DBTaskResult.objects.db):
        earlier = WorkerHeartbeat.objects.filter(worker_id=worker_id).first()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id, defaults={"beat_at": now, "started_at": now, **_host()}
        )
        orphans = [
            result
            for result in DBTaskResult.objects.running().select_for_update(skip_locked=True)
            if (result.worker_ids or [""])[-1] == worker_id
        ]
        recovery = Recovery(requeued=[], failed=[])
        for result in orphans:
            silent_since = earlier.beat_at if earlier else result.started_at or now
            _lose(result, worker_id=worker_id, silent_since=silent_since, now=now, into=recovery)
    return recovery


def worker_beat(*, worker_id: str, now: dt.datetime | None = None) -> WorkerHeartbeat:
    """Say that this worker is alive (and register it again if its row was cleared)."""
    now = now or timezone.now()
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now},
        create_defaults={"beat_at": now, "started_at": now, **_host()},
    )
    return heartbeat


def worker_stop(*, worker_id: str) -> None:
    """A worker that stops cleanly finished its task first: nothing of it is left to watch."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def _lose(
    result: DBTaskResult,
    *,
    worker_id: str,
    silent_since: dt.datetime,
    now: dt.datetime,
    into: Recovery,
) -> None:
    """Record that ``result`` lost its worker; queue it again, or give up on it after
    MAX_LOST_RUNS. The caller holds the row's lock."""
    LostRun.objects.create(
        task=result, worker_id=worker_id, silent_since=silent_since, noticed_at=now
    )
    lost = LostRun.objects.filter(task=result).count()
    if lost >= MAX_LOST_RUNS:
        message = WORKER_LOST.format(
            count=lost, worker=worker_id, since=silent_since.isoformat(), id=result.pk
        )
        result.set_failed(WorkerLost(message))
        into.failed.append(str(result.pk))
        return
    DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )
    into.requeued.append(str(result.pk))


def tasks_recover_lost(*, now: dt.datetime | None = None) -> Recovery:
    """Queue again every task RUNNING on a worker silent for longer than
    TASK_STALE_AFTER_SECONDS; a task lost that way MAX_LOST_RUNS times is marked failed.
    Any live worker may call this; the row locks make each task recovered by one of them."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    recovery = Recovery(requeued=[], failed=[])
    # One transaction; SQLite ignores row locks, so there it is exclusive and sweeps take turns.
    with exclusive_transaction(DBTaskResult.objects.db):
        running = list(
            DBTaskResult.objects.running()
            .filter(started_at__lt=cutoff)
            .select_for_update(skip_locked=True)
            .order_by()
        )
        last_workers = {r.pk: (r.worker_ids or [""])[-1] for r in running}
        beats = dict(
            WorkerHeartbeat.objects.filter(worker_id__in=set(last_workers.values())).values_list(
                "worker_id", "beat_at"
            )
        )
        for result in running:
            worker = last_workers[result.pk]
            # A worker without a heartbeat row is gone; it was last heard of when it started.
            silent_since = beats.get(worker) or result.started_at
            if silent_since is None or silent_since >= cutoff:
                continue
            _lose(result, worker_id=worker, silent_since=silent_since, now=now, into=recovery)
        # Heartbeats of workers lost long ago are of no more use.
        WorkerHeartbeat.objects.filter(beat_at__lt=now - dt.timedelta(days=1)).delete()
    return recovery


def _task_result(task_id: str) -> DBTaskResult | None:
    try:
        uuid.UUID(str(task_id))
    except ValueError:
        return None
    return DBTaskResult.objects.select_for_update().filter(pk=task_id).first()


@transaction.atomic
def task_retry(*, task_id: str) -> DBTaskResult:
    """Queue a failed task again, its count of lost runs started over."""
    result = _task_result(task_id)
    if result is None:
        raise ValidationError(NO_TASK)
    if result.status != TaskResultStatus.FAILED:
        raise ValidationError(NOT_FAILED.format(status=result.status))
    LostRun.objects.filter(task=result).delete()
    result.status = TaskResultStatus.READY
    result.started_at = None
    result.finished_at = None
    result.exception_class_path = ""
    result.traceback = ""
    result.return_value = None
    result.save(
        update_fields=[
            "status",
            "started_at",
            "finished_at",
            "exception_class_path",
            "traceback",
            "return_value",
        ]
    )
    return result


# --- Scheduled runs -------------------------------------------------------------------------


@transaction.atomic
def scheduled_run_enqueue(*, task: Any, run_after: dt.datetime) -> bool:
    """Queue ``task`` to run at ``run_after`` unless some process already did: the unique row
    is inserted in the transaction that queues the task, so exactly one of them wins."""
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(task_path=task.module_path, run_after=run_after)
    except IntegrityError:
        return False
    task.using(run_after=run_after).enqueue()
    return True
