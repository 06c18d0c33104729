"""``reciprocity referral log|list|step|status``: the referral ledger from the command line."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.http import Http404
from django.utils import timezone

from reciprocity.accounts.cli import ProductCommand, add_user_argument, parse_when, resolve_user
from reciprocity.accounts.models import User
from reciprocity.choices import unknown_choice_message
from reciprocity.partners.selectors import partner_get_for
from reciprocity.referrals.models import (
    Direction,
    Kind,
    Referral,
    ReferralStatus,
    ReferralStep,
    StepSlug,
)
from reciprocity.referrals.selectors import (
    STEP_NOT_FOUND,
    ReferralFilters,
    referral_get_for,
    referral_list,
    referral_step_get,
    steps_of,
)
from reciprocity.referrals.services.ledger import (
    UNKNOWN_DIRECTION,
    referral_change_status,
    referral_create,
)
from reciprocity.referrals.services.steps import (
    referral_step_complete,
    referral_step_reopen,
    referral_step_skip,
)

UNKNOWN_STATE = unknown_choice_message("state", ["open", "closed"])
NO_SUCH_STEP = STEP_NOT_FOUND + " Its steps: {steps}."
NO_STEPS = STEP_NOT_FOUND + " Only a sent referral has protocol steps."
ONLY_WHEN_COMPLETING = "--at and --summary are for completing a step, not with --skip or --reopen."


def step_state(step: ReferralStep) -> str:
    if step.is_done:
        return "done"
    return "skipped" if step.is_skipped else "open"


def referral_entry(referral: Referral) -> dict[str, Any]:
    """What the CLI prints about a referral; the client's identity stays out of it."""
    return {
        "id": referral.pk,
        "partner_id": referral.partner_id,
        "partner_name": referral.partner.name,
        "direction": referral.direction,
        "kind": referral.kind,
        "need": referral.need,
        "status": referral.status,
        "occurred_at": referral.occurred_at.isoformat(),
        "closed_at": referral.closed_at.isoformat() if referral.closed_at else None,
        # .all() so a prefetch is used.
        "steps": [{"slug": s.slug, "state": step_state(s)} for s in referral.steps.all()],
    }


def referral_line(referral: Referral) -> str:
    return (
        f"{referral.pk:>5}  {timezone.localdate(referral.occurred_at):%Y-%m-%d}  "
        f"{referral.direction:<8} {referral.kind:<10} {referral.partner.name:<24} "
        f"{referral.status:<13} {referral.need}"
    )


