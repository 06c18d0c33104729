"""Reading one raw email (RFC 5322 bytes) into what logging it needs, or refusing it.

Refusals carry a reason meant for the log line (and the SMTP or HTTP answer): they never name
an advisor or a partner, so whoever sent the message learns nothing from them.
"""

import datetime as dt
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings
from django.utils import timezone

from reciprocity.integrations.models import LOCAL_PART

TOO_LARGE = "The message is larger than {limit} bytes."
EMPTY = "The message is empty."
MALFORMED = "The message cannot be read as an email: {why}."
NO_MESSAGE_ID = "The message has no Message-ID header."
NO_LOGGING_ADDRESS = "The message is not addressed to a logging address."
BODY_CHARS = 20_000
SUBJECT_CHARS = 500
# The header lines that may carry the logging address: BCC leaves no trace in To or Cc, so an
# MTA's envelope (Delivered-To, X-Original-To) or the SMTP recipients name it.
ENVELOPE_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "to", "cc")


class MailRefused(Exception):
    """A message that is not logged, with the reason (for the log and the sender's answer)."""


class MailTooLarge(MailRefused):
    """Over MAIL_IN_MAX_BYTES: refused before it is read."""


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    subject: str
    sent_at: dt.datetime
    sender: str
    addresses: list[str]  # From, To and Cc, lower case, in order, without repeats
    secrets: list[str]  # the logging addresses' secrets it was sent to
    body: str


def secret_of(address: str) -> str | None:
    """The secret of a logging address (``log+<secret>@<MAIL_IN_DOMAIN>``), else None."""
    pattern = rf"{LOCAL_PART}\+([a-z0-9]{{8,40}})@{re.escape(settings.MAIL_IN_DOMAIN.lower())}"
    match = re.fullmatch(pattern, address.strip().lower())
    return match.group(1) if match else None


def _addresses(message: EmailMessage, *headers: str) -> list[str]:
    values = [str(value) for header in headers for value in message.get_all(header, [])]
    found: list[str] = []
    for _, address in getaddresses(values):
        address = address.strip().lower()
        if "@" in address and address not in found:
            found.append(address)
    return found


def _sent_at(message: EmailMessage) -> dt.datetime:
    """The Date header; now when it is missing, unreadable, or not a plausible past moment."""
    now = timezone.now()
    try:
        sent = parsedate_to_datetime(str(message["date"]))
    except (TypeError, ValueError, IndexError):
        return now
    if sent.tzinfo is None:
        sent = timezone.make_aware(sent, dt.UTC)
    earliest = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
    return sent if earliest <= sent <= now + dt.timedelta(minutes=5) else now


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, UnicodeDecodeError, AttributeError):
        return ""
    return str(text)[:BODY_CHARS].replace("\x00", "")


def mail_parse(raw: bytes, *, recipients: list[str] | tuple[str, ...] = ()) -> ParsedMail:
    """Read ``raw``; ``recipients`` are the SMTP envelope's, when the message came by SMTP."""
    if len(raw) > settings.MAIL_IN_MAX_BYTES:
        raise MailTooLarge(TOO_LARGE.format(limit=settings.MAIL_IN_MAX_BYTES))
    if not raw.strip():
        raise MailRefused(EMPTY)
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        message_id = str(message.get("message-id", "")).strip()
        subject = " ".join(str(message.get("subject", "")).split())
        from_header = _addresses(message, "from")
        addresses = _addresses(message, "from", "to", "cc")
        envelope = [*recipients, *_addresses(message, *ENVELOPE_HEADERS)]
    except (ValueError, TypeError, IndexError, AttributeError) as error:
        raise MailRefused(MALFORMED.format(why=type(error).__name__)) from error
    if not from_header and not addresses:
        raise MailRefused(MALFORMED.format(why="no sender or recipient"))
    if not message_id:
        raise MailRefused(NO_MESSAGE_ID)
    secrets = [s for s in dict.fromkeys(secret_of(a) for a in envelope) if s is not None]
    if not secrets:
        raise MailRefused(NO_LOGGING_ADDRESS)
    return ParsedMail(
        message_id=message_id[:998],
        subject=subject[:SUBJECT_CHARS],
        sent_at=_sent_at(message),
        sender=from_header[0] if from_header else "",
        addresses=[a for a in addresses if secret_of(a) is None],
        secrets=secrets,
        body=_body(message),
    )
