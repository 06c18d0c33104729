"""``reciprocity partners list``: the partners a user sees, with their next step."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError, CommandParser

from reciprocity.accounts.cli import ProductCommand, add_user_argument, resolve_user
from reciprocity.partners.models import Partner, Stage
from reciprocity.partners.selectors import PartnerFilters, next_step_of, partner_list
from reciprocity.partners.services import UNKNOWN_STAGE


def partner_entry(partner: Partner) -> dict[str, Any]:
    step = next_step_of(partner)
    return {
        "id": partner.pk,
        "name": partner.name,
        "profession": partner.profession,
        "organization": partner.organization,
        "stage": partner.stage,
        "owner": partner.owner.username,
        "next_step": (
            {"what": step.what, "due": step.due.isoformat(), "owner": step.owner} if step else None
        ),
        "touch_count": partner.touch_count,
        "last_touch_at": partner.last_touch_at.isoformat() if partner.last_touch_at else None,
    }


class Command(ProductCommand):
    help = "List the partners a user sees."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing: ArgumentParser = actions.add_parser("list", help="list partners")
        add_user_argument(listing)
        listing.add_argument("--stage", default="", help="one of: " + ", ".join(Stage.values))
        listing.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        if options["stage"] and options["stage"] not in Stage.values:
            raise CommandError(UNKNOWN_STAGE)
        partners = partner_list(advisor=user, filters=PartnerFilters(stage=options["stage"]))
        entries = [partner_entry(partner) for partner in partners]
        if options["json"]:
            self.stdout.write(json.dumps(entries, indent=2))
            return
        if not entries:
            self.stdout.write("No partners.")
            return
        for entry in entries:
            step = entry["next_step"]
            next_step = (
                f"next: {step['what']} ({step['due']}, {step['owner']})" if step else "no next step"
            )
            self.stdout.write(
                f"{entry['id']:>5}  {entry['name']:<24} {entry['profession']:<16} "
                f"{entry['stage']:<14} {entry['touch_count']:>3} touches  {next_step}"
            )
