"""``reciprocity touch log <partner-id>``: log a contact with a partner."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from reciprocity.accounts.cli import ProductCommand, add_user_argument, parse_when, resolve_user
from reciprocity.partners.models import TouchKind
from reciprocity.partners.selectors import partner_get_for
from reciprocity.partners.services import touch_log


class Command(ProductCommand):
    help = "Log a touch (a call, email, meeting...) with a partner."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        log: ArgumentParser = actions.add_parser("log", help="log a touch")
        log.add_argument("partner_id")
        add_user_argument(log)
        log.add_argument("--kind", required=True, help="one of: " + ", ".join(TouchKind.values))
        log.add_argument("--summary", required=True, help="what was said or done")
        log.add_argument("--at", help="when it happened, ISO 8601 (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        partner = partner_get_for(advisor=user, pk=options["partner_id"])
        touch = touch_log(
            partner=partner,
            by=user,
            kind=options["kind"],
            summary=options["summary"],
            occurred_at=parse_when(options["at"]),
        )
        partner.refresh_from_db(fields=["touch_count"])
        self.stdout.write(
            f"Logged {touch.get_kind_display().lower()} with {partner.name} on "
            f"{timezone.localdate(touch.occurred_at):%d %b %Y} (touch #{touch.pk}; "
            f"{partner.touch_count} in all)."
        )
