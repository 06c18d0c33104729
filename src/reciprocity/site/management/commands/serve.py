"""``reciprocity serve``: run the app under gunicorn, the production WSGI server.

The command replaces itself with gunicorn (``python -m gunicorn`` of the same interpreter, so the
installed environment is used), which logs each request to stdout. WhiteNoise serves the static
files collected by ``reciprocity collectstatic``. Further gunicorn settings can be passed in the
GUNICORN_CMD_ARGS environment variable (for example ``--timeout 60``).

It refuses to start, saying why, when the database is not ready or the static files of this
release are not collected: a host that started anyway would answer every page with an error.
"""

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connection

from reciprocity.accounts.cli import ProductCommand
from reciprocity.ops.readiness import database_problem, static_problem
from reciprocity.site.demo.book import demo_login_line, demo_login_works

WSGI_APP = "reciprocity.wsgi:application"
BAD_WORKERS = "--workers must be at least 1."
NOT_SERVING = "Not serving: {problem}"
WITH_WORKER_CONFIG = "python:reciprocity.site.gunicorn_worker"
GENERATED_KEY_SHARED_DATABASE = (
    "This host signs sessions with a key generated in its data folder: other hosts serving "
    "this database will not accept its sign-ins. Set the same SECRET_KEY on every host."
)


def gunicorn_argv(*, host: str, port: int, workers: int, with_worker: bool = False) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    # The background worker, started and stopped by gunicorn's master (its hooks).
    config = ["--config", WITH_WORKER_CONFIG] if with_worker else []
    return [
        sys.executable,
        "-m",
        "gunicorn",
        WSGI_APP,
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        # The access log leaves out the secrets that travel in a path (a calendar feed's key).
        "--logger-class",
        "reciprocity.site.access_log.RedactingLogger",
        "--name",
        "reciprocity",
        # The control socket lives at one path per user account: several servers on one host
        # would fight over it, and nothing here uses it.
        "--no-control-socket",
        *config,
    ]


class Command(ProductCommand):
    help = "Serve Reciprocity with gunicorn (access log on stdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (8000)")
        parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="also run the background worker (imports, emails, webhooks), stopped with the "
            "server: for one machine; a firm runs `reciprocity worker` as services",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError(BAD_WORKERS)
        host, port = options["host"], options["port"]
        problem = database_problem() or static_problem()
        if problem:
            raise CommandError(NOT_SERVING.format(problem=problem))
        if settings.SECRET_KEY_GENERATED and connection.vendor != "sqlite":
            # A server database is shared by several hosts; a SQLite file is not.
            self.stderr.write(GENERATED_KEY_SHARED_DATABASE)
        if not settings.PRODUCTION and demo_login_works():
            # A wildcard address is reached on the loopback of this machine.
            shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
            self.stdout.write(demo_login_line(shown, port))
        argv = gunicorn_argv(
            host=host, port=port, workers=options["workers"], with_worker=options["with_worker"]
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")
        # Whatever was printed must appear before gunicorn takes over the process.
        self.stdout.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)  # noqa: S606  (a fixed argument list, no shell)
