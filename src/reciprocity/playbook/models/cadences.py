"""The keep-warm rhythm: the firm's defaults per stage and an advisor's overrides per partner."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm
from reciprocity.partners.models import LAST_TOUCH_KINDS, Partner, Stage, TouchKind


class CadenceKind(models.TextChoices):
    TOUCH_BASE = "touch_base", "Touch base"
    ANNUAL_REVIEW = "annual_review", "Review meeting"
    NEWSLETTER = "newsletter", "Newsletter list"


# The partner's column holding the last touch that counts for each cadence: the last one sets
# when the next is due.
CADENCE_LAST_TOUCH: dict[str, str] = {
    CadenceKind.TOUCH_BASE: "last_conversation_at",
    CadenceKind.ANNUAL_REVIEW: "last_meeting_at",
    CadenceKind.NEWSLETTER: "last_newsletter_at",
}
# The touches that count for each cadence: those its column reads.
CADENCE_TOUCH_KINDS: dict[str, tuple[str, ...]] = {
    kind: kinds
    for kind, column in CADENCE_LAST_TOUCH.items()
    if (kinds := LAST_TOUCH_KINDS[column])
}

# The touch logged when a cadence item is completed without saying how.
CADENCE_COMPLETION_TOUCH: dict[str, str] = {
    CadenceKind.TOUCH_BASE: TouchKind.CALL,
    CadenceKind.ANNUAL_REVIEW: TouchKind.MEETING,
    CadenceKind.NEWSLETTER: TouchKind.NEWSLETTER,
}


# A cadence comes round every 1 to 36 months: the one statement of the rule, for the models, the
# services, the forms and the API.
INTERVAL_MIN_MONTHS = 1
INTERVAL_MAX_MONTHS = 36
INTERVAL_RANGE = f"An interval is {INTERVAL_MIN_MONTHS} to {INTERVAL_MAX_MONTHS} months."


def validate_interval_months(months: int) -> None:
    if not INTERVAL_MIN_MONTHS <= months <= INTERVAL_MAX_MONTHS:
        raise ValidationError(INTERVAL_RANGE, code="interval_range")


def _interval_field() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        "every (months)",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(INTERVAL_MIN_MONTHS),
            MaxValueValidator(INTERVAL_MAX_MONTHS),
        ],
        help_text="Empty for a membership with no due date (the newsletter list).",
    )


class CadenceDefault(models.Model):
    """The firm's keep-warm rhythm for partners in one stage; a row per kind that applies."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="cadence_defaults")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    kind = models.CharField(max_length=20, choices=CadenceKind.choices)
    interval_months = _interval_field()
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["firm", "stage", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "stage", "kind"], name="cadencedefault_unique_kind_per_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.get_kind_display()}"


class Cadence(models.Model):
    """An advisor's override of one cadence kind for one partner (off, or another interval)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="cadences")
    kind = models.CharField(max_length=20, choices=CadenceKind.choices)
    enabled = models.BooleanField(default=True)
    interval_months = _interval_field()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["updated_at"])

    class Meta:
        ordering = ["partner", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "kind"], name="cadence_unique_kind")
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_kind_display()}"
