"""The weekly digest: each advisor's week (overdue, due, suggestions) as an email."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from reciprocity.accounts.models import User
from reciprocity.playbook.selectors.digest import Digest, digest_for

SUBJECT = "Your week: {overdue} overdue, {due} due this week"
SUBJECT_CLEAR = "Your week: nothing overdue"


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
    context = {
        "digest": digest,
        "advisor": advisor,
        "agenda": agenda,
        "site_url": settings.RECIPROCITY_SITE_URL,
    }
    return RenderedDigest(
        digest=digest,
        subject=subject,
        text=render_to_string("playbook/email/weekly_digest.txt", context),
        html=render_to_string("playbook/email/weekly_digest.html", context),
    )


def digest_send(*, advisor: User, today: dt.date | None = None) -> bool:
    """Email the digest through the configured mailer. An advisor with no address, or with
    nothing due and nothing suggested, gets no email."""
    if not advisor.email:
        return False
    rendered = digest_render(advisor=advisor, today=today)
    if rendered.digest.is_empty:
        return False
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[advisor.email],
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
    return True
