"""Safe by default: /ready/ for load balancers, and `serve` refusing to start a host that
would answer every page with an error."""

import json
import secrets
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from reciprocity.ops import readiness
from reciprocity.site.management.commands import serve
from tests.test_settings import run_reciprocity


def write_manifest(root: Path, *, leave_out: str = "") -> None:
    """A collectstatic manifest naming every static file of this release (but ``leave_out``)."""
    paths = {path: path for finder in get_finders() for path, _ in finder.list(["CVS", ".*", "*~"])}
    paths.pop(leave_out, None)
    (root / "staticfiles.json").write_text(json.dumps({"paths": paths, "version": "1.1"}))


# --- /ready/ --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ready_answers_200_on_a_migrated_database() -> None:
    response = Client().get("/ready/")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_answers_503_when_a_migration_is_not_applied() -> None:
    (_, latest) = MigrationLoader(connection).graph.leaf_nodes("ops")[0]
    MigrationRecorder(connection).migration_qs.filter(app="ops", name=latest).delete()

    response = Client().get("/ready/")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "detail": readiness.NOT_MIGRATED.format(count=1, first=f"ops.{latest}"),
    }
    # /health/ is liveness only: the process and the database answer.
    assert Client().get("/health/").status_code == 200


@pytest.mark.django_db
def test_ready_answers_503_without_the_cache_table(settings: Any) -> None:
    database_cache = "django.core.cache.backends.db.DatabaseCache"
    settings.CACHES = {"default": {"BACKEND": database_cache, "LOCATION": "reciprocity_cache"}}
    # The tests' own settings keep the cache in memory, so their database has no cache table.
    call_command("createcachetable", verbosity=0)
    assert Client().get("/ready/").status_code == 200

    settings.CACHES = {"default": {"BACKEND": database_cache, "LOCATION": "never_created"}}
    response = Client().get("/ready/")
    assert response.status_code == 503
    assert response.json()["detail"] == readiness.NO_CACHE_TABLE.format(table="never_created")


@pytest.mark.django_db
def test_ready_answers_503_when_the_database_is_gone_without_saying_where_it_is() -> None:
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError('connection to server at "10.0.0.9" failed'),
    ):
        response = Client().get("/ready/")
    assert response.status_code == 503
    assert response.json()["detail"] == readiness.NO_DATABASE


# --- serve refuses what would fail ----------------------------------------------------------


def serve_output(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with mock.patch("os.execv"):
        call_command("serve", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def static_root(settings: Any, tmp_path: Path) -> Path:
    settings.STATIC_ROOT = tmp_path
    settings.DEBUG = False
    return tmp_path


@pytest.mark.django_db
def test_serve_refuses_when_the_static_files_are_not_collected(static_root: Path) -> None:
    with pytest.raises(CommandError) as excinfo:
        serve_output()
    problem = readiness.NO_STATIC.format(root=static_root)
    assert str(excinfo.value) == serve.NOT_SERVING.format(problem=problem)


@pytest.mark.django_db
def test_serve_refuses_static_files_collected_for_an_older_release(static_root: Path) -> None:
    write_manifest(static_root, leave_out="css/app.css")
    with pytest.raises(CommandError) as excinfo:
        serve_output()
    assert "1 static file(s) of this release are not collected" in str(excinfo.value)
    assert "(first: css/app.css)" in str(excinfo.value)


@pytest.mark.django_db
def test_serve_refuses_an_unmigrated_database(static_root: Path) -> None:
    write_manifest(static_root)
    (_, latest) = MigrationLoader(connection).graph.leaf_nodes("ops")[0]
    MigrationRecorder(connection).migration_qs.filter(app="ops", name=latest).delete()
    with pytest.raises(CommandError) as excinfo:
        serve_output()
    assert str(excinfo.value).startswith("Not serving: 1 database migration(s) are not applied")


@pytest.mark.django_db
def test_serve_warns_a_host_with_a_generated_key_on_a_shared_database(
    static_root: Path, settings: Any
) -> None:
    write_manifest(static_root)
    settings.SECRET_KEY_GENERATED = True
    with mock.patch.object(connection, "vendor", "postgresql"):
        assert serve.GENERATED_KEY_SHARED_DATABASE in serve_output()[1]
    settings.SECRET_KEY_GENERATED = False
    with mock.patch.object(connection, "vendor", "postgresql"):
        assert serve_output()[1] == ""


def test_serve_on_an_unmigrated_database_says_so_instead_of_a_traceback(tmp_path: Path) -> None:
    result = run_reciprocity(
        "serve",
        "--port",
        "8799",
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        RECIPROCITY_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Not serving:" in result.stderr
    assert "database migration(s) are not applied" in result.stderr


# --- production mode ------------------------------------------------------------------------


def test_production_mode_refuses_to_start_without_a_database_url(tmp_path: Path) -> None:
    env = {
        "RECIPROCITY_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "coi.example.com",
        "RECIPROCITY_DATA_DIR": str(tmp_path),
    }
    # Empty counts as unset (an environment file's `DATABASE_URL=`).
    result = run_reciprocity("serve", DATABASE_URL="", **env)
    assert result.returncode != 0
    assert "DATABASE_URL must be set in production mode" in result.stderr
    assert not list(tmp_path.iterdir())  # no SQLite file made on the side

    # A firm that wants SQLite says so.
    explicit = run_reciprocity("check", DATABASE_URL=f"sqlite:///{tmp_path / 'firm.db'}", **env)
    assert explicit.returncode == 0, explicit.stderr
