"""The two-way referral ledger and the protocol for sending a referral.

A referral goes in one of two directions: ``sent`` (advisor → partner) or ``received`` (partner →
advisor), and is of one of two kinds: a ``referral`` (a prospect or client with a need) or a
``connection`` (an introduction that is not a prospect: into an association, to a better-fit
colleague). Its status moves along a lifecycle chosen by direction and kind (``LIFECYCLES``):

- sent referral: proposed → consent_given → introduced → meeting_held → engaged
- received referral: received → contacted → meeting_held → became_client
- sent connection: proposed → introduced → meeting_held
- received connection: received → contacted → meeting_held

A status may move forward along its path, skipping steps (the advisor may record what already
happened), or end in failure from any open status: ``declined`` or ``lost`` for sent ones,
``not_a_fit`` or ``lost`` for received ones; a failure needs a reason. The last status of the path
and the failures are closed: nothing moves out of them. Connections have the shorter path because
there is no client to engage: the meeting they lead to is the success. A sent referral reaches
``consent_given`` and everything after it (the introduction puts the client in front of the
partner) only with the client's consent recorded; the database refuses anything else. Completing
a protocol step moves the status where the step implies it (``STATUS_AFTER_STEP``). Every change
is a dated ``ReferralStatusChange``.

Privacy: a sent referral carries the client's identity (``client_name``, ``client_contact``) only
once the client's consent is recorded (``consent_at``, ``consent_method``); the database refuses
anything else. Until then the partner gets a hypothetical memo that identifies no one.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm
from reciprocity.choices import unknown_choice_message
from reciprocity.partners.models import (
    NOTES_MAX,
    Commitment,
    Partner,
    Profession,
    Touch,
    TouchKind,
    bounded_text,
)
from reciprocity.records import ArchivableQuerySet


class Direction(models.TextChoices):
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"


class Kind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    CONNECTION = "connection", "Connection"


class ReferralStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONSENT_GIVEN = "consent_given", "Consent given"
    INTRODUCED = "introduced", "Introduced"
    RECEIVED = "received", "Received"
    CONTACTED = "contacted", "Contacted"
    MEETING_HELD = "meeting_held", "Meeting held"
    ENGAGED = "engaged", "Engaged"
    BECAME_CLIENT = "became_client", "Became a client"
    DECLINED = "declined", "Declined"
    NOT_A_FIT = "not_a_fit", "Not a fit"
    LOST = "lost", "Lost"


# Failures end a referral and always carry a reason.
FAILURE_STATUSES = (ReferralStatus.DECLINED, ReferralStatus.NOT_A_FIT, ReferralStatus.LOST)


@dataclass(frozen=True)
class Lifecycle:
    """The forward path of statuses (first is the initial one, last the success) and failures."""

    path: tuple[str, ...]
    failures: tuple[str, ...]
    # Statuses that put the client's identity in the partner's hands: reached only with consent.
    needs_consent: tuple[str, ...] = ()

    @property
    def initial(self) -> str:
        return self.path[0]

    @property
    def success(self) -> str:
        return self.path[-1]

    @property
    def statuses(self) -> tuple[str, ...]:
        return self.path + self.failures

    @property
    def closed(self) -> tuple[str, ...]:
        return (self.success, *self.failures)

    def allowed_from(self, status: str) -> tuple[str, ...]:
        if status in self.closed or status not in self.path:
            return ()
        return self.path[self.path.index(status) + 1 :] + self.failures

    def way_to(self, status: str, target: str) -> tuple[str, ...]:
        """The path from just after ``status`` up to ``target``; empty unless it lies ahead."""
        if target in self.failures or target not in self.allowed_from(status):
            return ()
        return self.path[self.path.index(status) + 1 : self.path.index(target) + 1]


LIFECYCLES: dict[tuple[str, str], Lifecycle] = {
    (Direction.SENT, Kind.REFERRAL): Lifecycle(
        path=(
            ReferralStatus.PROPOSED,
            ReferralStatus.CONSENT_GIVEN,
            ReferralStatus.INTRODUCED,
            ReferralStatus.MEETING_HELD,
            ReferralStatus.ENGAGED,
        ),
        failures=(ReferralStatus.DECLINED, ReferralStatus.LOST),
        needs_consent=(
            ReferralStatus.CONSENT_GIVEN,
            ReferralStatus.INTRODUCED,
            ReferralStatus.MEETING_HELD,
            ReferralStatus.ENGAGED,
        ),
    ),
    (Direction.RECEIVED, Kind.REFERRAL): Lifecycle(
        path=(
            ReferralStatus.RECEIVED,
            ReferralStatus.CONTACTED,
            ReferralStatus.MEETING_HELD,
            ReferralStatus.BECAME_CLIENT,
        ),
        failures=(ReferralStatus.NOT_A_FIT, ReferralStatus.LOST),
    ),
    (Direction.SENT, Kind.CONNECTION): Lifecycle(
        path=(ReferralStatus.PROPOSED, ReferralStatus.INTRODUCED, ReferralStatus.MEETING_HELD),
        failures=(ReferralStatus.DECLINED, ReferralStatus.LOST),
    ),
    (Direction.RECEIVED, Kind.CONNECTION): Lifecycle(
        path=(ReferralStatus.RECEIVED, ReferralStatus.CONTACTED, ReferralStatus.MEETING_HELD),
        failures=(ReferralStatus.NOT_A_FIT, ReferralStatus.LOST),
    ),
}


def lifecycle_of(direction: str, kind: str) -> Lifecycle:
    return LIFECYCLES[(direction, kind)]


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown"


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", "Verbally (in person or by phone)"
    WRITTEN = "written", "In writing (signed form)"
    EMAIL = "email", "By email"
    OTHER = "other", "Other"


class Referral(models.Model):
    """One person or opportunity passed between the advisor and a partner (see module docs)."""

    # The partner's firm, kept on the row so firm-wide reports need no join.
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.REFERRAL)
    need = models.CharField("need or topic", max_length=300)
    notes = bounded_text(blank=True, limit=NOTES_MAX)

    # Identity of the person referred: for a sent referral, only once consent is recorded.
    client_name = models.CharField("client or prospect", max_length=200, blank=True)
    client_contact = models.CharField("contact details", max_length=300, blank=True)
    consent_at = models.DateTimeField("consent recorded at", null=True, blank=True)
    consent_method = models.CharField(max_length=10, choices=ConsentMethod.choices, blank=True)

    # The questions to answer before sending (seed 001 and its comment).
    client_has_professional = models.CharField(
        "client already has such a professional",
        max_length=10,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    existing_relationship = bounded_text("that relationship", blank=True)
    consultation_fee = models.CharField(
        "fee for an initial consultation",
        max_length=10,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    consultation_fee_note = models.CharField("fee details", max_length=200, blank=True)
    estimated_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    status_changed_at = models.DateTimeField()
    occurred_at = models.DateTimeField(help_text="When the referral was sent or received.")
    # Set by the services when the status reaches a closed one; open referrals have none.
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = bounded_text(blank=True)
    # Set when the partner confirms, through their link, that they received the referral.
    receipt_confirmed_at = models.DateTimeField(
        "partner confirmed receipt at", null=True, blank=True
    )

    # Follow-ups prompted when a referral is received.
    thank_you_commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    report_back_commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ArchivableQuerySet["Referral"].as_manager()
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            # A partner's live referrals each way and of each kind, from the index alone: the
            # balance, the verdicts' counts over a window, the latest received. The archived
            # ones count nowhere, and a partner's whole list has the partner's own index.
            models.Index(
                fields=["partner", "direction", "kind", "occurred_at"],
                condition=Q(archived_at__isnull=True),
                name="referral_partner_live",
            ),
            # A list of the referrals of an advisor's partners, newest first, counted and its
            # page's keys found from the index alone (the firm is checked there too).
            models.Index(
                fields=["partner", "occurred_at", "id", "firm"],
                condition=Q(archived_at__isnull=True),
                name="referral_partner_recent",
            ),
            models.Index(fields=["firm", "occurred_at"], name="referral_firm_at"),
            # The live referrals of a whole scope counted by direction and kind (the
            # dashboard's flows and balance, its top partners, the strategies' yield) from the
            # index alone, each pair's from a day on; PostgreSQL otherwise walks the table.
            models.Index(
                fields=["direction", "kind", "occurred_at", "partner", "status", "id"],
                condition=Q(archived_at__isnull=True),
                name="referral_live_flow",
            ),
            models.Index(fields=["firm", "status"], name="referral_firm_status"),
            models.Index(fields=["firm", "updated_at", "id"], name="referral_firm_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(direction=Direction.SENT)
                | Q(consent_at__isnull=False)
                | (Q(client_name="") & Q(client_contact="")),
                name="referral_sent_identity_needs_consent",
            ),
            models.CheckConstraint(
                condition=Q(consent_at__isnull=True) | ~Q(consent_method=""),
                name="referral_consent_has_method",
            ),
            models.CheckConstraint(
                condition=Q(consent_at__isnull=False)
                | ~Q(
                    *[
                        Q(direction=direction, kind=kind, status__in=lifecycle.needs_consent)
                        for (direction, kind), lifecycle in LIFECYCLES.items()
                        if lifecycle.needs_consent
                    ],
                    _connector=Q.OR,
                ),
                name="referral_introduction_needs_consent",
            ),
            models.CheckConstraint(
                condition=Q(
                    *[
                        Q(direction=direction, kind=kind, status__in=lifecycle.statuses)
                        for (direction, kind), lifecycle in LIFECYCLES.items()
                    ],
                    _connector=Q.OR,
                ),
                name="referral_status_fits_lifecycle",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=FAILURE_STATUSES) | ~Q(outcome_reason=""),
                name="referral_failure_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__isnull=True) | Q(estimated_value__gte=0),
                name="referral_value_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_kind_display().lower()}: {self.need}"

    @property
    def lifecycle(self) -> Lifecycle:
        return lifecycle_of(self.direction, self.kind)

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None

    @property
    def may_identify_client(self) -> bool:
        """Received referrals come with a name; a sent one carries it only with consent."""
        return self.direction == Direction.RECEIVED or self.has_consent

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ReferralStatusChange(models.Model):
    """One dated move of a referral's status; append-only, so outcomes are measured, not typed."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    reason = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [
            models.Index(fields=["referral", "occurred_at"], name="referralstatus_referral_at")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(to_status__in=FAILURE_STATUSES) | ~Q(reason=""),
                name="referralstatus_failure_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_status or '—'} → {self.to_status}"


