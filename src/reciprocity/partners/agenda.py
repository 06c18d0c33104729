"""The agenda's kernel: typed items from several sources, addressed by a stable key.

A source is one class that says everything its kind of item means: which items an advisor has
due up to a date, how one is completed or set aside, what the confirmation says, and how the
agenda page presents it. Each app registers its sources in its ``AppConfig.ready`` with
``register``; the agenda page, the API, the CLI, the digest and the calendar feed ask the
registry and know no kinds. It lives here, low in the stack, so that any app can add a source
without importing the others.

A key is ``<source>:<partner id>:<reference>``. The partner id lets a snooze or a completion be
checked against who may see the partner before anything else is looked at.
"""

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    CharField,
    Count,
    Func,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import (
    Window as Over,
)
from django.db.models.functions import Lower, RowNumber
from django.urls import reverse

from reciprocity.partners.models import CommitmentOwner, Partner, PartnerQuerySet
from reciprocity.partners.scope import PartnerScope
from reciprocity.statements import models_of, values_of

if TYPE_CHECKING:
    from reciprocity.accounts.models import User

# A source that finds its key naming nothing it can act on says so with this message.
UNKNOWN_AGENDA_ITEM = "No agenda item with that key."
# A key that addressed a real item which is no longer due (done already, its date moved on).
AGENDA_ITEM_DONE = "This item is no longer on the agenda: it is done, or its date has moved."
CANNOT_SET_ASIDE = "This item cannot be set aside: complete it, or snooze it until later."


@dataclass(frozen=True)
class AgendaItem:
    source: str  # the slug of the source that listed it
    key: str
    partner_id: int
    partner_name: str
    title: str
    due: dt.date
    owner: str = CommitmentOwner.ADVISOR  # who has to act
    detail: str = ""
    object_id: int | None = None
    at: dt.datetime | None = None  # for items with a time of day (meetings)
    url: str = ""  # the page where it is worked on, when that is not the partner's page

    @property
    def owner_label(self) -> str:
        return "Partner" if self.owner == CommitmentOwner.PARTNER else "Advisor"


# The agenda's sections, in the order they are shown: overdue first.
OVERDUE, DUE_TODAY, THIS_WEEK = SECTIONS = ("overdue", "due_today", "this_week")


def section_of(due: dt.date, today: dt.date) -> str:
    return OVERDUE if due < today else DUE_TODAY if due == today else THIS_WEEK


@dataclass(frozen=True)
class Agenda:
    """The sections' first items (all of them unless a limit was asked) and their counts."""

    today: dt.date
    overdue: list[AgendaItem] = field(default_factory=list)
    due_today: list[AgendaItem] = field(default_factory=list)
    this_week: list[AgendaItem] = field(default_factory=list)
    snoozed: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # every item of each section

    @property
    def items(self) -> list[AgendaItem]:
        return [*self.overdue, *self.due_today, *self.this_week]

    @property
    def groups(self) -> list[tuple[str, list[AgendaItem]]]:
        return [("Overdue", self.overdue), ("Today", self.due_today), ("This week", self.this_week)]

    def section(self, name: str) -> list[AgendaItem]:
        return {OVERDUE: self.overdue, DUE_TODAY: self.due_today, THIS_WEEK: self.this_week}[name]

    def count(self, name: str) -> int:
        return self.counts.get(name, len(self.section(name)))

    def __len__(self) -> int:
        return sum(self.count(name) for name in SECTIONS)


@dataclass(frozen=True)
class AgendaQuery:
    advisor: "User"
    today: dt.date
    until: dt.date
    scope: PartnerScope  # the partners in scope
    mine_only: bool
    # How many of each section's first items are wanted (None: every item), and the keys
    # snoozed, which are left out and counted apart.
    limit: int | None = None
    snoozed_keys: frozenset[str] = frozenset()
    # Only each partner's first item is wanted (what to do next): a source may leave out any
    # item that comes after another of the same partner's, and count only what it keeps.
    first_per_partner: bool = False
    # What the caller has read already for these partners, by source slug: a source that
    # finds its own records here uses them rather than reading them again.
    known: Mapping[str, Any] = field(default_factory=dict)
    # All a source's statements depend on besides the source and its snoozed records (who
    # reads, the partners in scope, the days, the limit), when the caller can say it: they are
    # then built and compiled once (``statements``). None: built for each call.
    key: Hashable | None = None

    @property
    def partners(self) -> PartnerQuerySet:
        """The partners in scope, to use as a subquery (``scope.among`` for a record's own
        conditions instead)."""
        return self.scope.partners()


