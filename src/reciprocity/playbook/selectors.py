"""Every read of the playbook, scoped like partners: what an advisor cannot see is a 404."""

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from reciprocity.accounts.models import Role, User
from reciprocity.db_values import as_datetime
from reciprocity.ids import record_id_or_404
from reciprocity.partners.models import (
    CORE_STAGES,
    CanDescribeValue,
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Stage,
    Touch,
)
from reciprocity.partners.selectors import (
    agenda_items,
    dormancy_suggested,
    partner_get_for,
    partners_visible_to,
)
from reciprocity.playbook import ics
from reciprocity.playbook.agenda import (
    Agenda,
    AgendaItem,
    AgendaQuery,
    agenda_sources,
    group_items,
    item_key,
    register_agenda_source,
)
from reciprocity.playbook.models import (
    CADENCE_TOUCH_KINDS,
    MEETING_FOR_STAGE,
    STRATEGY_RUNGS,
    AdvisorProfile,
    AgendaSnooze,
    Agreement,
    AgreementStatus,
    Cadence,
    CadenceDefault,
    CadenceKind,
    CalendarFeed,
    CaseQuestion,
    ClientCase,
    ClientConcern,
    DiagnosticQuestion,
    Meeting,
    MeetingPlan,
    MeetingPlanItem,
    MeetingStatus,
    MessageCheck,
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    Solution,
    Strategy,
)
from reciprocity.referrals.models import Direction, Kind, Referral, ReferralStatus

MEETING_NOT_FOUND = "No meeting with that id."
PLAN_NOT_FOUND = "No meeting plan with that id."
AGREEMENT_NOT_FOUND = "No agreement with that id."
CONCERN_NOT_FOUND = "No client concern with that id."
CASE_NOT_FOUND = "No client case with that id."
OPPORTUNITY_NOT_FOUND = "No opportunity with that id."
SOLUTION_NOT_FOUND = "No library entry with that id."
QUESTION_NOT_FOUND = "No diagnostic question with that id."
FEED_NOT_FOUND = "No calendar feed at this address."

# Research defaults (PRODUCT.md): a handful of core partners beats dozens.
FOCUS_LIMIT = 7
# A partner that has been active this long on the lowest rung is worth moving up the spectrum.
CLIENT_REQUESTED_PATIENCE_DAYS = 90
# Held meetings stay in the calendar feed for this long, so last week's meetings do not vanish.
FEED_PAST_MEETING_DAYS = 90


def _int_or_404(pk: Any, message: str) -> int:
    # Bounded like every record id: a larger number would overflow the database's integers.
    return record_id_or_404(pk, not_found=message)


def _visible(advisor: User) -> QuerySet[Partner]:
    return partners_visible_to(advisor=advisor, include_archived=True)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


# --- The advisor's message ------------------------------------------------------------------


def advisor_profile_of(*, advisor: User) -> AdvisorProfile | None:
    return AdvisorProfile.objects.filter(user_id=advisor.pk).first()


@dataclass(frozen=True)
class PartnerBrief:
    """What to read before every meeting with a partner."""

    partner: Partner
    message: AdvisorProfile | None  # the owner's: the partner is the owner's relationship
    can_describe_value: str
    last_check: MessageCheck | None
    strategy: str
    agreement: Agreement | None
    next_meeting: Meeting | None
    plan: MeetingPlan | None

    @property
    def strategy_label(self) -> str:
        return Strategy(self.strategy).label

    @property
    def message_missing(self) -> bool:
        return self.message is None or not self.message.has_message


def partner_brief(*, advisor: User, partner: Partner) -> PartnerBrief:
    partner = partner_get_for(advisor=advisor, pk=partner.pk)
    next_meeting = (
        Meeting.objects.filter(partner=partner, status=MeetingStatus.PLANNED)
        .select_related("plan")
        .order_by("scheduled_for", "pk")
        .first()
    )
    kind = next_meeting.kind if next_meeting else MEETING_FOR_STAGE.get(partner.stage)
    return PartnerBrief(
        partner=partner,
        message=AdvisorProfile.objects.filter(user_id=partner.owner_id).first(),
        can_describe_value=partner.can_describe_value,
        last_check=partner.message_checks.select_related("by").first(),
        strategy=strategy_of(partner=partner),
        agreement=agreement_active_for(partner=partner),
        next_meeting=next_meeting,
        plan=(
            MeetingPlan.objects.filter(firm_id=partner.firm_id, kind=kind)
            .prefetch_related("items")
            .first()
            if kind
            else None
        ),
    )


