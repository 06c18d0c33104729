"""Meeting plans (a firm's template per kind of meeting) and the meetings held against them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm
from reciprocity.partners.models import Partner, Stage, Touch


class MeetingKind(models.TextChoices):
    FIRST = "first_meeting", "First meeting"
    DUE_DILIGENCE = "due_diligence", "Due-diligence meeting"
    PARTNERSHIP = "partnership", "Partnership meeting"
    ANNUAL_REVIEW = "annual_review", "Annual review"
    CLIENT_EVENT = "client_event", "Co-hosted client event"
    JOINT_REVIEW = "joint_review", "Joint client review"
    OTHER = "other", "Other meeting"


# The meeting each pipeline stage is working towards.
MEETING_FOR_STAGE: dict[str, str] = {
    Stage.IDENTIFIED: MeetingKind.FIRST,
    Stage.QUALIFIED: MeetingKind.FIRST,
    Stage.FIRST_MEETING: MeetingKind.FIRST,
    Stage.DUE_DILIGENCE: MeetingKind.DUE_DILIGENCE,
    Stage.PROPOSED: MeetingKind.PARTNERSHIP,
    Stage.ACTIVE: MeetingKind.ANNUAL_REVIEW,
    Stage.CHAMPION: MeetingKind.ANNUAL_REVIEW,
}


class ProfileField(models.TextChoices):
    """Partner profile fields a meeting question can fill as it is answered."""

    NICHE = "niche", "Clients served"
    SPECIALTIES = "specialties", "Specialties"
    VALUES = "values", "What they value"
    ORGANIZATION_SIZE = "organization_size", "Firm size"
    GROWTH_MODE = "growth_mode", "Firm in growth mode"
    PROPENSITY_TO_REFER = "propensity_to_refer", "Propensity to refer"
    PREFERRED_REFERRAL_PROCESS = "preferred_referral_process", "Preferred referral process"
    PREFERRED_CONTACT_METHOD = "preferred_contact_method", "Preferred contact method"
    CAN_DESCRIBE_VALUE = "can_describe_value", "Can describe our value"


class MeetingPlan(models.Model):
    """A firm's template for one kind of meeting: its purpose, length and what to cover."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="meeting_plans")
    kind = models.CharField(max_length=20, choices=MeetingKind.choices)
    name = models.CharField(max_length=120)
    purpose = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        default=45, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["firm", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "kind"], name="meetingplan_one_per_kind")
        ]

    def __str__(self) -> str:
        return self.name


class MeetingPlanItem(models.Model):
    """One point to cover; when it names a profile field, its answer fills the partner's profile."""

    plan = models.ForeignKey(MeetingPlan, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    prompt = models.CharField(max_length=500)
    guidance = models.TextField(blank=True)
    profile_field = models.CharField(max_length=40, choices=ProfileField.choices, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["plan", "position", "pk"]

    def __str__(self) -> str:
        return self.prompt


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Meeting(models.Model):
    """A meeting with a partner, usually against a plan; holding it logs a touch."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=20, choices=MeetingKind.choices)
    plan = models.ForeignKey(
        MeetingPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    scheduled_for = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        default=45, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    held_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)
    touch = models.OneToOneField(
        Touch, on_delete=models.SET_NULL, null=True, blank=True, related_name="meeting"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["scheduled_for", "pk"]
        indexes = [
            models.Index(fields=["partner", "status", "scheduled_for"], name="meeting_partner_due"),
            # The agenda's meetings: the planned ones by day, whoever's partner.
            models.Index(fields=["status", "scheduled_for", "partner"], name="meeting_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.partner}"


class MeetingPoint(models.Model):
    """A plan item as copied into one meeting (editing the template later changes nothing here),
    with whether it was covered and the answer."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="points")
    plan_item = models.ForeignKey(
        MeetingPlanItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)
    prompt = models.CharField(max_length=500)
    profile_field = models.CharField(max_length=40, choices=ProfileField.choices, blank=True)
    covered = models.BooleanField(default=False)
    answer = models.TextField(blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["meeting", "position", "pk"]

    def __str__(self) -> str:
        return self.prompt
