"""Reads of the logging address and the messages it received, scoped to the advisor."""

from django.db.models import QuerySet

from reciprocity.accounts.models import User
from reciprocity.ids import get_visible_or_404
from reciprocity.integrations.models import MailInAddress, MailInMessage, MailStatus

WAITING_SHOWN = 50
MESSAGE_NOT_FOUND = "No such message."


def mail_address_of(*, advisor: User) -> MailInAddress | None:
    return MailInAddress.objects.filter(user=advisor).first()


def mail_waiting_of(*, advisor: User) -> QuerySet[MailInMessage]:
    """The advisor's messages from nobody known, newest first."""
    return MailInMessage.objects.filter(advisor=advisor, status=MailStatus.UNMATCHED)


def mail_recent_of(*, advisor: User) -> QuerySet[MailInMessage]:
    return MailInMessage.objects.filter(advisor=advisor).exclude(status=MailStatus.UNMATCHED)


def mail_message_get_for(*, advisor: User, pk: object) -> MailInMessage:
    """One of the advisor's own messages; anyone else's is a 404."""
    mine = MailInMessage.objects.filter(advisor=advisor)
    return get_visible_or_404(mine, pk, not_found=MESSAGE_NOT_FOUND)
