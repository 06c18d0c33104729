"""Centers of influence as a pipeline: partners, stage history, touches and commitments."""

from collections.abc import Callable
from typing import Any, Self

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.query import ModelIterable
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm, Team, User
from reciprocity.records import AmongIds, ArchivableQuerySet

# Free text a person types: room for any real note, bounded so that one field cannot hold
# megabytes. A form, the API and an import refuse more, naming the field.
TEXT_MAX = 2_000
NOTES_MAX = 10_000


def bounded_text(
    verbose_name: str | None = None, *, limit: int = TEXT_MAX, blank: bool = False
) -> "models.TextField[str, str]":
    return models.TextField(
        verbose_name, blank=blank, max_length=limit, validators=[MaxLengthValidator(limit)]
    )


class Stage(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    QUALIFIED = "qualified", "Qualified"
    FIRST_MEETING = "first_meeting", "First meeting"
    DUE_DILIGENCE = "due_diligence", "Due diligence"
    PROPOSED = "proposed", "Partnership proposed"
    ACTIVE = "active", "Active partner"
    CHAMPION = "champion", "Champion"
    DORMANT = "dormant", "Dormant"
    RETIRED = "retired", "Retired"


PIPELINE_STAGES = [
    Stage.IDENTIFIED,
    Stage.QUALIFIED,
    Stage.FIRST_MEETING,
    Stage.DUE_DILIGENCE,
    Stage.PROPOSED,
    Stage.ACTIVE,
    Stage.CHAMPION,
]
# Partners in these stages are the "core" an advisor should keep to a handful of.
CORE_STAGES = [Stage.PROPOSED, Stage.ACTIVE, Stage.CHAMPION]
# From the first meeting on, the partner has been met.
MET_STAGES = PIPELINE_STAGES[PIPELINE_STAGES.index(Stage.FIRST_MEETING) :]


# A pipeline stage's place (0 for identified); dormant, retired and none have none.
PIPELINE_RANK = {stage.value: rank for rank, stage in enumerate(PIPELINE_STAGES)}


def moves_back(current: str, stage: str) -> bool:
    """A move to an earlier stage of the pipeline (the side states are not on it)."""
    if current not in PIPELINE_RANK or stage not in PIPELINE_RANK:
        return False
    return PIPELINE_RANK[stage] < PIPELINE_RANK[current]


def stage_rank(field: str) -> models.Case:
    """A pipeline stage's place in SQL (0 for identified), -1 for dormant, retired or none."""
    return models.Case(
        *[
            models.When(**{field: stage}, then=models.Value(rank))
            for stage, rank in PIPELINE_RANK.items()
        ],
        default=models.Value(-1),
        output_field=models.IntegerField(),
    )


def further_stage(stage: str, other: str) -> str:
    """The later of two stages in the pipeline ("" when neither is a pipeline stage)."""
    ranked = [PIPELINE_STAGES.index(Stage(s)) for s in (stage, other) if s in PIPELINE_STAGES]
    return PIPELINE_STAGES[max(ranked)].value if ranked else ""


class FailureReason(models.TextChoices):
    WRONG_PROFESSIONAL = "wrong_professional", "Wrong professional"
    WRONG_MESSAGE = "wrong_message", "Wrong message"
    WRONG_FIRM = "wrong_firm", "Wrong firm"
    OTHER = "other", "Other"


class Profession(models.TextChoices):
    CPA = "cpa", "CPA"
    ATTORNEY = "attorney", "Attorney"
    INSURANCE_AGENT = "insurance_agent", "Insurance agent"
    BANKER = "banker", "Banker"
    BUSINESS_BROKER = "business_broker", "Business broker"
    REALTOR = "realtor", "Realtor"
    OTHER = "other", "Other"


class OrganizationSize(models.TextChoices):
    SOLO = "solo", "Solo practitioner"
    SMALL = "small", "2 to 10 people"
    MEDIUM = "medium", "11 to 50 people"
    LARGE = "large", "More than 50 people"


class Propensity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class CanDescribeValue(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown"


class ReferralProcess(models.TextChoices):
    EMAIL_THREAD = "email_thread", "Email thread"
    CONFERENCE_CALL = "conference_call", "Conference call"
    FACE_TO_FACE = "face_to_face", "Face-to-face introduction"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"
    TEXT = "text", "Text message"


class Tag(models.Model):
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], name="tag_name_unique_in_firm")
        ]

    history = HistoricalRecords(bases=[AuditedHistory])

    def __str__(self) -> str:
        return self.name


