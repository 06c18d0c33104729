"""``reciprocity agenda``: the next steps due today or overdue, and what is coming this week."""

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from reciprocity.accounts.cli import ProductCommand, add_user_argument, resolve_user
from reciprocity.partners.models import Commitment
from reciprocity.partners.selectors import agenda_items

BAD_DAYS = "--days must be zero or more."


def agenda_entry(commitment: Commitment) -> dict[str, Any]:
    return {
        "commitment_id": commitment.pk,
        "partner_id": commitment.partner_id,
        "partner_name": commitment.partner.name,
        "what": commitment.what,
        "due": commitment.due.isoformat(),
        "owner": commitment.owner,
        "overdue": commitment.due < timezone.localdate(),
    }


class Command(ProductCommand):
    help = "Open commitments that are overdue, due today or due in the next days."

    def add_arguments(self, parser: CommandParser) -> None:
        add_user_argument(parser)
        parser.add_argument("--days", type=int, default=7, help="how far ahead (default 7)")
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        if options["days"] < 0:
            raise CommandError(BAD_DAYS)
        items = list(agenda_items(advisor=user, horizon_days=options["days"]))
        if options["json"]:
            self.stdout.write(json.dumps([agenda_entry(item) for item in items], indent=2))
            return
        today = timezone.localdate()
        ahead = "This week" if options["days"] == 7 else f"Next {options['days']} days"
        groups = [
            ("Overdue", [item for item in items if item.due < today]),
            ("Today", [item for item in items if item.due == today]),
            (ahead, [item for item in items if item.due > today]),
        ]
        self.stdout.write(f"Agenda of {user.display_name} for {today:%A %d %B %Y}")
        if not items:
            self.stdout.write(f"Nothing due in the next {options['days']} days.")
            return
        for title, group in groups:
            if not group:
                continue
            self.stdout.write(f"\n{title} ({len(group)})")
            for item in group:
                late = (today - item.due).days
                when = (
                    f"{late} day{'s' if late != 1 else ''} late"
                    if late > 0
                    else f"{item.due:%a %d %b}"
                )
                who = "you" if item.owner == "advisor" else "partner"
                self.stdout.write(
                    f"  {when:<12}  {item.what} — {item.partner.name} (#{item.partner_id}) [{who}]"
                )
