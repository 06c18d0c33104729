"""``reciprocity diagnoses``: the stalled alliances, with their evidence and what to do."""

import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from reciprocity.accounts.cli import ProductCommand, add_user_argument, resolve_user
from reciprocity.insights.diagnoses import Diagnosis, assess, thresholds_of
from reciprocity.insights.selectors import mine_only_for

SEVERITY_WORDS = {
    "high": "decide",
    "medium": "look into it",
    "low": "worth a thought",
    "info": "too early",
}


def diagnosis_entry(diagnosis: Diagnosis) -> dict[str, Any]:
    return {
        "slug": diagnosis.slug,
        # As the API says it (null for the book); the flat pair is kept for scripts reading it.
        "partner": (
            {"id": diagnosis.partner_id, "name": diagnosis.partner_name}
            if diagnosis.partner_id is not None
            else None
        ),
        "partner_id": diagnosis.partner_id,
        "partner_name": diagnosis.partner_name or None,
        "title": diagnosis.title,
        "evidence": diagnosis.evidence,
        "action": diagnosis.action,
        "action_label": diagnosis.action_label,
        "action_url": diagnosis.action_url,
        "severity": diagnosis.severity,
        "reason": diagnosis.reason or None,
    }


class Command(ProductCommand):
    help = (
        "Stalled alliances: no referral after many touches, referrals going one way, the wrong "
        "message, firm or professional, an alliance gone cold, no written agreement, too many "
        "core partners; each with its evidence and the playbook's answer. Partners too early "
        "to judge are listed last, as reassurance."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_user_argument(parser)
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--all",
            action="store_true",
            help="every partner the user can see, not only their own (the default for a firm "
            "admin or compliance officer)",
        )
        scope.add_argument(
            "--mine",
            action="store_true",
            help="only the user's own partners (the default for an advisor)",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        today = timezone.localdate()
        # --all and --mine exclude each other; with neither, the reader's role decides.
        wide = options["all"] if options["all"] or options["mine"] else None
        mine_only = mine_only_for(advisor=user, wide=wide)
        found = assess(advisor=user, today=today, mine_only=mine_only)
        if options["json"]:
            entries = [diagnosis_entry(diagnosis) for diagnosis in found.everything]
            self.stdout.write(json.dumps(entries, indent=2))
            return
        whose = "of" if mine_only else "visible to"
        self.stdout.write(
            f"Diagnoses of the partners {whose} {user.display_name}, {today:%d %B %Y}"
        )
        if not found.diagnoses:
            self.stdout.write("Nothing has stalled.")
        for diagnosis in found.diagnoses:
            about = (
                f"{diagnosis.partner_name} (#{diagnosis.partner_id}): "
                if diagnosis.partner_id
                else ""
            )
            self.stdout.write(
                f"\n[{SEVERITY_WORDS[diagnosis.severity]}] {about}{diagnosis.title}  "
                f"{diagnosis.slug}"
            )
            for line in diagnosis.evidence:
                self.stdout.write(f"    - {line}")
            self.stdout.write(f"    → {diagnosis.action_label} ({diagnosis.action_url})")
        if found.too_early:
            count = len(found.too_early)
            patience = thresholds_of(user).patience_months
            self.stdout.write(
                f"\n{count} partner{'s' if count != 1 else ''} met less than {patience} "
                "months ago with no referral yet: too early to judge."
            )