# What ``PartnerQuerySet.attaching`` runs on the partners a query fetched.
Attacher = Callable[[list["Partner"]], None]


class PartnerQuerySet(ArchivableQuerySet["Partner"]):
    """The words reads of partners are written in: ``visible_to(user).owned_by(user).live()``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._attachers: tuple[Attacher, ...] = ()

    # Django's own hook for what a chained queryset carries over (not in the type stubs).
    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]
        clone._attachers = self._attachers
        return clone

    def _fetch_all(self) -> None:
        fetched = self._result_cache is None
        super()._fetch_all()
        if fetched and self._attachers and self._iterable_class is ModelIterable:
            partners = list(self._result_cache or ())
            for attach in self._attachers:
                attach(partners)

    def attaching(self, attach: Attacher) -> Self:
        """Run ``attach`` on the partners this query fetches, once they are fetched (as
        ``prefetch_related`` does): values computed for the rows a page shows only, in one
        query of their own, whatever the book the page is cut from."""
        clone = self.all()
        clone._attachers = (*self._attachers, attach)
        return clone

    def visible_to(self, user: User) -> Self:
        """The partners ``user`` may see (``visibility``)."""
        return self.filter(self.visibility(user))

    @staticmethod
    def visibility(user: User, path: str = "") -> models.Q:
        """Access rule (one place): an advisor sees the partners they own and those shared with
        a team they belong to; a firm admin or compliance officer sees every partner of their
        firm; nobody sees anything of another firm. As conditions on the partner reached
        through ``path`` (``"partner__"`` from a record of one; none from the partner itself)."""
        if not user.is_authenticated or user.firm_id is None:
            return models.Q(**{f"{path}pk__in": []})
        firm = models.Q(**{f"{path}firm_id": user.firm_id})
        if user.sees_whole_firm:
            return firm
        # Two indexed parts, each served by its own index (owner, team): the partners they own,
        # and those of the teams they belong to, whose ids are read once (not per row).
        teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        return firm & (
            models.Q(**{f"{path}owner_id": user.pk}) | models.Q(AmongIds(f"{path}team_id", teams))
        )

    @staticmethod
    def visibility_key(user: User) -> tuple[Any, ...]:
        """All ``visible_to(user)``'s statement depends on: a statement kept compiled for
        what a user sees holds it in its key (``statements``)."""
        return (user.is_authenticated, user.pk, user.firm_id, user.sees_whole_firm)

    def owned_by(self, user: User) -> Self:
        return self.filter(owner_id=user.pk)

    def not_retired(self) -> Self:
        """Leave out the partners walked away from: what is left open with them is not work
        waiting to be done (the agenda, the board's overdue count, the cadences)."""
        return self.exclude(stage=Stage.RETIRED)


class Partner(models.Model):
    """A center of influence, as one advisor's relationship."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="partners")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partners"
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partners",
        help_text="Shared with this team's members.",
    )

    name = models.CharField(max_length=200)
    profession = models.CharField(max_length=20, choices=Profession.choices)
    profession_other = models.CharField("profession (other)", max_length=100, blank=True)
    organization = models.CharField(max_length=200, blank=True)
    organization_size = models.CharField(
        max_length=10, choices=OrganizationSize.choices, blank=True
    )
    specialties = bounded_text(blank=True)
    niche = bounded_text("clients served", blank=True)
    growth_mode = models.BooleanField(
        "firm in growth mode", null=True, blank=True, help_text="Unknown when empty."
    )
    # Null means "not assessed yet", which the API reports as null (PRODUCT.md).
    propensity_to_refer = models.CharField(  # noqa: DJ001
        max_length=10, choices=Propensity.choices, null=True, blank=True
    )
    preferred_referral_process = models.CharField(
        max_length=20, choices=ReferralProcess.choices, blank=True
    )
    preferred_contact_method = models.CharField(
        max_length=20, choices=ContactMethod.choices, blank=True
    )
    values = bounded_text("what they value", blank=True)
    can_describe_value = models.CharField(
        "can describe our value",
        max_length=10,
        choices=CanDescribeValue.choices,
        default=CanDescribeValue.UNKNOWN,
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = bounded_text(blank=True)
    website = models.URLField(blank=True)
    notes = bounded_text(blank=True, limit=NOTES_MAX)
    tags = models.ManyToManyField(Tag, blank=True, related_name="partners")

    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDENTIFIED)
    stage_changed_at = models.DateTimeField()
    # Derived from touches by the services; kept on the row so lists sort and filter cheaply.
    touch_count = models.PositiveIntegerField(default=0)
    last_touch_at = models.DateTimeField(null=True, blank=True)
    # The last live touch of each sort the keep-warm cadences count (``LAST_TOUCH_KINDS``),
    # kept with the others: a book's cadences come due from the rows, not a lookup per partner.
    last_conversation_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_meeting_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_newsletter_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The due day of the next step (the earliest open commitment), kept by the commitments'
    # writes so that the board and the list order by urgency without a lookup per partner.
    next_step_due = models.DateField(null=True, blank=True, editable=False)
    # What the funnel, the diagnoses and the balance read of the stage history, kept on the row
    # by the stage writes so that a firm's picture does not scan every move: the first move into
    # a met stage, and the furthest pipeline stage any move went to.
    first_met_at = models.DateTimeField(null=True, blank=True, editable=False)
    furthest_stage = models.CharField(
        max_length=20, choices=Stage.choices, blank=True, editable=False
    )
    # The first and the latest live referral received from the partner and the earliest sent
    # to them, kept by the referrals' writes for the same readers (the time from the first
    # meeting to the first referral; the diagnoses' verdicts: anything back, and since when).
    first_received_at = models.DateTimeField(null=True, blank=True, editable=False)
    latest_received_at = models.DateTimeField(null=True, blank=True, editable=False)
    earliest_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        help_text="The partner this one was merged into; it is archived since.",
    )

    objects = PartnerQuerySet.as_manager()

    history = HistoricalRecords(
        bases=[AuditedHistory],
        # Derived from the commitments, the moves and the referrals, whose own history tells
        # what changed.
        excluded_fields=[
            "updated_at",
            "next_step_due",
            "last_conversation_at",
            "last_meeting_at",
            "last_newsletter_at",
            "first_met_at",
            "furthest_stage",
            "first_received_at",
            "latest_received_at",
            "earliest_sent_at",
        ],
        m2m_fields=[tags],
    )

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["firm", "stage", "name"], name="partner_firm_stage_name"),
            # The lists' default order (by name) of the live partners, read in order for a big
            # book or a firm; the owner and the team in the index (after the unique id, so the
            # order is the same), for the visibility rule. Keys, not included columns: SQLite
            # has none.
            models.Index(
                fields=["firm", "name", "id", "owner", "team"],
                condition=Q(archived_at__isnull=True),
                name="partner_firm_name",
            ),
            # An advisor's own live partners counted by stage and by furthest stage (the
            # dashboard's picture and funnel) from the index alone, the visibility rule's
            # columns with them.
            models.Index(
                fields=["owner", "firm", "stage", "furthest_stage", "team"],
                condition=Q(archived_at__isnull=True),
                name="partner_owner_live_stage",
            ),
            # The same counts over a whole firm (a firm admin's dashboard and funnel).
            models.Index(
                fields=["firm", "stage", "furthest_stage"],
                condition=Q(archived_at__isnull=True),
                name="partner_firm_live_stage",
            ),
            # The funnel's time from the first meeting to the first referral, over the live
            # partners that have both: a firm's are a third of its rows.
            models.Index(
                fields=["firm", "first_met_at", "first_received_at"],
                condition=Q(
                    archived_at__isnull=True,
                    first_met_at__isnull=False,
                    first_received_at__isnull=False,
                ),
                name="partner_firm_first_referral",
            ),
            # The board's order within each stage (BOARD_ORDER), read in order for a firm.
            models.Index(
                fields=["firm", "stage", "next_step_due", "stage_changed_at", "id"],
                condition=Q(archived_at__isnull=True),
                name="partner_board_order",
            ),
            models.Index(fields=["team", "stage"], name="partner_team_stage"),
            models.Index(fields=["firm", "last_touch_at"], name="partner_firm_last_touch"),
            models.Index(fields=["firm", "organization"], name="partner_firm_organization"),
            # What changed since a sync last asked (?updated_since=), in a stable order.
            models.Index(fields=["firm", "updated_at", "id"], name="partner_firm_updated"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def profession_label(self) -> str:
        if self.profession == Profession.OTHER and self.profession_other:
            return self.profession_other
        return self.get_profession_display()


class StageChange(models.Model):
    """One move in the pipeline: an append-only record, so time in stage can be measured."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    reason = models.CharField(max_length=20, choices=FailureReason.choices, blank=True)
    note = bounded_text(blank=True)
    occurred_at = models.DateTimeField()
    # When the partner moved on: the moment of their next move (by time, then id), empty for
    # the move into their current stage. Kept by the writes that record moves
    # (``partners.services.refresh_stays``), so that time in stage is read without ordering a
    # whole scope's moves partner by partner.
    left_at = models.DateTimeField(null=True, blank=True, editable=False)
    recorded_at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stage_changes"
    )
    # The next move's own history tells when a stay ended.
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["left_at"])

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["partner", "occurred_at"], name="stagechange_partner_at"),
            # The completed stays, read from the index alone for the funnel's time in stage.
            models.Index(
                fields=["partner", "to_stage", "occurred_at", "left_at"],
                condition=Q(left_at__isnull=False),
                name="stagechange_stays",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(to_stage=Stage.RETIRED) | ~Q(reason=""),
                name="stagechange_retired_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_stage or '—'} → {self.to_stage}"


class TouchKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"
    THANK_YOU = "thank_you", "Thank-you"
    NEWSLETTER = "newsletter", "Newsletter"
    EVENT = "event", "Event"
    GIFT = "gift", "Gift"


# A partner's last touch columns and the kinds of touch each one reads (None: any kind).
LAST_TOUCH_KINDS: dict[str, tuple[str, ...] | None] = {
    "last_touch_at": None,
    # What keeps an alliance warm: every touch but a note and a newsletter.
    "last_conversation_at": (
        TouchKind.CALL,
        TouchKind.EMAIL,
        TouchKind.MEETING,
        TouchKind.EVENT,
        TouchKind.THANK_YOU,
        TouchKind.GIFT,
    ),
    "last_meeting_at": (TouchKind.MEETING,),
    "last_newsletter_at": (TouchKind.NEWSLETTER,),
}


class Touch(models.Model):
    """One logged contact with a partner. The count of conversations is a count of these."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="touches")
    kind = models.CharField(max_length=20, choices=TouchKind.choices)
    summary = models.CharField(max_length=500)
    occurred_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["updated_at"])

    objects = ArchivableQuerySet["Touch"].as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = "touches"
        indexes = [
            models.Index(fields=["partner", "occurred_at"], name="touch_partner_at"),
            # The live touches alone: a partner's last touch, or how many since a day, read
            # from the index without visiting the table (the diagnoses read them for a firm).
            models.Index(
                fields=["partner", "occurred_at"],
                name="touch_live_partner_at",
                condition=Q(archived_at__isnull=True),
            ),
            models.Index(fields=["partner", "updated_at", "id"], name="touch_partner_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class CommitmentOwner(models.TextChoices):
    ADVISOR = "advisor", "Advisor"
    PARTNER = "partner", "Partner"


class CommitmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class Commitment(models.Model):
    """A promise or action by one side. The partner's next step is its earliest open one."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="commitments")
    what = models.CharField(max_length=300)
    owner = models.CharField(max_length=10, choices=CommitmentOwner.choices)
    due = models.DateField()
    status = models.CharField(
        max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.OPEN
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    touch = models.OneToOneField(
        Touch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitment",
        help_text="The touch logged when this was completed.",
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due", "pk"]
        indexes = [
            models.Index(fields=["partner", "updated_at", "id"], name="commitment_partner_updated"),
            models.Index(fields=["partner", "status", "due"], name="commitment_partner_open_due"),
            models.Index(fields=["status", "due"], name="commitment_status_due"),
        ]

    def __str__(self) -> str:
        return self.what

    @property
    def is_open(self) -> bool:
        return self.status == CommitmentStatus.OPEN