class Command(ProductCommand):
    help = "Log, list and work referrals sent to and received from partners."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        log: ArgumentParser = actions.add_parser("log", help="log a referral or connection")
        log.add_argument("partner_id")
        add_user_argument(log)
        log.add_argument(
            "--direction", required=True, help="one of: " + ", ".join(Direction.values)
        )
        log.add_argument("--kind", default=Kind.REFERRAL, help="one of: " + ", ".join(Kind.values))
        log.add_argument("--need", required=True, help="the need or topic")
        log.add_argument("--status", help="default: the first of its lifecycle")
        log.add_argument("--reason", default="", help="why it failed (for a failure status)")
        log.add_argument("--notes", default="")
        log.add_argument("--at", help="when it was sent or received, ISO 8601 (default: now)")
        log.add_argument("--json", action="store_true", help="print the referral as JSON")

        listing: ArgumentParser = actions.add_parser("list", help="list referrals")
        add_user_argument(listing)
        listing.add_argument("--partner", metavar="ID", help="only this partner's")
        listing.add_argument("--direction", default="", help=", ".join(Direction.values))
        listing.add_argument("--state", default="", help="open or closed")
        listing.add_argument("--json", action="store_true", help="print a JSON list")

        step: ArgumentParser = actions.add_parser(
            "step", help="complete (default), skip or reopen a protocol step"
        )
        step.add_argument("referral_id")
        step.add_argument("slug", help="one of: " + ", ".join(StepSlug.values))
        add_user_argument(step)
        undo = step.add_mutually_exclusive_group()
        undo.add_argument("--skip", action="store_true", help="leave the step out")
        undo.add_argument("--reopen", action="store_true", help="undo a done or skipped step")
        step.add_argument("--at", help="when it was done, ISO 8601 (default: now)")
        step.add_argument("--summary", default="", help="the summary of the touch it logs")

        status: ArgumentParser = actions.add_parser("status", help="move a referral's status")
        status.add_argument("referral_id")
        status.add_argument("status", help="one of: " + ", ".join(ReferralStatus.values))
        add_user_argument(status)
        status.add_argument("--reason", default="", help="why it failed (required for failures)")
        status.add_argument("--at", help="when it happened, ISO 8601 (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        handler = {
            "log": self.log_referral,
            "list": self.list_referrals,
            "step": self.change_step,
            "status": self.change_status,
        }[options["action"]]
        handler(user, options)

    def log_referral(self, user: User, options: dict[str, Any]) -> None:
        partner = partner_get_for(advisor=user, pk=options["partner_id"])
        referral = referral_create(
            by=user,
            partner=partner,
            direction=options["direction"],
            kind=options["kind"],
            need=options["need"],
            status=options["status"] or None,
            reason=options["reason"],
            notes=options["notes"],
            occurred_at=parse_when(options["at"]),
        )
        entry = referral_entry(referral)
        if options["json"]:
            self.stdout.write(json.dumps(entry, indent=2))
            return
        toward = "to" if referral.direction == Direction.SENT else "from"
        self.stdout.write(
            f"Logged {referral.direction} {referral.kind} #{referral.pk} {toward} "
            f"{partner.name}: {referral.need} ({referral.status}, "
            f"{timezone.localdate(referral.occurred_at):%d %b %Y})."
        )
        if entry["steps"]:
            slugs = ", ".join(step["slug"] for step in entry["steps"])
            self.stdout.write(f"Protocol steps: {slugs}.")
        if referral.thank_you_commitment_id:
            self.stdout.write("On your agenda: a thank-you note and a report back to the partner.")

    def list_referrals(self, user: User, options: dict[str, Any]) -> None:
        if options["direction"] and options["direction"] not in Direction.values:
            raise CommandError(UNKNOWN_DIRECTION)
        if options["state"] not in ("", "open", "closed"):
            raise CommandError(UNKNOWN_STATE)
        partner_id = None
        if options["partner"]:
            partner_id = partner_get_for(advisor=user, pk=options["partner"]).pk
        filters = ReferralFilters(
            partner=partner_id, direction=options["direction"], state=options["state"]
        )
        referrals = list(referral_list(advisor=user, filters=filters).prefetch_related("steps"))
        if options["json"]:
            self.stdout.write(json.dumps([referral_entry(r) for r in referrals], indent=2))
            return
        if not referrals:
            self.stdout.write("No referrals.")
            return
        for referral in referrals:
            self.stdout.write(referral_line(referral))

    def change_step(self, user: User, options: dict[str, Any]) -> None:
        referral = referral_get_for(advisor=user, pk=options["referral_id"])
        try:
            step = referral_step_get(referral=referral, slug=options["slug"])
        except Http404:
            slugs = [step.slug for step in steps_of(referral=referral)]
            if not slugs:
                raise CommandError(NO_STEPS) from None
            raise CommandError(NO_SUCH_STEP.format(steps=", ".join(slugs))) from None
        undoing = options["skip"] or options["reopen"]
        if undoing and (options["at"] or options["summary"]):
            raise CommandError(ONLY_WHEN_COMPLETING)
        if options["skip"]:
            step = referral_step_skip(step=step, by=user)
            self.stdout.write(f"Skipped: {step.label}.")
        elif options["reopen"]:
            step = referral_step_reopen(step=step, by=user)
            self.stdout.write(f"Reopened: {step.label}.")
        else:
            step = referral_step_complete(
                step=step,
                by=user,
                occurred_at=parse_when(options["at"]),
                summary=options["summary"],
            )
            self.stdout.write(
                f"Done: {step.label} (touch #{step.touch_id} with {referral.partner.name})."
            )
        steps = list(steps_of(referral=referral))
        done = sum(1 for each in steps if each.is_done)
        self.stdout.write(f"{done} of {len(steps)} steps done.")

    def change_status(self, user: User, options: dict[str, Any]) -> None:
        referral = referral_get_for(advisor=user, pk=options["referral_id"])
        change = referral_change_status(
            referral=referral,
            by=user,
            status=options["status"],
            reason=options["reason"],
            occurred_at=parse_when(options["at"]),
        )
        self.stdout.write(
            f"Referral #{referral.pk} ({referral.partner.name}): {change.from_status} → "
            f"{change.to_status} on {timezone.localdate(change.occurred_at):%d %b %Y}."
        )
