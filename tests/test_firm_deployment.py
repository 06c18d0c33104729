"""A firm's deployment, run as it runs: two `reciprocity serve` and four `reciprocity worker`
processes on one PostgreSQL database, on loopback ports. PostgreSQL only (SQLite is one
host's file); the whole file takes well under ninety seconds."""

import datetime as dt
import json
import os
import re
import secrets
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.hashers import ScryptPasswordHasher
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reciprocity.accounts.adapter import LOCKED_OUT
from reciprocity.accounts.models import User
from reciprocity.accounts.services import token_create
from reciprocity.ops.models import LostRun, ScheduledRun, WorkerHeartbeat
from reciprocity.partners.models import Touch
from reciprocity.playbook.tasks import send_weekly_digest, send_weekly_digests
from tests.background_tasks import record_run
from tests.factories import CommitmentFactory, PartnerFactory, UserFactory
from tests.firm_processes import (
    Processes,
    answers,
    call,
    clean_environment,
    database_url,
    free_port,
    wait_for,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a firm's hosts share a PostgreSQL database"
    ),
]

PASSWORD = "correct horse battery staple"
STALE_SECONDS = 3
WRITES = 100


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Collected once, as on each host of a release."""
    root = tmp_path_factory.mktemp("static")
    collected = Processes(env={**clean_environment(), "STATIC_ROOT": str(root)}, logs=root).run(
        "collectstatic", "--noinput", "--verbosity", "0"
    )
    assert collected.returncode == 0, collected.stderr
    return root


@pytest.fixture
def firm(static_root: Path, tmp_path: Path) -> Iterator[Processes]:
    """What every host of the firm shares: production mode, one key, one database."""
    env = {
        **clean_environment(),
        "RECIPROCITY_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "coi.test",
        "DATABASE_URL": database_url(),
        "STATIC_ROOT": str(static_root),
        "RECIPROCITY_DATA_DIR": str(tmp_path / "data"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "TASK_STALE_AFTER_SECONDS": str(STALE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
    # The tests' own settings keep the cache in memory; the hosts keep it in the database.
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "reciprocity_cache",
            }
        }
    ):
        call_command("createcachetable", verbosity=0)
    processes = Processes(env=env, logs=tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()


def sign_in(port: int, username: str, password: str) -> tuple[int, str, dict[str, str]]:
    page = call(port, "GET", "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token, page.body[:500]
    response = call(
        port,
        "POST",
        "/accounts/login/",
        form={"login": username, "password": password, "csrfmiddlewaretoken": token[1]},
        cookies=page.cookies,
        headers={"Referer": "https://coi.test/accounts/login/"},
    )
    return response.status, response.body, response.cookies


def mails_to(mail_dir: Path) -> list[str]:
    if not mail_dir.exists():
        return []
    return [
        line.removeprefix("To: ").strip()
        for path in mail_dir.iterdir()
        for line in path.read_text().splitlines()
        if line.startswith("To: ")
    ]


def digests_pending() -> bool:
    return DBTaskResult.objects.filter(
        task_path__in=[send_weekly_digest.module_path, send_weekly_digests.module_path],
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        run_after__lte=timezone.now(),
    ).exists()


def test_two_servers_and_four_workers_on_one_database(firm: Processes, tmp_path: Path) -> None:
    advisors = [UserFactory(username=f"advisor{n}") for n in range(3)]
    for advisor in advisors:
        CommitmentFactory(
            partner=PartnerFactory(owner=advisor),
            due=timezone.localdate() - dt.timedelta(days=3),
        )
    locked = UserFactory(username="locked", email="")
    # The tests' own quick hash is not one the hosts accept. A scrypt hash with a small work
    # factor is: cheap to check, and a wrong password costs no extra hardening either.
    hasher = ScryptPasswordHasher()
    User.objects.filter(pk__in=[advisors[0].pk, locked.pk]).update(
        password=hasher.encode(PASSWORD, hasher.salt(), n=2**4)
    )
    shared = PartnerFactory(owner=advisors[0])
    _, token = token_create(user=advisors[0])

    servers = [firm.server(), firm.server()]
    workers = {f"w{n}": firm.worker(f"w{n}") for n in range(4)}
    for port in servers:
        firm.wait_until_serving(port)
        assert answers(port, "/ready/"), firm.output()

    # A session made on one server works on the other (one SECRET_KEY, sessions in the database).
    status, body, cookies = sign_in(servers[0], advisors[0].username, PASSWORD)
    assert status == 302, body[-2000:]
    page = call(servers[1], "GET", "/partners/", cookies={"sessionid": cookies["sessionid"]})
    assert page.status == 200
    assert shared.name in page.body

    # The lockout counts the wrong passwords typed on both servers together.
    for attempt in range(10):
        status, _, _ = sign_in(servers[attempt % 2], "locked", "wrong password")
        assert status == 200
    for port in servers:
        status, body, _ = sign_in(port, "locked", PASSWORD)
        assert status == 200
        assert LOCKED_OUT in body

    # Concurrent API writes through both servers are all recorded.
    def write(n: int) -> int:
        response = call(
            servers[n % 2],
            "POST",
            f"/api/v1/partners/{shared.pk}/touches",
            json_body=f'{{"kind": "call", "summary": "Call {n}"}}',
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(write, range(WRITES)))
    assert statuses == [201] * WRITES
    assert Touch.objects.filter(partner=shared).count() == WRITES
    shared.refresh_from_db()
    assert shared.touch_count == WRITES

    # Four workers started at once queue one weekly run.
    wait_for(lambda: WorkerHeartbeat.objects.count() == 4, timeout=30, what="workers", firm=firm)
    weekly = DBTaskResult.objects.filter(task_path=send_weekly_digests.module_path)
    assert weekly.count() == 1
    assert ScheduledRun.objects.filter(task_path=send_weekly_digests.module_path).count() == 1

    # Its time comes, and `digest --send` is run at the same moment besides: one digest each.
    weekly.update(run_after=timezone.now())
    command = firm.start("-m", "reciprocity", "digest", "--send")
    assert command.wait(timeout=60) == 0, firm.output()
    wait_for(lambda: not digests_pending(), timeout=30, what="digests", firm=firm)
    assert sorted(mails_to(tmp_path / "mail")) == sorted(a.email for a in advisors)
    assert locked.email == ""

    # A worker killed in the middle of a task: another one does it within the stale limit.
    killed_log = tmp_path / "killed.log"
    result = record_run.using(priority=10).enqueue(str(killed_log), 4.0)
    wait_for(lambda: killed_log.exists() and killed_log.read_text(), timeout=15, what="start")
    victim_pid = int(killed_log.read_text().split()[1])
    (victim,) = [name for name, p in workers.items() if p.pid == victim_pid]
    os.kill(victim_pid, signal.SIGKILL)
    wait_for(
        lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL,
        # The stale limit, a beat, the task's own four seconds, and room for a loaded machine.
        timeout=STALE_SECONDS + 4 + 15,
        what="the lost task",
        firm=firm,
    )
    # Queued again only once the victim had been silent for the stale limit.
    (lost,) = LostRun.objects.filter(task_id=result.id)
    assert lost.worker_id == victim
    assert lost.noticed_at - lost.silent_since >= dt.timedelta(seconds=STALE_SECONDS)
    stored = DBTaskResult.objects.get(pk=result.id)
    assert stored.worker_ids[0] == victim
    assert len(stored.worker_ids) == 2  # and not run a third time while it took 4 s
    lines = killed_log.read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["start", "start", "done"]
    assert lines[2] != f"done {victim_pid}"
    del workers[victim]

    # A worker stopped with SIGTERM finishes its task first, then leaves.
    term_log = tmp_path / "term.log"
    result = record_run.using(priority=10).enqueue(str(term_log), 1.5)
    wait_for(lambda: term_log.exists() and term_log.read_text(), timeout=15, what="start")
    pid = int(term_log.read_text().split()[1])
    (stopping,) = [name for name, p in workers.items() if p.pid == pid]
    os.kill(pid, signal.SIGTERM)
    assert workers[stopping].wait(timeout=15) == 0
    assert term_log.read_text().splitlines() == [f"start {pid}", f"done {pid}"]
    stored = DBTaskResult.objects.get(pk=result.id)
    assert (stored.status, stored.worker_ids) == (TaskResultStatus.SUCCESSFUL, [stopping])
    assert not WorkerHeartbeat.objects.filter(worker_id=stopping).exists()

    # What an operator sees: nothing failed, and the killed worker silent.
    listing = StringIO()
    with override_settings(TASK_STALE_AFTER_SECONDS=STALE_SECONDS):  # the hosts' setting
        call_command("tasks", stdout=listing)
    assert "Failed (0)" in listing.getvalue()
    (line,) = [x for x in listing.getvalue().splitlines() if x.startswith(f"  {victim}  ")]
    assert "SILENT" in line


def test_ready_is_503_on_an_unmigrated_database_and_serve_refuses_it(firm: Processes) -> None:
    name = f"{connection.settings_dict['NAME']}_unmigrated"
    admin_url = database_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {"DATABASE_URL": database_url(name)}
        refused = firm.run("serve", "--port", str(free_port()), **env)
        assert refused.returncode == 1
        assert "Not serving:" in refused.stderr
        assert "database migration(s) are not applied" in refused.stderr
        assert "Traceback" not in refused.stderr

        # A host started some other way (or a database swapped under it) is kept out of the
        # load balancer's rotation.
        port = free_port()
        server = firm.start(
            "-m",
            "gunicorn",
            "reciprocity.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            **env,
        )
        firm.wait_until_serving(port)
        ready = call(port, "GET", "/ready/")
        assert ready.status == 503
        assert "database migration(s) are not applied" in json.loads(ready.body)["detail"]
        assert call(port, "GET", "/health/").status == 200  # alive, but not ready
        server.terminate()
        server.wait(timeout=10)
    finally:
        firm.stop_all()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_production_mode_without_database_url_does_not_start(firm: Processes) -> None:
    env = {**firm.env}
    del env["DATABASE_URL"]
    result = Processes(env=env, logs=firm.logs).run("serve", "--port", str(free_port()))
    assert result.returncode != 0
    assert "DATABASE_URL must be set in production mode" in result.stderr
