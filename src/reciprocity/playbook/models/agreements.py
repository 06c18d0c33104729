"""The written agreement of a partnership, and the promises each side makes in it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory
from reciprocity.partners.models import Commitment, CommitmentOwner, Partner, ReferralProcess
from reciprocity.playbook.models.meetings import Meeting


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"
    ENDED = "ended", "Ended"


class Agreement(models.Model):
    """The written outcome of the partnership meeting. One active per partner; older ones stay."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(
        max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="agreements"
    )
    referral_process = models.CharField(max_length=20, choices=ReferralProcess.choices)
    keep_in_touch = models.TextField("keep-in-touch plan")
    agreed_on = models.DateField()
    next_review = models.DateField()
    review_commitment = models.OneToOneField(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-agreed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status="active"),
                name="agreement_one_active_per_partner",
            )
        ]

    def __str__(self) -> str:
        return f"Agreement with {self.partner} ({self.agreed_on})"


class AgreementPromise(models.Model):
    """What one side will do; each promise is tracked as a commitment."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="promises")
    owner = models.CharField(max_length=10, choices=CommitmentOwner.choices)
    what = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    commitment = models.OneToOneField(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="promise"
    )
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["agreement", "owner", "position", "pk"]

    def __str__(self) -> str:
        return self.what
