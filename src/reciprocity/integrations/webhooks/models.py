"""A firm's webhook endpoints, the events told to them and each delivery's attempts."""

import base64
import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm
from reciprocity.partners.models import Partner
from reciprocity.records import ArchivableQuerySet

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
MESSAGE_PREFIX = "msg_"


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return MESSAGE_PREFIX + secrets.token_hex(12)


class WebhookEndpoint(models.Model):
    """A URL of the firm's that hears of the events it chose, signed with its secret.

    Switched off (``active`` false, ``disabled_at`` and ``disabled_reason`` set) by a firm admin
    or after failing for a day; archived, never deleted."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=80)
    # After a rotation the old secret signs too, for a while, so receivers can switch over.
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # The first failure of the current run of failures; cleared by a success.
    failing_since = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(
        bases=[AuditedHistory], excluded_fields=["secret", "previous_secret"]
    )

    objects = ArchivableQuerySet["WebhookEndpoint"].as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["firm", "active"])]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now: dt.datetime) -> list[str]:
        kept = (
            self.previous_secret and self.previous_secret_until and self.previous_secret_until > now
        )
        return [self.secret, self.previous_secret] if kept else [self.secret]


class WebhookEvent(models.Model):
    """One thing that happened, kept for the endpoints that wanted it when it happened."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    type = models.CharField(max_length=40)
    subject = models.CharField(max_length=80)
    payload = models.JSONField()
    # Makes an event once only (a commitment overdue, per due date); empty when not needed.
    once = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "once"],
                condition=~models.Q(once=""),
                name="webhook_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Given up"


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent, retried with backoff, delivered or given up."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="deliveries")
    # The event's subject, here so the order per endpoint and subject is one index away.
    subject = models.CharField(max_length=80)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker sending it holds it until then, so two workers never send it at once.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # A firm admin who asked for it to be sent again; named on the attempt that follows.
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-event_id", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "subject", "status", "event"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: what the endpoint answered, and how fast."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.PROTECT, related_name="attempt_log"
    )
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # Who sent it again by hand; empty for the worker's own tries.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delivery} at {self.at:%Y-%m-%d %H:%M:%S}"


class DiagnosisNotice(models.Model):
    """A partner's diagnosis the firm's webhooks were told of (``diagnosis.raised``) while it
    stands; ``cleared_at`` once it no longer does, so that if it comes back it is told again."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    slug = models.CharField(max_length=40)
    # What the evidence said when it was told (the diagnosis's own fingerprint).
    fingerprint = models.CharField(max_length=64)
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "slug"],
                condition=models.Q(cleared_at__isnull=True),
                name="diagnosis_notice_one_standing",
            )
        ]
        indexes = [models.Index(fields=["firm", "cleared_at"])]

    def __str__(self) -> str:
        return f"{self.partner}: {self.slug} raised"
