"""Background tasks survive a lost worker: heartbeats, lost runs queued again, the tasks
command and its retry."""

import datetime as dt
import json
import signal
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reciprocity.ops.management.commands import tasks as tasks_command
from reciprocity.ops.models import LostRun, WorkerHeartbeat
from reciprocity.ops.services import (
    MAX_LOST_RUNS,
    NO_TASK,
    NOT_FAILED,
    tasks_recover_lost,
    worker_beat,
)
from reciprocity.ops.worker import beat_interval
from tests.background_tasks import fail, live_workers, record_run

STALE = dt.timedelta(seconds=600)


@pytest.fixture
def restore_signals() -> Iterator[None]:
    """The worker installs its own signal handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def running_on(worker_id: str, *, started: dt.datetime, path: str = "unused") -> DBTaskResult:
    """A task claimed by ``worker_id`` at ``started``, as the worker's claim leaves it."""
    result = record_run.enqueue(path)
    stored = DBTaskResult.objects.get(pk=result.id)
    stored.claim(worker_id)
    DBTaskResult.objects.filter(pk=stored.pk).update(started_at=started)
    stored.refresh_from_db()
    return stored


def beat(worker_id: str, at: dt.datetime) -> None:
    worker_beat(worker_id=worker_id)
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(beat_at=at)


def run_worker(*args: str) -> None:
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", *args, verbosity=0)


# --- Lost runs ------------------------------------------------------------------------------


def test_a_task_on_a_silent_worker_is_queued_again(db: None) -> None:
    now = timezone.now()
    beat("dead", now - STALE - dt.timedelta(seconds=1))
    lost = running_on("dead", started=now - dt.timedelta(hours=1))

    recovery = tasks_recover_lost(now=now)

    assert recovery.requeued == [str(lost.pk)]
    lost.refresh_from_db()
    assert (lost.status, lost.started_at) == (TaskResultStatus.READY, None)
    (record,) = LostRun.objects.all()
    assert (record.task_id, record.worker_id) == (lost.pk, "dead")


def test_a_task_on_a_live_worker_is_left_running_however_long_it_takes(db: None) -> None:
    now = timezone.now()
    beat("alive", now - dt.timedelta(seconds=5))
    long_task = running_on("alive", started=now - dt.timedelta(hours=3))

    assert tasks_recover_lost(now=now).requeued == []
    long_task.refresh_from_db()
    assert long_task.status == TaskResultStatus.RUNNING
    assert not LostRun.objects.exists()


def test_a_task_of_a_worker_without_heartbeat_waits_out_the_stale_limit(db: None) -> None:
    now = timezone.now()
    recent = running_on("unknown", started=now - dt.timedelta(seconds=30))
    old = running_on("unknown", started=now - STALE - dt.timedelta(seconds=1))

    assert tasks_recover_lost(now=now).requeued == [str(old.pk)]
    recent.refresh_from_db()
    assert recent.status == TaskResultStatus.RUNNING


def test_the_stale_limit_comes_from_the_setting(db: None, settings: Any) -> None:
    settings.TASK_STALE_AFTER_SECONDS = 30
    now = timezone.now()
    beat("dead", now - dt.timedelta(seconds=31))
    lost = running_on("dead", started=now - dt.timedelta(seconds=40))

    assert tasks_recover_lost(now=now).requeued == [str(lost.pk)]
    # A few beats fit in the limit.
    assert beat_interval() == 7.5


def test_a_task_lost_three_times_is_marked_failed_with_the_reason(db: None) -> None:
    now = timezone.now()
    result = running_on("w1", started=now - dt.timedelta(hours=1))
    for n in range(1, MAX_LOST_RUNS + 1):
        result.claim(f"w{n}")
        DBTaskResult.objects.filter(pk=result.pk).update(started_at=now - dt.timedelta(hours=1))
        recovery = tasks_recover_lost(now=now)
        assert recovery.requeued == ([] if n == MAX_LOST_RUNS else [str(result.pk)])
        result.refresh_from_db()

    assert recovery.failed == [str(result.pk)]
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == "reciprocity.ops.services.WorkerLost"
    assert f"stopped answering {MAX_LOST_RUNS} times (last w3" in result.traceback
    assert LostRun.objects.filter(task=result).count() == MAX_LOST_RUNS


