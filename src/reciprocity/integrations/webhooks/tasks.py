"""The webhooks' background jobs on ``reciprocity worker``.

``send_webhooks`` is queued after every commit that wrote an event (and by a resend); it sends
what is due, then queues itself for the next retry that waits. ``webhooks_tick`` runs every
TICK: it tells the commitments that became overdue and sends anything left due, so nothing
waits on a lost job. ``diagnoses_tick`` runs every DIAGNOSES_TICK: it tells the partners'
diagnoses newly standing (computing them costs more, and they change more slowly). All are
safe to run twice: a delivery is held by the run sending it, a diagnosis told is noted.
"""

import datetime as dt
from typing import Any

from django.db.models import Q
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task, task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from reciprocity.integrations.webhooks.delivery import BATCH, next_due_at, webhooks_send_due
from reciprocity.integrations.webhooks.diagnoses import diagnoses_tell
from reciprocity.integrations.webhooks.overdue import commitments_overdue_tell
from reciprocity.ops.services import scheduled_run_enqueue

TICK = dt.timedelta(minutes=5)
DIAGNOSES_TICK = dt.timedelta(minutes=15)


def _database_queue() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def _waiting(task_path: str, *, before: dt.datetime) -> bool:
    # A job queued to run at once has the backend's far-off date as its run_after.
    soon = Q(run_after__lte=before) | Q(run_after=get_date_max())
    return DBTaskResult.objects.filter(
        soon, task_path=task_path, status=TaskResultStatus.READY
    ).exists()


def webhooks_send_soon() -> None:
    """Queue a sending run now, unless one is already waiting to start."""
    if _database_queue() and _waiting(send_webhooks.module_path, before=timezone.now()):
        return
    send_webhooks.enqueue()


def _send_at_next_due(now: dt.datetime) -> None:
    due = next_due_at()
    if due is None or not _database_queue():
        return
    # Whole seconds, so runs planned by several workers for one retry are one run.
    run_after = max(due, now).replace(microsecond=0) + dt.timedelta(seconds=1)
    scheduled_run_enqueue(task=send_webhooks, run_after=run_after)


@task
def send_webhooks() -> int:
    """Send what is due; queue the next run for the next retry that waits."""
    sent = webhooks_send_due()
    if sent >= BATCH:
        send_webhooks.enqueue()
    else:
        _send_at_next_due(timezone.now())
    return sent


@task
def webhooks_tick() -> int:
    """Tell overdue commitments, send what is due, and queue the next tick."""
    told = commitments_overdue_tell()
    webhooks_send_due()
    webhooks_schedule()
    return told


@task
def diagnoses_tick() -> int:
    """Tell the diagnoses newly standing, and queue the next check."""
    told = diagnoses_tell()
    diagnoses_schedule()
    return told


def _schedule(job: Any, every: dt.timedelta, now: dt.datetime | None) -> bool:
    """Queue ``job`` at the next multiple of ``every`` unless one is waiting already."""
    if not _database_queue():
        return False
    now = now or timezone.now()
    waiting = DBTaskResult.objects.filter(task_path=job.module_path, status=TaskResultStatus.READY)
    if waiting.exists():
        return False
    step = int(every.total_seconds())
    run_after = dt.datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, tz=dt.UTC)
    return scheduled_run_enqueue(task=job, run_after=run_after)


def webhooks_schedule(*, now: dt.datetime | None = None) -> bool:
    """Queue the next tick (at the next multiple of TICK) unless one is waiting already."""
    return _schedule(webhooks_tick, TICK, now)


def diagnoses_schedule(*, now: dt.datetime | None = None) -> bool:
    """Queue the next diagnoses check (at the next multiple of DIAGNOSES_TICK) unless one is
    waiting already."""
    return _schedule(diagnoses_tick, DIAGNOSES_TICK, now)
