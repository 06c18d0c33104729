"""A diagnosis an advisor dismissed, with the reason, until its evidence changes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory
from reciprocity.partners.models import Partner
from reciprocity.records import ArchivableQuerySet


class Dismissal(models.Model):
    """One partner's diagnosis set aside: it stays hidden while its evidence reads the same
    (``fingerprint``), and shows again once the evidence changes. A later dismissal of the same
    diagnosis archives this one; nothing is deleted."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="dismissals")
    slug = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64)
    reason = models.CharField(max_length=500)
    evidence = models.JSONField(default=list)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    dismissed_at = models.DateTimeField()
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    objects = ArchivableQuerySet["Dismissal"].as_manager()

    class Meta:
        ordering = ["partner", "slug", "-dismissed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "slug"],
                condition=Q(archived_at__isnull=True),
                name="dismissal_one_live_per_diagnosis",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.slug} dismissed"
