"""``reciprocity referral log|list|step|status|disclosure``: the referral ledger from the command
line."""

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from reciprocity.accounts.cli import ProductCommand, add_user_argument, parse_when, resolve_user
from reciprocity.accounts.models import User
from reciprocity.choices import unknown_choice_message
from reciprocity.partners.selectors import partner_get_for
from reciprocity.referrals.disclosure import (
    AcknowledgementMethod,
    ArrangementKind,
    DeliveryMethod,
)
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
from reciprocity.referrals.services.disclosures import (
    referral_disclosure_attach,
    referral_disclosure_update,
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
BAD_DAY = "Use an ISO 8601 date, for example 2025-03-14."
NO_SUCH_FILE = "No file at {path}."

# The disclosure's options and the service's fields they set.
DISCLOSURE_OPTIONS = {
    "arrangement": "arrangement_kind",
    "terms": "arrangement_terms",
    "text": "disclosure_text",
    "delivered_on": "delivered_on",
    "delivered_how": "delivery_method",
    "acknowledged_on": "acknowledged_on",
    "acknowledged_how": "acknowledgement_method",
}


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

        disclosure: ArgumentParser = actions.add_parser(
            "disclosure", help="record a referral's compensation and the evidence of its disclosure"
        )
        disclosure.add_argument("referral_id")
        add_user_argument(disclosure)
        paid = disclosure.add_mutually_exclusive_group()
        paid.add_argument(
            "--compensated",
            dest="compensated",
            action="store_const",
            const=True,
            help="it involves compensation or a solicitor arrangement, either way",
        )
        paid.add_argument(
            "--not-compensated", dest="compensated", action="store_const", const=False
        )
        disclosure.add_argument("--arrangement", help=", ".join(ArrangementKind.values))
        disclosure.add_argument("--terms", help="the amount or basis of the arrangement")
        text = disclosure.add_mutually_exclusive_group()
        text.add_argument("--text", help="the disclosure given to the client")
        text.add_argument(
            "--from-template", action="store_true", help="the firm's disclosure template"
        )
        disclosure.add_argument("--file", help="the disclosure document: PDF, PNG or JPEG")
        disclosure.add_argument("--delivered-on", help="the day it was delivered, YYYY-MM-DD")
        disclosure.add_argument("--delivered-how", help=", ".join(DeliveryMethod.values))
        disclosure.add_argument("--acknowledged-on", help="the day the client acknowledged it")
        disclosure.add_argument("--acknowledged-how", help=", ".join(AcknowledgementMethod.values))
        disclosure.add_argument("--json", action="store_true", help="print the record as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_user(options["user"])
        handler = {
            "log": self.log_referral,
            "list": self.list_referrals,
            "step": self.change_step,
            "status": self.change_status,
            "disclosure": self.record_disclosure,
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

    def record_disclosure(self, user: User, options: dict[str, Any]) -> None:
        referral = referral_get_for(advisor=user, pk=options["referral_id"])
        changes: dict[str, Any] = {}
        if options["compensated"] is not None:
            changes["compensated"] = options["compensated"]
        for option, field in DISCLOSURE_OPTIONS.items():
            value = options[option]
            if value is None:
                continue
            changes[field] = parse_day(value) if field.endswith("_on") else value
        path = Path(options["file"]) if options["file"] else None
        if path is not None and not path.is_file():
            raise CommandError(NO_SUCH_FILE.format(path=path))
        with transaction.atomic():
            disclosure = referral_disclosure_update(
                referral=referral, by=user, from_template=options["from_template"], **changes
            )
            if path is not None:
                with path.open("rb") as upload:
                    disclosure = referral_disclosure_attach(
                        referral=referral,
                        by=user,
                        upload=upload,
                        name=path.name,
                        size=path.stat().st_size,
                    )
        missing = disclosure.missing if disclosure.compensated else []
        if options["json"]:
            entry = {
                "referral_id": referral.pk,
                "compensated": disclosure.compensated,
                "arrangement_kind": disclosure.arrangement_kind or None,
                "arrangement_terms": disclosure.arrangement_terms,
                "document": disclosure.disclosure_file_name or None,
                "delivered_on": disclosure.delivered_on.isoformat()
                if disclosure.delivered_on
                else None,
                "delivery_method": disclosure.delivery_method or None,
                "acknowledged_on": disclosure.acknowledged_on.isoformat()
                if disclosure.acknowledged_on
                else None,
                "acknowledgement_method": disclosure.acknowledgement_method or None,
                "missing": missing,
            }
            self.stdout.write(json.dumps(entry, indent=2))
            return
        paid = "involves compensation" if disclosure.compensated else "involves no compensation"
        self.stdout.write(f"Referral #{referral.pk} ({referral.partner.name}) {paid}.")
        if missing:
            self.stdout.write("Missing: " + "; ".join(missing) + ".")
        elif disclosure.compensated:
            self.stdout.write("Its disclosure evidence is complete.")


def parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(BAD_DAY) from None
