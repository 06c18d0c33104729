"""``reciprocity screenshots``: its wiring, checked cheaply (the full run starts a server and a
browser; it is run by hand when the README's pictures need renewing)."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reciprocity.site.management.commands import screenshots

# Slow: left out of the quick loop (-m "not slow"); make test runs it.
pytestmark = pytest.mark.slow


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks below do not depend on the machine having Chromium."""
    monkeypatch.setattr(screenshots.shutil, "which", lambda name: f"/usr/bin/{name}")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("screenshots", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_names_every_picture_and_writes_nothing(chromium: None, tmp_path: Path) -> None:
    output = tmp_path / "shots"

    printed = run("--dry-run", "--output", str(output))

    for name in ("board.png", "partner.png", "agenda.png", "dashboard.png", "phone-board.png"):
        assert str(output / name) in printed
    assert "throwaway SQLite database" in printed
    assert not output.exists()


def test_a_dry_run_against_a_running_server_names_it(chromium: None, tmp_path: Path) -> None:
    printed = run("--dry-run", "--output", str(tmp_path), "--base-url", "http://127.0.0.1:8000/")

    assert "Screenshots of http://127.0.0.1:8000," in printed


def test_the_base_url_must_be_a_web_address(chromium: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="must be an http"):
        run("--dry-run", "--output", str(tmp_path), "--base-url", "127.0.0.1:8000")


def test_the_output_must_be_a_folder(chromium: None, tmp_path: Path) -> None:
    file = tmp_path / "board.png"
    file.write_bytes(b"")

    with pytest.raises(CommandError, match="is not a folder"):
        run("--dry-run", "--output", str(file))


def test_without_chromium_the_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(screenshots.shutil, "which", lambda name: None)

    with pytest.raises(CommandError) as refused:
        run("--dry-run", "--output", str(tmp_path))

    assert str(refused.value) == screenshots.NO_CHROMIUM


def test_the_pictures_come_from_a_throwaway_database_not_yours(tmp_path: Path) -> None:
    """Loading the demo never touches the configured database: the steps run with their own
    data folder and SQLite file."""
    env = screenshots.throwaway_environment(tmp_path)

    assert env["RECIPROCITY_DATA_DIR"] == str(tmp_path)
    assert env["DATABASE_URL"] == f"sqlite:///{tmp_path / 'reciprocity.sqlite3'}"
    assert env["RECIPROCITY_MODE"] == "local"
