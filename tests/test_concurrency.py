"""Several processes writing at once: no "database is locked", no lost update."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from reciprocity.partners.models import Partner, StageChange, Touch
from tests.factories import PartnerFactory, UserFactory

# Slow: left out of the quick loop (-m "not slow"); make test runs it.
pytestmark = pytest.mark.slow

WRITERS = 8
OPS = 15


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_eight_writers_at_once_lose_nothing() -> None:
    user = UserFactory()
    shared = PartnerFactory(owner=user)
    own = [PartnerFactory(owner=user, stage="identified") for _ in range(WRITERS)]
    env = {**os.environ, "DATABASE_URL": database_url()}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    root = Path(__file__).resolve().parent.parent
    writers = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [
                sys.executable,
                "-m",
                "tests.concurrency_writer",
                f"--user={user.pk}",
                f"--shared={shared.pk}",
                f"--own={partner.pk}",
                f"--ops={OPS}",
            ],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for partner in own
    ]
    results = [writer.communicate(timeout=300) for writer in writers]

    assert [w.returncode for w in writers] == [0] * WRITERS, [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["0"] * WRITERS, [err for _, err in results]
    shared.refresh_from_db()
    assert Touch.objects.filter(partner=shared).count() == WRITERS * OPS
    assert shared.touch_count == WRITERS * OPS
    for partner in own:
        partner.refresh_from_db()
        assert StageChange.objects.filter(partner=partner).count() == OPS
        latest = StageChange.objects.filter(partner=partner).order_by("-occurred_at", "-pk")[0]
        assert partner.stage == latest.to_stage
    assert Partner.objects.count() == WRITERS + 1
