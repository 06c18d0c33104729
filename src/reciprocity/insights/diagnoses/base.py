"""What every diagnosis shares: the slugs, the research thresholds, the finding itself, and the
base class each kind of diagnosis (``kinds``) derives from."""

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, get_args
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse

from reciprocity.accounts.models import User
from reciprocity.dates import local_day
from reciprocity.partners.models import FailureReason, Partner, Stage
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.playbook.selectors.digest import FOCUS_LIMIT

DiagnosisSlug = Literal[
    "no_referral_yet",
    "one_way",
    "wrong_message",
    "wrong_firm",
    "wrong_professional",
    "too_many_partners",
]
ActionSlug = Literal[
    "change_strategy", "make_the_ask", "review_agreement", "walk_away", "change_message", "focus"
]
Severity = Literal["high", "medium", "low"]

DIAGNOSIS_SLUGS: tuple[str, ...] = get_args(DiagnosisSlug)
ACTION_SLUGS: tuple[str, ...] = get_args(ActionSlug)
SEVERITIES: tuple[str, ...] = get_args(Severity)

# Research defaults (PRODUCT.md, "What research on advisor-COI alliances says").
# Many conversations: a partner met this often has had every chance to refer.
MANY_TOUCHES = 8
# Patience: many productive alliances took a year or more from first meeting to first referral.
PATIENCE_MONTHS = 12
# The window referrals are counted in, as the reciprocity balance does.
WINDOW_MONTHS = 12
# Referrals sent in the window, with none back, that make an alliance one-way.
ONE_WAY_MIN_SENT = 3
# How long nothing may come back before walking away, counted from the later of the first
# referral sent and the last one received.
WALK_AWAY_MONTHS = 24
# FOCUS_LIMIT (seven; imported from the playbook): more core partners than this is too many.

# From the first meeting to champion: the stages in which an alliance can stall.
DIAGNOSED_STAGES = [
    Stage.FIRST_MEETING,
    Stage.DUE_DILIGENCE,
    Stage.PROPOSED,
    Stage.ACTIVE,
    Stage.CHAMPION,
]

ACTION_LABELS: dict[str, str] = {
    "change_strategy": "Move up the referral spectrum",
    "make_the_ask": "Make the ask: write the agreement",
    # The agreement is written and nothing comes back: go over it together, not write another.
    "review_agreement": "Review the agreement together: ask for what it promised",
    "walk_away": "Walk away",
    "change_message": "Sharpen your message",
    "focus": "Choose your five to seven",
}
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


def thresholds_of(advisor: User) -> Thresholds:
    return Thresholds()


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


@dataclass(frozen=True)
class Assessment:
    diagnoses: list[Diagnosis] = field(default_factory=list)
    too_early: list[TooEarly] = field(default_factory=list)


def action_url(diagnosis: Diagnosis) -> str:
    """Where in the web UI the suggested action is taken."""
    if diagnosis.action == "focus":
        return reverse("pipeline")
    pk = diagnosis.partner_id
    if diagnosis.action == "change_message":
        if diagnosis.owners_message:
            return reverse("partner_detail", args=[pk]) + "#playbook"
        return reverse("playbook_message")
    if diagnosis.action == "change_strategy":
        return reverse("partner_detail", args=[pk]) + "#strategy-title"
    if diagnosis.action in ("make_the_ask", "review_agreement"):
        return reverse("partner_agreement", args=[pk])
    query = urlencode({"stage": Stage.RETIRED.value, "reason": diagnosis.reason})
    return reverse("partner_stage", args=[pk]) + "?" + query


# --- Wording ------------------------------------------------------------------------------------


def day(value: dt.date | dt.datetime) -> str:
    """A date as the evidence says it: Mar 3, 2025."""
    if isinstance(value, dt.datetime):
        value = local_day(value)
    return f"{value:%b} {value.day}, {value.year}"


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


# --- The kinds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judging:
    """What a rule judges one partner against: who reads, the day, the thresholds, and what
    the rules before it found for the same partner."""

    advisor: User
    today: dt.date
    thresholds: Thresholds
    # The partner's first meeting, the day from which it may be judged, and the months since.
    met_on: dt.date
    judge_from: dt.date
    found: tuple[str, ...] = ()

    @property
    def patient_enough(self) -> bool:
        return self.today >= self.judge_from

    @property
    def months(self) -> int:
        return months_between(self.met_on, self.today)

    def with_found(self, slug: str) -> "Judging":
        return replace(self, found=(*self.found, slug))


class Kind:
    """One kind of diagnosis of a partner: its slug, title, severity and action, the SQL
    condition every partner it may name meets (``candidates``), and the rule itself
    (``judge``, on a partner read through ``readings.with_readings``)."""

    slug: ClassVar[DiagnosisSlug]
    title: ClassVar[str]
    action: ClassVar[ActionSlug]
    severity: ClassVar[Severity] = "medium"

    def candidates(self, *, patient: Q, thresholds: Thresholds) -> Q:
        """A condition every partner ``judge`` names meets (``patient``: met long enough ago
        to be judged)."""
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
        label = ACTION_LABELS[action]
        if action == "walk_away" and reason:
            label = f"{label}: {FailureReason(reason).label.lower()}"
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


def judging_for(p: Any, *, advisor: User, today: dt.date, thresholds: Thresholds) -> Judging:
    assert p.met_at is not None
    met_on = local_day(p.met_at)
    return Judging(
        advisor=advisor,
        today=today,
        thresholds=thresholds,
        met_on=met_on,
        judge_from=add_months(met_on, thresholds.patience_months),
    )
