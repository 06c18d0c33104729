"""The weekly digest: each advisor's week (overdue, due, suggestions) as an email.

A digest is recorded per advisor and week it covers, in the transaction that sends it: the
worker, a second worker or ``reciprocity digest --send`` repeated never send one twice.
"""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.accounts.services import delivery_send
from reciprocity.playbook.selectors.digest import Digest, digest_for

# An email worth opening is short: the count, these few items, and the agenda for the rest.
TOP_ITEMS = 5
SUBJECT = "Your week: {overdue} overdue, {due} due this week"
SUBJECT_CLEAR = "Your week: nothing overdue"
# What the delivery record calls a weekly digest.
DIGEST_KIND = "weekly_digest"


class DigestOutcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    NOTHING_DUE = "nothing_due"
    NO_ADDRESS = "no_address"


def digest_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the week a digest as of ``today`` covers."""
    day = today or timezone.localdate()
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class RenderedDigest:
    digest: Digest
    subject: str
    text: str
    html: str


def digest_render(*, advisor: User, today: dt.date | None = None) -> RenderedDigest:
    """The advisor's digest as subject, plain text and HTML; nothing is sent."""
    digest = digest_for(advisor=advisor, today=today)
    agenda = digest.agenda
    due = len(agenda.due_today) + len(agenda.this_week)
    subject = (
        SUBJECT.format(overdue=len(agenda.overdue), due=due)
        if agenda.overdue or due
        else SUBJECT_CLEAR
    )
    site_url = settings.RECIPROCITY_SITE_URL
    context = {
        "digest": digest,
        "advisor": advisor,
        "agenda": agenda,
        "due_count": due,
        # Overdue first (oldest first), then today, then the week: the agenda's own order.
        "top": agenda.items[:TOP_ITEMS],
        "more": max(len(agenda) - TOP_ITEMS, 0),
        "suggestion": digest.suggestions[0] if digest.suggestions else None,
        "site_url": site_url,
        "settings_url": f"{site_url}{reverse('playbook_message')}#digest",
    }
    html = render_to_string("playbook/email/weekly_digest.html", context)
    return RenderedDigest(
        digest=digest,
        subject=subject,
        text=render_to_string("playbook/email/weekly_digest.txt", context),
        # Mail clients ignore <style> blocks: every rule goes into the style attributes.
        html=css_inline.inline(html),
    )


def digest_send(*, advisor: User, today: dt.date | None = None) -> DigestOutcome:
    """Email the digest through the configured mailer, once per advisor and week. An advisor
    with no address, or with nothing due and nothing suggested, gets no email."""
    if not advisor.email:
        return DigestOutcome.NO_ADDRESS
    rendered = digest_render(advisor=advisor, today=today)
    if rendered.digest.is_empty:
        return DigestOutcome.NOTHING_DUE
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[advisor.email],
    )
    message.attach_alternative(rendered.html, "text/html")
    sent = delivery_send(
        kind=DIGEST_KIND,
        recipient=advisor,
        period=digest_week(rendered.digest.today),
        send=message.send,
    )
    return DigestOutcome.SENT if sent else DigestOutcome.ALREADY_SENT
