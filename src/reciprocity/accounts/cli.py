"""What every product command of the ``reciprocity`` CLI shares.

A command records its changes as coming from the CLI (also under ``call_command``, where the
console script's own ``set_audit_source`` never ran), acts as a named user, and turns the services'
errors into a message on stderr and a non-zero exit: Django prints a CommandError and exits 1.
"""

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from reciprocity.accounts.audit import audit_source
from reciprocity.accounts.models import User
from reciprocity.accounts.selectors import sole_advisor, user_by_username

UNKNOWN_USER = "No user named {username!r}."
USER_REQUIRED = "Say who you are with --user USERNAME: there is not exactly one advisor."
BAD_WHEN = "Use an ISO 8601 date or date and time, for example 2025-03-14 or 2025-03-14T10:30."


def validation_text(error: ValidationError) -> str:
    """One line per problem, prefixed with the field it concerns."""
    if not hasattr(error, "error_dict"):
        return "\n".join(error.messages)
    lines: list[str] = []
    for field, messages in error.message_dict.items():
        prefix = "" if field == "__all__" else f"{field}: "
        lines.extend(prefix + message for message in messages)
    return "\n".join(lines)


class ProductCommand(BaseCommand):
    """Base of the product's commands: audit source, and errors as clean exits."""

    # The system checks load every URL and the whole API (seconds) before a daily command can
    # answer; ``reciprocity check``, ``migrate`` and ``serve`` run them.
    requires_system_checks: list[str] = []

    def execute(self, *args: Any, **options: Any) -> str | None:
        with audit_source("cli"):
            try:
                return super().execute(*args, **options)
            except ValidationError as error:
                raise CommandError(validation_text(error)) from error
            except (Http404, PermissionDenied) as error:
                raise CommandError(str(error)) from error


def add_user_argument(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help="who acts; defaults to the only advisor when there is exactly one",
    )


def resolve_user(username: str | None) -> User:
    if username:
        user = user_by_username(username=username)
        if user is None:
            raise CommandError(UNKNOWN_USER.format(username=username))
        return user
    user = sole_advisor()
    if user is None:
        raise CommandError(USER_REQUIRED)
    return user


def parse_when(value: str | None) -> dt.datetime | None:
    """An ISO 8601 moment from the command line, in the server's time zone when naive."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(BAD_WHEN) from None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when
