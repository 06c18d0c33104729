"""The agenda's shape: typed items from several sources, addressed by a stable key.

A source is a function that lists an advisor's items due up to a date; another app adds its own
(for instance the protocol steps of referrals in flight) with ``register_agenda_source`` and
``register_agenda_completer``, and the agenda, snoozes and completion pick it up unchanged.

A key is ``<source>:<partner id>:<reference>``. The partner id lets a snooze or a completion be
checked against who may see the partner before anything else is looked at.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from reciprocity.partners.models import CommitmentOwner, Partner

if TYPE_CHECKING:
    from reciprocity.accounts.models import User

# A completer that finds its key naming nothing it can complete says so with this message.
UNKNOWN_AGENDA_ITEM = "No agenda item with that key."


@dataclass(frozen=True)
class AgendaItem:
    source: str  # "commitment", "cadence", "opportunity", "meeting", or a registered one
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


AgendaSource = Callable[[AgendaQuery], Iterable[AgendaItem]]
# (by, partner, reference, options) -> the object that records the completion
AgendaCompleter = Callable[["User", Partner, str, dict[str, Any]], Any]

_sources: dict[str, AgendaSource] = {}
_completers: dict[str, AgendaCompleter] = {}


def register_agenda_source(source: str, lister: AgendaSource) -> None:
    _sources[source] = lister


def register_agenda_completer(source: str, completer: AgendaCompleter) -> None:
    _completers[source] = completer


def agenda_sources() -> dict[str, AgendaSource]:
    return dict(_sources)


def agenda_completer(source: str) -> AgendaCompleter | None:
    return _completers.get(source)


def item_key(source: str, partner_id: int, *reference: object) -> str:
    return ":".join([source, str(partner_id), *(str(part) for part in reference)])


def parse_item_key(key: str) -> ItemKey | None:
    """The parts of a key, or None when it is malformed or names no known source."""
    parts = (key or "").split(":", 2)
    if len(parts) != 3 or parts[0] not in _sources or not parts[1].isdigit() or not parts[2]:
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
