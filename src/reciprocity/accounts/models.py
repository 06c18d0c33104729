import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

DEFAULT_DORMANCY_DAYS = 120
# Six years: long enough for the books-and-records rules most advisory firms answer to; a firm
# sets its own.
DEFAULT_RETENTION_DAYS = 6 * 365

# The thresholds the diagnoses judge by, with the research defaults (README, "Diagnoses").
# Many productive alliances took a year or more from first meeting to first referral.
DEFAULT_PATIENCE_MONTHS = 12
# A partner met this often has had every chance to refer.
DEFAULT_MANY_TOUCHES = 8
# Referrals sent in twelve months, with none back, that make an alliance one-way.
DEFAULT_ONE_WAY_MIN_SENT = 3
# Two years with nothing back after sending: time to walk away.
DEFAULT_WALK_AWAY_MONTHS = 24
# Five to seven core partners beat dozens.
DEFAULT_FOCUS_LIMIT = 7
# No touch for more than this many times the stage's cadence window: gone cold.
DEFAULT_GONE_COLD_FACTOR = 2
# A healthy core partner sends several qualified referrals a year; five is a common target.
DEFAULT_YIELD_TARGET = 5
THRESHOLD_FIELDS = (
    "patience_months",
    "many_touches",
    "one_way_min_sent",
    "walk_away_months",
    "focus_limit",
    "gone_cold_factor",
)


class AuditedHistory(models.Model):
    """Extra columns on every historical table: the channel a change came through."""

    history_source = models.CharField(max_length=10, default="system")

    class Meta:
        abstract = True


def _threshold(
    verbose_name: str, default: int, *, most: int, help_text: str
) -> models.PositiveSmallIntegerField:
    """A firm's count a judgement turns on: a whole number from 1 to ``most``."""
    return models.PositiveSmallIntegerField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(most)],
        help_text=help_text,
    )


class Firm(models.Model):
    """An advisory firm. Nothing of one firm is ever visible to another."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    dormancy_days = models.PositiveIntegerField(
        default=DEFAULT_DORMANCY_DAYS,
        help_text="A partner with no touch for this many days is suggested as dormant.",
    )
    requires_mfa = models.BooleanField(
        "requires two-factor authentication",
        default=False,
        help_text="Everyone must set up an authenticator app before using Reciprocity.",
    )
    retention_days = models.PositiveIntegerField(
        "retention period (days)",
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(365)],
        help_text="Archived records older than this may be purged by a firm admin.",
    )
    keeps_email_bodies = models.BooleanField(
        "keep the text of logged emails",
        default=False,
        help_text="Emails sent to an advisor's logging address are logged as touches with their "
        "date and subject; with this on, their text is kept too.",
    )
    patience_months = _threshold(
        "patience (months)",
        DEFAULT_PATIENCE_MONTHS,
        most=60,
        help_text="Before this many months from the first meeting, no referral yet is too "
        "early to judge.",
    )
    many_touches = _threshold(
        "many touches",
        DEFAULT_MANY_TOUCHES,
        most=100,
        help_text="This many touches and the patience window with no referral: change the "
        "strategy.",
    )
    one_way_min_sent = _threshold(
        "one-way after (referrals sent)",
        DEFAULT_ONE_WAY_MIN_SENT,
        most=100,
        help_text="This many referrals sent in twelve months, and none back, is one-way.",
    )
    walk_away_months = _threshold(
        "walk away after (months)",
        DEFAULT_WALK_AWAY_MONTHS,
        most=120,
        help_text="Nothing back for this many months after sending: walk away.",
    )
    focus_limit = _threshold(
        "core partners at most",
        DEFAULT_FOCUS_LIMIT,
        most=100,
        help_text="More of an advisor's partners than this in the core stages is too many.",
    )
    gone_cold_factor = _threshold(
        "gone cold after (times the cadence)",
        DEFAULT_GONE_COLD_FACTOR,
        most=12,
        help_text="No touch for more than this many times the stage's cadence: gone cold.",
    )
    yield_target = _threshold(
        "referrals a year from a core partner",
        DEFAULT_YIELD_TARGET,
        most=100,
        help_text="The yield score's target: referrals received in twelve months for full marks.",
    )
    requires_disclosure_evidence = models.BooleanField(
        "requires disclosure evidence",
        default=False,
        help_text="A referral that involves compensation cannot pass the introduction until its "
        "disclosure, its delivery and the client's acknowledgement are recorded.",
    )
    disclosure_template = models.TextField(
        "disclosure template",
        blank=True,
        help_text="The text of the disclosure given to a client when a referral involves "
        "compensation; advisors start from it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def thresholds(self) -> dict[str, int]:
        """The diagnoses' thresholds, by name."""
        return {name: getattr(self, name) for name in THRESHOLD_FIELDS}


