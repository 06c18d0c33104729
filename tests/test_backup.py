"""`reciprocity backup` and `reciprocity restore`: a versioned archive of a firm or of the whole
instance that loads into an empty database, SQLite or PostgreSQL, with identical content."""

import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from reciprocity.partners.merge import partner_merge
from reciprocity.partners.models import Partner
from reciprocity.transfer.backup import (
    BACKUP_NEWER,
    MIGRATIONS_MISSING,
    NOT_A_BACKUP,
    NOT_EMPTY,
    backed_up_models,
    backup_write,
    restore_archive,
    table_summaries,
)
from tests.conftest import Cast
from tests.factories import CommitmentFactory, PartnerFactory, ReferralFactory, TouchFactory


def a_backup(firm_slug: str | None = None) -> tuple[bytes, dict[str, Any]]:
    out = io.BytesIO()
    manifest = backup_write(out=out, firm_slug=firm_slug)
    return out.getvalue(), manifest


def with_manifest(data: bytes, **changes: Any) -> bytes:
    """The archive ``data`` with its manifest changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename == "manifest.json":
                content = json.dumps({**json.loads(content), **changes}).encode()
            new.writestr(item, content)
    return out.getvalue()


@pytest.fixture
def busy(cast: Cast) -> Cast:
    for owner in (cast.alice, cast.mallory):
        partner = PartnerFactory(owner=owner, name=f"Busy partner of {owner.username}")
        TouchFactory(partner=partner)
        CommitmentFactory(partner=partner)
        ReferralFactory(partner=partner)
    duplicate = PartnerFactory(owner=cast.alice, name="Busy partner of alice (again)")
    partner_merge(
        user=cast.alice, keep=Partner.objects.get(name__endswith="of alice"), other=duplicate
    )
    return cast


def test_a_firm_backup_holds_that_firm_with_its_history_and_nothing_of_another(
    busy: Cast,
) -> None:
    data, manifest = a_backup("harbor")
    assert (manifest["format"], manifest["version"], manifest["firm"]) == (
        "reciprocity-backup",
        1,
        "harbor",
    )
    tables = manifest["tables"]
    assert tables["partners_partner"]["rows"] == Partner.objects.filter(firm=busy.firm).count()
    assert tables["partners_historicalpartner"]["rows"] > tables["partners_partner"]["rows"]
    assert "django_session" not in tables
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        lines = archive.read("tables/partners_partner.jsonl").decode().splitlines()
    assert json.loads(lines[0])["model"] == "partners.Partner"
    assert "Other Firm Partner" not in "".join(lines)
    assert table_summaries(busy.firm)["partners_touch"].rows == tables["partners_touch"]["rows"]


def test_the_command_writes_the_archive_and_says_what_it_holds(busy: Cast, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("backup", "--firm", "harbor", "-o", str(tmp_path / "b.zip"), stdout=out)
    assert out.getvalue().startswith("Backed up firm harbor:")
    with pytest.raises(CommandError, match="No firm with the slug 'nowhere'"):
        call_command("backup", "--firm", "nowhere", "-o", str(tmp_path / "c.zip"))


def test_a_restore_into_a_database_with_data_is_refused_and_changes_nothing(busy: Cast) -> None:
    data, _manifest = a_backup("harbor")
    before = table_summaries()
    with pytest.raises(ValidationError) as refused:
        restore_archive(source=io.BytesIO(data))
    assert refused.value.messages[0] == NOT_EMPTY.format(table="account_emailaddress") or (
        refused.value.messages[0].startswith("The database is not empty (")
    )
    assert table_summaries() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 2}, BACKUP_NEWER.format(version=2, supported=1)),
        ({"format": "zip"}, NOT_A_BACKUP.format(name="the file")),
        ({"migrations": ["partners.9999_from_the_future"]}, None),
    ],
)
def test_a_newer_or_foreign_archive_is_refused(
    busy: Cast, changes: dict[str, Any], message: str | None
) -> None:
    data, _manifest = a_backup("harbor")
    with pytest.raises(ValidationError) as refused:
        restore_archive(source=io.BytesIO(with_manifest(data, **changes)))
    if message is None:
        message = MIGRATIONS_MISSING.format(names="partners.9999_from_the_future")
    assert refused.value.messages == [message]


def test_a_file_that_is_not_an_archive_is_refused(tmp_path: Path, db: None) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(CommandError, match="is not a Reciprocity backup"):
        call_command("restore", str(path))


def test_the_whole_instance_restores_with_identical_content(busy: Cast) -> None:
    data, manifest = a_backup()
    # Empty this database (inside the test's transaction, rolled back afterwards).
    for model in backed_up_models():
        model._base_manager.all()._raw_delete(connection.alias)  # type: ignore[attr-defined]
    restored = restore_archive(source=io.BytesIO(data))
    assert restored.rows == sum(table["rows"] for table in manifest["tables"].values())
    summaries = table_summaries()
    assert {t: (s.rows, s.sha256) for t, s in summaries.items()} == {
        t: (table["rows"], table["sha256"]) for t, table in manifest["tables"].items()
    }
    # Sequences carry on after the restored ids.
    added = PartnerFactory(owner=busy.alice)
    assert added.pk > max(Partner.objects.exclude(pk=added.pk).values_list("pk", flat=True))


# --- Across databases: SQLite to PostgreSQL and back, through the command line ----------------

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def reciprocity(database_url: str, *args: str, tmp: Path) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RECIPROCITY_MODE": "local",
        "RECIPROCITY_DATA_DIR": str(tmp),
    }
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "reciprocity", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database of the test's own (dropped afterwards)."""
    import psycopg

    base = os.environ["DATABASE_URL"]
    name = f"export_{uuid.uuid4().hex[:12]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manifest_of(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def content(manifest: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {table: (t["rows"], t["sha256"]) for table, t in manifest["tables"].items()}


