"""django-tasks-db's database worker, with a heartbeat.

The backend has no answer to a worker killed in the middle of a task (django-tasks issue 46):
the task stays RUNNING for ever. Here every worker beats a heartbeat from a thread of its own
(so a long task does not make it look dead) and, at each beat, queues again the tasks of workers
silent for longer than TASK_STALE_AFTER_SECONDS. Tasks therefore run at least once, and must be
safe to run again.
"""

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from reciprocity.ops.services import (
    Recovery,
    tasks_recover_lost,
    worker_beat,
    worker_start,
    worker_stop,
)

logger = logging.getLogger(__name__)

EXCLUDE_NEEDS_ALL = "--exclude-queues can only be used with --queue-name=*"

# What a long-running worker keeps on schedule (each queues its next run once): registered by
# the apps that own the jobs, in their ready(), so this app needs to know none of them.
_schedules: list[Callable[[], object]] = []


def schedule_on_start(schedule: Callable[[], object]) -> None:
    if schedule not in _schedules:
        _schedules.append(schedule)


def beat_interval() -> float:
    """A few beats fit in the stale limit, so one slow beat never makes a worker look dead."""
    return max(0.5, min(30.0, settings.TASK_STALE_AFTER_SECONDS / 4))


def log_recovery(recovery: Recovery) -> None:
    for task_id in recovery.requeued:
        logger.warning("Task %s was running on a silent worker: queued again.", task_id)
    for task_id in recovery.failed:
        logger.error("Task %s lost its worker too many times: marked failed.", task_id)


class HeartbeatWorker(Worker):
    def run(self) -> None:
        # Registered before the first task is claimed, and lost work (its own, from before a
        # restart, and that of dead workers) picked up at once rather than a beat later.
        log_recovery(worker_start(worker_id=self.worker_id))
        log_recovery(tasks_recover_lost())
        stop = threading.Event()
        beating = threading.Thread(target=self.beat, args=(stop,), name="heartbeat", daemon=True)
        beating.start()
        try:
            super().run()
        finally:
            stop.set()
            beating.join()
            worker_stop(worker_id=self.worker_id)

    def beat(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(beat_interval()):
                try:
                    worker_beat(worker_id=self.worker_id)
                    log_recovery(tasks_recover_lost())
                except DatabaseError:
                    # The database may come back; a worker that stays silent is recovered by
                    # the others, and its task run again.
                    logger.exception("Heartbeat of worker %s failed.", self.worker_id)
        finally:
            connections.close_all()


class HeartbeatWorkerCommand(DatabaseWorkerCommand):
    """The database worker command, running a HeartbeatWorker."""

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError(EXCLUDE_NEEDS_ALL)
        worker = HeartbeatWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if not options["batch"]:
            for schedule in _schedules:
                schedule()
        if options["reload"] and not options["batch"]:
            # Only the reloaded child process runs tasks, so only it handles signals.
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
            return
        worker.configure_signals()
        worker.run()
