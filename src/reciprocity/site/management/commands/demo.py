"""``reciprocity demo``: load the demo firm and its book of partners (local mode only)."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from reciprocity.accounts.cli import ProductCommand
from reciprocity.accounts.models import Firm
from reciprocity.site.demo.book import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    demo_loaded,
    load_demo,
)

REFUSED_IN_PRODUCTION = (
    "Demo data is for local mode; this installation runs with RECIPROCITY_MODE=production."
)
ALREADY_LOADED = "The demo data is already loaded (user 'demo' or firm 'harborview' exists)."
NOT_EMPTY = "The database already holds a firm; not loading demo data."
# The address is printed by `reciprocity serve`, which knows the port it really serves.
DEMO_USER = f"Demo user: {DEMO_USERNAME}  password: {DEMO_PASSWORD}"


class Command(ProductCommand):
    help = (
        "Load demo data: the firm Harborview Wealth Partners, advisors demo, morgan and rachel "
        "(password demo) and 18 months of partner history and referrals both ways. Local mode only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds a firm (for `make run`)",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="same seed, same demo book"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(REFUSED_IN_PRODUCTION)
        if options["if_empty"] and Firm.objects.exists():
            self.stdout.write(NOT_EMPTY)
            return
        if demo_loaded():
            raise CommandError(ALREADY_LOADED)
        started = time.monotonic()
        summary = load_demo(seed=options["seed"])
        self.stdout.write(
            f"Loaded {summary.firm.name}: {summary.partners} partners, {summary.touches} touches, "
            f"{summary.stage_changes} stage changes, {summary.commitments} commitments, "
            f"{summary.referrals} referrals in {time.monotonic() - started:.1f}s."
        )
        self.stdout.write(DEMO_USER)
