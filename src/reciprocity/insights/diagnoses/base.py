"""What every diagnosis shares: the slugs, the research thresholds, the finding itself, and the
base class each kind of diagnosis (``kinds``) derives from."""

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NamedTuple, cast, get_args

from django.db.models import Q
from django.utils import timezone

from reciprocity.accounts.models import (
    DEFAULT_FOCUS_LIMIT,
    DEFAULT_GONE_COLD_FACTOR,
    DEFAULT_MANY_TOUCHES,
    DEFAULT_ONE_WAY_MIN_SENT,
    DEFAULT_PATIENCE_MONTHS,
    DEFAULT_WALK_AWAY_MONTHS,
    User,
)
from reciprocity.dates import local_day
from reciprocity.insights.diagnoses.actions import ACTIONS
from reciprocity.partners.models import Partner, Stage
from reciprocity.playbook.models.cadences import INTERVAL_MAX_MONTHS, INTERVAL_MIN_MONTHS
from reciprocity.playbook.selectors.cadences import add_months

DiagnosisSlug = Literal[
    "no_referral_yet",
    "one_way",
    "wrong_message",
    "wrong_firm",
    "wrong_professional",
    "too_many_partners",
    "gone_cold",
    "no_agreement",
    "too_early",
]
ActionSlug = Literal[
    "change_strategy",
    "make_the_ask",
    "review_agreement",
    "walk_away",
    "change_message",
    "focus",
    "reconnect",
    "make_it_explicit",
    "keep_going",
]
# info: reassurance, not a problem (too early to judge).
Severity = Literal["high", "medium", "low", "info"]

DIAGNOSIS_SLUGS: tuple[str, ...] = get_args(DiagnosisSlug)
ACTION_SLUGS: tuple[str, ...] = get_args(ActionSlug)
SEVERITIES: tuple[str, ...] = get_args(Severity)

# Research defaults (PRODUCT.md, "What research on advisor-COI alliances says"); a firm sets
# its own (accounts.Firm, the README says why each default).
MANY_TOUCHES = DEFAULT_MANY_TOUCHES
PATIENCE_MONTHS = DEFAULT_PATIENCE_MONTHS
# The window referrals are counted in, as the reciprocity balance does.
WINDOW_MONTHS = 12
# Referrals sent in the window, with none back, that make an alliance one-way.
ONE_WAY_MIN_SENT = DEFAULT_ONE_WAY_MIN_SENT
# How long nothing may come back before walking away, counted from the later of the first
# referral sent and the last one received.
WALK_AWAY_MONTHS = DEFAULT_WALK_AWAY_MONTHS
# More core partners than this is too many (the playbook's digest says the same).
FOCUS_LIMIT = DEFAULT_FOCUS_LIMIT
# Gone cold: no touch for more than this many times the cadence window of the partner's stage.
GONE_COLD_FACTOR = DEFAULT_GONE_COLD_FACTOR
# The cadence window of a stage the firm gives no touch-base cadence: every four months (seed
# 002: touch base with partners who refer every four months).
FALLBACK_CADENCE_MONTHS = 4

# From the first meeting to champion: the stages in which an alliance can stall.
DIAGNOSED_STAGES = [
    Stage.FIRST_MEETING,
    Stage.DUE_DILIGENCE,
    Stage.PROPOSED,
    Stage.ACTIVE,
    Stage.CHAMPION,
]

ACTION_LABELS: dict[str, str] = {slug: action.label for slug, action in ACTIONS.items()}
# Whether a kind names a partner, and how: its severity and action, without the wording.
Verdict = tuple[Severity, ActionSlug]
# The same day months later (``add_months``), remembered: reading a book, the rules ask it of
# the same few hundred days over and over.
months_later = functools.lru_cache(maxsize=4096)(add_months)
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}
SLUG_ORDER = {slug: rank for rank, slug in enumerate(DIAGNOSIS_SLUGS)}


@dataclass(frozen=True)
class Thresholds:
    """The numbers the rules judge by: the research defaults above."""

    patience_months: int = PATIENCE_MONTHS
    many_touches: int = MANY_TOUCHES
    one_way_min_sent: int = ONE_WAY_MIN_SENT
    walk_away_months: int = WALK_AWAY_MONTHS
    focus_limit: int = FOCUS_LIMIT
    gone_cold_factor: int = GONE_COLD_FACTOR


