"""The private calendar feed an advisor subscribes to."""

import hashlib

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory


class CalendarFeed(models.Model):
    """A private calendar subscription URL. Only a SHA-256 of the secret is stored."""

    PREFIX = "cal_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed {self.hint}…"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
