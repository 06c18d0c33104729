"""The SMTP receiver: an MTA relays the logging domain's mail to it, or it listens directly.

Recipients are checked as they are given (RCPT TO): an address that is not a live logging
address is refused there with the same answer whatever the reason, so a sender learns nothing.
"""

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from reciprocity.integrations.mail.parsing import secret_of
from reciprocity.integrations.models import MailInAddress
from reciprocity.integrations.services import mail_receive_or_log

log = logging.getLogger(__name__)

NO_SUCH_MAILBOX = "550 5.1.1 No such mailbox"
REFUSED = "554 5.6.0 Message refused"
ACCEPTED = "250 2.0.0 Logged"


def _live(address: str) -> bool:
    secret = secret_of(address)
    close_old_connections()
    return secret is not None and MailInAddress.objects.filter(secret=secret).exists()


def _receive(raw: bytes, recipients: tuple[str, ...]) -> bool:
    close_old_connections()
    return mail_receive_or_log(raw=raw, recipients=recipients) is not None


class MailInHandler:
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if not await sync_to_async(_live, thread_sensitive=True)(address):
            log.warning("Mail refused: not a logging address (RCPT TO).")
            return NO_SUCH_MAILBOX
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        logged = await sync_to_async(_receive, thread_sensitive=True)(raw, tuple(envelope.rcpt_tos))
        return ACCEPTED if logged else REFUSED


class MailInController(Controller):
    """The SMTP server's thread, which closes the database connection its handlers used when
    it stops: they all run in one thread (``thread_sensitive``), whose connection is kept
    between messages and would otherwise stay open until the process ends."""

    def stop(self, no_assert: bool = False) -> None:
        if self.loop.is_running():
            closing = sync_to_async(connections.close_all, thread_sensitive=True)()
            asyncio.run_coroutine_threadsafe(closing, self.loop).result()
        super().stop(no_assert)


def mail_in_controller(*, host: str, port: int) -> Controller:
    """An SMTP server on ``host:port`` in a thread of its own (``start()`` / ``stop()``)."""
    return MailInController(
        MailInHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.MAIL_IN_MAX_BYTES,
        server_hostname=settings.MAIL_IN_DOMAIN,
    )