def message_checks_of(*, partner: Partner) -> QuerySet[MessageCheck]:
    return partner.message_checks.select_related("by")


# --- Meeting plans and meetings -------------------------------------------------------------


def meeting_plans_of(*, advisor: User) -> QuerySet[MeetingPlan]:
    if advisor.firm_id is None:
        return MeetingPlan.objects.none()
    return MeetingPlan.objects.filter(firm_id=advisor.firm_id).prefetch_related("items")


def meeting_plan_get_for(*, advisor: User, pk: Any) -> MeetingPlan:
    plan = meeting_plans_of(advisor=advisor).filter(pk=_int_or_404(pk, PLAN_NOT_FOUND)).first()
    if plan is None:
        raise Http404(PLAN_NOT_FOUND)
    return plan


def meeting_plan_item_get_for(*, advisor: User, pk: Any) -> MeetingPlanItem:
    item = (
        MeetingPlanItem.objects.select_related("plan")
        .filter(pk=_int_or_404(pk, PLAN_NOT_FOUND), plan__in=meeting_plans_of(advisor=advisor))
        .first()
    )
    if item is None:
        raise Http404(PLAN_NOT_FOUND)
    return item


def meeting_plan_for(*, partner: Partner, kind: str | None = None) -> MeetingPlan | None:
    """The firm's plan for ``kind``, or for the meeting the partner's stage works towards."""
    kind = kind or MEETING_FOR_STAGE.get(partner.stage)
    if not kind:
        return None
    return (
        MeetingPlan.objects.filter(firm_id=partner.firm_id, kind=kind)
        .prefetch_related("items")
        .first()
    )


def meetings_of(*, partner: Partner) -> QuerySet[Meeting]:
    return (
        partner.meetings.select_related("plan", "by")
        .prefetch_related("points")
        .order_by("-scheduled_for", "-pk")
    )


def meeting_get_for(*, advisor: User, pk: Any, partner_id: Any = None) -> Meeting:
    qs = Meeting.objects.select_related("partner", "plan").prefetch_related("points")
    qs = qs.filter(pk=_int_or_404(pk, MEETING_NOT_FOUND), partner__in=_visible(advisor))
    if partner_id is not None:
        qs = qs.filter(partner_id=_int_or_404(partner_id, MEETING_NOT_FOUND))
    meeting = qs.first()
    if meeting is None:
        raise Http404(MEETING_NOT_FOUND)
    return meeting


# --- Agreements -----------------------------------------------------------------------------


def agreement_active_for(*, partner: Partner) -> Agreement | None:
    return (
        partner.agreements.filter(status=AgreementStatus.ACTIVE)
        .prefetch_related("promises__commitment")
        .first()
    )


def agreements_of(*, partner: Partner) -> QuerySet[Agreement]:
    """Every agreement with the partner, the active one and those it replaced, newest first."""
    return partner.agreements.select_related("by").prefetch_related("promises__commitment")


def agreement_get_for(*, advisor: User, pk: Any) -> Agreement:
    agreement = (
        Agreement.objects.select_related("partner", "partner__owner", "by")
        .prefetch_related("promises__commitment")
        .filter(pk=_int_or_404(pk, AGREEMENT_NOT_FOUND), partner__in=_visible(advisor))
        .first()
    )
    if agreement is None:
        raise Http404(AGREEMENT_NOT_FOUND)
    return agreement


@dataclass(frozen=True)
class PromiseLine:
    what: str
    due: dt.date | None
    status: str


@dataclass(frozen=True)
class AgreementDocument:
    """An agreement laid out for reading and printing."""

    agreement: Agreement
    partner_name: str
    partner_organization: str
    advisor_name: str
    advisor_will: list[PromiseLine]
    partner_will: list[PromiseLine]
    referral_process: str
    keep_in_touch: str
    agreed_on: dt.date
    next_review: dt.date
    status: str
    message: AdvisorProfile | None


