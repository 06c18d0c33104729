"""The partner's confirmation link: a secret URL for one sent referral and one purpose.

The advisor gives the partner a link (no account needed) to confirm they received the referral
(``receipt``) or, later, to report its outcome (``outcome``: met, engaged, not a fit). Only a
SHA-256 of the secret is stored; the URL is shown once. A link works once, until it expires
(``PARTNER_LINK_DAYS``) or the advisor revokes it, and a referral takes one answer per purpose.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory
from reciprocity.partners.models import Touch


class LinkPurpose(models.TextChoices):
    RECEIPT = "receipt", "Confirm receipt"
    OUTCOME = "outcome", "Report the outcome"


class PartnerAnswer(models.TextChoices):
    RECEIVED = "received", "Received"
    MET = "met", "We met"
    ENGAGED = "engaged", "Engaged"
    NOT_A_FIT = "not_a_fit", "Not a fit"


class ReferralLink(models.Model):
    """One link for the partner of a sent referral (see module docs)."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="links"
    )
    purpose = models.CharField(max_length=10, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The partner's answer, their note, and what it did to the referral.
    answer = models.CharField(max_length=12, choices=PartnerAnswer.choices, blank=True)
    note = models.TextField(blank=True)
    moved_to = models.CharField(
        max_length=20, blank=True, help_text="The status the answer moved the referral to."
    )
    held_reason = models.TextField(
        blank=True, help_text="Why the answer left the referral's status where it was."
    )
    touch = models.OneToOneField(
        Touch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral_link",
        help_text="The touch logged on the partner's timeline when the partner answered.",
    )
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | ~Q(answer=""),
                name="referrallink_used_has_answer",
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True),
                name="referrallink_used_or_revoked",
            ),
            # One answer per purpose: a second receipt or outcome link cannot be used.
            models.UniqueConstraint(
                fields=["referral", "purpose"],
                condition=Q(used_at__isnull=False),
                name="referrallink_one_answer_per_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for referral {self.referral_id}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