class StepSlug(models.TextChoices):
    CALL = "call", "Call the partner about the client"
    EMAIL = "email", "Email notes and next steps"
    ESCORT = "escort", "Escort the client to the first meeting"
    CONFERENCE_CALL = "conference_call", "Hold a conference call with the client and the partner"
    THANK_YOU = "thank_you", "Send a thank-you note for their professionalism"
    CHECK_IN = "check_in", "Check in when the work is complete"


# Each completed step is a touch of this kind on the partner's timeline.
TOUCH_KIND_FOR_STEP: dict[str, str] = {
    StepSlug.CALL: TouchKind.CALL,
    StepSlug.EMAIL: TouchKind.EMAIL,
    StepSlug.ESCORT: TouchKind.MEETING,
    StepSlug.CONFERENCE_CALL: TouchKind.CALL,
    StepSlug.THANK_YOU: TouchKind.THANK_YOU,
    StepSlug.CHECK_IN: TouchKind.CALL,
}

# How far a sent referral has come once a step is done: the escort is the introduction and the
# first meeting, the conference call (for attorneys) the introduction, a thank-you follows one,
# and the check-in comes when the partner's work for the client is complete. Reaching a status
# passes through those before it on the path; doing a step never moves a referral backwards.
STATUS_AFTER_STEP: dict[str, str] = {
    StepSlug.ESCORT: ReferralStatus.MEETING_HELD,
    StepSlug.CONFERENCE_CALL: ReferralStatus.INTRODUCED,
    StepSlug.THANK_YOU: ReferralStatus.INTRODUCED,
    StepSlug.CHECK_IN: ReferralStatus.ENGAGED,
}