def agreement_document(*, advisor: User, pk: Any) -> AgreementDocument:
    agreement = agreement_get_for(advisor=advisor, pk=pk)
    lines: dict[str, list[PromiseLine]] = {CommitmentOwner.ADVISOR: [], CommitmentOwner.PARTNER: []}
    for promise in agreement.promises.all():
        commitment = promise.commitment
        lines[promise.owner].append(
            PromiseLine(
                what=promise.what,
                due=commitment.due if commitment else None,
                status=commitment.get_status_display() if commitment else "",
            )
        )
    partner = agreement.partner
    return AgreementDocument(
        agreement=agreement,
        partner_name=partner.name,
        partner_organization=partner.organization,
        advisor_name=partner.owner.display_name,
        advisor_will=lines[CommitmentOwner.ADVISOR],
        partner_will=lines[CommitmentOwner.PARTNER],
        referral_process=agreement.get_referral_process_display(),
        keep_in_touch=agreement.keep_in_touch,
        agreed_on=agreement.agreed_on,
        next_review=agreement.next_review,
        status=agreement.get_status_display(),
        message=AdvisorProfile.objects.filter(user_id=partner.owner_id).first(),
    )


# --- Cadences -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveCadence:
    partner_id: int
    partner_name: str
    kind: str
    interval_months: int | None
    source: str  # "firm" (the stage default) or "partner" (the advisor's override)
    last_touch_at: dt.datetime | None
    due: dt.date | None  # None for a membership such as the newsletter list

    @property
    def label(self) -> str:
        return CadenceKind(self.kind).label

    @property
    def description(self) -> str:
        if self.kind == CadenceKind.NEWSLETTER and self.interval_months is None:
            return "On the newsletter list"
        if self.interval_months == 12:
            every = "every year"
        elif self.interval_months == 1:
            every = "every month"
        else:
            every = f"every {self.interval_months} months"
        return f"{self.label} {every}"


def cadence_defaults_of(*, advisor: User) -> QuerySet[CadenceDefault]:
    if advisor.firm_id is None:
        return CadenceDefault.objects.none()
    return CadenceDefault.objects.filter(firm_id=advisor.firm_id).order_by("stage", "kind")


def _last_touch_annotations() -> dict[str, Subquery]:
    annotations = {}
    for kind, touch_kinds in CADENCE_TOUCH_KINDS.items():
        last = (
            Touch.objects.filter(
                partner_id=OuterRef("pk"), archived_at__isnull=True, kind__in=touch_kinds
            )
            .order_by()
            .values("partner_id")
            .annotate(last=Max("occurred_at"))
            .values("last")
        )
        annotations[f"last_{kind}"] = Subquery(last)
    return annotations


def _cadence_partners(partners: QuerySet[Partner], firm_ids: Iterable[int]) -> list[Partner]:
    """Partners with a cadence running (a stage default or an override), with their last
    matching touches and overrides, in three queries whatever their number."""
    defaults = list(CadenceDefault.objects.filter(firm_id__in=list(firm_ids)))
    stages = {row.stage for row in defaults}
    candidates = (
        partners.exclude(stage=Stage.RETIRED)
        .filter(archived_at__isnull=True)
        .filter(Q(stage__in=stages) | Exists(Cadence.objects.filter(partner_id=OuterRef("pk"))))
        .annotate(**_last_touch_annotations())
        .prefetch_related(Prefetch("cadences", to_attr="cadence_overrides"))
        .order_by("name", "pk")
    )
    by_stage: dict[tuple[int, str], list[CadenceDefault]] = {}
    for row in defaults:
        by_stage.setdefault((row.firm_id, row.stage), []).append(row)
    result: list[Partner] = list(candidates)
    for partner in result:
        partner.stage_cadence_defaults = by_stage.get(  # type: ignore[attr-defined]
            (partner.firm_id, partner.stage), []
        )
    return result


def _effective(partner: Partner) -> list[EffectiveCadence]:
    overrides = {row.kind: row for row in getattr(partner, "cadence_overrides", [])}
    defaults = {row.kind: row for row in getattr(partner, "stage_cadence_defaults", [])}
    result = []
    for kind in CadenceKind.values:
        override = overrides.get(kind)
        if override is not None:
            if not override.enabled:
                continue
            interval, source = override.interval_months, "partner"
        elif kind in defaults:
            interval, source = defaults[kind].interval_months, "firm"
        else:
            continue
        last = as_datetime(getattr(partner, f"last_{kind}", None))
        due = None
        if interval:
            since = last or partner.stage_changed_at
            due = add_months(timezone.localdate(since), interval)
        result.append(
            EffectiveCadence(
                partner_id=partner.pk,
                partner_name=partner.name,
                kind=kind,
                interval_months=interval,
                source=source,
                last_touch_at=last,
                due=due,
            )
        )
    return result


def cadences_of(*, partner: Partner) -> list[EffectiveCadence]:
    """The cadences running for one partner: its overrides, else its stage's firm defaults."""
    found = _cadence_partners(Partner.objects.filter(pk=partner.pk), [partner.firm_id])
    return _effective(found[0]) if found else []