@dataclass(frozen=True)
class Window:
    """What one source contributes: each section's first ``limit`` items (snoozed ones left
    out), every section's count, and how many of its items are snoozed."""

    items: list[AgendaItem]
    counts: dict[str, int]
    snoozed: int


@dataclass(frozen=True)
class ItemKey:
    source: str
    partner_id: int
    reference: str


@dataclass(frozen=True)
class Controls:
    """How the agenda page lets an item be worked on."""

    # The touch logged on completion: the choices (none: the source decides) and the preselected.
    touch_choices: list[tuple[str, str]] = field(default_factory=list)
    touch_initial: str = ""
    can_complete: bool = True
    done_label: str = "Done"
    set_aside_label: str = ""  # the button that takes it off undone; none when it cannot be
    link: str = ""  # where it is worked on
    link_label: str = ""  # a button to that page; none when the partner's name is link enough


@dataclass(frozen=True)
class Completion:
    """What the API answers for a completed item."""

    detail: str  # what recorded the completion
    touch_id: int | None  # the touch logged, if any


class AgendaSource[R]:
    """One kind of agenda item. ``R`` is the record that completing (or setting aside) returns."""

    slug: ClassVar[str]  # the first part of its keys
    label: ClassVar[str]  # how its items present themselves on the agenda page

    def items(self, query: AgendaQuery) -> Iterable[AgendaItem]:
        """The advisor's items due up to ``query.until``, with the partners in scope."""
        raise NotImplementedError

    def item(
        self, partner_id: int, partner_name: str, reference: tuple[object, ...], **fields: Any
    ) -> AgendaItem:
        """An item of this source about a partner, keyed by the source, the partner and
        ``reference`` (what tells it apart: a record's id, a kind and a date)."""
        return AgendaItem(
            source=self.slug,
            key=item_key(self.slug, partner_id, *reference),
            partner_id=partner_id,
            partner_name=partner_name,
            **fields,
        )

    def window(self, query: AgendaQuery) -> Window:
        """The first items of each section and the counts. This reads every item; a source
        that can count and cut in SQL says so by overriding it."""
        everything = list(self.items(query))
        visible = [item for item in everything if item.key not in query.snoozed_keys]
        by_section: dict[str, list[AgendaItem]] = {name: [] for name in SECTIONS}
        for item in visible:
            by_section[section_of(item.due, query.today)].append(item)
        kept = []
        for found in by_section.values():
            found.sort(key=agenda_order)
            kept.extend(found if query.limit is None else found[: query.limit])
        return Window(
            items=kept,
            counts={name: len(found) for name, found in by_section.items()},
            snoozed=len(everything) - len(visible),
        )

    def complete(
        self, *, by: "User", partner: Partner, reference: str, options: dict[str, Any]
    ) -> R:
        """Complete the item in place, once. Options: ``touch_kind``, ``summary``,
        ``occurred_at`` (each source uses what applies). A reference to no item is a 404 or a
        ``ValidationError`` on ``key``; an item no longer due (done, its date moved) is a
        ``records.Conflict`` (``AGENDA_ITEM_DONE``), checked under a lock so that parallel
        completions log one touch."""
        raise NotImplementedError

    def set_aside(self, *, by: "User", partner: Partner, reference: str) -> R:
        """Take the item off the agenda undone (drop it, skip it)."""
        raise ValidationError({"key": CANNOT_SET_ASIDE})

    def describe(self, result: R) -> str:
        """The confirmation of a completion."""
        return "Done."

    def describe_set_aside(self, result: R) -> str:
        return f"Set aside: {result}"

    def completion(self, result: R) -> Completion:
        return Completion(detail=self.describe(result), touch_id=None)

    def badge(self, item: AgendaItem) -> str:
        return self.label

    def owner_note(self, item: AgendaItem) -> str:
        """Whose move it is, when the source makes a point of it."""
        return ""

    def controls(self, item: AgendaItem, today: dt.date) -> Controls:
        return Controls(link=self.partner_url(item))

    @staticmethod
    def partner_url(item: AgendaItem) -> str:
        return reverse("partner_detail", args=[item.partner_id])

    def snoozed_ids(self, query: AgendaQuery) -> list[int]:
        """The ids of this source's records whose items are snoozed (keys ending with one)."""
        return [
            int(parsed.reference)
            for parsed in map(parse_item_key, query.snoozed_keys)
            if parsed is not None and parsed.source == self.slug and parsed.reference.isdigit()
        ]


