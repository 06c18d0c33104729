"""Every read of the referral ledger, scoped like partners: a referral is visible exactly when its
partner is (partners.selectors.partners_visible_to); whatever is not visible is a 404.

The reciprocity balance counts the live (non-archived) referrals of a partner, by direction and
kind, all time and over the last BALANCE_WINDOW_DAYS. It is computed from the ledger on every read,
never stored, so it cannot drift from it.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import (
    Count,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, JSONObject
from django.http import Http404
from django.utils import timezone

from reciprocity.accounts.models import Role, User
from reciprocity.dates import local_day
from reciprocity.ids import get_visible_or_404
from reciprocity.partners.models import (
    Partner,
    Profession,
    Stage,
)
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.records import AmongIds, changed_since
from reciprocity.referrals.disclosure import ReferralDisclosure
from reciprocity.referrals.models import (
    FAILURE_STATUSES,
    Direction,
    Kind,
    ProtocolTemplate,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
    ReferralStep,
    default_protocol,
    step_due,
)

REFERRAL_NOT_FOUND = "No referral with that id."
STEP_NOT_FOUND = "This referral has no such step."
DOCUMENT_NOT_FOUND = "This referral has no disclosure document."
BALANCE_WINDOW_DAYS = 365
# "Referrals flow both ways, repeatedly": at least this many each way within the window.
CHAMPION_MIN_EACH_WAY = 2
BEFORE_ACTIVE = [
    Stage.IDENTIFIED,
    Stage.QUALIFIED,
    Stage.FIRST_MEETING,
    Stage.DUE_DILIGENCE,
    Stage.PROPOSED,
]
# (annotation name, direction, kind): the names the API reports on a partner.
BALANCE_COUNTS = (
    ("referrals_sent", Direction.SENT, Kind.REFERRAL),
    ("referrals_received", Direction.RECEIVED, Kind.REFERRAL),
    ("connections_sent", Direction.SENT, Kind.CONNECTION),
    ("connections_received", Direction.RECEIVED, Kind.CONNECTION),
)
WINDOW_SUFFIX = "_12m"


def referrals_visible_to(*, advisor: User, include_archived: bool = False) -> QuerySet[Referral]:
    """Referrals of the partners ``advisor`` may see (archived partners included)."""
    if advisor.firm_id is None:
        return Referral.objects.none()
    partners = partners_visible_to(advisor=advisor, include_archived=True).values("pk")
    # An advisor's partners are read once and their referrals found through the index; the
    # whole firm's are better scanned.
    among = (
        Q(partner__in=partners) if advisor.sees_whole_firm else Q(AmongIds("partner_id", partners))
    )
    qs = Referral.objects.filter(among, firm_id=advisor.firm_id)
    return qs if include_archived else qs.live()


def referral_get_for(*, advisor: User, pk: Any) -> Referral:
    """The referral with ``pk`` if ``advisor`` may see it (archived too); Http404 otherwise."""
    visible = referrals_visible_to(advisor=advisor, include_archived=True)
    return get_visible_or_404(
        visible.select_related("partner", "partner__firm", "by", "disclosure"),
        pk,
        not_found=REFERRAL_NOT_FOUND,
    )


def referral_disclosure_document(*, advisor: User, pk: Any) -> ReferralDisclosure:
    """The disclosure of the referral ``pk`` with its document, if ``advisor`` may see the
    referral and it has one; Http404 otherwise."""
    referral = referral_get_for(advisor=advisor, pk=pk)
    disclosure = getattr(referral, "disclosure", None)
    if disclosure is None or not disclosure.has_document:
        raise Http404(DOCUMENT_NOT_FOUND)
    return cast(ReferralDisclosure, disclosure)


def referral_step_get(*, referral: Referral, slug: str) -> ReferralStep:
    """One step of a referral already fetched through ``referral_get_for``; Http404 if absent."""
    step = referral.steps.filter(slug=slug).select_related("touch").first()
    if step is None:
        raise Http404(STEP_NOT_FOUND)
    return step


def referral_step_get_for(*, advisor: User, pk: Any) -> ReferralStep:
    """The step with ``pk`` if ``advisor`` may see its referral (archived too); else Http404."""
    visible = referrals_visible_to(advisor=advisor, include_archived=True)
    steps = ReferralStep.objects.filter(referral__in=visible.values("pk"))
    return get_visible_or_404(
        steps.select_related("referral", "touch"), pk, not_found=STEP_NOT_FOUND
    )


@dataclass
class ReferralFilters:
    partner: int | None = None
    direction: str = ""
    kind: str = ""
    status: str = ""
    state: str = ""  # "open", "closed" or "" for both
    archived: bool = False  # True lists only archived referrals
    search: str = ""
    # For a sync: archived ones along with the others, only those changed since then.
    include_archived: bool = False
    updated_since: dt.datetime | None = None


def referral_list(*, advisor: User, filters: ReferralFilters | None = None) -> QuerySet[Referral]:
    """Visible referrals, newest first, filtered; paginate the result."""
    f = filters or ReferralFilters()
    qs = referrals_visible_to(advisor=advisor, include_archived=f.archived or f.include_archived)
    if f.archived:
        qs = qs.filter(archived_at__isnull=False)
    if f.partner:
        qs = qs.filter(partner_id=f.partner)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif f.state == "closed":
        qs = qs.filter(closed_at__isnull=False)
    if f.search:
        qs = qs.filter(
            Q(need__icontains=f.search)
            | Q(partner__name__icontains=f.search)
            | Q(client_name__icontains=f.search)
        )
    qs = qs.select_related("partner", "by")
    if f.updated_since is not None:
        return changed_since(qs, f.updated_since)
    return qs.order_by("-occurred_at", "-pk")


def with_steps_and_balance(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Prefetch what a full referral shows: its steps in order, and its partner annotated by
    ``with_balance`` (for the stage suggestion), so a page of referrals costs the same few
    queries whatever its length. Replaces the queryset's select_related with ``by`` and the
    disclosure."""
    return (
        qs.select_related(None)
        .select_related("by", "disclosure")
        .prefetch_related(
            Prefetch("partner", queryset=with_balance(Partner.objects.all())),
            Prefetch("steps", queryset=ReferralStep.objects.order_by("position")),
        )
    )


