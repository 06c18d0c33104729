"""A CLI command starts quickly: it loads neither the API, nor the calendar library, nor the
PostgreSQL driver unless it uses them, and the daily commands skip the system checks (which
import every URL and the whole API)."""

import os
import subprocess
import sys

import pytest
from django.core.management import get_commands, load_command_class

# Loaded by the first request or the first calendar feed, never by a command that does not use
# them.
HEAVY = ("reciprocity.api.api", "icalendar", "psycopg", "reciprocity.search.fulltext")

PROBE = """
import sys
from reciprocity.__main__ import main
sys.argv = ["reciprocity", "--help"]
try:
    main()
finally:
    print("LOADED:" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.slow
def test_the_command_line_starts_without_what_it_does_not_use() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reciprocity.settings"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603  (our own interpreter, fixed arguments)
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    loaded = [line for line in done.stderr.splitlines() if line.startswith("LOADED:")]
    assert loaded == ["LOADED:"], done.stderr[-2000:]


def test_the_products_commands_skip_the_system_checks() -> None:
    product = {name: app for name, app in get_commands().items() if app.startswith("reciprocity.")}
    skipping = {
        name
        for name, app in product.items()
        if load_command_class(app, name).requires_system_checks == []
    }
    assert {"tasks", "agenda", "diagnoses", "partners", "touch", "stage", "token"} <= skipping
