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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse

from reciprocity.partners.models import CommitmentOwner, Partner

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


@dataclass(frozen=True)
class Agenda:
    today: dt.date
    overdue: list[AgendaItem] = field(default_factory=list)
    due_today: list[AgendaItem] = field(default_factory=list)
    this_week: list[AgendaItem] = field(default_factory=list)
    snoozed: int = 0

    @property
    def items(self) -> list[AgendaItem]:
        return [*self.overdue, *self.due_today, *self.this_week]

    @property
    def groups(self) -> list[tuple[str, list[AgendaItem]]]:
        return [("Overdue", self.overdue), ("Today", self.due_today), ("This week", self.this_week)]

    def __len__(self) -> int:
        return len(self.overdue) + len(self.due_today) + len(self.this_week)


@dataclass(frozen=True)
class AgendaQuery:
    advisor: "User"
    today: dt.date
    until: dt.date
    partners: QuerySet[Partner]  # the partners in scope; use it as a subquery
    mine_only: bool


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


def group_items(items: Iterable[AgendaItem], *, today: dt.date, snoozed_keys: set[str]) -> Agenda:
    """Overdue first, then today, then the rest; oldest first within each group."""
    everything = list(items)
    visible = [item for item in everything if item.key not in snoozed_keys]
    hidden = len(everything) - len(visible)
    visible.sort(
        key=lambda item: (
            item.due,
            item.at or dt.datetime.min.replace(tzinfo=dt.UTC),
            item.partner_name.lower(),
            item.key,
        )
    )
    return Agenda(
        today=today,
        overdue=[item for item in visible if item.due < today],
        due_today=[item for item in visible if item.due == today],
        this_week=[item for item in visible if item.due > today],
        snoozed=hidden,
    )
