"""The advisor's message (whom they help, what is unique) and the checks of whether a
partner can say it back."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory
from reciprocity.partners.models import CanDescribeValue, Partner


class AdvisorProfile(models.Model):
    """What an advisor wants every partner to be able to say back, and their digest preference."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playbook_profile"
    )
    whom_i_help = models.TextField("whom I help", blank=True)
    what_is_unique = models.TextField("what is unique about me", blank=True)
    weekly_digest = models.BooleanField(
        default=True, help_text="Email me my week every Monday morning."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["updated_at"])

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def has_message(self) -> bool:
        return bool(self.whom_i_help.strip() and self.what_is_unique.strip())


class MessageCheck(models.Model):
    """One test of whether a partner can say the advisor's message back, with what they said."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="message_checks")
    result = models.CharField(
        max_length=10,
        choices=[
            (CanDescribeValue.YES, "Said it back"),
            (CanDescribeValue.NO, "Could not say it back"),
        ],
    )
    heard = models.TextField("what they said", blank=True)
    checked_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_result_display()}"
