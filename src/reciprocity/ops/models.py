"""What several app servers and workers on one database need to agree on."""

from django.db import models
from django_tasks_db.models import DBTaskResult


class WorkerHeartbeat(models.Model):
    """A running worker. It beats every few seconds; a worker silent for longer than
    TASK_STALE_AFTER_SECONDS is taken for dead and its task is queued again."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["started_at", "worker_id"]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class LostRun(models.Model):
    """A run of a task lost with its worker (killed, or its host gone). The task is queued
    again; after MAX_LOST_RUNS of these it is marked failed instead."""

    task = models.ForeignKey(DBTaskResult, on_delete=models.CASCADE, related_name="+")
    worker_id = models.CharField(max_length=64)
    silent_since = models.DateTimeField()
    noticed_at = models.DateTimeField()

    class Meta:
        ordering = ["noticed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.task_id} lost with {self.worker_id}"


class ScheduledRun(models.Model):
    """One row per task and run time: whichever process inserts it queues that run, so
    workers starting together queue it once."""

    task_path = models.CharField(max_length=255)
    run_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task_path", "run_after"], name="one_scheduled_run")
        ]

    def __str__(self) -> str:
        return f"{self.task_path} at {self.run_after:%Y-%m-%d %H:%M}"
