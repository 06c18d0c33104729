"""The playbook: how an advisor runs each partner once the pipeline has found them.

Meeting plans per stage, the written agreement, the keep-warm cadence, the referral strategy with
its working tools (client concerns, anonymous client cases, joint client work) and the
opportunities they produce, the advisor's message, and the private calendar feed.
"""

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm
from reciprocity.partners.models import (
    CanDescribeValue,
    Commitment,
    CommitmentOwner,
    Partner,
    ReferralProcess,
    Stage,
    Touch,
    TouchKind,
)

# --- The advisor's message ------------------------------------------------------------------


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


# --- Meeting plans and meetings -------------------------------------------------------------


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
            models.Index(fields=["partner", "status", "scheduled_for"], name="meeting_partner_due")
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


# --- Agreements -----------------------------------------------------------------------------


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


# --- Cadences -------------------------------------------------------------------------------


class CadenceKind(models.TextChoices):
    TOUCH_BASE = "touch_base", "Touch base"
    ANNUAL_REVIEW = "annual_review", "Review meeting"
    NEWSLETTER = "newsletter", "Newsletter list"


# The touches that count for each cadence: the last one sets when the next is due.
CADENCE_TOUCH_KINDS: dict[str, tuple[str, ...]] = {
    CadenceKind.TOUCH_BASE: (
        TouchKind.CALL,
        TouchKind.EMAIL,
        TouchKind.MEETING,
        TouchKind.EVENT,
        TouchKind.THANK_YOU,
        TouchKind.GIFT,
    ),
    CadenceKind.ANNUAL_REVIEW: (TouchKind.MEETING,),
    CadenceKind.NEWSLETTER: (TouchKind.NEWSLETTER,),
}
# The touch logged when a cadence item is completed without saying how.
CADENCE_COMPLETION_TOUCH: dict[str, str] = {
    CadenceKind.TOUCH_BASE: TouchKind.CALL,
    CadenceKind.ANNUAL_REVIEW: TouchKind.MEETING,
    CadenceKind.NEWSLETTER: TouchKind.NEWSLETTER,
}


def _interval_field() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        "every (months)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
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


# --- The agenda -----------------------------------------------------------------------------


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


# --- Referral strategies --------------------------------------------------------------------


class Strategy(models.TextChoices):
    """The influencer referral spectrum, from the least to the most sophisticated."""

    CLIENT_REQUESTED = "client_requested", "Client-requested referral"
    CLIENT_COMPLAINTS = "client_complaints", "Harvesting client complaints"
    IDENTIFIED_PROBLEMS = "identified_problems", "Professionally identified problems"
    TALK_CLIENTS = "talk_clients", "Talk clients, not concepts"
    JOINT_CLIENT_WORK = "joint_client_work", "Co-hosted client events and joint reviews"


STRATEGY_RUNGS = {strategy: rung for rung, strategy in enumerate(Strategy, start=1)}


class PartnerStrategy(models.Model):
    """A switch of the strategy run with a partner; the latest is the current one."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="strategies")
    strategy = models.CharField(max_length=24, choices=Strategy.choices)
    started_at = models.DateTimeField()
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name_plural = "partner strategies"
        indexes = [models.Index(fields=["partner", "started_at"], name="strategy_partner_at")]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_strategy_display()}"


class Topic(models.TextChoices):
    RETIREMENT = "retirement", "Retirement"
    BUSINESS_OWNER = "business_owner", "Business owner"
    ESTATE = "estate", "Estate"
    TAX = "tax", "Tax"
    INSURANCE = "insurance", "Insurance"


class Solution(models.Model):
    """An entry of the firm's "what we solve" library: a problem clients have and our answer."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="solutions")
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=20, choices=Topic.choices, blank=True)
    problem = models.TextField(help_text="The problem as clients describe it.")
    approach = models.TextField("how we solve it")
    keywords = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated words that signal this problem."
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "title"], name="solution_title_unique_in_firm")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip().lower() for word in self.keywords.split(",") if word.strip()]


class ConcernSource(models.TextChoices):
    CLIENT_COMPLAINT = "client_complaint", "A client's complaint"
    IDENTIFIED_PROBLEM = "identified_problem", "A problem the partner sees"


