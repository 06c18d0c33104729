"""Every read of partner data, always scoped to the advisor who asks.

Access rule (one place): an advisor sees the partners they own and those shared with a team they
belong to; a firm admin or compliance officer sees every partner of their firm; nobody sees
anything of another firm. Whatever is not visible is a 404.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import JSONObject, Lower, Rank, RowNumber
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.ids import get_visible_or_404
from reciprocity.partners.diagnosed import diagnosed_partner_ids
from reciprocity.partners.models import (
    PIPELINE_STAGES,
    Commitment,
    CommitmentStatus,
    Partner,
    PartnerQuerySet,
    Stage,
    StageChange,
    Tag,
    Touch,
)
from reciprocity.partners.scope import PartnerScope
from reciprocity.partners.scored import ranked_by, with_scores
from reciprocity.records import changed_since

NOT_FOUND = "No partner with that id."
COMMITMENT_NOT_FOUND = "No commitment with that id."
# A column's cards: a dozen already run to three screens, and each costs the page its next step,
# next best action and scores. The rest of a column is in the list, sorted the same way ("See all").
BOARD_COLUMN_LIMIT = 12
# A column's first cards are the most urgent: the next step due soonest (overdue first), then
# those without one, the longest in their stage first.
BOARD_ORDER = [
    F("next_step_due").asc(nulls_last=True),
    F("stage_changed_at").asc(),
    F("pk").asc(),
]
# Stages in which a partner can go quiet; identified and qualified ones were never warm.
DORMANCY_STAGES = [
    Stage.FIRST_MEETING,
    Stage.DUE_DILIGENCE,
    Stage.PROPOSED,
    Stage.ACTIVE,
    Stage.CHAMPION,
]


@dataclass(frozen=True)
class NextStep:
    commitment_id: int
    what: str
    due: dt.date
    owner: str

    @property
    def is_overdue(self) -> bool:
        return self.due < timezone.localdate()

    @property
    def is_due_today(self) -> bool:
        return self.due == timezone.localdate()

    @property
    def owner_label(self) -> str:
        return "Partner" if self.owner == "partner" else "Advisor"


def partners_visible_to(*, advisor: User, include_archived: bool = False) -> PartnerQuerySet:
    qs = Partner.objects.visible_to(advisor)
    return qs if include_archived else qs.live()


def _earliest_open() -> QuerySet[Commitment]:
    return Commitment.objects.filter(
        partner_id=OuterRef("pk"), status=CommitmentStatus.OPEN
    ).order_by("due", "pk")


def with_next_step(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    """Annotate each partner's next step, its earliest open commitment, in one lookup per row
    (its fields together, as JSON), whatever the number of fields shown."""
    earliest_open = _earliest_open().values(
        step=JSONObject(id="pk", what="what", due="due", owner="owner")
    )
    return qs.annotate(next_step=Subquery(earliest_open[:1], output_field=JSONField()))


def next_step_of(partner: Partner) -> NextStep | None:
    """The next step, from the annotation when the partner came through ``with_next_step``."""
    if hasattr(partner, "next_step"):
        step = partner.next_step
        if step is None:
            return None
        return NextStep(
            commitment_id=step["id"],
            what=step["what"],
            due=dt.date.fromisoformat(step["due"]),
            owner=step["owner"],
        )
    first = partner.commitments.filter(status=CommitmentStatus.OPEN).order_by("due", "pk").first()
    if first is None:
        return None
    return NextStep(commitment_id=first.pk, what=first.what, due=first.due, owner=first.owner)


def dormancy_suggested(partner: Partner, *, now: dt.datetime | None = None) -> bool:
    """No touch for longer than the firm's dormancy window, in a stage that was once warm."""
    if partner.stage not in DORMANCY_STAGES:
        return False
    now = now or timezone.now()
    quiet_since = partner.last_touch_at or partner.stage_changed_at
    return (now - quiet_since).days > partner.firm.dormancy_days


def partner_get_for(
    *,
    advisor: User,
    pk: Any,
    include_archived: bool = True,
    annotate: Callable[[QuerySet[Partner]], QuerySet[Partner]] | None = None,
) -> Partner:
    """The partner with ``pk`` if ``advisor`` may see it; Http404 otherwise. ``annotate`` adds
    to its query (the referral balance, say) without another query."""
    qs = partners_visible_to(advisor=advisor, include_archived=include_archived)
    found = with_next_step(qs.select_related("firm", "owner", "team"))
    return get_visible_or_404(annotate(found) if annotate else found, pk, not_found=NOT_FOUND)