def cadence_items_of(
    *, advisor: User, mine_only: bool = True, partners: QuerySet[Partner] | None = None
) -> list[EffectiveCadence]:
    """Every dated cadence of the advisor's partners, with its next due date."""
    if partners is None:
        partners = partners_visible_to(advisor=advisor)
        if mine_only:
            partners = partners.filter(owner_id=advisor.pk)
    result: list[EffectiveCadence] = []
    for partner in _cadence_partners(partners, [advisor.firm_id] if advisor.firm_id else []):
        result.extend(c for c in _effective(partner) if c.due is not None)
    return result


def newsletter_list(*, advisor: User, mine_only: bool = False) -> list[Partner]:
    """Partners who should receive the newsletter, by their cadence."""
    partners = partners_visible_to(advisor=advisor)
    if mine_only:
        partners = partners.filter(owner_id=advisor.pk)
    found = _cadence_partners(partners, [advisor.firm_id] if advisor.firm_id else [])
    return [
        partner
        for partner in found
        if any(c.kind == CadenceKind.NEWSLETTER for c in _effective(partner))
    ]


# --- The agenda -----------------------------------------------------------------------------


def _commitment_items(query: AgendaQuery) -> list[AgendaItem]:
    # agenda_items counts its horizon from the real today; shift it so ``until`` matches.
    horizon = (query.until - timezone.localdate()).days
    return [
        AgendaItem(
            source="commitment",
            key=item_key("commitment", c.partner_id, c.pk),
            partner_id=c.partner_id,
            partner_name=c.partner.name,
            title=c.what,
            due=c.due,
            owner=c.owner,
            object_id=c.pk,
        )
        for c in agenda_items(
            advisor=query.advisor, horizon_days=horizon, mine_only=query.mine_only
        )
    ]


CADENCE_TITLES: dict[str, str] = {
    CadenceKind.TOUCH_BASE: "Touch base with {name}",
    CadenceKind.ANNUAL_REVIEW: "Annual review with {name}: how are the referred clients doing?",
    CadenceKind.NEWSLETTER: "Send the newsletter to {name}",
}


def _cadence_items(query: AgendaQuery) -> list[AgendaItem]:
    items = []
    for cadence in cadence_items_of(advisor=query.advisor, partners=query.partners):
        assert cadence.due is not None
        if cadence.due > query.until:
            continue
        last = (
            f"last on {timezone.localdate(cadence.last_touch_at):%b %-d, %Y}"
            if cadence.last_touch_at
            else "no touch logged yet"
        )
        items.append(
            AgendaItem(
                source="cadence",
                key=item_key("cadence", cadence.partner_id, cadence.kind, cadence.due.isoformat()),
                partner_id=cadence.partner_id,
                partner_name=cadence.partner_name,
                title=CADENCE_TITLES[cadence.kind].format(name=cadence.partner_name),
                due=cadence.due,
                detail=f"{cadence.description}; {last}.",
            )
        )
    return items


def _opportunity_items(query: AgendaQuery) -> list[AgendaItem]:
    opportunities = Opportunity.objects.filter(
        partner__in=query.partners, status=OpportunityStatus.OPEN, ask_by__lte=query.until
    ).select_related("partner")
    return [
        AgendaItem(
            source="opportunity",
            key=item_key("opportunity", o.partner_id, o.pk),
            partner_id=o.partner_id,
            partner_name=o.partner.name,
            title=f"Ask {o.partner.name} for a meeting with the client: {o.title}",
            due=o.ask_by,
            detail=o.get_strategy_display(),
            object_id=o.pk,
        )
        for o in opportunities
    ]


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _meeting_items(query: AgendaQuery) -> list[AgendaItem]:
    meetings = Meeting.objects.filter(
        partner__in=query.partners,
        status=MeetingStatus.PLANNED,
        scheduled_for__lt=_day_end(query.until),
    ).select_related("partner", "plan")
    items = []
    for m in meetings:
        day = timezone.localdate(m.scheduled_for)
        verb = "Record what was covered in" if day < query.today else "Prepare"
        items.append(
            AgendaItem(
                source="meeting",
                key=item_key("meeting", m.partner_id, m.pk),
                partner_id=m.partner_id,
                partner_name=m.partner.name,
                title=f"{verb} the {m.get_kind_display().lower()} with {m.partner.name}",
                due=day,
                detail=m.plan.name if m.plan else "",
                object_id=m.pk,
                at=m.scheduled_for,
            )
        )
    return items