# A referral recorded more than this many days after it happened is history being entered: it
# prompts no follow-ups, and its protocol steps stay off the agenda until one of them is worked.
HISTORY_AFTER_DAYS = 30

# When each step of a sent referral falls due: this many days after the later of the day the
# referral was made and the day the steps before it were finished (done or skipped). Call the
# partner the day the referral is made and email the notes the next day; the introduction (an
# escort, or a conference call for attorneys) within two weeks; the thank-you note two days after
# it; the check-in a month later, when the partner's work should be complete. The agenda lists the
# next open step of every referral in flight on this day.
STEP_DUE_AFTER_DAYS: dict[str, int] = {
    StepSlug.CALL: 0,
    StepSlug.EMAIL: 1,
    StepSlug.ESCORT: 14,
    StepSlug.CONFERENCE_CALL: 14,
    StepSlug.THANK_YOU: 2,
    StepSlug.CHECK_IN: 30,
}


def step_due(slug: str, *, referral_day: dt.date, finished_day: dt.date | None) -> dt.date:
    """The day a step falls due (see STEP_DUE_AFTER_DAYS): ``referral_day`` is the day the
    referral was made, ``finished_day`` the day the steps before it were finished (None for the
    first step)."""
    start = max(referral_day, finished_day) if finished_day else referral_day
    return start + dt.timedelta(days=STEP_DUE_AFTER_DAYS[slug])


DEFAULT_PROTOCOL = (
    StepSlug.CALL,
    StepSlug.EMAIL,
    StepSlug.ESCORT,
    StepSlug.THANK_YOU,
    StepSlug.CHECK_IN,
)
# A third party in the room can break attorney-client confidentiality: offer a call instead.
PROFESSION_PROTOCOLS: dict[str, tuple[StepSlug, ...]] = {
    Profession.ATTORNEY: (
        StepSlug.CALL,
        StepSlug.EMAIL,
        StepSlug.CONFERENCE_CALL,
        StepSlug.THANK_YOU,
        StepSlug.CHECK_IN,
    ),
}