class Role(models.TextChoices):
    """What a user may do; the one place roles are defined (the properties on User read them).

    - advisor: works their own partners, and those shared with a team they belong to (a *team
      member* is an advisor in a team; membership shares, it grants no extra right).
    - firm admin: sees and works every partner of the firm, and manages its people, teams and
      settings, and purges records past the retention period.
    - compliance officer: reads everything of the firm, the audit log included; changes nothing.
    """

    ADVISOR = "advisor", "Advisor"
    FIRM_ADMIN = "firm_admin", "Firm admin"
    COMPLIANCE = "compliance", "Compliance officer"


class User(AbstractUser):
    """An advisor (or a firm admin, or a compliance officer) of one firm."""

    firm = models.ForeignKey(
        Firm, on_delete=models.PROTECT, related_name="advisors", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ADVISOR)
    # Who joined, left or changed role is part of the firm's record; logins and hashes are not.
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["last_login", "password"])

    @property
    def sees_whole_firm(self) -> bool:
        return self.role in {Role.FIRM_ADMIN, Role.COMPLIANCE}

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.COMPLIANCE

    @property
    def manages_firm(self) -> bool:
        return self.role == Role.FIRM_ADMIN and self.firm_id is not None

    @property
    def reads_audit_log(self) -> bool:
        return self.role in {Role.FIRM_ADMIN, Role.COMPLIANCE} and self.firm_id is not None

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_invited(self) -> bool:
        """Invited and not signed in yet: no password until they follow the invitation link."""
        return self.is_active and not self.has_usable_password() and self.last_login is None


class Team(models.Model):
    """Advisors of one firm who share partners with each other."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=120)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    history = HistoricalRecords(bases=[AuditedHistory], m2m_fields=[members])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], name="team_name_unique_in_firm")
        ]

    def __str__(self) -> str:
        return self.name


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class ApiToken(models.Model):
    """A personal access token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    PREFIX = "rcp_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, default="token")
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    scope = models.CharField(
        max_length=10,
        choices=TokenScope.choices,
        default=TokenScope.READ_WRITE,
        help_text="A read-only token is refused every request that would change something.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Refused from then on; never when empty."
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Delivery(models.Model):
    """Something sent to a person for a period (a weekly digest for the week it covers),
    recorded in the transaction that sends it, so a second run sends nothing twice."""

    kind = models.CharField(max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deliveries"
    )
    period = models.DateField(help_text="The first day of the period the delivery covers.")
    sent_at = models.DateTimeField()
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "recipient", "period"], name="delivery_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind.replace('_', ' ')} of {self.period:%b %-d, %Y}"


class RateCount(models.Model):
    """Requests counted against one API rate limit in one fixed window (``api.limits``): a row
    a caller and window, counted up by one upsert a request; a window's first request deletes
    the windows that ended."""

    # Whose limit and which window, such as ``token:<sha-256 prefix>:minute:<window>``: the
    # token itself is never stored.
    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    ends_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
