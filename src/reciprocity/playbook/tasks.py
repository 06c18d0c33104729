"""Background jobs, run by ``reciprocity worker`` (django-tasks-db's database queue).

The weekly digest keeps its own schedule: each run queues every advisor's digest, then queues
the next run for the following Monday morning. A worker starting up makes sure a run is queued.

A task may run more than once (a worker lost in the middle of one has it run again elsewhere),
so each is safe to repeat: the digest is sent once per advisor and week, and a weekly run is
queued once per run time whichever worker gets there first.
"""

import datetime as dt

from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task, task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from reciprocity.accounts.models import User
from reciprocity.ops.services import scheduled_run_enqueue
from reciprocity.playbook.digest import digest_send
from reciprocity.playbook.selectors.digest import digest_recipients

# Monday, seven in the morning, in the site's time zone.
DIGEST_WEEKDAY = 0
DIGEST_TIME = dt.time(7, 0)
NOT_ACTIVE = "not_active"


@task
def send_weekly_digest(user_id: int, today: str | None = None) -> str:
    """Email one advisor their week, unless it was sent already; says what happened.
    ``today`` (ISO date) is the day the digest is as of."""
    advisor = User.objects.filter(pk=user_id, is_active=True).select_related("firm").first()
    if advisor is None:
        return NOT_ACTIVE
    day = dt.date.fromisoformat(today) if today else None
    return digest_send(advisor=advisor, today=day).value


@task
def send_weekly_digests() -> int:
    """Queue every advisor's digest (one job each, so one failure stops no one else's), then
    the next weekly run."""
    # The run's own day, so a digest sent late (after a lost worker) still covers its week.
    queued = weekly_digests_enqueue(today=timezone.localdate())
    weekly_digest_schedule()
    return queued


def weekly_digests_enqueue(*, today: dt.date | None = None) -> int:
    day = today.isoformat() if today else None
    count = 0
    for user_id in digest_recipients().values_list("pk", flat=True):
        send_weekly_digest.enqueue(user_id, day)
        count += 1
    return count


def next_digest_run(now: dt.datetime | None = None) -> dt.datetime:
    """The first Monday morning strictly after ``now``."""
    local = timezone.localtime(now or timezone.now())
    day = local.date() + dt.timedelta(days=(DIGEST_WEEKDAY - local.weekday()) % 7)
    run = timezone.make_aware(dt.datetime.combine(day, DIGEST_TIME))
    return run if run > local else run + dt.timedelta(days=7)


def weekly_digest_schedule(*, now: dt.datetime | None = None) -> bool:
    """Queue the next weekly run unless one is already waiting; workers starting together
    queue it once. Only the database queue can be looked into; with another backend, schedule
    the digest from cron instead."""
    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return False
    waiting = DBTaskResult.objects.filter(
        task_path=send_weekly_digests.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    return scheduled_run_enqueue(task=send_weekly_digests, run_after=next_digest_run(now))
