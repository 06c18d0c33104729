"""What the agenda remembers of its own: items put off until a later day."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory
from reciprocity.partners.models import Partner


class AgendaSnooze(models.Model):
    """An agenda item put off until a date, with the reason. Items are addressed by their key."""

    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agenda_snoozes"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=120)
    until = models.DateField()
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["until", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["advisor", "key"], name="agendasnooze_unique_key")
        ]
        indexes = [models.Index(fields=["advisor", "until"], name="agendasnooze_advisor_until")]

    def __str__(self) -> str:
        return f"{self.key} until {self.until}"