class _Bytewise(Func):
    """Text ordered code point by code point, as Python orders strings: PostgreSQL's default
    collation follows the locale's rules. SQLite's default already compares the bytes."""

    template = "(%(expressions)s)"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template='(%(expressions)s) COLLATE "C"', **extra)


class _KeyText(Func):
    """An item key's part after the source's slug, ``<partner id>:<record id>``, as text
    ordered as Python orders the keys (as ``_Bytewise``). Written out: the ORM's own concat and
    casts cost more to compile than the database takes to sort by them."""

    arity = 2
    output_field = CharField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        (partner_sql, partner_params), (record_sql, record_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = f"(CAST({partner_sql} AS TEXT) || ':' || CAST({record_sql} AS TEXT))"
        return sql, [*partner_params, *record_params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = self.as_sql(compiler, connection, **extra)
        return f'{sql} COLLATE "C"', params


class RecordSource[M: Model](AgendaSource[M]):
    """A source whose items are its records, one each, read with the partner's id and name
    (``partner_id``, ``partner_name``: columns or annotations). With a limit, its window is
    counted and cut by the database: one query counts every section, another reads each
    section's first items (none when nothing is shown; all of them, unranked, when every
    section fits), however many records are due. A source says which records are due
    (``records_due``), what item each makes (``item_of``), which are overdue and which due
    today (``sections``; the rest are the week's), and what orders them before the partner's
    name and the key, as ``agenda_order`` does (``order``); what an item needs beyond what
    counting does is read for the records shown only (``read``)."""

    model: ClassVar[type[Model]]

    def records_due(self, query: AgendaQuery) -> "QuerySet[M]":
        raise NotImplementedError

    def item_of(self, record: M, query: AgendaQuery) -> AgendaItem:
        raise NotImplementedError

    def sections(self, query: AgendaQuery) -> tuple[Q, Q]:
        raise NotImplementedError

    def order(self) -> list[Any]:
        raise NotImplementedError

    def read(self, records: "QuerySet[M]") -> "QuerySet[M]":
        """What an item needs of its record beyond what counting does, read only for the
        records shown."""
        return records

    def items(self, query: AgendaQuery) -> list[AgendaItem]:
        return [self.item_of(record, query) for record in self.read(self.records_due(query))]

    def window(self, query: AgendaQuery) -> Window:
        if query.limit is None:  # every item is read anyway
            return super().window(query)
        snoozed = self.snoozed_ids(query)
        kept = _Kept(self.model, query.key, self.slug, tuple(snoozed))
        found = {
            row["agenda_section"]: row["n"]
            for row in kept.values("counts", lambda: self._counted(query, snoozed))
        }
        counts = {name: found.get(index, 0) for index, name in enumerate(SECTIONS)}
        hidden = found.get(len(SECTIONS), 0)
        limit = query.limit
        if limit == 0 or not any(counts.values()):
            return Window(items=[], counts=counts, snoozed=hidden)
        if all(count <= limit for count in counts.values()):
            # Every item is shown (the usual book's few): read as they are, ordered here.
            visible = kept.models("every", lambda: self._visible(query, snoozed))
            items = sorted((self.item_of(record, query) for record in visible), key=agenda_order)
            return Window(items=items, counts=counts, snoozed=hidden)
        first = kept.models("first", lambda: self._first(query, snoozed, limit))
        return Window(
            items=[self.item_of(record, query) for record in first], counts=counts, snoozed=hidden
        )

    def _section(self, query: AgendaQuery) -> Case:
        overdue, due_today = self.sections(query)
        return Case(When(overdue, then=Value(0)), When(due_today, then=Value(1)), default=Value(2))

    def _counted(self, query: AgendaQuery, snoozed: list[int]) -> "QuerySet[Any]":
        section = self._section(query)
        # One count per section, grouped by it: each condition is written (and compiled) once.
        # Nothing is usually snoozed: then no condition on it at all.
        counted = (
            Case(When(pk__in=snoozed, then=Value(len(SECTIONS))), default=section)
            if snoozed
            else section
        )
        return (
            self.records_due(query)
            .annotate(agenda_section=counted)
            .order_by()
            .values("agenda_section")
            .annotate(n=Count("pk"))
            .values("agenda_section", "n")
        )

    def _visible(self, query: AgendaQuery, snoozed: list[int]) -> "QuerySet[M]":
        records = self.records_due(query)
        return self.read(records.exclude(pk__in=snoozed) if snoozed else records)

    def _first(self, query: AgendaQuery, snoozed: list[int], limit: int) -> "QuerySet[Any]":
        """Each section's first ``limit``, in the agenda's order."""
        key = _KeyText("partner_id", "pk")
        in_order = [*self.order(), _Bytewise(Lower("partner_name")).asc(), key.asc()]
        return (
            self._visible(query, snoozed)
            .annotate(
                agenda_rank=Over(
                    RowNumber(), partition_by=[self._section(query)], order_by=in_order
                )
            )
            .filter(agenda_rank__lte=limit)
            .order_by(*in_order)
        )


@dataclass(frozen=True)
class _Kept:
    """A record source's statements for one query: kept once compiled when the query says what
    they depend on (``AgendaQuery.key``), built each time otherwise."""

    model: type[Model]
    key: Hashable | None
    slug: str
    snoozed: tuple[int, ...]

    def _shape(self, name: str) -> Hashable:
        return ("agenda", self.key, self.slug, self.snoozed, name)

    def values(self, name: str, build: Callable[[], QuerySet[Any]]) -> list[dict[str, Any]]:
        if self.key is None:
            return list(build())
        return values_of(self.model, lambda _ids: build(), None, key=self._shape(name))

    def models(self, name: str, build: Callable[[], QuerySet[Any]]) -> list[Any]:
        if self.key is None:
            return list(build())
        return models_of(self.model, lambda _ids, _now: build(), None, key=self._shape(name))


# The registry, by slug, in the order the apps registered their sources.
SOURCES: dict[str, AgendaSource[Any]] = {}


def register(source: AgendaSource[Any]) -> None:
    SOURCES[source.slug] = source


def agenda_sources() -> list[AgendaSource[Any]]:
    return list(SOURCES.values())


def source_of(key: str) -> tuple[AgendaSource[Any], ItemKey]:
    """The source that listed the item of ``key`` and the key's parts; ValidationError when the
    key is malformed or names no registered source."""
    parsed = parse_item_key(key)
    if parsed is None:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    return SOURCES[parsed.source], parsed


def item_key(source: str, partner_id: int, *reference: object) -> str:
    return ":".join([source, str(partner_id), *(str(part) for part in reference)])


def parse_item_key(key: str) -> ItemKey | None:
    """The parts of a key, or None when it is malformed or names no known source."""
    parts = (key or "").split(":", 2)
    if len(parts) != 3 or parts[0] not in SOURCES or not parts[1].isdigit() or not parts[2]:
        return None
    return ItemKey(source=parts[0], partner_id=int(parts[1]), reference=parts[2])


def agenda_order(item: AgendaItem) -> tuple[Any, ...]:
    """Oldest due first (the most overdue is the most urgent), then by time, partner, key."""
    return (
        item.due,
        item.at or dt.datetime.min.replace(tzinfo=dt.UTC),
        item.partner_name.lower(),
        item.key,
    )


def merge_windows(windows: Iterable[Window], *, today: dt.date, limit: int | None) -> Agenda:
    """The sources' windows as one agenda: each section's first ``limit`` items across every
    source (each source gave its own first ones, so the first of all are among them)."""
    by_section: dict[str, list[AgendaItem]] = {name: [] for name in SECTIONS}
    counts = dict.fromkeys(SECTIONS, 0)
    snoozed = 0
    for window in windows:
        for item in window.items:
            by_section[section_of(item.due, today)].append(item)
        for name, count in window.counts.items():
            counts[name] += count
        snoozed += window.snoozed
    for found in by_section.values():
        found.sort(key=agenda_order)
        if limit is not None:
            del found[limit:]
    return Agenda(
        today=today,
        overdue=by_section[OVERDUE],
        due_today=by_section[DUE_TODAY],
        this_week=by_section[THIS_WEEK],
        snoozed=snoozed,
        counts=counts,
    )