def thresholds_of(advisor: User) -> Thresholds:
    """The thresholds of the advisor's firm (read with the advisor: no query of its own when
    the firm came with them, as it does for a signed-in user)."""
    firm = advisor.firm
    return Thresholds(**firm.thresholds) if firm is not None else Thresholds()


@dataclass(frozen=True)
class Diagnosis:
    """One named diagnosis: of a partner, or (``partner_id`` None) of the advisor's book."""

    slug: DiagnosisSlug
    partner_id: int | None
    partner_name: str
    title: str
    evidence: list[str]
    action: ActionSlug
    action_label: str
    severity: Severity
    # The failure reason a walk-away would record; blank for the other actions.
    reason: str = ""
    # For change_message: the message is the partner owner's, and the reader is not the owner.
    owners_message: bool = False

    @property
    def action_url(self) -> str:
        return action_url(self)

    @property
    def fingerprint(self) -> str:
        """What the evidence says, in short: a dismissal holds while this stays the same."""
        text = "\n".join([self.slug, *self.evidence])
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def about_the_book(self) -> bool:
        return self.partner_id is None


@dataclass(frozen=True)
class TooEarly:
    """A partner with no referral yet, met less than the patience window ago: an expectation
    to manage, not a failure."""

    partner_id: int
    partner_name: str
    met_on: dt.date
    judge_from: dt.date
    touches: int
    # The same, as the ``too_early`` diagnosis (severity info) the API and the CLI list.
    diagnosis: "Diagnosis | None" = None


@dataclass(frozen=True)
class Assessment:
    # What needs a decision or a look; the reassurances are in ``too_early``.
    diagnoses: list[Diagnosis] = field(default_factory=list)
    too_early: list[TooEarly] = field(default_factory=list)

    @property
    def everything(self) -> list[Diagnosis]:
        """The diagnoses, then the partners too early to judge as ``too_early`` diagnoses."""
        return self.diagnoses + [e.diagnosis for e in self.too_early if e.diagnosis is not None]


def action_url(diagnosis: Diagnosis) -> str:
    """Where in the web UI the suggested action is taken."""
    return ACTIONS[diagnosis.action].url(diagnosis)


# --- Wording ------------------------------------------------------------------------------------


def day(value: dt.date | dt.datetime) -> str:
    """A date as the evidence says it: Mar 3, 2025."""
    if isinstance(value, dt.datetime):
        value = local_day(value)
    return f"{value:%b} {value.day}, {value.year}"


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months_later(start, months) > end:
        months -= 1
    return max(months, 0)


def start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def judged_until(today: dt.date, patience_months: int = PATIENCE_MONTHS) -> dt.date:
    """The last day a first meeting may have been for the partner to be judged today: the
    latest day whose patience window later is not after ``today`` (a Feb 29 lands on Feb 28)."""
    day = add_months(today, -patience_months)
    while add_months(day + dt.timedelta(days=1), patience_months) <= today:
        day += dt.timedelta(days=1)
    return day


def judged_before(today: dt.date, months: int) -> dt.datetime:
    """The moment a first meeting (or any moment) must come before for its local day to be at
    most ``judged_until(today, months)``: the start of the next day."""
    return start_of(judged_until(today, months) + dt.timedelta(days=1))


def verdict_code(severity: Severity, action: ActionSlug) -> str:
    """A verdict as the SQL of the kinds answers it (``Kind.verdict_sql``)."""
    return f"{severity}:{action}"


@functools.cache
def verdict_of_code(code: str) -> Verdict:
    severity, action = code.split(":")
    return cast(Severity, severity), cast(ActionSlug, action)


class Cutoffs(NamedTuple):
    """The moments the kinds' verdicts in SQL compare with on a day, so that the database
    needs no calendar of its own: a first meeting before ``patient`` was long enough ago to
    judge; a referral exchanged before ``walk_away`` is past the walk-away window; a last
    contact before ``gone_cold[months]`` is gone cold for a touch-base window of that many
    months (each window a cadence may have)."""

    patient: dt.datetime
    walk_away: dt.datetime
    gone_cold: dict[int, dt.datetime]
    thresholds: Thresholds


def cutoffs_of(today: dt.date, thresholds: Thresholds) -> Cutoffs:
    """The cutoffs of ``today``, in the current time zone."""
    # Gone cold: strictly after the window, so on or before yesterday.
    yesterday = today - dt.timedelta(days=1)
    factor = thresholds.gone_cold_factor
    return Cutoffs(
        patient=judged_before(today, thresholds.patience_months),
        walk_away=judged_before(today, thresholds.walk_away_months),
        gone_cold={
            months: judged_before(yesterday, factor * months)
            for months in range(INTERVAL_MIN_MONTHS, INTERVAL_MAX_MONTHS + 1)
        },
        thresholds=thresholds,
    )


