"""The webhooks' background jobs on ``reciprocity worker``.

``send_webhooks`` is queued after every commit that wrote an event (and by a resend); it sends
what is due, then queues itself for the next retry that waits. ``webhooks_tick`` runs every
TICK: it tells the commitments that became overdue and sends anything left due, so nothing
waits on a lost job. Both are safe to run twice: a delivery is held by the run sending it.
"""

import datetime as dt

from django.db.models import Q
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task, task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from reciprocity.integrations.webhooks.delivery import BATCH, next_due_at, webhooks_send_due
from reciprocity.integrations.webhooks.overdue import commitments_overdue_tell
from reciprocity.ops.services import scheduled_run_enqueue

TICK = dt.timedelta(minutes=5)


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


def webhooks_schedule(*, now: dt.datetime | None = None) -> bool:
    """Queue the next tick (at the next multiple of TICK) unless one is waiting already."""
    if not _database_queue():
        return False
    now = now or timezone.now()
    waiting = DBTaskResult.objects.filter(
        task_path=webhooks_tick.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    step = int(TICK.total_seconds())
    run_after = dt.datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, tz=dt.UTC)
    return scheduled_run_enqueue(task=webhooks_tick, run_after=run_after)
