"""Reports and exports read from the replica when DATABASE_REPLICA_URL names one; everything
else, and every write, uses the primary."""

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import connections, router
from django.test import Client

from reciprocity.ops.routers import REPLICA, ReplicaRouter, replica_reads, replica_stream
from reciprocity.partners.models import Partner
from tests.conftest import Cast, client_for
from tests.test_settings import run_reciprocity

Reads = list[tuple[str, str]]


@pytest.fixture
def replica() -> Iterator[Reads]:
    """A replica alias served by the primary's connection, as the tests' TEST MIRROR does;
    yields the alias and model of each read the router routed."""
    chosen: Reads = []
    original = ReplicaRouter.db_for_read

    def spy(self: ReplicaRouter, model: type[Any], **hints: Any) -> str | None:
        alias = original(self, model, **hints)
        chosen.append((alias or "default", model.__name__))
        return alias

    connections[REPLICA] = connections["default"]
    try:
        with (
            mock.patch.dict(settings.DATABASES, {REPLICA: settings.DATABASES["default"]}),
            mock.patch.object(ReplicaRouter, "db_for_read", spy),
        ):
            yield chosen
    finally:
        del connections[REPLICA]


def test_reads_go_to_the_replica_only_when_asked_and_configured() -> None:
    assert Partner.objects.all().db == "default"
    with replica_reads():
        # No replica configured: the primary.
        assert Partner.objects.all().db == "default"
    with mock.patch.dict(settings.DATABASES, {REPLICA: settings.DATABASES["default"]}):
        with replica_reads():
            assert Partner.objects.all().db == REPLICA
            assert router.db_for_write(Partner) == "default"
        assert Partner.objects.all().db == "default"
    assert router.allow_migrate(REPLICA, "partners") is False
    assert router.allow_migrate("default", "partners") is True


def test_streamed_rows_are_each_read_from_the_replica() -> None:
    def rows() -> Iterator[str]:
        for _ in range(2):
            yield Partner.objects.all().db

    with mock.patch.dict(settings.DATABASES, {REPLICA: settings.DATABASES["default"]}):
        stream = replica_stream(rows())
        assert next(stream) == REPLICA
        # Between rows the rest of the request reads the primary.
        assert Partner.objects.all().db == "default"
        assert list(stream) == [REPLICA]


def test_the_dashboard_reads_from_the_replica(cast: Cast, replica: Reads) -> None:
    client = client_for(cast.alice)
    client.get("/partners/")  # the session is in place: only the dashboard's reads count
    replica.clear()

    response = client.get("/dashboard/")

    assert response.status_code == 200
    read_by = {alias: {model for a, model in replica if a == alias} for alias, _ in replica}
    # The sign-in is read by the middleware before the view; the report itself, by the replica.
    assert read_by["default"] <= {"Session", "User"}
    assert {"Partner", "Referral", "Commitment"} <= read_by[REPLICA]


def test_the_audit_export_reads_from_the_replica(cast: Cast, replica: Reads) -> None:
    client = client_for(cast.ada)
    client.get("/audit/")
    replica.clear()

    response = client.get("/audit/export.csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]

    assert response.status_code == 200
    assert body.startswith("When,Who,From")
    assert (REPLICA, "HistoricalPartner") in replica


def test_pages_that_write_read_the_primary(cast: Cast, replica: Reads) -> None:
    response = client_for(cast.alice).get("/partners/")
    assert response.status_code == 200
    assert replica
    assert {alias for alias, _ in replica} == {"default"}
    assert Client().get("/health/").status_code == 200


def test_database_replica_url_configures_the_replica_and_pgbouncer_settings() -> None:
    code = (
        "from django.conf import settings; from reciprocity.ops.routers import replica_reads; "
        "from reciprocity.partners.models import Partner; "
        "r = settings.DATABASES['replica']; "
        "print(r['ENGINE'], r['NAME'], r['HOST'], r['DISABLE_SERVER_SIDE_CURSORS'], "
        "settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS']); "
        "print(Partner.objects.all().db)\n"
        "with replica_reads(): print(Partner.objects.all().db)"
    )
    result = run_reciprocity(
        "shell",
        "--no-imports",
        "-c",
        code,
        DATABASE_URL="postgres://app@pgbouncer.internal:6432/reciprocity",
        DATABASE_REPLICA_URL="postgres://app@replica.internal:6432/reciprocity",
        DB_DISABLE_SERVER_SIDE_CURSORS="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "django.db.backends.postgresql reciprocity replica.internal True True",
        "default",
        REPLICA,
    ]
