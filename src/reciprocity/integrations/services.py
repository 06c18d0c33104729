"""Emails logged by themselves: every write of the logging addresses and the messages received.

A message is matched to its advisor by the secret of the logging address it was sent to, and
to partners by the addresses of From, To and Cc (a partner's email, or another address the
advisor filed under the partner before). It logs one touch of kind email per partner, dated by
the message and named by its subject; the history says it came by email. The same Message-ID
twice logs nothing new; a message from nobody known waits until the advisor files it.
"""

import logging
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from reciprocity.accounts.audit import attribute, audit_source
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.integrations.mail.parsing import MailRefused, ParsedMail, mail_parse
from reciprocity.integrations.models import (
    MailInAddress,
    MailInMessage,
    MailStatus,
    PartnerAddress,
)
from reciprocity.partners.models import Partner, TouchKind
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.partners.services import partner_create, touch_log
from reciprocity.records import lock

log = logging.getLogger(__name__)

UNKNOWN_ADDRESS = "No advisor has this logging address."
NOT_WAITING = "This message is not waiting to be filed."
NO_SUBJECT = "(no subject)"
NOT_AN_ADDRESS_OF_IT = "Choose one of the addresses the message came from or went to."


@transaction.atomic
def mail_address_renew(*, by: User) -> MailInAddress:
    """Give the advisor a new logging address; the old one refuses mail from now on."""
    ensure_can_write(by)
    secret = secrets.token_hex(12)
    address = MailInAddress.objects.select_for_update().filter(user=by).first()
    if address is None:
        address = MailInAddress(user=by)
    address.secret = secret
    attribute(address, by).save()
    return address


@dataclass
class MailResult:
    """What one message did: logged on partners, waited, or was already in."""

    advisors: list[str] = field(default_factory=list)
    touches: int = 0
    unmatched: int = 0
    duplicates: int = 0

    def __str__(self) -> str:
        return (
            f"{self.touches} touch{'es' if self.touches != 1 else ''} logged, "
            f"{self.unmatched} waiting to be filed, {self.duplicates} already logged"
        )


def _partners_writing_from(advisor: User, addresses: list[str]) -> list[Partner]:
    if not addresses or advisor.firm_id is None:
        return []
    visible = partners_visible_to(advisor=advisor)
    by_email = visible.annotate(lower_email=Lower("email")).filter(lower_email__in=addresses)
    by_alias = visible.filter(
        pk__in=PartnerAddress.objects.filter(firm_id=advisor.firm_id, email__in=addresses).values(
            "partner_id"
        )
    )
    return list((by_email | by_alias).distinct().order_by("name", "pk"))


def _log_on(message: MailInMessage, partners: list[Partner], advisor: User) -> int:
    for partner in partners:
        touch_log(
            partner=partner,
            by=advisor,
            kind=TouchKind.EMAIL,
            summary=message.subject or NO_SUBJECT,
            occurred_at=message.sent_at,
        )
    return len(partners)


def _receive_for(advisor: User, mail: ParsedMail) -> MailResult:
    own = {advisor.email.lower()} if advisor.email else set()
    addresses = [a for a in mail.addresses if a not in own]
    partners = _partners_writing_from(advisor, addresses)
    known = {p.email.lower() for p in partners if p.email}
    message = MailInMessage(
        advisor=advisor,
        message_id=mail.message_id,
        subject=mail.subject,
        sent_at=mail.sent_at,
        sender=mail.sender,
        unknown_addresses=[] if partners else [a for a in addresses if a not in known],
        body=mail.body if advisor.firm is not None and advisor.firm.keeps_email_bodies else "",
        status=MailStatus.LOGGED if partners else MailStatus.UNMATCHED,
    )
    try:
        with transaction.atomic():
            attribute(message, advisor).save()
    except IntegrityError:
        return MailResult(advisors=[advisor.username], duplicates=1)
    message.touches = _log_on(message, partners, advisor)
    attribute(message, advisor).save(update_fields=["touches"])
    return MailResult(
        advisors=[advisor.username], touches=message.touches, unmatched=int(not partners)
    )


@transaction.atomic
def mail_receive(*, raw: bytes, recipients: tuple[str, ...] = ()) -> MailResult:
    """Log one raw message for every advisor whose logging address it was sent to. Refuses it
    (MailRefused, nothing stored) when it cannot be read or reaches no logging address."""
    mail = mail_parse(raw, recipients=recipients)
    owners = list(
        MailInAddress.objects.filter(secret__in=mail.secrets).select_related("user__firm")
    )
    advisors = [owner.user for owner in owners if owner.user.is_active]
    if not advisors:
        raise MailRefused(UNKNOWN_ADDRESS)
    result = MailResult()
    with audit_source("email"):
        for advisor in advisors:
            one = _receive_for(advisor, mail)
            result.advisors += one.advisors
            result.touches += one.touches
            result.unmatched += one.unmatched
            result.duplicates += one.duplicates
    log.info("Mail %s received: %s.", mail.message_id, result)
    return result


def mail_receive_or_log(*, raw: bytes, recipients: tuple[str, ...] = ()) -> MailResult | None:
    """``mail_receive`` for a receiver that answers the sender itself: a refusal is logged
    (one line, with its reason) and answered None."""
    try:
        return mail_receive(raw=raw, recipients=recipients)
    except MailRefused as refused:
        log.warning("Mail refused: %s", refused)
        return None


def _waiting(message: MailInMessage) -> MailInMessage:
    locked = lock(message)
    if locked.status != MailStatus.UNMATCHED:
        raise ValidationError(NOT_WAITING)
    return locked


@transaction.atomic
def mail_file(
    *, message: MailInMessage, partner: Partner, by: User, address: str = ""
) -> MailInMessage:
    """File a waiting message under a partner: log its touch, and (``address``, one of the
    message's unknown addresses) learn the address the partner wrote from, so their next
    messages are logged by themselves."""
    ensure_can_write(by)
    locked = _waiting(message)
    address = address.strip().lower()
    if address and address not in locked.unknown_addresses:
        raise ValidationError({"address": NOT_AN_ADDRESS_OF_IT})
    if (
        address
        and address != partner.email.lower()
        and not partner.addresses.filter(email=address).exists()
    ):
        learned = PartnerAddress(firm_id=partner.firm_id, partner=partner, email=address, by=by)
        attribute(learned, by).save()
    locked.touches = _log_on(locked, [partner], by)
    locked.status = MailStatus.ASSIGNED
    attribute(locked, by).save(update_fields=["touches", "status"])
    return locked


@transaction.atomic
def mail_file_as_new_partner(
    *, message: MailInMessage, by: User, name: str, profession: str, email: str
) -> Partner:
    """Add the partner a waiting message came from, and file the message under them."""
    partner = partner_create(by=by, name=name, profession=profession, email=email)
    mail_file(message=message, partner=partner, by=by, address=email)
    return partner


@transaction.atomic
def mail_dismiss(*, message: MailInMessage, by: User) -> MailInMessage:
    """Not about a partner (a newsletter, a colleague): it stops waiting, and logs nothing."""
    ensure_can_write(by)
    locked = _waiting(message)
    locked.status = MailStatus.DISMISSED
    attribute(locked, by).save(update_fields=["status"])
    return locked
