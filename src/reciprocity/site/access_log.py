"""The logs of ``reciprocity serve``, without the secrets that travel in a path.

A calendar feed is fetched by calendar apps from a URL whose key is the only credential, and a
password reset or an email confirmation link carries its key the same way: whoever reads the
server's log could use them. Gunicorn's access log and the app's own records about a request
(a 404 is logged with its path) have those path arguments replaced before any line is written.
API tokens travel in a header, which no log shows.
"""

import logging
from http import HTTPStatus
from typing import Any

from django.urls import Resolver404, resolve
from gunicorn.glogging import Logger

REDACTED = "[redacted]"

# URL name → the path arguments that are secrets.
SECRET_PATH_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "calendar_feed": ("token",),
    "account_reset_password_from_key": ("key",),
    "account_confirm_email": ("key",),
}


def secrets_in(path: str) -> list[str]:
    """The secret arguments of the route ``path`` reaches; none for any other path."""
    try:
        match = resolve(path)
    except Resolver404:
        return []
    names = SECRET_PATH_ARGUMENTS.get(match.url_name or "", ())
    return [str(match.kwargs[name]) for name in names if match.kwargs.get(name)]


def redacted(path: str) -> str:
    """``path`` with its secret arguments replaced."""
    for secret in sorted(secrets_in(path), key=len, reverse=True):
        path = path.replace(secret, REDACTED)
    return path


class RedactingLogger(Logger):
    """Gunicorn's logger; the request line and the path of an access log line lose the
    path's secrets."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO", "")
        clean = redacted(path)
        if clean != path:
            for name in ("r", "U"):
                atoms[name] = str(atoms.get(name, "")).replace(path, clean)
        return atoms


class RedactSecretsFilter(logging.Filter):
    """The same for the app's own log records about a request ("Not Found: /calendar/…")."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if isinstance(path, str) and redacted(path) != path:
            record.msg = record.getMessage().replace(path, redacted(path))
            record.args = ()
        return True


class RefusalWithoutTracebackFilter(logging.Filter):
    """A page refused to whoever may not read it (403) is logged as one line: it is the role
    checks at work, not a fault, and a traceback for each buried the faults in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == HTTPStatus.FORBIDDEN:
            record.exc_info = None
            record.exc_text = None
        return True