@pytest.mark.slow
@pytest.mark.skipif(not POSTGRES, reason="needs a PostgreSQL server (DATABASE_URL)")
def test_the_demo_firm_moves_from_sqlite_to_postgresql_and_back_unchanged(
    tmp_path: Path, postgres_database: str
) -> None:
    laptop = f"sqlite:///{tmp_path / 'laptop.sqlite3'}"
    reciprocity(laptop, "migrate", "--noinput", tmp=tmp_path)
    reciprocity(laptop, "demo", tmp=tmp_path)
    reciprocity(
        laptop, "backup", "--firm", "harborview", "-o", str(tmp_path / "a.zip"), tmp=tmp_path
    )

    reciprocity(postgres_database, "migrate", "--noinput", tmp=tmp_path)
    said = reciprocity(postgres_database, "restore", str(tmp_path / "a.zip"), tmp=tmp_path)
    assert said.startswith("Restored firm harborview:")
    reciprocity(
        postgres_database,
        "backup",
        "--firm",
        "harborview",
        "-o",
        str(tmp_path / "b.zip"),
        tmp=tmp_path,
    )
    assert content(manifest_of(tmp_path / "b.zip")) == content(manifest_of(tmp_path / "a.zip"))

    # And back: the firm's PostgreSQL database onto a new laptop.
    other_laptop = f"sqlite:///{tmp_path / 'again.sqlite3'}"
    reciprocity(other_laptop, "migrate", "--noinput", tmp=tmp_path)
    reciprocity(other_laptop, "restore", str(tmp_path / "b.zip"), tmp=tmp_path)
    reciprocity(
        other_laptop, "backup", "--firm", "harborview", "-o", str(tmp_path / "c.zip"), tmp=tmp_path
    )
    assert content(manifest_of(tmp_path / "c.zip")) == content(manifest_of(tmp_path / "a.zip"))
    assert manifest_of(tmp_path / "a.zip")["tables"]["partners_historicalpartner"]["rows"] > 0