@dataclass
class PartnerFilters:
    search: str = ""
    stage: str = ""
    profession: str = ""
    owner: int | None = None
    overdue: bool = False
    archived: bool = False
    sort: str = "name"
    tag: str = ""
    # For a sync: archived partners along with current ones, and only what changed since then
    # (in the order it changed, whatever the sort).
    include_archived: bool = False
    updated_since: dt.datetime | None = None
    # Partners with no touch for at least this many days (never touched ones included).
    quiet_days: int | None = None
    diagnosis: str = ""
    # Only these partners, archived or not: the rows ticked in the list.
    ids: tuple[int, ...] = ()

    @property
    def narrowing(self) -> bool:
        """Whether any filter narrows the list (the sort and the archive switch do not)."""
        return any(
            (
                self.search,
                self.stage,
                self.profession,
                self.owner,
                self.overdue,
                self.tag,
                self.quiet_days is not None,
                self.diagnosis,
            )
        )


PIPELINE_ORDER = Case(*[When(stage=stage, then=Value(rank)) for rank, stage in enumerate(Stage)])

SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    # The stages in the pipeline's order (their stored values sort alphabetically).
    "stage": (PIPELINE_ORDER.asc(), "name"),
    "-stage": (PIPELINE_ORDER.desc(), "name"),
    "last_touch": (F("last_touch_at").asc(nulls_first=True), "name"),
    "-last_touch": (F("last_touch_at").desc(nulls_last=True), "name"),
    "touches": ("touch_count", "name"),
    "-touches": ("-touch_count", "name"),
    # Ties as the board orders them (BOARD_ORDER): a capped column's "See all" goes on from
    # its cards, and for one stage the board's index serves the order.
    "next_step": (F("next_step_due").asc(nulls_last=True), "stage_changed_at", "pk"),
    "-next_step": (F("next_step_due").desc(nulls_last=True), "stage_changed_at", "pk"),
    "organization": ("organization", "name"),
    "-organization": ("-organization", "name"),
    # The scores (annotated by ``ranked_by``), highest first; reversed, the weakest first.
    "fit": (F("score_fit").desc(), "name", "pk"),
    "-fit": (F("score_fit").asc(), "name", "pk"),
    "engagement": (F("score_engagement").desc(), "name", "pk"),
    "-engagement": (F("score_engagement").asc(), "name", "pk"),
    "reciprocity": (F("score_reciprocity").desc(), "name", "pk"),
    "-reciprocity": (F("score_reciprocity").asc(), "name", "pk"),
    "yield": (F("score_yield").desc(), "name", "pk"),
    "-yield": (F("score_yield").asc(), "name", "pk"),
}


# The sorts that read the scores' annotations, with the score each reads.
SCORE_SORTS = {
    sort: sort.removeprefix("-")
    for sort in SORTS
    if sort.removeprefix("-") in ("fit", "engagement", "reciprocity", "yield")
}


def partner_list(
    *, advisor: User, filters: PartnerFilters | None = None, scored: bool = False
) -> QuerySet[Partner]:
    """Visible partners with their next step, filtered and sorted; paginate the result. With
    ``scored`` (or a sort by a score) each carries its scores, in the same query."""
    f = filters or PartnerFilters()
    qs = partners_visible_to(
        advisor=advisor, include_archived=f.archived or f.include_archived or bool(f.ids)
    )
    if f.ids:
        qs = qs.filter(pk__in=f.ids)
    if f.archived:
        qs = qs.filter(archived_at__isnull=False)
    if f.search:
        qs = qs.filter(Q(name__icontains=f.search) | Q(organization__icontains=f.search))
    if f.stage:
        qs = qs.filter(stage=f.stage)
    if f.profession:
        qs = qs.filter(profession=f.profession)
    if f.owner:
        qs = qs.filter(owner_id=f.owner)
    if f.tag:
        qs = qs.filter(Exists(Tag.objects.filter(partners=OuterRef("pk"), name__iexact=f.tag)))
    if f.quiet_days is not None:
        since = timezone.now() - dt.timedelta(days=f.quiet_days)
        qs = qs.filter(Q(last_touch_at__lt=since) | Q(last_touch_at__isnull=True))
    if f.diagnosis:
        qs = qs.filter(pk__in=diagnosed_partner_ids(advisor, f.diagnosis))
    if f.overdue:
        # The next step is the earliest open commitment: it is overdue when any is. A retired
        # partner's leftovers are not work waiting, as the board counts them.
        qs = qs.filter(next_step_due__lt=timezone.localdate()).not_retired()
    found = with_next_step(qs.select_related("owner", "firm"))
    if f.sort in SCORE_SORTS:
        found = ranked_by(found, firm_id=advisor.firm_id, slug=SCORE_SORTS[f.sort])
    if scored:
        found = with_scores(found, firm_id=advisor.firm_id)
    if f.updated_since is not None:
        return changed_since(found, f.updated_since)
    return found.order_by(*SORTS.get(f.sort, SORTS["name"]))


