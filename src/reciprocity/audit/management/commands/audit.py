"""``reciprocity audit verify [--firm SLUG] [--json]`` and ``reciprocity audit export --from DATE
--to DATE -o DIR [--firm SLUG]``: the tamper-evident audit trail from the command line."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.template.defaultfilters import pluralize

from reciprocity.accounts.cli import ProductCommand
from reciprocity.accounts.models import Firm
from reciprocity.audit.export import chain_export
from reciprocity.audit.integrity import ChainReport
from reciprocity.audit.services import chain_verify

NO_SUCH_FIRM = "No firm with the slug {slug!r}."
BAD_DATE = "Use an ISO 8601 date, for example 2025-03-14: {value!r} is not one."
BAD_RANGE = "--from must not be after --to."
CANNOT_WRITE = "Cannot write {path}: {reason}"
BROKEN = "The audit chain of {firm} does not hold."


def _firm(slug: str | None) -> Firm | None:
    if not slug:
        return None
    firm = Firm.objects.filter(slug=slug).first()
    if firm is None:
        raise CommandError(NO_SUCH_FIRM.format(slug=slug))
    return firm


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(BAD_DATE.format(value=value)) from None


def _chain_name(report: ChainReport, slugs: dict[int, str]) -> str:
    return slugs.get(report.firm_id, "") if report.firm_id else "(no firm)"


class Command(ProductCommand):
    help = "Verify the audit trail's hash chain, or export it for an examiner."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser("verify", help="recompute each firm's chain; exit 1 if broken")
        verify.add_argument("--firm", metavar="SLUG", help="only this firm (default: every firm)")
        verify.add_argument("--json", action="store_true", help="print the result as JSON")
        export = actions.add_parser("export", help="write the entries of a date range")
        export.add_argument("--from", dest="since", metavar="DATE", required=True)
        export.add_argument("--to", dest="until", metavar="DATE", required=True)
        export.add_argument("-o", "--output", metavar="DIR", required=True)
        export.add_argument("--firm", metavar="SLUG", help="only this firm (default: every firm)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self.verify(options)
        else:
            self.export(options)

    def verify(self, options: dict[str, Any]) -> None:
        firm = _firm(options["firm"])
        firms: list[Firm | None] = [firm] if firm else [*Firm.objects.order_by("slug"), None]
        reports = [chain_verify(firm=each) for each in firms]
        slugs = dict(Firm.objects.values_list("pk", "slug"))
        reports = [r for r in reports if r.firm_id or r.entries or r.problems or firm]
        ok = all(report.ok for report in reports)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": ok,
                        "chains": [
                            {
                                "firm": _chain_name(report, slugs) if report.firm_id else None,
                                "ok": report.ok,
                                "entries": report.entries,
                                "head_hash": report.head_hash,
                                "problems": len(report.problems),
                                "first_broken": report.first.as_dict() if report.first else None,
                            }
                            for report in reports
                        ],
                    },
                    indent=2,
                )
            )
        else:
            for report in reports:
                name = _chain_name(report, slugs)
                if report.ok:
                    self.stdout.write(f"{name}: the chain holds ({report.entries} entries).")
                else:
                    count = len(report.problems)
                    self.stdout.write(
                        f"{name}: BROKEN at {report.first} ({count} problem{pluralize(count)})."
                    )
        if not ok:
            broken = next(report for report in reports if not report.ok)
            raise CommandError(BROKEN.format(firm=_chain_name(broken, slugs)))

    def export(self, options: dict[str, Any]) -> None:
        since, until = _date(options["since"]), _date(options["until"])
        if since > until:
            raise CommandError(BAD_RANGE)
        firm = _firm(options["firm"])
        path = Path(options["output"])
        try:
            manifest = chain_export(since=since, until=until, directory=path, firm=firm)
        except OSError as error:
            raise CommandError(CANNOT_WRITE.format(path=path, reason=error.strerror)) from error
        self.stdout.write(
            f"Exported {manifest['entries']} audit entries from {since} to {until} to {path}; "
            f"check them with: python {path / 'verify_export.py'} {path}"
        )
