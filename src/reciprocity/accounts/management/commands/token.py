"""``reciprocity token create|list|revoke``: personal access tokens for the REST API."""

import datetime as dt
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from reciprocity.accounts.cli import ProductCommand, resolve_user
from reciprocity.accounts.models import TokenScope
from reciprocity.accounts.selectors import token_get, tokens_of
from reciprocity.accounts.services import token_create, token_revoke

NO_TOKEN = "No token with that id."  # noqa: S105  (a message, not a secret)
EXPIRY_NOT_POSITIVE = "--expires-in is a number of days, 1 or more."


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


class Command(ProductCommand):
    help = "Create, list and revoke a user's API tokens (sent as 'Authorization: Bearer <token>')."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create: ArgumentParser = actions.add_parser(
            "create", help="create a token and print it (shown only this once)"
        )
        create.add_argument("username")
        create.add_argument("--name", default="cli", help="a label to recognise the token by")
        create.add_argument(
            "--read-only", action="store_true", help="a token refused every change (reads only)"
        )
        create.add_argument(
            "--expires-in",
            type=int,
            metavar="DAYS",
            help="refused after this many days (default: never)",
        )
        listing: ArgumentParser = actions.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")
        listing.add_argument("--json", action="store_true", help="print JSON")
        revoke: ArgumentParser = actions.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"])(options)

    def _create(self, options: dict[str, Any]) -> None:
        user = resolve_user(options["username"])
        days = options.get("expires_in")
        if days is not None and days < 1:
            raise CommandError(EXPIRY_NOT_POSITIVE)
        _token, secret = token_create(
            user=user,
            name=options["name"],
            scope=TokenScope.READ if options.get("read_only") else TokenScope.READ_WRITE,
            expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
        )
        # Only the secret on stdout, so scripts can capture it: TOKEN=$(reciprocity token create ..)
        self.stdout.write(secret)

    def _list(self, options: dict[str, Any]) -> None:
        user = resolve_user(options["username"])
        tokens = [
            {
                "id": token.pk,
                "name": token.name,
                "hint": token.hint,
                "scope": token.scope,
                "created_at": _iso(token.created_at),
                "expires_at": _iso(token.expires_at),
                "last_used_at": _iso(token.last_used_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token in tokens_of(user=user)
        ]
        if options["json"]:
            self.stdout.write(json.dumps(tokens, indent=2))
            return
        if not tokens:
            self.stdout.write(f"{user.username} has no tokens.")
            return
        for token in tokens:
            state = f"revoked {token['revoked_at']}" if token["revoked_at"] else "active"
            used = token["last_used_at"] or "never"
            self.stdout.write(
                f"{token['id']:>5}  {token['hint']}…  {token['name']:<20}  "
                f"created {token['created_at']}  last used {used}  {state}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        token = token_get(pk=options["token_id"])
        if token is None:
            raise CommandError(NO_TOKEN)
        was_live = token.revoked_at is None
        token_revoke(token=token, by=token.user)
        verb = "Revoked" if was_live else "Already revoked:"
        self.stdout.write(f"{verb} token {token.pk} ({token.name}, {token.hint}…) of {token.user}.")