def tags_visible_to(*, advisor: User) -> QuerySet[Tag]:
    """The tags of the advisor's firm, for filtering and tagging."""
    if advisor.firm_id is None:
        return Tag.objects.none()
    return Tag.objects.filter(firm_id=advisor.firm_id).order_by("name")


@dataclass(frozen=True)
class Board:
    """The pipeline board: each stage with its first cards and its total, and what the
    summary counts over the whole scope, not over the cards shown."""

    columns: list[tuple[Stage, list[Partner], int]]
    # Partners whose next step is late (retired ones left out: theirs is not work waiting).
    overdue: int
    # Partners quiet for longer than the firm's dormancy window (``dormancy_suggested``).
    going_quiet: int


def board_columns(
    *,
    advisor: User,
    owner: int | None = None,
    annotate: Callable[[QuerySet[Partner]], QuerySet[Partner]] | None = None,
) -> Board:
    """The pipeline board: each stage with up to BOARD_COLUMN_LIMIT cards and its total.

    Three queries whatever the size of the book: the counts, the first cards' keys (a window
    function over the bare rows, in the order of an index for a whole firm), and the cards.
    ``annotate`` adds to the cards' query (the referral balance, say) without another query.
    """
    qs = partners_visible_to(advisor=advisor)
    if owner:
        qs = qs.filter(owner_id=owner)
    counts = _stage_counts(qs, advisor=advisor)
    # The keys apart: joined in one statement, the planner expects every partner of the scope
    # back from the window and reads them all to find a few hundred.
    first = qs.order_by().annotate(
        rank=Window(RowNumber(), partition_by=[F("stage")], order_by=BOARD_ORDER)
    )
    keys = list(first.filter(rank__lte=BOARD_COLUMN_LIMIT).values_list("pk", flat=True))
    cards_qs: QuerySet[Partner] = qs.filter(pk__in=keys)
    if annotate:
        cards_qs = annotate(cards_qs)
    cards: dict[str, list[Partner]] = {stage: [] for stage in Stage.values}
    for partner in with_next_step(cards_qs.select_related("owner", "firm")).order_by(
        "stage", *BOARD_ORDER
    ):
        cards[partner.stage].append(partner)
    return Board(
        columns=[(stage, cards[stage], counts.get(stage, (0, 0, 0))[0]) for stage in Stage],
        overdue=sum(overdue for _, overdue, _ in counts.values()),
        going_quiet=sum(quiet for _, _, quiet in counts.values()),
    )


def _stage_counts(qs: QuerySet[Partner], *, advisor: User) -> dict[str, tuple[int, int, int]]:
    """Per stage: the partners, those whose next step is overdue and those going quiet."""
    now = timezone.now()
    dormancy_days = advisor.firm.dormancy_days if advisor.firm is not None else 0
    # ``dormancy_suggested``: more whole days quiet than the window.
    quiet_before = now - dt.timedelta(days=dormancy_days + 1)
    overdue = Q(next_step_due__lt=timezone.localdate(now)) & ~Q(stage=Stage.RETIRED)
    quiet = Q(stage__in=DORMANCY_STAGES) & (
        Q(last_touch_at__lte=quiet_before)
        | Q(last_touch_at__isnull=True, stage_changed_at__lte=quiet_before)
    )
    rows = (
        qs.order_by()
        .values("stage")
        .annotate(
            n=Count("pk"), overdue=Count("pk", filter=overdue), quiet=Count("pk", filter=quiet)
        )
        .values_list("stage", "n", "overdue", "quiet")
    )
    return {stage: (n, late, silent) for stage, n, late, silent in rows}


def owners_visible_to(*, advisor: User) -> QuerySet[User]:
    """Advisors whose partners ``advisor`` may see: the whole firm for an admin or compliance
    officer, otherwise themselves and their teammates (for filtering by owner)."""
    if advisor.firm is None:
        return User.objects.none()
    people = User.objects.filter(firm_id=advisor.firm.pk, is_active=True)
    if not advisor.sees_whole_firm:
        people = people.filter(Q(pk=advisor.pk) | Q(teams__members=advisor)).distinct()
    return people.order_by("first_name", "last_name", "username")


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "touch", "stage", "commitment_created", "commitment_closed"
    obj: Any


