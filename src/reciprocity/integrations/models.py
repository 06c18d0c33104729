"""Emails logged by themselves: each advisor's logging address, the messages it received, and
the other addresses a partner writes from."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm
from reciprocity.partners.models import Partner

LOCAL_PART = "log"


class MailInAddress(models.Model):
    """An advisor's private address to BCC or forward to: ``log+<secret>@<domain>``.

    The secret is kept as it is, not hashed: it only routes mail to its advisor, and the advisor
    must be able to read the address again. Renewing it makes the old one refuse mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mail_in_address"
    )
    secret = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["secret"])

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return f"{LOCAL_PART}+{self.secret}@{settings.MAIL_IN_DOMAIN}"


class MailStatus(models.TextChoices):
    LOGGED = "logged", "Logged"
    UNMATCHED = "unmatched", "Waiting for a partner"
    ASSIGNED = "assigned", "Logged by hand"
    DISMISSED = "dismissed", "Dismissed"


class MailInMessage(models.Model):
    """One message received for an advisor, kept so that the same message twice (by its
    Message-ID) logs nothing new, and so that one from unknown addresses can wait."""

    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mail_in_messages"
    )
    message_id = models.CharField(max_length=998)
    subject = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField()
    sender = models.CharField(max_length=320, blank=True)
    # The addresses of From, To and Cc that no partner has (the advisor's own left out).
    unknown_addresses = models.JSONField(default=list)
    body = models.TextField(blank=True, help_text="Kept only when the firm keeps email bodies.")
    status = models.CharField(max_length=10, choices=MailStatus.choices)
    touches = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["advisor", "message_id"], name="mail_in_message_once_per_advisor"
            )
        ]
        indexes = [models.Index(fields=["advisor", "status", "-received_at"])]

    def __str__(self) -> str:
        return self.subject or self.message_id


class PartnerAddress(models.Model):
    """Another address a partner writes from, learned when an advisor files a message from it
    under the partner; mail from it is logged on that partner from then on."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="addresses")
    email = models.EmailField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "email"], name="partner_address_once")
        ]
        indexes = [models.Index(fields=["firm", "email"])]

    def __str__(self) -> str:
        return self.email


# The webhooks' models live in their own module; imported here so Django finds them.
from reciprocity.integrations.webhooks.models import (  # noqa: E402, F401
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