register_agenda_source("commitment", _commitment_items)
register_agenda_source("cadence", _cadence_items)
register_agenda_source("opportunity", _opportunity_items)
register_agenda_source("meeting", _meeting_items)


def agenda_for(
    advisor: User,
    *,
    today: dt.date | None = None,
    horizon_days: int = 7,
    mine_only: bool = True,
) -> Agenda:
    """Everything due up to ``horizon_days`` ahead, from every source: overdue first, then
    today, then the rest of the week. Snoozed items are left out until their date."""
    today = today or timezone.localdate()
    partners = partners_visible_to(advisor=advisor)
    if mine_only:
        partners = partners.filter(owner_id=advisor.pk)
    query = AgendaQuery(
        advisor=advisor,
        today=today,
        until=today + dt.timedelta(days=horizon_days),
        partners=partners,
        mine_only=mine_only,
    )
    items: list[AgendaItem] = []
    for lister in agenda_sources().values():
        items.extend(lister(query))
    snoozed = set(
        AgendaSnooze.objects.filter(advisor_id=advisor.pk, until__gt=today).values_list(
            "key", flat=True
        )
    )
    return group_items(items, today=today, snoozed_keys=snoozed)


def snoozes_of(*, advisor: User, today: dt.date | None = None) -> QuerySet[AgendaSnooze]:
    today = today or timezone.localdate()
    return AgendaSnooze.objects.filter(advisor_id=advisor.pk, until__gt=today).select_related(
        "partner"
    )


# --- Strategies -----------------------------------------------------------------------------