def partner_timeline(*, partner: Partner, limit: int = 200) -> list[TimelineEntry]:
    """Touches, stage changes and commitments of one partner, newest first (three queries)."""
    entries: list[TimelineEntry] = []
    for touch in partner.touches.live().select_related("by")[:limit]:
        entries.append(TimelineEntry(touch.occurred_at, "touch", touch))
    for change in partner.stage_changes.select_related("by")[:limit]:
        entries.append(TimelineEntry(change.occurred_at, "stage", change))
    for commitment in partner.commitments.order_by("-created_at")[:limit]:
        entries.append(TimelineEntry(commitment.created_at, "commitment_created", commitment))
        if commitment.completed_at:
            entries.append(TimelineEntry(commitment.completed_at, "commitment_closed", commitment))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


def open_commitments(*, partner: Partner) -> QuerySet[Commitment]:
    return partner.commitments.filter(status=CommitmentStatus.OPEN).order_by("due", "pk")


def touches_of(
    *,
    partner: Partner,
    include_archived: bool = False,
    updated_since: dt.datetime | None = None,
) -> QuerySet[Touch]:
    """The partner's touches, newest first; for a sync, with the archived ones and only those
    changed since ``updated_since``, in the order they changed."""
    touches = partner.touches.all() if include_archived else partner.touches.live()
    touches = touches.select_related("by")
    return touches if updated_since is None else changed_since(touches, updated_since)


def commitments_of(
    *, partner: Partner, updated_since: dt.datetime | None = None
) -> QuerySet[Commitment]:
    """Open and closed, earliest due first; or only those changed since ``updated_since``, in
    the order they changed."""
    commitments = partner.commitments.all()
    if updated_since is not None:
        return changed_since(commitments, updated_since)
    return commitments.order_by("due", "pk")


def stage_changes_of(*, partner: Partner) -> QuerySet[StageChange]:
    return partner.stage_changes.select_related("by")


def move_into_current_stage(partner: Partner) -> StageChange | None:
    """The move that put the partner where it is: a walk-away's reason, the stage left."""
    return stage_changes_of(partner=partner).filter(to_stage=partner.stage).first()


def following_stage(partner: Partner) -> str | None:
    """The stage a partner most likely moves to next, preselected in the stage forms: the next
    one of the pipeline, or for a dormant partner the stage it went quiet in. None for a champion
    or a retired partner: nothing is preselected, so no click moves them by accident."""
    if partner.stage in PIPELINE_STAGES[:-1]:
        return PIPELINE_STAGES[PIPELINE_STAGES.index(Stage(partner.stage)) + 1].value
    if partner.stage == Stage.DORMANT:
        move = move_into_current_stage(partner)
        if move is not None and move.from_stage in PIPELINE_STAGES:
            return move.from_stage
    return None


def commitment_get_for(*, advisor: User, pk: Any) -> Commitment:
    visible = Commitment.objects.select_related("partner", "partner__firm").filter(
        partner__in=partners_visible_to(advisor=advisor, include_archived=True)
    )
    return get_visible_or_404(visible, pk, not_found=COMMITMENT_NOT_FOUND)


def commitment_of(*, partner: Partner, pk: Any) -> Commitment:
    """A commitment of a partner already fetched through ``partner_get_for``; else Http404."""
    visible = partner.commitments.select_related("partner", "partner__firm")
    return get_visible_or_404(visible, pk, not_found=COMMITMENT_NOT_FOUND)


def agenda_items(*, scope: PartnerScope, until: dt.date) -> QuerySet[Commitment]:
    """Open commitments of the partners in ``scope`` due up to ``until`` (overdue included),
    oldest first. A retired partner's are left out: what is left open with a partner walked
    away from is not work waiting to be done (it stays on their page, to close or drop)."""
    return (
        Commitment.objects.filter(
            scope.among("partner"), status=CommitmentStatus.OPEN, due__lte=until
        )
        .exclude(partner__stage=Stage.RETIRED)
        # The partner's name is all an item shows of it: a whole partner costs more to read
        # than its commitment.
        .annotate(partner_name=F("partner__name"))
        .order_by("due", Lower("partner__name"), "pk")
    )


def agenda_first_due(
    *, scope: PartnerScope, until: dt.date, snoozed: list[int]
) -> list[Commitment]:
    """The agenda's open commitments of each partner's earliest due day (its first item is
    among them), ``snoozed`` ones left out, in one query."""
    earliest = (
        agenda_items(scope=scope, until=until)
        .exclude(pk__in=snoozed)
        .annotate(rank=Window(Rank(), partition_by=[F("partner_id")], order_by=[F("due").asc()]))
    )
    return list(earliest.filter(rank=1))
