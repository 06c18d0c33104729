"""The access log of a real ``reciprocity serve`` keeps the secrets that travel in a path out:
a calendar feed's key, a password reset's key."""

import logging
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from reciprocity.site.access_log import REDACTED, RefusalWithoutTracebackFilter, secrets_in
from tests.firm_processes import ROOT, Processes, call, clean_environment

FEED_KEY = "cal_" + secrets.token_urlsafe(24)
RESET_KEY = "set-" + secrets.token_urlsafe(16)


def test_only_the_secret_arguments_of_a_path_are_secrets() -> None:
    assert secrets_in(f"/calendar/{FEED_KEY}.ics") == [FEED_KEY]
    assert secrets_in(f"/accounts/password/reset/key/1-{RESET_KEY}/") == [RESET_KEY]
    assert secrets_in("/partners/12/") == []
    assert secrets_in("/api/v1/agenda/commitment:1:2/complete") == []
    assert secrets_in("/no/such/page/") == []


def test_a_refused_page_is_logged_as_one_line_and_a_fault_with_its_traceback() -> None:
    def record(status: int) -> logging.LogRecord:
        try:
            raise PermissionDenied if status == 403 else RuntimeError
        except Exception:
            made = logging.LogRecord(
                "django.request", logging.WARNING, "", 0, "x", (), sys.exc_info()
            )
        made.status_code = status
        return made

    refused, fault = record(403), record(500)
    keep = RefusalWithoutTracebackFilter()

    assert keep.filter(refused)
    assert keep.filter(fault)
    assert refused.exc_info is None
    assert fault.exc_info is not None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Processes, int]]:
    """A laptop's server: its own SQLite file, migrated, with the static files collected."""
    env = {
        **clean_environment(),
        "RECIPROCITY_DATA_DIR": str(tmp_path / "data"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "coi.test",  # the host name the test client sends
    }
    processes = Processes(env=env, logs=tmp_path)
    for setup in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        # Migrating a new SQLite file takes a while on a loaded machine.
        done = subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "reciprocity", *setup],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    try:
        port = processes.server()
        processes.wait_until_serving(port)
        yield processes, port
    finally:
        processes.stop_all()


@pytest.mark.slow
def test_the_access_log_of_serve_redacts_the_secrets_in_paths(
    server: tuple[Processes, int],
) -> None:
    processes, port = server

    call(port, "GET", f"/calendar/{FEED_KEY}.ics")
    call(port, "GET", f"/accounts/password/reset/key/1-{RESET_KEY}/")
    call(port, "GET", "/partners/")
    processes.stop_all()

    log = processes.output()
    assert f"/calendar/{REDACTED}.ics" in log, log
    assert f"/accounts/password/reset/key/1-{REDACTED}/" in log
    assert "/partners/" in log
    assert FEED_KEY not in log
    assert RESET_KEY not in log