def with_strategy(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    """Annotate each partner's current strategy (client-requested until one is chosen)."""
    latest = PartnerStrategy.objects.filter(partner_id=OuterRef("pk")).order_by(
        "-started_at", "-pk"
    )
    return qs.annotate(
        current_strategy=Coalesce(
            Subquery(latest.values("strategy")[:1]), Value(Strategy.CLIENT_REQUESTED)
        )
    )


def strategy_of(*, partner: Partner) -> str:
    if hasattr(partner, "current_strategy"):
        return str(partner.current_strategy)
    latest = partner.strategies.order_by("-started_at", "-pk").first()
    return latest.strategy if latest else Strategy.CLIENT_REQUESTED


def strategy_history(*, partner: Partner) -> QuerySet[PartnerStrategy]:
    return partner.strategies.select_related("by")


@dataclass(frozen=True)
class StrategyYield:
    strategy: str
    partners: int  # partners currently on it
    opportunities: int
    meetings_requested: int
    referred: int  # opportunities closed as referred, linked to a referral or not
    referrals: int  # received referrals linked back to its opportunities (archived ones not)
    clients: int  # of those, the referrals that became clients

    @property
    def label(self) -> str:
        return Strategy(self.strategy).label

    @property
    def rung(self) -> int:
        return STRATEGY_RUNGS[Strategy(self.strategy)]


def strategy_yield(
    *, advisor: User, partner: Partner | None = None, since: dt.datetime | None = None
) -> list[StrategyYield]:
    """What each rung of the spectrum produced: opportunities, meeting requests, referrals
    received through them and the clients those became. Two queries; every strategy is listed,
    so a rung that yields nothing shows it."""
    partners = partners_visible_to(advisor=advisor)
    if partner is not None:
        partners = partners.filter(pk=partner.pk)
    running: dict[str, int] = dict(
        with_strategy(partners)
        .order_by()
        .values("current_strategy")  # type: ignore[misc]  # an annotation the stubs cannot see
        .annotate(n=Count("pk"))
        .values_list("current_strategy", "n")
    )
    opportunities = Opportunity.objects.filter(partner__in=partners)
    if since is not None:
        opportunities = opportunities.filter(created_at__gte=since)
    linked = Q(referral__isnull=False, referral__archived_at__isnull=True)
    counts: dict[str, dict[str, Any]] = {
        row["strategy"]: dict(row)
        for row in opportunities.order_by()
        .values("strategy")
        .annotate(
            total=Count("pk"),
            requested=Count("pk", filter=Q(meeting_requested_at__isnull=False)),
            referred=Count("pk", filter=Q(status=OpportunityStatus.REFERRED)),
            referrals=Count("pk", filter=linked),
            clients=Count("pk", filter=linked & Q(referral__status=ReferralStatus.BECAME_CLIENT)),
        )
    }
    return [
        StrategyYield(
            strategy=strategy,
            partners=running.get(strategy, 0),
            opportunities=counts.get(strategy, {}).get("total", 0),
            meetings_requested=counts.get(strategy, {}).get("requested", 0),
            referred=counts.get(strategy, {}).get("referred", 0),
            referrals=counts.get(strategy, {}).get("referrals", 0),
            clients=counts.get(strategy, {}).get("clients", 0),
        )
        for strategy in Strategy.values
    ]


# --- The "what we solve" library and client concerns ----------------------------------------


def solutions_of(*, advisor: User, include_archived: bool = False) -> QuerySet[Solution]:
    if advisor.firm_id is None:
        return Solution.objects.none()
    qs = Solution.objects.filter(firm_id=advisor.firm_id)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs


def solution_get_for(*, advisor: User, pk: Any) -> Solution:
    solution = (
        solutions_of(advisor=advisor, include_archived=True)
        .filter(pk=_int_or_404(pk, SOLUTION_NOT_FOUND))
        .first()
    )
    if solution is None:
        raise Http404(SOLUTION_NOT_FOUND)
    return solution


@dataclass(frozen=True)
class SolutionMatch:
    solution: Solution
    score: int
    matched: tuple[str, ...]  # the keywords found in the concern


def solutions_matching(*, concern: ClientConcern, limit: int = 5) -> list[SolutionMatch]:
    """Library entries whose keywords appear in the concern, best first; same topic counts too."""
    # Possessives and plurals should not hide a match: "employer's stock", "markets".
    text = re.sub(r"['\u2019]s\b", "", concern.description.lower())
    matches = []
    for solution in Solution.objects.filter(
        firm_id=concern.partner.firm_id, archived_at__isnull=True
    ):
        found = tuple(
            word
            for word in solution.keyword_list
            if re.search(r"(?<!\w)" + re.escape(word) + r"(?:e?s)?(?!\w)", text)
        )
        score = len(found) + (1 if concern.topic and concern.topic == solution.topic else 0)
        if score:
            matches.append(SolutionMatch(solution=solution, score=score, matched=found))
    matches.sort(key=lambda m: (-m.score, m.solution.title))
    return matches[:limit]


def concerns_of(*, partner: Partner) -> QuerySet[ClientConcern]:
    return partner.concerns.prefetch_related("opportunities__solution")


def concern_get_for(*, advisor: User, pk: Any) -> ClientConcern:
    concern = (
        ClientConcern.objects.select_related("partner")
        .filter(pk=_int_or_404(pk, CONCERN_NOT_FOUND), partner__in=_visible(advisor))
        .first()
    )
    if concern is None:
        raise Http404(CONCERN_NOT_FOUND)
    return concern


# --- Client cases and the question bank -----------------------------------------------------


def question_bank(
    *, advisor: User, topic: str | None = None, include_archived: bool = False
) -> QuerySet[DiagnosticQuestion]:
    if advisor.firm_id is None:
        return DiagnosticQuestion.objects.none()
    qs = DiagnosticQuestion.objects.filter(firm_id=advisor.firm_id)
    if topic:
        qs = qs.filter(topic=topic)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs


def question_get_for(*, advisor: User, pk: Any) -> DiagnosticQuestion:
    question = (
        question_bank(advisor=advisor, include_archived=True)
        .filter(pk=_int_or_404(pk, QUESTION_NOT_FOUND))
        .first()
    )
    if question is None:
        raise Http404(QUESTION_NOT_FOUND)
    return question


def cases_of(*, partner: Partner) -> QuerySet[ClientCase]:
    return partner.client_cases.prefetch_related("questions")


def case_get_for(*, advisor: User, pk: Any) -> ClientCase:
    case = (
        ClientCase.objects.select_related("partner")
        .prefetch_related("questions")
        .filter(pk=_int_or_404(pk, CASE_NOT_FOUND), partner__in=_visible(advisor))
        .first()
    )
    if case is None:
        raise Http404(CASE_NOT_FOUND)
    return case


def answered_count(case: ClientCase) -> int:
    return sum(1 for question in case.questions.all() if question.answer.strip())


def case_questions_of(*, case: ClientCase) -> QuerySet[CaseQuestion]:
    return case.questions.all()


# --- Opportunities --------------------------------------------------------------------------


def opportunities_of(*, partner: Partner) -> QuerySet[Opportunity]:
    return partner.opportunities.select_related(
        "solution", "concern", "case", "meeting", "referral"
    )


def referrals_to_link(*, partner: Partner) -> QuerySet[Referral]:
    """The partner's received referrals an opportunity may still claim, most recent first."""
    return Referral.objects.filter(
        partner_id=partner.pk,
        direction=Direction.RECEIVED,
        kind=Kind.REFERRAL,
        archived_at__isnull=True,
        opportunity__isnull=True,
    ).order_by("-occurred_at", "-pk")


def opportunity_get_for(*, advisor: User, pk: Any) -> Opportunity:
    opportunity = (
        Opportunity.objects.select_related("partner")
        .filter(pk=_int_or_404(pk, OPPORTUNITY_NOT_FOUND), partner__in=_visible(advisor))
        .first()
    )
    if opportunity is None:
        raise Http404(OPPORTUNITY_NOT_FOUND)
    return opportunity


# --- Calendar -------------------------------------------------------------------------------


def _meeting_event(
    meeting: Meeting, partner_name: str, message: AdvisorProfile | None
) -> ics.CalendarEvent:
    lines = []
    # The message goes before every meeting: can the partner say it back yet?
    if message is not None and message.has_message:
        lines += [
            f"Whom you help: {message.whom_i_help}",
            f"What is unique about you: {message.what_is_unique}",
            "",
        ]
    if meeting.plan and meeting.plan.purpose:
        lines.append(meeting.plan.purpose)
    lines += [f"- {point.prompt}" for point in meeting.points.all()]
    return ics.CalendarEvent(
        uid=f"meeting-{meeting.pk}@reciprocity",
        summary=f"{meeting.get_kind_display()} with {partner_name}",
        start=meeting.scheduled_for,
        end=meeting.scheduled_for + dt.timedelta(minutes=meeting.duration_minutes),
        description="\n".join(lines),
        location=meeting.location,
        category="Meeting",
    )


def calendar_events_for(*, advisor: User, today: dt.date | None = None) -> list[ics.CalendarEvent]:
    """The advisor's open commitments, dated cadences and planned meetings (their own
    partners, like the agenda), each at its due date. A fixed number of queries whatever the
    book's size."""
    today = today or timezone.localdate()
    partners = partners_visible_to(advisor=advisor).filter(owner_id=advisor.pk)
    events = []
    commitments = Commitment.objects.filter(
        partner__in=partners, status=CommitmentStatus.OPEN
    ).select_related("partner")
    for c in commitments.order_by("due", "pk"):
        waiting_on = "" if c.owner == CommitmentOwner.ADVISOR else "Waiting on partner: "
        events.append(
            ics.CalendarEvent(
                uid=f"commitment-{c.pk}@reciprocity",
                summary=f"{waiting_on}{c.what} ({c.partner.name})",
                start=c.due,
                category="Commitment",
            )
        )
    for cadence in cadence_items_of(advisor=advisor, partners=partners):
        assert cadence.due is not None
        events.append(
            ics.CalendarEvent(
                uid=f"cadence-{cadence.partner_id}-{cadence.kind}@reciprocity",
                summary=CADENCE_TITLES[cadence.kind].format(name=cadence.partner_name),
                start=cadence.due,
                description=cadence.description,
                category="Keep warm",
            )
        )
    since = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=FEED_PAST_MEETING_DAYS), dt.time.min)
    )
    meetings = (
        Meeting.objects.filter(partner__in=partners, scheduled_for__gte=since)
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("partner", "plan")
        .prefetch_related("points")
    )
    message = advisor_profile_of(advisor=advisor)
    events.extend(_meeting_event(m, m.partner.name, message) for m in meetings)
    return events