def referrals_of(*, partner: Partner, include_archived: bool = False) -> QuerySet[Referral]:
    """The referrals of a partner already fetched through ``partner_get_for``."""
    qs = partner.referrals.all() if include_archived else partner.referrals.live()
    return qs.select_related("by").order_by("-occurred_at", "-pk")


def with_step_progress(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate ``steps_total`` and ``steps_done``: how far the sending protocol has come."""
    return qs.annotate(
        steps_total=Count("steps", distinct=True),
        steps_done=Count("steps", filter=Q(steps__done_at__isnull=False), distinct=True),
    )


def open_referrals_of(*, partner: Partner, limit: int = 10) -> list[Referral]:
    """A partner's live referrals still in flight, newest first, with their protocol progress."""
    qs = referrals_of(partner=partner).filter(closed_at__isnull=True)
    return list(with_step_progress(qs)[:limit])


def steps_of(*, referral: Referral) -> QuerySet[ReferralStep]:
    return referral.steps.select_related("touch").order_by("position")


def status_path(
    referral: Referral, changes: Sequence[ReferralStatusChange]
) -> list[tuple[str, str, str]]:
    """The lifecycle as (status, label, state) with state done, skipped, current, todo or failed.

    Only what happened is done: a status the referral passed over without it being recorded (and
    consent unless it is on record) shows as skipped."""
    lifecycle = referral.lifecycle
    failed = referral.status in FAILURE_STATUSES
    reached_status = referral.status
    if failed:
        reached_status = changes[-1].from_status if changes else lifecycle.initial
    reached = lifecycle.path.index(reached_status) if reached_status in lifecycle.path else 0
    recorded = {change.to_status for change in changes}
    if referral.has_consent:
        recorded.add(ReferralStatus.CONSENT_GIVEN)
    elif referral.direction == Direction.SENT:
        recorded.discard(ReferralStatus.CONSENT_GIVEN)
    path = []
    for index, status in enumerate(lifecycle.path):
        if index < reached or (failed and index == reached):
            state = "done" if status in recorded else "skipped"
        elif index == reached:
            state = "done" if status == lifecycle.success else "current"
        else:
            state = "todo"
        if failed and index > reached:
            continue
        path.append((status, ReferralStatus(status).label, state))
    if failed:
        path.append((referral.status, referral.get_status_display(), "failed"))
    return path


@dataclass(frozen=True)
class NextStep:
    """The step a referral in flight waits for, and when it falls due (models.step_due)."""

    step: ReferralStep
    number: int  # its place in the protocol, from 1
    total: int  # how many steps the protocol has
    due: dt.date


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return local_day(moment) if moment is not None else None


def next_step_of(referral: Referral, steps: Sequence[ReferralStep]) -> NextStep | None:
    """The first step (by position) neither done nor skipped of an open, live referral, from
    its steps already fetched (``steps_of``); None when there is none."""
    if referral.closed_at is not None or referral.archived_at is not None:
        return None
    ordered = sorted(steps, key=lambda step: step.position)
    for number, step in enumerate(ordered, start=1):
        if step.done_at is None and step.skipped_at is None:
            finished = [_local_day(s.done_at or s.skipped_at) for s in ordered[: number - 1]]
            due = step_due(
                step.slug,
                referral_day=local_day(referral.occurred_at),
                finished_day=max((day for day in finished if day), default=None),
            )
            return NextStep(step=step, number=number, total=len(ordered), due=due)
    return None


def status_changes_of(*, referral: Referral) -> QuerySet[ReferralStatusChange]:
    return referral.status_changes.select_related("by").order_by("occurred_at", "pk")


@dataclass(frozen=True)
class Outcome:
    """Where a referral ended (or stands), from its dated status changes."""

    status: str
    closed_at: dt.datetime | None
    days_open: int  # from the referral's date to its close, or to now while open
    succeeded: bool | None  # None while open
    reason: str


def referral_outcome(referral: Referral, *, now: dt.datetime | None = None) -> Outcome:
    end = referral.closed_at or now or timezone.now()
    succeeded = None
    if referral.closed_at is not None:
        succeeded = referral.status not in FAILURE_STATUSES
    return Outcome(
        status=referral.status,
        closed_at=referral.closed_at,
        days_open=max((end - referral.occurred_at).days, 0),
        succeeded=succeeded,
        reason=referral.outcome_reason,
    )


# --- Reciprocity balance ----------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    referrals_sent: int
    referrals_received: int
    connections_sent: int
    connections_received: int
    referrals_sent_12m: int
    referrals_received_12m: int
    connections_sent_12m: int
    connections_received_12m: int
    first_referral_received_at: dt.datetime | None
    first_met_at: dt.datetime | None

    @property
    def days_from_first_meeting_to_first_referral(self) -> int | None:
        """None until both are dated, or when the records show no meeting before the referral."""
        if self.first_met_at is None or self.first_referral_received_at is None:
            return None
        days = (self.first_referral_received_at - self.first_met_at).days
        return days if days >= 0 else None


def _window_start(now: dt.datetime | None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=BALANCE_WINDOW_DAYS)


def _live_count(condition: Q) -> Coalesce:
    """Each partner's live referrals meeting ``condition``, as a correlated subquery: the counts
    stay exact whatever else the queryset joins, and a list stays one query whatever its
    length."""
    live = Referral.objects.live().filter(condition, partner_id=OuterRef("pk"))
    matching = live.order_by().values("partner_id")
    return Coalesce(Subquery(matching.annotate(n=Count("pk")).values("n")), 0)


def with_balance(qs: QuerySet[Partner], *, now: dt.datetime | None = None) -> QuerySet[Partner]:
    """Annotate each partner's balance counts (``balance_counts``, read by ``balance_for``):
    ``referrals_sent``, ``referrals_received``, ``connections_sent``, ``connections_received``
    and the same with ``_12m`` for the window. One correlated subquery counts them all, as
    JSON: a partner's live referrals are read once, not once for each count, and the query is
    one subquery to build and compile, not eight. A partner with none has null: zeros."""
    since = _window_start(now)
    counts: dict[str, Any] = {}
    for name, direction, kind in BALANCE_COUNTS:
        counts[name] = Count("pk", filter=Q(direction=direction, kind=kind))
        counts[name + WINDOW_SUFFIX] = Count(
            "pk", filter=Q(direction=direction, kind=kind, occurred_at__gte=since)
        )
    live = Referral.objects.live().filter(partner_id=OuterRef("pk")).order_by()
    counted = live.values("partner_id").annotate(counts=JSONObject(**counts)).values("counts")
    return qs.annotate(balance_counts=Subquery(counted, output_field=JSONField()))


def with_referral_counts(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    """Annotate ``referrals_sent`` and ``referrals_received`` alone, as ``with_balance`` counts
    them: what a card shows, where a page of cards would pay for the balance's eight counts."""
    return qs.annotate(
        **{
            name: _live_count(Q(direction=direction, kind=kind))
            for name, direction, kind in BALANCE_COUNTS
            if kind == Kind.REFERRAL
        }
    )


def balance_for(partner: Partner, *, now: dt.datetime | None = None) -> Balance:
    """The partner's balance: from ``with_balance``'s annotation when present, else one query.
    The first referral received and the first meeting are kept on the partner's row."""
    source: Any = partner
    if not hasattr(partner, "balance_counts") or now is not None:
        source = with_balance(Partner.objects.filter(pk=partner.pk), now=now).get()
    counted: dict[str, int] = source.balance_counts or {}
    return Balance(
        **{
            name + suffix: counted.get(name + suffix, 0)
            for name, _, _ in BALANCE_COUNTS
            for suffix in ("", WINDOW_SUFFIX)
        },
        first_referral_received_at=source.first_received_at,
        first_met_at=source.first_met_at,
    )


@dataclass(frozen=True)
class StageSuggestion:
    stage: Stage
    reason: str


def stage_suggestion(partner: Partner, balance: Balance | None = None) -> StageSuggestion | None:
    """A stage the referral flow suggests (never applied automatically).

    Referrals both ways, CHAMPION_MIN_EACH_WAY or more each way within the window, suggest
    Champion; a first received referral suggests Active partner to a partner not yet active.
    Connections do not count: they show goodwill, not referrals flowing.
    """
    if partner.stage in (Stage.RETIRED, Stage.CHAMPION):
        return None
    balance = balance or balance_for(partner)
    if (
        balance.referrals_sent_12m >= CHAMPION_MIN_EACH_WAY
        and balance.referrals_received_12m >= CHAMPION_MIN_EACH_WAY
    ):
        return StageSuggestion(
            Stage.CHAMPION,
            f"Referrals flow both ways: {balance.referrals_sent_12m} sent and "
            f"{balance.referrals_received_12m} received in the last 12 months.",
        )
    if partner.stage in BEFORE_ACTIVE and balance.first_referral_received_at is not None:
        return StageSuggestion(
            Stage.ACTIVE,
            f"First referral received on {local_day(balance.first_referral_received_at):%Y-%m-%d}.",
        )
    return None


@dataclass(frozen=True)
class AdvisorBalance:
    """One row of the firm's balance table: an advisor's partners and referrals both ways."""

    advisor: User
    partners: int
    referrals_sent: int = 0
    referrals_received: int = 0
    connections_sent: int = 0
    connections_received: int = 0
    referrals_sent_12m: int = 0
    referrals_received_12m: int = 0
    connections_sent_12m: int = 0
    connections_received_12m: int = 0


def firm_balance_table(*, advisor: User, now: dt.datetime | None = None) -> list[AdvisorBalance]:
    """The balance per advisor over the (non-archived) partners ``advisor`` may see.

    A firm admin or compliance officer sees every advisor of the firm, those without partners too;
    an advisor sees the owners of the partners visible to them: themselves and the teammates
    who share with them. The web page and the API both list exactly these rows. Three queries.
    """
    if advisor.firm_id is None:
        return []
    since = _window_start(now)
    partners = partners_visible_to(advisor=advisor)
    per_owner = dict(
        partners.order_by().values("owner_id").annotate(n=Count("pk")).values_list("owner_id", "n")
    )
    counts: dict[str, Count] = {}
    for name, direction, kind in BALANCE_COUNTS:
        counts[name] = Count("pk", filter=Q(direction=direction, kind=kind))
        counts[name + WINDOW_SUFFIX] = Count(
            "pk", filter=Q(direction=direction, kind=kind, occurred_at__gte=since)
        )
    # cast: the stubs cannot see the keys that annotate() adds to values() rows.
    per_owner_counts = cast(
        Iterable[dict[str, Any]],
        Referral.objects.live()
        .filter(partner__in=partners.values("pk"), firm_id=advisor.firm_id)
        .order_by()
        .values("partner__owner_id")
        .annotate(**counts),
    )
    rows: dict[int, dict[str, int]] = defaultdict(dict)
    for row in per_owner_counts:
        rows[row.pop("partner__owner_id")] = row
    people = User.objects.filter(pk__in=list(per_owner))
    if advisor.sees_whole_firm:
        people = User.objects.filter(
            Q(pk__in=list(per_owner))
            | Q(firm_id=advisor.firm_id, is_active=True, role=Role.ADVISOR)
        )
    table = [
        AdvisorBalance(advisor=person, partners=per_owner.get(person.pk, 0), **rows[person.pk])
        for person in people
    ]
    return sorted(table, key=lambda row: row.advisor.display_name.lower())


# --- Protocols --------------------------------------------------------------------------------


def protocol_templates_of(*, advisor: User) -> list[ProtocolTemplate]:
    """The firm's protocol for every profession; professions never edited show the defaults
    (unsaved, ``pk`` None) until first used or edited."""
    if advisor.firm_id is None:
        return []
    stored = {
        template.profession: template
        for template in ProtocolTemplate.objects.filter(firm_id=advisor.firm_id)
    }
    return [
        stored.get(profession)
        or ProtocolTemplate(
            firm_id=advisor.firm_id, profession=profession, steps=default_protocol(profession)
        )
        for profession in Profession.values
    ]