STRATEGY_OF_CONCERN = {
    ConcernSource.CLIENT_COMPLAINT: Strategy.CLIENT_COMPLAINTS,
    ConcernSource.IDENTIFIED_PROBLEM: Strategy.IDENTIFIED_PROBLEMS,
}


class ConcernStatus(models.TextChoices):
    OPEN = "open", "Open"
    MATCHED = "matched", "Matched"
    DISMISSED = "dismissed", "Dismissed"


class ClientConcern(models.Model):
    """A concern a partner's client voiced, or a problem the partner sees in a client's affairs."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="concerns")
    source = models.CharField(max_length=20, choices=ConcernSource.choices)
    description = models.TextField()
    topic = models.CharField(max_length=20, choices=Topic.choices, blank=True)
    heard_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=ConcernStatus.choices, default=ConcernStatus.OPEN
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-heard_on", "-pk"]

    def __str__(self) -> str:
        return self.description[:80]


class DiagnosticQuestion(models.Model):
    """A question of the firm's bank, asked about a partner's anonymous client."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="diagnostic_questions")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["topic", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "topic", "text"], name="question_unique_in_topic"
            )
        ]

    def __str__(self) -> str:
        return self.text


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"


class ClientCase(models.Model):
    """One of the partner's top clients, described without a name, to diagnose and solve."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="client_cases")
    alias = models.CharField(max_length=80, help_text="A label, never the client's name.")
    description = models.TextField()
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    solution = models.TextField("prepared solution", blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.alias


class CaseQuestion(models.Model):
    """A diagnostic question as asked about one case (copied from the bank), and its answer."""

    case = models.ForeignKey(ClientCase, on_delete=models.CASCADE, related_name="questions")
    question = models.ForeignKey(
        DiagnosticQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    topic = models.CharField(max_length=20, choices=Topic.choices)
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)
    answer = models.TextField(blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["case", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class OpportunityStatus(models.TextChoices):
    OPEN = "open", "Awaiting the meeting request"
    MEETING_REQUESTED = "meeting_requested", "Meeting requested"
    REFERRED = "referred", "Referred"
    DECLINED = "declined", "Declined"


OPEN_OPPORTUNITY_STATUSES = [OpportunityStatus.OPEN, OpportunityStatus.MEETING_REQUESTED]


class Opportunity(models.Model):
    """A chance to be introduced to a partner's client, produced by a strategy.

    It ends in a meeting request and, with luck, a received referral: linked here, the referral
    marks the opportunity referred, so each strategy's yield counts referrals and new clients.
    """

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="opportunities")
    strategy = models.CharField(max_length=24, choices=Strategy.choices)
    title = models.CharField(max_length=200)
    proposal = models.TextField("what we bring to the partner", blank=True)
    status = models.CharField(
        max_length=20, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    concern = models.ForeignKey(
        ClientConcern,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    solution = models.ForeignKey(
        Solution, on_delete=models.PROTECT, null=True, blank=True, related_name="opportunities"
    )
    case = models.OneToOneField(
        ClientCase, on_delete=models.PROTECT, null=True, blank=True, related_name="opportunity"
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        help_text="The co-hosted event or joint review it came from.",
    )
    ask_by = models.DateField("ask for the meeting by")
    meeting_requested_at = models.DateTimeField(null=True, blank=True)
    request_touch = models.OneToOneField(
        Touch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.TextField(blank=True)
    # The received referral it produced. By name, so the referrals app knows nothing of this one.
    # Nothing deletes a referral but the retention purge of archived ones: the opportunity is not
    # part of its referral, so it stays, referred and unlinked (PROTECT would purge it too).
    referral = models.OneToOneField(
        "referrals.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunity",
        help_text="The referral received from the partner that this opportunity produced.",
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["ask_by", "pk"]
        verbose_name_plural = "opportunities"
        indexes = [models.Index(fields=["partner", "status"], name="opportunity_partner_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["concern", "solution"], name="opportunity_one_per_concern_solution"
            ),
            models.CheckConstraint(
                condition=Q(referral__isnull=True) | Q(status=OpportunityStatus.REFERRED),
                name="opportunity_linked_is_referred",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# --- The calendar feed ----------------------------------------------------------------------


class CalendarFeed(models.Model):
    """A private calendar subscription URL. Only a SHA-256 of the secret is stored."""

    PREFIX = "cal_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed {self.hint}…"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
