"""The audit trail is the history every model keeps (django-simple-history, see
accounts/audit.py); this app reads it, and records the one thing that removes records: a purge
of archived records past the firm's retention period."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm


class AuditPurge(models.Model):
    """A firm admin purged archived records older than the retention period: when, who, why,
    and how many of each kind. What was purged is gone, its history with it; this stays."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="purges")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    cutoff = models.DateTimeField(help_text="Records archived before this moment were purged.")
    counts = models.JSONField(default=dict, help_text="Records purged, by kind.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Purge of {self.created_at:%Y-%m-%d}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())
