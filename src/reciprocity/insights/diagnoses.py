"""Named diagnoses of a stalled alliance, each with its evidence and the playbook's answer.

An advisor who keeps talking to a partner and gets nothing back needs to know why, and what to
do about it (seeds 000 and 004, PRODUCT.md "Diagnosing a stalled alliance"). Each diagnosis below
has a stable slug (the API and the CLI report it; add new ones, never rename):

- ``no_referral_yet``: many touches (MANY_TOUCHES or more since the first meeting) and at least
  PATIENCE_MONTHS since that meeting, and no referral ever received. The cause is not on record,
  so the answer is to change the strategy: move up the influencer referral spectrum. Before
  PATIENCE_MONTHS it is no diagnosis: many alliances take a year or more to produce their first
  referral, so the partner is "too early to judge" instead.
- ``one_way``: ONE_WAY_MIN_SENT or more referrals sent in the last 12 months and none received in
  the same window. The answer is to make the ask: write down what each side does (the agreement),
  or, when an agreement is already in place, to review it together and ask for what it promised.
  When nothing has come back for WALK_AWAY_MONTHS, counted from the later of the first referral
  sent and the last referral received, walk away.
- ``wrong_message``: the partner cannot say whom the advisor helps and what is unique about them
  (the profile's ``can_describe_value`` is ``no``, which a failed message check sets). Answer:
  change the message. The message is the partner owner's: someone else reading the diagnosis
  (a teammate, a firm admin) sees the owner named and is sent to the partner's playbook, not to
  their own message.
- ``wrong_firm``: the partner's firm is not in growth mode, no referral came from it in the
  last 12 months, and PATIENCE_MONTHS or more have passed since the first meeting. Answer: walk
  away (reason ``wrong_firm``). Before PATIENCE_MONTHS the partner is "too early to judge".
- ``wrong_professional``: a low propensity to refer and no referral ever received, PATIENCE_MONTHS
  or more after the first meeting. Answer: walk away (reason ``wrong_professional``).
- ``too_many_partners`` (about the advisor, not one partner): more than FOCUS_LIMIT of the
  advisor's own partners in the core stages (proposed, active, champion). Answer: focus.

Only partners in the stages from the first meeting to champion are diagnosed: identified and
qualified ones were never met, dormant and retired ones are no longer worked. A stall is named
once: when its cause is on record (wrong professional, wrong message, wrong firm), that diagnosis
stands instead of ``no_referral_yet``. Only referrals of kind ``referral`` count; connections
show goodwill, not referrals flowing.

Reads are scoped like every selector (``partners_visible_to``) and cost a constant number of
queries: one for the partners with every count annotated, one for the advisor's core stages.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import urlencode

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.dates import local_day
from reciprocity.partners.models import (
    CORE_STAGES,
    CanDescribeValue,
    FailureReason,
    Partner,
    Propensity,
    Stage,
    StageChange,
    Touch,
)
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.playbook.models import (
    STRATEGY_RUNGS,
    AdvisorProfile,
    Agreement,
    AgreementStatus,
    MessageCheck,
    Strategy,
)
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.playbook.selectors.digest import FOCUS_LIMIT
from reciprocity.playbook.selectors.strategies import with_strategy
from reciprocity.referrals.models import Direction, Kind, Referral

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

TITLES: dict[str, str] = {
    "no_referral_yet": "No referral yet",
    "one_way": "Referrals go one way",
    "wrong_message": "They cannot say what you do",
    "wrong_firm": "Their firm is not meeting new clients",
    "wrong_professional": "They do not refer",
    "too_many_partners": "Too many core partners",
}
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
    """A partner with no referral yet, met less than PATIENCE_MONTHS ago: an expectation to
    manage, not a failure."""

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


# --- Reading the book ---------------------------------------------------------------------------


def _moment(today: dt.date | None) -> tuple[dt.date, dt.datetime]:
    """Today and the moment up to which records count (now, or the end of a given day)."""
    if today is None:
        now = timezone.now()
        return local_day(now), now
    end = dt.datetime.combine(today, dt.time.max)
    return today, timezone.make_aware(end)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _count(qs: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(qs.order_by().values("partner_id").annotate(n=Count("pk")).values("n")), 0
    )


def _first(qs: QuerySet[Any], fn: type[Min] | type[Max] = Min) -> Subquery:
    return Subquery(
        qs.order_by().values("partner_id").annotate(m=fn("occurred_at")).values("m"),
        output_field=DateTimeField(),
    )


def with_readings(qs: QuerySet[Partner], *, today: dt.date, now: dt.datetime) -> QuerySet[Partner]:
    """Annotate what the diagnoses read, in the partners' own query (correlated subqueries, so
    the list stays one query whatever its length): ``met_at``, ``touches_since_met``,
    ``received_ever``, ``received_12m``, ``received_24m``, ``sent_12m``, ``first_sent_at``,
    ``last_received_at``, the latest message check, whether the owner's message is written, an
    active agreement, and the current strategy."""
    since_window = _start_of(add_months(today, -WINDOW_MONTHS))
    since_walk_away = _start_of(add_months(today, -WALK_AWAY_MONTHS))
    met = StageChange.objects.filter(
        partner_id=OuterRef("pk"), to_stage__in=DIAGNOSED_STAGES, occurred_at__lte=now
    )
    referrals = Referral.objects.live().filter(
        partner_id=OuterRef("pk"),
        kind=Kind.REFERRAL,
        occurred_at__lte=now,
    )
    received = referrals.filter(direction=Direction.RECEIVED)
    sent = referrals.filter(direction=Direction.SENT)
    latest_check = MessageCheck.objects.filter(partner_id=OuterRef("pk"), checked_at__lte=now)
    latest_check = latest_check.order_by("-checked_at", "-pk")
    touches = Touch.objects.live().filter(
        partner_id=OuterRef("pk"),
        occurred_at__gte=OuterRef("met_at"),
        occurred_at__lte=now,
    )
    written = AdvisorProfile.objects.filter(user_id=OuterRef("owner_id"))
    return (
        with_strategy(qs.select_related("owner"))
        # A partner with no recorded move into a met stage counts from its last move.
        .annotate(
            met_at=Coalesce(
                Subquery(
                    met.order_by().values("partner_id").annotate(m=Min("occurred_at")).values("m"),
                    output_field=DateTimeField(),
                ),
                F("stage_changed_at"),
            )
        )
        .annotate(
            touches_since_met=_count(touches),
            received_ever=_count(received),
            received_12m=_count(received.filter(occurred_at__gte=since_window)),
            received_24m=_count(received.filter(occurred_at__gte=since_walk_away)),
            sent_12m=_count(sent.filter(occurred_at__gte=since_window)),
            first_sent_at=_first(sent),
            last_received_at=_first(received, Max),
            check_result=Subquery(latest_check.values("result")[:1]),
            check_at=Subquery(latest_check.values("checked_at")[:1], output_field=DateTimeField()),
            check_heard=Subquery(latest_check.values("heard")[:1]),
            owner_has_message=Exists(written.exclude(whom_i_help="").exclude(what_is_unique="")),
            has_agreement=Exists(
                Agreement.objects.filter(partner_id=OuterRef("pk"), status=AgreementStatus.ACTIVE)
            ),
        )
    )


# --- The rules ----------------------------------------------------------------------------------


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


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _diagnosis(
    slug: DiagnosisSlug,
    partner: Partner | None,
    evidence: list[str],
    action: ActionSlug,
    *,
    severity: Severity = "medium",
    title: str = "",
    reason: str = "",
    owners_message: bool = False,
) -> Diagnosis:
    label = ACTION_LABELS[action]
    if action == "walk_away" and reason:
        label = f"{label}: {FailureReason(reason).label.lower()}"
    return Diagnosis(
        slug=slug,
        partner_id=partner.pk if partner else None,
        partner_name=partner.name if partner else "",
        title=title or TITLES[slug],
        evidence=evidence,
        action=action,
        action_label=label,
        severity=severity,
        reason=reason,
        owners_message=owners_message,
    )


def _nothing_back_since(p: Any, *, today: dt.date) -> str:
    """Why a one-way alliance is over, or "" while it is not: nothing has come back for
    WALK_AWAY_MONTHS, counted from the later of the first referral sent and the last one
    received (whatever came back before the first referral sent does not answer it)."""
    first_sent = p.first_sent_at
    last_received = p.last_received_at
    if first_sent is None or p.received_24m:
        return ""
    since = max(first_sent, last_received) if last_received else first_sent
    if today < add_months(local_day(since), WALK_AWAY_MONTHS):
        return ""
    months = months_between(local_day(since), today)
    if last_received is None:
        return (
            f"Nothing back in the {months} months since your first referral to them "
            f"on {day(first_sent)}"
        )
    if last_received >= first_sent:
        return f"Nothing back in {months} months: the last referral from them came on {day(since)}"
    return (
        f"Nothing back in the {months} months since your first referral to them on "
        f"{day(first_sent)}; the last referral from them came before, on {day(last_received)}"
    )


def _partner_diagnoses(
    p: Any, *, advisor: User, today: dt.date
) -> tuple[list[Diagnosis], TooEarly | None]:
    """The diagnoses of one partner read through ``with_readings``, as ``advisor`` reads them,
    or why it is too early."""
    assert p.met_at is not None
    met_on = local_day(p.met_at)
    judge_from = add_months(met_on, PATIENCE_MONTHS)
    patient_enough = today >= judge_from
    months = months_between(met_on, today)
    touches = p.touches_since_met
    found: list[Diagnosis] = []

    if p.growth_mode is False and p.received_12m == 0 and patient_enough:
        last = p.last_received_at
        since = f"; the last came on {day(last)}" if last else ""
        found.append(
            _diagnosis(
                "wrong_firm",
                p,
                [
                    "Their firm is not in growth mode: it meets few new clients to refer",
                    f"No referral received in the last {WINDOW_MONTHS} months{since}",
                    f"{p.get_stage_display()} since {day(p.stage_changed_at)}",
                ],
                "walk_away",
                severity="high",
                reason=FailureReason.WRONG_FIRM,
            )
        )
    if p.propensity_to_refer == Propensity.LOW and p.received_ever == 0 and patient_enough:
        found.append(
            _diagnosis(
                "wrong_professional",
                p,
                [
                    "Propensity to refer: low",
                    f"No referral received in the {_plural(months, 'month')} since you first "
                    f"met on {day(met_on)}",
                    f"{_plural(touches, 'touch', 'touches')} in that time",
                ],
                "walk_away",
                severity="high",
                reason=FailureReason.WRONG_PROFESSIONAL,
            )
        )
    if p.can_describe_value == CanDescribeValue.NO:
        checked = p.check_at
        if p.check_result == CanDescribeValue.NO and checked is not None:
            heard = f": “{p.check_heard}”" if p.check_heard else ""
            evidence = [f"Could not say your message back on {day(checked)}{heard}"]
        else:
            evidence = ["Their profile says they cannot describe your value"]
        owners_message = p.owner_id != advisor.pk
        if not p.owner_has_message:
            evidence.append(
                f"{p.owner.display_name}'s message (whom they help, what is unique) is not "
                "written down"
                if owners_message
                else "The message (whom you help, what is unique) is not written down"
            )
        evidence.append(
            f"{_plural(p.received_ever, 'referral')} received from them so far"
            if p.received_ever
            else "No referral received from them yet"
        )
        found.append(
            _diagnosis(
                "wrong_message", p, evidence, "change_message", owners_message=owners_message
            )
        )
    if not found and p.received_ever == 0 and touches >= MANY_TOUCHES and patient_enough:
        strategy = str(p.current_strategy)
        found.append(
            _diagnosis(
                "no_referral_yet",
                p,
                [
                    f"{touches} touches since {day(met_on)}, when you first met",
                    f"No referral received in {_plural(months, 'month')}",
                    f"Strategy: {Strategy(strategy).label} "
                    f"(rung {STRATEGY_RUNGS[Strategy(strategy)]} of {len(Strategy)})",
                ],
                "change_strategy",
                title=f"No referral after {_plural(months, 'month')}",
            )
        )
    if p.sent_12m >= ONE_WAY_MIN_SENT and p.received_12m == 0:
        evidence = [
            f"{p.sent_12m} referrals sent in the last {WINDOW_MONTHS} months; none received"
        ]
        nothing_back = _nothing_back_since(p, today=today)
        if nothing_back:
            evidence.append(nothing_back)
        evidence.append(
            "A written agreement is in place"
            if p.has_agreement
            else "Nothing written down: no agreement on what each side will do"
        )
        if nothing_back:
            found.append(
                _diagnosis(
                    "one_way",
                    p,
                    evidence,
                    "walk_away",
                    severity="high",
                    reason=FailureReason.WRONG_PROFESSIONAL,
                )
            )
        else:
            ask: ActionSlug = "review_agreement" if p.has_agreement else "make_the_ask"
            found.append(_diagnosis("one_way", p, evidence, ask))

    too_early = None
    if not found and p.received_ever == 0 and not patient_enough:
        too_early = TooEarly(
            partner_id=p.pk,
            partner_name=p.name,
            met_on=met_on,
            judge_from=judge_from,
            touches=touches,
        )
    return found, too_early


def _focus(advisor: User) -> Diagnosis | None:
    """Too many of the advisor's own partners in the core stages (one query)."""
    per_stage = dict(
        partners_visible_to(advisor=advisor)
        .filter(owner_id=advisor.pk, stage__in=CORE_STAGES)
        .order_by()
        .values("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )
    core = sum(per_stage.values())
    if core <= FOCUS_LIMIT:
        return None
    proposed, active, champions = (
        per_stage.get(stage, 0) for stage in (Stage.PROPOSED, Stage.ACTIVE, Stage.CHAMPION)
    )
    stages = f"{proposed} proposed, {active} active, {_plural(champions, 'champion')}"
    return _diagnosis(
        "too_many_partners",
        None,
        [
            f"{core} of your partners are in the core stages ({stages})",
            f"Five to seven core partners, run well, do better than dozens; "
            f"{core - FOCUS_LIMIT} more than {FOCUS_LIMIT} get less than they need",
        ],
        "focus",
        severity="low",
        title=f"{core} core partners: too many to serve well",
    )


def _sort_key(diagnosis: Diagnosis) -> tuple[Any, ...]:
    return (
        not diagnosis.about_the_book,
        SEVERITY_ORDER[diagnosis.severity],
        diagnosis.partner_name.lower(),
        diagnosis.partner_id or 0,
        SLUG_ORDER[diagnosis.slug],
    )


def _scope(advisor: User, partner: Partner | None, mine_only: bool) -> QuerySet[Partner]:
    partners = partners_visible_to(advisor=advisor).filter(stage__in=DIAGNOSED_STAGES)
    if partner is not None:
        # One partner the advisor may see: shared ones too, whoever owns them.
        return partners.filter(pk=partner.pk)
    return partners.owned_by(advisor) if mine_only else partners


def judged_until(today: dt.date) -> dt.date:
    """The last day a first meeting may have been for the partner to be judged today: the
    latest day whose PATIENCE_MONTHS later is not after ``today`` (a Feb 29 lands on Feb 28)."""
    day = add_months(today, -PATIENCE_MONTHS)
    while add_months(day + dt.timedelta(days=1), PATIENCE_MONTHS) <= today:
        day += dt.timedelta(days=1)
    return day


def may_be_named(
    partners: QuerySet[Partner], *, today: dt.date, too_early: bool = True
) -> QuerySet[Partner]:
    """The partners (read through ``with_readings``) the rules below may name, or (with
    ``too_early``) find too early to judge, in SQL: each rule's conditions but the wording, so
    that the Python part reads the candidates only. Every partner the rules name is among
    them."""
    patient = Q(met_at__lt=_start_of(judged_until(today) + dt.timedelta(days=1)))
    early = ~patient if too_early else Q(pk__in=[])
    return partners.filter(
        Q(can_describe_value=CanDescribeValue.NO)
        | Q(sent_12m__gte=ONE_WAY_MIN_SENT, received_12m=0)
        | (Q(growth_mode=False, received_12m=0) & patient)
        | (
            Q(received_ever=0)
            & (
                Q(propensity_to_refer=Propensity.LOW)  # wrong_professional
                | Q(touches_since_met__gte=MANY_TOUCHES)  # no_referral_yet
                | early  # too early to judge
            )
        )
    )


def assess(
    *,
    advisor: User,
    partner: Partner | None = None,
    today: dt.date | None = None,
    mine_only: bool = True,
    too_early: bool = True,
) -> Assessment:
    """The diagnoses of the partners ``advisor`` may see (their own only, unless
    ``mine_only`` is False; or the one ``partner``), and (unless ``too_early`` is False) the
    partners too early to judge. The advisor-level ``too_many_partners`` is included unless one
    partner is asked about."""
    today, now = _moment(today)
    readings = with_readings(_scope(advisor, partner, mine_only), today=today, now=now)
    partners = may_be_named(readings, today=today, too_early=too_early)
    diagnoses: list[Diagnosis] = []
    early_ones: list[TooEarly] = []
    for row in partners.order_by("name", "pk"):
        found, early = _partner_diagnoses(row, advisor=advisor, today=today)
        diagnoses.extend(found)
        if early is not None and too_early:
            early_ones.append(early)
    if partner is None:
        focus = _focus(advisor)
        if focus is not None:
            diagnoses.append(focus)
    diagnoses.sort(key=_sort_key)
    return Assessment(diagnoses=diagnoses, too_early=early_ones)


def diagnoses_for(
    *,
    advisor: User,
    partner: Partner | None = None,
    today: dt.date | None = None,
    mine_only: bool = True,
) -> list[Diagnosis]:
    """The named diagnoses (see the module's documentation), the book's first, then the most
    severe, then by partner name."""
    found = assess(
        advisor=advisor, partner=partner, today=today, mine_only=mine_only, too_early=False
    )
    return found.diagnoses


def diagnosed_partner_ids(advisor: User, slug: str) -> set[int]:
    """The partners ``advisor`` may see that carry the diagnosis ``slug`` (for the list)."""
    return {
        diagnosis.partner_id
        for diagnosis in diagnoses_for(advisor=advisor, mine_only=False)
        if diagnosis.slug == slug and diagnosis.partner_id is not None
    }
