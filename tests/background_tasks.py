"""Tasks the tests queue: the worker processes import them from here."""

import os
import time
from pathlib import Path

from django.tasks import task


@task
def record_run(path: str, seconds: float = 0.0) -> int:
    """Note in ``path`` which process started and finished the run, taking ``seconds``."""
    log = Path(path)
    with log.open("a") as out:
        out.write(f"start {os.getpid()}\n")
    time.sleep(seconds)
    with log.open("a") as out:
        out.write(f"done {os.getpid()}\n")
    return os.getpid()


@task
def fail() -> None:
    raise RuntimeError("The partner list could not be read.")


@task
def live_workers() -> list[str]:
    """The workers registered while this task runs."""
    from reciprocity.ops.models import WorkerHeartbeat

    return list(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