def default_protocol(profession: str) -> list[dict[str, str]]:
    slugs = PROFESSION_PROTOCOLS.get(profession, DEFAULT_PROTOCOL)
    return [{"slug": slug.value, "label": slug.label} for slug in slugs]


PROTOCOL_NOT_A_LIST = "Give the steps as a list of {slug, label} items."
PROTOCOL_EMPTY = "A protocol needs at least one step."
PROTOCOL_UNKNOWN_STEP = unknown_choice_message("step", StepSlug)
PROTOCOL_REPEATED_STEP = "Each step may appear only once."
PROTOCOL_LABEL_REQUIRED = "Every step needs a label of at most 200 characters."


def validate_protocol_steps(steps: object) -> None:
    if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
        raise ValidationError({"steps": PROTOCOL_NOT_A_LIST})
    if not steps:
        raise ValidationError({"steps": PROTOCOL_EMPTY})
    slugs = [step.get("slug") for step in steps]
    if any(slug not in StepSlug.values for slug in slugs):
        raise ValidationError({"steps": PROTOCOL_UNKNOWN_STEP})
    if len(set(slugs)) != len(slugs):
        raise ValidationError({"steps": PROTOCOL_REPEATED_STEP})
    for step in steps:
        label = step.get("label")
        if set(step) != {"slug", "label"} or not isinstance(label, str):
            raise ValidationError({"steps": PROTOCOL_NOT_A_LIST})
        if not label.strip() or len(label) > 200:
            raise ValidationError({"steps": PROTOCOL_LABEL_REQUIRED})


class ProtocolTemplate(models.Model):
    """The firm's steps for sending a referral to one profession; a firm admin edits them.

    Created from ``default_protocol`` the first time the firm needs it. A referral copies the
    steps when it is created, so editing a template never rewrites referrals already sent.
    """

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="protocol_templates")
    profession = models.CharField(max_length=20, choices=Profession.choices)
    # blank=True: an empty list gets clean()'s clearer message instead of "cannot be blank".
    steps = models.JSONField(blank=True, help_text='Ordered list of {"slug": ..., "label": ...}.')
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["updated_at"])

    class Meta:
        ordering = ["firm", "profession"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "profession"], name="protocoltemplate_unique_in_firm"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_profession_display()} protocol"

    def clean(self) -> None:
        validate_protocol_steps(self.steps)


class ReferralStep(models.Model):
    """One step of a sent referral's checklist; completing it logs a touch on the partner."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="steps")
    slug = models.CharField(max_length=20, choices=StepSlug.choices)
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    touch = models.OneToOneField(
        Touch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral_step",
        help_text="The touch logged when this step was done.",
    )
    # Set on the referral's next step only (the first by position neither done nor skipped):
    # the moment its days count from, the later of the referral's and the last step finished
    # before it. It falls due STEP_DUE_AFTER_DAYS local days after that moment's local day
    # (``step_due``), so the agenda counts and cuts the steps in SQL. Kept by the services that
    # create the steps and finish or reopen one; a test holds it to ``next_step_of``.
    due_from = models.DateTimeField(null=True, blank=True, editable=False)
    # Derived from the steps' own changes, which the history records.
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["due_from"])

    class Meta:
        ordering = ["referral", "position"]
        indexes = [
            models.Index(
                fields=["referral"],
                condition=Q(due_from__isnull=False),
                name="referralstep_next",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["referral", "slug"], name="referralstep_slug_unique"),
            models.UniqueConstraint(
                fields=["referral", "position"], name="referralstep_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(skipped_at__isnull=True),
                name="referralstep_done_or_skipped",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_skipped(self) -> bool:
        return self.skipped_at is not None

    @property
    def touch_kind(self) -> str:
        return TOUCH_KIND_FOR_STEP[self.slug]

    @property
    def status_after(self) -> str | None:
        return STATUS_AFTER_STEP.get(self.slug)

    @property
    def needs_consent(self) -> bool:
        """Doing it introduces the client to the partner (see Lifecycle.needs_consent)."""
        status = self.status_after
        return status is not None and status in self.referral.lifecycle.needs_consent


# The partner's confirmation links live in their own module; importing them registers the model.
# A referral's compensation and disclosure live in their own module; importing it here registers
# the model with the app.
from reciprocity.referrals.disclosure import (  # noqa: E402
    ReferralDisclosure as ReferralDisclosure,
)
from reciprocity.referrals.link_models import ReferralLink as ReferralLink  # noqa: E402