def calendar_feed_for_token(token: str, *, today: dt.date | None = None) -> bytes:
    """The ICS body of the feed behind ``token``; Http404 when it is wrong or revoked."""
    if not token or not token.startswith(CalendarFeed.PREFIX):
        raise Http404(FEED_NOT_FOUND)
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(
            key_hash=CalendarFeed.hash_key(token), revoked_at__isnull=True, user__is_active=True
        )
        .first()
    )
    if feed is None:
        raise Http404(FEED_NOT_FOUND)
    return ics.build_calendar(
        name=f"Reciprocity: {feed.user.display_name}",
        events=calendar_events_for(advisor=feed.user, today=today),
        stamp=timezone.now(),
    )


def calendar_feed_of(*, advisor: User) -> CalendarFeed | None:
    """The advisor's live feed, if any (its secret is never shown again)."""
    return CalendarFeed.objects.filter(user_id=advisor.pk, revoked_at__isnull=True).first()


def meeting_ics(*, advisor: User, partner_id: Any, meeting_id: Any) -> tuple[bytes, str]:
    """One meeting as an .ics file to download, and its file name."""
    meeting = meeting_get_for(advisor=advisor, pk=meeting_id, partner_id=partner_id)
    body = ics.build_calendar(
        name=str(meeting),
        events=[
            _meeting_event(
                meeting,
                meeting.partner.name,
                AdvisorProfile.objects.filter(user_id=meeting.partner.owner_id).first(),
            )
        ],
        stamp=timezone.now(),
    )
    day = timezone.localdate(meeting.scheduled_for)
    return body, f"meeting-{meeting.pk}-{day.isoformat()}.ics"


