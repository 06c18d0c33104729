"""Gunicorn's settings for ``reciprocity serve --with-worker``: the background worker
(``reciprocity worker``) runs beside the app server on one machine, started by gunicorn's master
once it is ready and stopped with it, so that a laptop's imports and emails run without a second
command. A firm runs its workers as services of their own."""

import subprocess
import sys
from typing import Any

# Seconds the worker has to finish its task in hand when the server stops.
STOP_WAIT = 30

_running: list[subprocess.Popen[bytes]] = []


def when_ready(server: Any) -> None:
    _running.append(subprocess.Popen([sys.executable, "-m", "reciprocity", "worker"]))


def on_exit(server: Any) -> None:
    while _running:
        worker = _running.pop()
        worker.terminate()
        try:
            worker.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            worker.kill()
