"""The audit trail is the history every model keeps (django-simple-history, see
accounts/audit.py); this app reads it, records the one thing that removes records (a purge of
archived records past the firm's retention period), and keeps the trail tamper-evident: every
history row is a link of its firm's hash chain (ChainLink), checked by a verification."""

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
    purged_links = models.JSONField(
        default=list,
        help_text="The chain links whose entries were purged: [seq, entry hash] pairs.",
    )
    signature = models.CharField(
        max_length=64, blank=True, help_text="HMAC of what was purged, by whom, when and why."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Purge of {self.created_at:%Y-%m-%d}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class ChainHead(models.Model):
    """The end of one firm's chain (``chain`` is the firm's id, 0 for records of no firm): the
    row writers lock so that links are appended one at a time, without forks or gaps."""

    chain = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"Chain {self.chain} at {self.seq}"


class ChainLink(models.Model):
    """One audit entry (a history row of ``model``, id ``entry_id``) in its firm's chain: the
    hash of its content, the hash of the link before, and the hash of both."""

    firm = models.ForeignKey(
        Firm, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seq = models.BigIntegerField()
    model = models.CharField(max_length=100, help_text="Label of the audited model.")
    entry_id = models.BigIntegerField(help_text="The history row's id.")
    at = models.DateTimeField(help_text="When the entry was recorded.")
    fields = models.TextField(help_text="The columns its content covers, comma-separated.")
    entry_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["firm", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "seq"],
                condition=models.Q(firm__isnull=False),
                name="chain_link_seq_unique_in_firm",
            ),
            models.UniqueConstraint(
                fields=["seq"],
                condition=models.Q(firm__isnull=True),
                name="chain_link_seq_unique_without_firm",
            ),
        ]
        indexes = [models.Index(fields=["model", "entry_id"], name="chain_link_entry")]

    def __str__(self) -> str:
        return f"Link {self.seq} of {self.firm_id or 'no firm'}"


VERIFIED_FROM = [
    ("web", "web"),
    ("api", "API"),
    ("cli", "command line"),
    ("import", "import"),
    ("email", "email"),
    ("system", "system"),
]


class ChainVerification(models.Model):
    """A check of one firm's chain: when, by whom and from where, and what it found."""

    firm = models.ForeignKey(
        Firm, null=True, blank=True, on_delete=models.PROTECT, related_name="verifications"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(max_length=10, choices=VERIFIED_FROM)
    at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    entries = models.PositiveIntegerField(default=0)
    problems = models.PositiveIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    first_broken = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Verification of {self.at:%Y-%m-%d %H:%M}: {'holds' if self.ok else 'broken'}"
