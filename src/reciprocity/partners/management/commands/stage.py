"""``reciprocity stage <partner-id> <stage>``: move a partner in the pipeline."""

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from reciprocity.accounts.cli import ProductCommand, add_user_argument, parse_when, resolve_user
from reciprocity.partners.models import FailureReason, Stage
from reciprocity.partners.selectors import partner_get_for
from reciprocity.partners.services import partner_change_stage


class Command(ProductCommand):
    help = "Move a partner to another stage; the change is recorded with its date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner_id")
        parser.add_argument("stage", help="one of: " + ", ".join(Stage.values))
        add_user_argument(parser)
        parser.add_argument(
            "--reason",
            default="",
            help="why you walk away (required for retired): " + ", ".join(FailureReason.values),
        )
        parser.add_argument("--note", default="")
        parser.add_argument("--at", help="when it happened, ISO 8601 (default: now)")
        parser.add_argument(
            "--qualify-anyway",
            action="store_true",
            help="qualify a partner whose profile fails a qualification question",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        partner = partner_get_for(advisor=user, pk=options["partner_id"])
        change = partner_change_stage(
            partner=partner,
            by=user,
            stage=options["stage"],
            reason=options["reason"],
            note=options["note"],
            occurred_at=parse_when(options["at"]),
            qualify_anyway=options["qualify_anyway"],
        )
        self.stdout.write(
            f"{partner.name}: {change.get_from_stage_display()} → {change.get_to_stage_display()}"
            f" on {timezone.localdate(change.occurred_at):%d %b %Y}."
        )
