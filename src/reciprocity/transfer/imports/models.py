"""An import as a record: who brought which file in, when, how far it got and what it did; and
the ids partners carry in the systems they came from, so a later import updates them."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm
from reciprocity.partners.models import Partner


class ImportStatus(models.TextChoices):
    DRAFT = "draft", "Mapping to confirm"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Imported"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


FINISHED = (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)


class ImportRunQuerySet(models.QuerySet["ImportRun"]):
    def started_by(self, user: models.Model) -> "ImportRunQuerySet":
        """An import is its advisor's: nobody else reads its refused rows."""
        return self.filter(by_id=user.pk)


class ImportRun(models.Model):
    """One import of a partners file (and maybe a touches file), run by the worker."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="import_runs")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_runs"
    )
    file_name = models.CharField(max_length=255)
    touches_file_name = models.CharField(max_length=255, blank=True)
    preset = models.CharField(max_length=20, blank=True)
    # Column -> field, as confirmed on the mapping step (or read from a mapping file), and the
    # value maps (field -> {source value: slug}).
    mapping = models.JSONField(default=dict, blank=True)
    values = models.JSONField(default=dict, blank=True)
    # The files themselves until the run ends: every worker host reads the same database, not
    # the same disk.
    data = models.BinaryField(default=b"", editable=False)
    touches_data = models.BinaryField(default=b"", editable=False)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.DRAFT
    )
    total = models.PositiveIntegerField(default=0, help_text="Rows in the file, once counted.")
    progress = models.PositiveIntegerField(default=0, help_text="Rows read so far.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    touches_created = models.PositiveIntegerField(default=0)
    refused = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(
        bases=[AuditedHistory], excluded_fields=["data", "touches_data", "progress", "refused"]
    )

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def is_draft(self) -> bool:
        return self.status == ImportStatus.DRAFT

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return min(99, self.progress * 100 // self.total) if self.total else 0


class ExternalId(models.Model):
    """The id a partner has in the system it was imported from (a Redtail contact id...)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="external_ids")
    # The owner repeated, so an id is unique in one advisor's book whatever the partner.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20)
    external_id = models.CharField(max_length=100)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "source", "external_id"], name="external_id_unique_per_owner"
            ),
            models.UniqueConstraint(
                fields=["partner", "source"], name="external_id_one_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"