# The worker closes stale connections between jobs, as in production: it needs real commits.
def test_a_starting_worker_runs_the_task_its_lost_colleague_left(
    transactional_db: None, restore_signals: None, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    now = timezone.now()
    beat("dead", now - STALE - dt.timedelta(minutes=1))
    lost = running_on("dead", started=now - dt.timedelta(hours=1), path=str(log))

    run_worker("--worker-id", "rescuer")

    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.SUCCESSFUL
    assert lost.worker_ids == ["dead", "rescuer"]
    assert log.read_text().splitlines()[-1].startswith("done ")


def test_a_worker_restarted_under_the_same_id_runs_the_task_it_was_killed_in(
    transactional_db: None, restore_signals: None, tmp_path: Path
) -> None:
    """A fixed id (host and number, as the systemd units give) comes back at once after a
    crash: its heartbeat looks alive, yet the new process is not running the old task."""
    log = tmp_path / "runs.log"
    now = timezone.now()
    beat("host-1", now - dt.timedelta(seconds=5))
    lost = running_on("host-1", started=now - dt.timedelta(seconds=30), path=str(log))

    run_worker("--worker-id", "host-1")

    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.SUCCESSFUL
    assert lost.worker_ids == ["host-1", "host-1"]
    (record,) = LostRun.objects.filter(task=lost)
    assert record.worker_id == "host-1"


def test_a_worker_registers_its_heartbeat_and_removes_it_when_it_stops(
    transactional_db: None, restore_signals: None
) -> None:
    result = live_workers.enqueue()

    run_worker("--worker-id", "w-heart")

    assert DBTaskResult.objects.get(pk=result.id).return_value == ["w-heart"]
    assert not WorkerHeartbeat.objects.exists()


# --- The tasks command ----------------------------------------------------------------------


def tasks(*args: str) -> str:
    out = StringIO()
    call_command("tasks", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def queue(db: None) -> dict[str, DBTaskResult]:
    now = timezone.now()
    beat("busy-worker", now)
    waiting = DBTaskResult.objects.get(pk=record_run.enqueue("later").id)
    running = running_on("busy-worker", started=now - dt.timedelta(minutes=2))
    failed = DBTaskResult.objects.get(pk=fail.enqueue().id)
    failed.claim("busy-worker")
    failed.set_failed(RuntimeError("The partner list could not be read."))
    return {"waiting": waiting, "running": running, "failed": failed}


def test_tasks_lists_queued_running_and_failed(queue: dict[str, DBTaskResult]) -> None:
    text = tasks()

    assert text.index("Queued (1)") < text.index("Running (1)") < text.index("Failed (1)")
    assert f"{queue['waiting'].pk}  record_run  queued" in text
    assert f"{queue['running'].pk}  record_run  since" in text
    assert "on worker busy-worker (" in text
    assert f"{queue['failed'].pk}  fail  failed" in text
    assert "RuntimeError: The partner list could not be read." in text
    assert "Workers (1)" in text
    assert "busy-worker" in text.split("Workers (1)")[1]


def test_tasks_json(queue: dict[str, DBTaskResult]) -> None:
    data = json.loads(tasks("--json"))

    assert data["counts"] == {"queued": 1, "running": 1, "failed": 1}
    (running,) = data["running"]
    assert running["id"] == str(queue["running"].pk)
    assert running["worker_id"] == "busy-worker"
    assert running["worker"]["silent"] is False
    assert running["started_at"]
    (failed,) = data["failed"]
    assert failed["error"] == "RuntimeError: The partner list could not be read."
    assert [w["worker_id"] for w in data["workers"]] == ["busy-worker"]


def test_retry_queues_a_failed_task_again(queue: dict[str, DBTaskResult]) -> None:
    failed = queue["failed"]
    LostRun.objects.create(
        task=failed, worker_id="w", silent_since=timezone.now(), noticed_at=timezone.now()
    )

    assert tasks("retry", str(failed.pk)).strip() == tasks_command.RETRIED.format(id=failed.pk)

    failed.refresh_from_db()
    assert failed.status == TaskResultStatus.READY
    assert (failed.traceback, failed.finished_at) == ("", None)
    assert not LostRun.objects.filter(task=failed).exists()
    assert "Failed (0)" in tasks()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("retry",), tasks_command.RETRY_NEEDS_ID),
        (("retry", "not-a-task"), NO_TASK),
        (("retry", "00000000-0000-0000-0000-000000000000"), NO_TASK),
        (("retry", "running"), NOT_FAILED.format(status="RUNNING")),
    ],
)
def test_retry_says_what_is_wrong(
    queue: dict[str, DBTaskResult], args: tuple[str, ...], message: str
) -> None:
    if args[-1] == "running":
        args = ("retry", str(queue["running"].pk))
    with pytest.raises(CommandError) as excinfo:
        tasks(*args)
    assert str(excinfo.value) == message
