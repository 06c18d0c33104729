"""``reciprocity digest``: show an advisor's weekly digest, or queue the digests for sending."""

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from reciprocity.accounts.cli import UNKNOWN_USER, ProductCommand
from reciprocity.accounts.models import User
from reciprocity.accounts.selectors import deliveries_made, user_by_username
from reciprocity.playbook.digest import DIGEST_KIND, digest_render, digest_week
from reciprocity.playbook.selectors.digest import digest_recipients
from reciprocity.playbook.tasks import send_weekly_digest

BAD_DATE = "Give the date as YYYY-MM-DD."
NOBODY = "Nobody receives a digest: no active advisor has an email address."
QUEUED = "Queued {count} digest(s); `reciprocity worker` sends them."
ALREADY_SENT = "{count} digest(s) already sent for the week of {week}: not sent again."


class Command(ProductCommand):
    help = (
        "Render the weekly digest of one advisor (--user) or of everyone who receives it, "
        "without sending. --send queues the emails for `reciprocity worker`."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", help="username of the advisor (default: every recipient)")
        parser.add_argument(
            "--send", action="store_true", help="queue the emails instead of printing them"
        )
        parser.add_argument("--html", action="store_true", help="print the HTML version")
        parser.add_argument("--date", help="render the week as of this day (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(BAD_DATE) from None
        if options["user"]:
            advisor = user_by_username(username=options["user"])
            if advisor is None or not advisor.is_active:
                raise CommandError(UNKNOWN_USER.format(username=options["user"]))
            advisors = [advisor]
        else:
            advisors = list(digest_recipients())
            if not advisors:
                raise CommandError(NOBODY)
        if options["send"]:
            self.queue(advisors, today)
            return
        for advisor in advisors:
            rendered = digest_render(advisor=advisor, today=today)
            self.stdout.write(f"To: {advisor.email or '(no email address)'}")
            self.stdout.write(f"Subject: {rendered.subject}\n")
            self.stdout.write(rendered.html if options["html"] else rendered.text)

    def queue(self, advisors: list[User], today: dt.date | None) -> None:
        """Queue the digests not sent yet this week. The worker checks again as it sends, so
        two commands run at once still send each digest once."""
        day = today or timezone.localdate()
        week = digest_week(day)
        sent = deliveries_made(kind=DIGEST_KIND, period=week)
        waiting = [advisor for advisor in advisors if advisor.pk not in sent]
        for advisor in waiting:
            send_weekly_digest.enqueue(advisor.pk, day.isoformat())
        if waiting or not sent:
            self.stdout.write(QUEUED.format(count=len(waiting)))
        if len(advisors) > len(waiting):
            count = len(advisors) - len(waiting)
            self.stdout.write(ALREADY_SENT.format(count=count, week=week.isoformat()))
