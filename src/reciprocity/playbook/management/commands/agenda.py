"""``reciprocity agenda``: what is overdue, due today and coming up: commitments, keep-warm
cadences, protocol steps of referrals in flight, meeting requests to make and planned meetings."""

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from reciprocity.accounts.cli import ProductCommand, add_user_argument, resolve_user
from reciprocity.partners.agenda import AgendaItem
from reciprocity.playbook.selectors.agenda import agenda_for

BAD_DAYS = "--days must be zero or more."
# Far enough for a yearly review; further than this, nothing is "on the agenda".
MAX_DAYS = 366


def agenda_entry(item: AgendaItem, today: dt.date) -> dict[str, Any]:
    return {
        "key": item.key,
        "source": item.source,
        "partner_id": item.partner_id,
        "partner_name": item.partner_name,
        "title": item.title,
        "due": item.due.isoformat(),
        "at": item.at.isoformat() if item.at else None,
        "owner": item.owner,
        "detail": item.detail,
        "object_id": item.object_id,
        "overdue": item.due < today,
    }


class Command(ProductCommand):
    help = (
        "The agenda: open commitments, keep-warm touches, referral steps, meeting requests and "
        "meetings that are overdue, due today or due in the next days."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_user_argument(parser)
        parser.add_argument("--days", type=int, default=7, help="how far ahead (default 7)")
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        days = options["days"]
        if not 0 <= days <= MAX_DAYS:
            raise CommandError(BAD_DAYS if days < 0 else f"--days is at most {MAX_DAYS}.")
        today = timezone.localdate()
        agenda = agenda_for(user, today=today, horizon_days=days)
        if options["json"]:
            entries = [agenda_entry(item, today) for item in agenda.items]
            self.stdout.write(json.dumps(entries, indent=2))
            return
        ahead = "This week" if days == 7 else f"Next {days} days"
        groups = [
            ("Overdue", agenda.overdue),
            ("Today", agenda.due_today),
            (ahead, agenda.this_week),
        ]
        self.stdout.write(f"Agenda of {user.display_name} for {today:%A %d %B %Y}")
        if not len(agenda):
            self.stdout.write(f"Nothing due in the next {days} days.")
        for title, group in groups:
            if not group:
                continue
            self.stdout.write(f"\n{title} ({len(group)})")
            for item in group:
                late = (today - item.due).days
                when = (
                    f"{late} day{'s' if late != 1 else ''} late"
                    if late > 0
                    else f"{item.at or item.due:%a %d %b}"
                )
                who = "you" if item.owner == "advisor" else "partner"
                self.stdout.write(
                    f"  {when:<12}  {item.title} — {item.partner_name} (#{item.partner_id}) "
                    f"[{who}]  {item.key}"
                )
        if agenda.snoozed:
            self.stdout.write(f"\n{agenda.snoozed} snoozed item(s) not shown.")