# --- The weekly digest ----------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    text: str
    partner_id: int | None = None
    partner_name: str = ""


@dataclass(frozen=True)
class Digest:
    advisor: User
    today: dt.date
    agenda: Agenda
    suggestions: list[Suggestion]

    @property
    def is_empty(self) -> bool:
        return not len(self.agenda) and not self.suggestions


def suggestions_for(*, advisor: User, today: dt.date | None = None) -> list[Suggestion]:
    """What the playbook suggests this week: go back to quiet partners, repeat the message,
    move up the referral spectrum, write the agreement, and focus on a handful of partners."""
    today = today or timezone.localdate()
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    partners = list(
        with_strategy(partners_visible_to(advisor=advisor).filter(owner_id=advisor.pk))
        .exclude(stage=Stage.RETIRED)
        .select_related("firm")
        .annotate(
            has_agreement=Exists(
                Agreement.objects.filter(partner_id=OuterRef("pk"), status=AgreementStatus.ACTIVE)
            ),
        )
        .order_by("name", "pk")
    )
    suggestions = []
    core = [p for p in partners if p.stage in CORE_STAGES]
    if len(core) > FOCUS_LIMIT:
        suggestions.append(
            Suggestion(
                f"You have {len(core)} core partners. Five to seven, run well, do better than "
                "many: choose where to focus."
            )
        )
    for p in partners:
        if dormancy_suggested(p, now=now):
            days = (now - (p.last_touch_at or p.stage_changed_at)).days
            suggestions.append(
                Suggestion(
                    f"No touch with {p.name} for {days} days: get back in touch, or mark them "
                    "dormant.",
                    p.pk,
                    p.name,
                )
            )
        if p.stage in CORE_STAGES and p.can_describe_value == CanDescribeValue.NO:
            suggestions.append(
                Suggestion(
                    f"{p.name} cannot yet say whom you help and what is unique about you: "
                    "go over your message at the next meeting.",
                    p.pk,
                    p.name,
                )
            )
        if p.stage in (Stage.ACTIVE, Stage.CHAMPION) and not p.has_agreement:
            suggestions.append(
                Suggestion(
                    f"{p.name} is an active partner with no written agreement: write down "
                    "what each of you will do.",
                    p.pk,
                    p.name,
                )
            )
        if (
            p.stage in (Stage.ACTIVE, Stage.CHAMPION)
            and p.current_strategy == Strategy.CLIENT_REQUESTED  # type: ignore[attr-defined]
            and (now - p.stage_changed_at).days > CLIENT_REQUESTED_PATIENCE_DAYS
        ):
            suggestions.append(
                Suggestion(
                    f"With {p.name} you are waiting for clients to ask, which yields a few "
                    "referrals a year at best: try harvesting their clients' complaints.",
                    p.pk,
                    p.name,
                )
            )
    return suggestions


def digest_for(*, advisor: User, today: dt.date | None = None) -> Digest:
    today = today or timezone.localdate()
    return Digest(
        advisor=advisor,
        today=today,
        agenda=agenda_for(advisor, today=today),
        suggestions=suggestions_for(advisor=advisor, today=today),
    )


def digest_recipients() -> QuerySet[User]:
    """Active advisors and firm admins with an email address who have not opted out."""
    return (
        User.objects.filter(is_active=True, firm__isnull=False)
        .exclude(email="")
        .exclude(role=Role.COMPLIANCE)
        .exclude(playbook_profile__weekly_digest=False)
        .select_related("firm")
        .order_by("pk")
    )


# --- Lists across partners (the REST API) ---------------------------------------------------


def agreements_for(
    *, advisor: User, partner_id: int | None = None, status: str | None = None
) -> QuerySet[Agreement]:
    """Agreements with the partners ``advisor`` may see, newest first."""
    qs = Agreement.objects.filter(partner__in=_visible(advisor))
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("partner", "by").prefetch_related("promises__commitment")