# --- The kinds ----------------------------------------------------------------------------------


class Judging(NamedTuple):
    """What a rule judges one partner against: who reads, the day, the thresholds, and what
    the rules before it found for the same partner. A tuple: one is made for every partner of
    the book, several where rules name it, and a frozen dataclass costs more than the rules."""

    advisor: User
    today: dt.date
    thresholds: Thresholds
    # The partner's first meeting, the day from which it may be judged, and the months since.
    met_on: dt.date
    judge_from: dt.date
    # The time zone the days are read in, looked up once for the partner's rules.
    zone: dt.tzinfo
    found: tuple[Diagnosis, ...] = ()

    @property
    def patient_enough(self) -> bool:
        return self.today >= self.judge_from

    @property
    def months(self) -> int:
        return months_between(self.met_on, self.today)

    def with_found(self, diagnosis: Diagnosis) -> "Judging":
        return self._replace(found=(*self.found, diagnosis))

    def local_day(self, moment: dt.datetime) -> dt.date:
        return local_day_in(moment, self.zone)

    def found_any(self, *slugs: str) -> bool:
        return any(diagnosis.slug in slugs for diagnosis in self.found)

    @property
    def walks_away(self) -> bool:
        return any(diagnosis.action == "walk_away" for diagnosis in self.found)


class Kind:
    """One kind of diagnosis of a partner: its slug, title, severity and action, the SQL
    condition every partner it may name meets (``candidates``), and the rule itself
    (``judge``, on a partner read through ``readings.with_readings``)."""

    slug: ClassVar[DiagnosisSlug]
    title: ClassVar[str]
    action: ClassVar[ActionSlug]
    severity: ClassVar[Severity] = "medium"
    # A reassurance (too early to judge) rather than a problem: listed apart, only read when
    # asked for, and found only where no other kind names the partner.
    reassurance: ClassVar[bool] = False
    # The kinds before it whose finding rules it out: a stall is named once.
    unless_found: ClassVar[tuple[DiagnosisSlug, ...]] = ()

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        """A condition every partner ``judge`` names meets (``patient``: met long enough ago
        to be judged)."""
        raise NotImplementedError

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        """Whether ``judge`` names the partner, and with which severity and action: the same
        decision without the wording, on the readings the decision needs only."""
        raise NotImplementedError

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        """``verdict`` in SQL, with its parameters: an expression over the columns
        ``readings.verdict_codes`` names that is the verdict's ``verdict_code`` or NULL. What
        the kinds before it found is left to the reader (``unless_found``, ``reassurance``)."""
        raise NotImplementedError

    def judge(self, p: Any, judging: Judging) -> "Diagnosis | None":
        raise NotImplementedError

    def diagnosis(
        self,
        partner: Partner | None,
        evidence: list[str],
        *,
        action: ActionSlug | None = None,
        severity: Severity | None = None,
        title: str = "",
        reason: str = "",
        owners_message: bool = False,
    ) -> Diagnosis:
        action = action or self.action
        label = ACTIONS[action].label_for(reason)
        return Diagnosis(
            slug=self.slug,
            partner_id=partner.pk if partner else None,
            partner_name=partner.name if partner else "",
            title=title or self.title,
            evidence=evidence,
            action=action,
            action_label=label,
            severity=severity or self.severity,
            reason=reason,
            owners_message=owners_message,
        )


def local_day_in(moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """``dates.local_day`` in a time zone looked up once: the lookup, per moment, cost more
    than the rules reading a big book."""
    try:
        return moment.astimezone(zone).date()
    except OverflowError:
        return dt.date.max if moment.year > dt.MAXYEAR // 2 else dt.date.min


def judging_for(
    p: Any,
    *,
    advisor: User,
    today: dt.date,
    thresholds: Thresholds,
) -> Judging:
    assert p.met_at is not None
    zone = timezone.get_current_timezone()
    met_on = local_day_in(p.met_at, zone)
    return Judging(
        advisor=advisor,
        today=today,
        thresholds=thresholds,
        met_on=met_on,
        judge_from=months_later(met_on, thresholds.patience_months),
        zone=zone,
    )
