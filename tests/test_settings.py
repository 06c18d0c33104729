"""Settings come from the environment with safe defaults."""

import os
import secrets
import subprocess
import sys

from django.conf import settings


def run_reciprocity(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "reciprocity", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_is_off_unless_set() -> None:
    assert settings.DEBUG is False


def test_production_mode_passes_the_deployment_checks() -> None:
    result = run_reciprocity(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        RECIPROCITY_MODE="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="reciprocity.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key() -> None:
    result = run_reciprocity(
        "check", RECIPROCITY_MODE="production", ALLOWED_HOSTS="reciprocity.example.com"
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production mode." in result.stderr
