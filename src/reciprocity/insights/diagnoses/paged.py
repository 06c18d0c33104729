"""The diagnoses bounded by the page: the same list as ``engine.assess``, with the work of the
wording done for the rows a page shows only.

One query reads which diagnoses each partner of the scope carries, at which severity and
with which action (``readings.verdict_codes``: what the kinds' verdicts read, each table
aggregated once by partner, and each kind's decision without the wording in SQL,
``Kind.verdict_sql``), so the list's order and every count are exact. A partner with a
dismissed diagnosis is read in full before the list is (whether the dismissal still holds
depends on the wording): with the first page's partners when the first page is asked for,
in the same query. A slice of the list reads its partners in full, in one query, and judges
them with ``judge``: the same diagnoses, worded.
"""

import datetime as dt
from bisect import insort
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, NamedTuple, overload

from reciprocity.accounts.models import User
from reciprocity.insights.diagnoses.base import (
    SEVERITY_ORDER,
    SLUG_ORDER,
    ActionSlug,
    Diagnosis,
    DiagnosisSlug,
    Severity,
    Thresholds,
    TooEarly,
    thresholds_of,
    verdict_of_code,
)
from reciprocity.insights.diagnoses.engine import (
    BOOK_KIND,
    _moment,
    _partner_diagnoses,
    _scope,
)
from reciprocity.insights.diagnoses.kinds import PARTNER_KINDS
from reciprocity.insights.diagnoses.readings import readings_of, verdict_codes
from reciprocity.partners.models import Partner, PartnerQuerySet

# Beyond this many entries found late (by the partners with a dismissal), the list is sorted
# again rather than each put in its place.
INSERTED_AT_MOST = 64


class _Entry(NamedTuple):
    """One row of the list: a diagnosis as the verdicts found it (no wording yet), or as
    ``judge`` worded it (``final``). A plain tuple: the verdicts make one for most partners
    of a big book, and a ``Diagnosis`` costs several times more to make."""

    slug: DiagnosisSlug
    partner_id: int | None
    partner_name: str
    severity: Severity
    action: ActionSlug
    final: Diagnosis | None = None

    @classmethod
    def of(cls, diagnosis: Diagnosis, *, final: bool = True) -> "_Entry":
        return cls(
            diagnosis.slug,
            diagnosis.partner_id,
            diagnosis.partner_name,
            diagnosis.severity,
            diagnosis.action,
            diagnosis if final else None,
        )

    def sort_key(self) -> tuple[Any, ...]:
        """``engine._sort_key`` of the diagnosis."""
        return (
            self.partner_id is not None,
            SEVERITY_ORDER[self.severity],
            self.partner_name.lower(),
            self.partner_id or 0,
            SLUG_ORDER[self.slug],
        )


class _Book:
    """The partners read in full so far, and how ``judge`` found them."""

    def __init__(
        self,
        *,
        advisor: User,
        scope: Any,
        scope_key: Hashable,
        today: dt.date,
        now: dt.datetime,
        thresholds: Thresholds,
    ) -> None:
        self.advisor = advisor
        self.scope = scope
        self.scope_key = scope_key
        self.today = today
        self.now = now
        self.thresholds = thresholds
        self.judged: dict[int, tuple[list[Diagnosis], TooEarly | None]] = {}

    def judge(self, ids: set[int]) -> None:
        """Read the partners ``ids`` not read yet in full, in one query, and judge them."""
        missing = ids - self.judged.keys()
        rows = readings_of(
            self.scope,
            sorted(missing),
            scope_key=self.scope_key,
            today=self.today,
            now=self.now,
            thresholds=self.thresholds,
        )
        for row in rows:
            self.judged[row.pk] = _partner_diagnoses(
                row, advisor=self.advisor, today=self.today, thresholds=self.thresholds
            )

    def worded(self, entry: _Entry) -> Diagnosis | None:
        if entry.final is not None:
            return entry.final
        pk = entry.partner_id
        assert pk is not None
        # Missing only when the partner changed between the two reads: left out of the page.
        found, early = self.judged.get(pk, ([], None))
        if entry.slug == "too_early":
            return early.diagnosis if early is not None else None
        return next((d for d in found if d.slug == entry.slug), None)

    def too_early_of(self, entry: _Entry) -> TooEarly | None:
        pk = entry.partner_id
        assert pk is not None
        return self.judged.get(pk, ([], None))[1]


class _Lists:
    """The entries of an assessment: the diagnoses in the list's order, and the partners too
    early to judge in the rows' order. Those of the partners with a dismissal are put in
    place once their partners are judged (``settle``)."""

    def __init__(
        self,
        book: _Book,
        *,
        diagnoses: list[_Entry],
        early: list[_Entry | int],
        dismissed: set[int],
        too_early: bool,
    ) -> None:
        self.book = book
        self._diagnoses = diagnoses
        # A partner with a dismissal holds its place among the rows by its id until judged.
        self._pending = early
        self._early: list[_Entry] = []
        self._dismissed = dismissed
        self._too_early = too_early
        self.settled = False

    def settle(self, also: set[int] | None = None) -> None:
        """Judge the partners with a dismissal, and ``also`` these in the same query, and put
        their entries in place. Once: one query, none when there is no partner to read."""
        if self.settled:
            return
        self.book.judge(self._dismissed | (also or set()))
        found_late: list[_Entry] = []
        for entry in self._pending:
            if isinstance(entry, _Entry):
                self._early.append(entry)
                continue
            found, reassurance = self.book.judged.get(entry, ([], None))
            found_late.extend(_Entry.of(d) for d in found)
            if reassurance is not None and reassurance.diagnosis is not None and self._too_early:
                self._early.append(_Entry.of(reassurance.diagnosis, final=False))
        # The list is in order already: the few found late are put in their places, rather
        # than a big book's every entry sorted again.
        if len(found_late) > INSERTED_AT_MOST:
            self._diagnoses.extend(found_late)
            self._diagnoses.sort(key=_Entry.sort_key)
        else:
            for late in found_late:
                insort(self._diagnoses, late, key=_Entry.sort_key)
        self.settled = True

    def read_so_far(self, count: int) -> set[int]:
        """The partners of the first ``count`` entries of each list, those with a dismissal
        left out: the first ``count`` once settled are among these and those."""
        diagnoses = self._diagnoses[:count]
        early = list(islice((e for e in self._pending if isinstance(e, _Entry)), count))
        return Paged.unworded(diagnoses) | Paged.unworded(early)

    @property
    def diagnoses(self) -> list[_Entry]:
        self.settle()
        return self._diagnoses

    @property
    def too_early(self) -> list[_Entry]:
        self.settle()
        return self._early


class Paged[T](Sequence[T]):
    """A list whose length is known and whose items are worded when a slice of them is read.
    ``entries`` gives the list's entries, settled (``_Lists``): asked for once."""

    def __init__(
        self, entries: Callable[[], list[_Entry]], book: _Book, word: Callable[[_Entry], T | None]
    ) -> None:
        self._read = entries
        self._kept: list[_Entry] | None = None
        self._book = book
        self._word = word

    def _entries(self) -> list[_Entry]:
        if self._kept is None:
            self._kept = self._read()
        return self._kept

    def __len__(self) -> int:
        return len(self._entries())

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, int):
            found = self[index : index + 1 or None]
            if not found:
                raise IndexError(index)
            return found[0]
        entries = self._entries()[index]
        self._book.judge(self.unworded(entries))
        return self.worded(entries)

    @staticmethod
    def unworded(entries: list[_Entry]) -> set[int]:
        return {e.partner_id for e in entries if e.final is None and e.partner_id is not None}

    def worded(self, entries: list[_Entry]) -> list[T]:
        return [item for e in entries if (item := self._word(e)) is not None]

    def __iter__(self) -> Iterator[T]:
        return iter(self[:])

    def only(self, slug: str | None) -> "Paged[T]":
        """The items of the diagnosis ``slug`` (all of them for None)."""
        if slug is None:
            return self
        return Paged(lambda: [e for e in self._entries() if e.slug == slug], self._book, self._word)

    def partner_ids(self) -> set[int]:
        """The partners the items are about (no wording needed)."""
        return {e.partner_id for e in self._entries() if e.partner_id}


@dataclass(frozen=True)
class PagedAssessment:
    """``Assessment``'s lists, worded by the slice: ``diagnoses``, ``too_early``, and
    ``everything`` (the diagnoses, then the partners too early to judge as diagnoses)."""

    diagnoses: Paged[Diagnosis]
    too_early: Paged[TooEarly]
    everything: Paged[Diagnosis]
    lists: _Lists

    def first(self, count: int) -> tuple[list[Diagnosis], list[TooEarly]]:
        """The first ``count`` diagnoses and the first ``count`` partners too early to judge,
        the partners of both read in one query (with those with a dismissal, when not read
        yet)."""
        if self.lists.settled:
            diagnoses = self.lists.diagnoses[:count]
            too_early = self.lists.too_early[:count]
            self.lists.book.judge(Paged.unworded(diagnoses) | Paged.unworded(too_early))
        else:
            self.lists.settle(also=self.lists.read_so_far(count))
            diagnoses = self.lists.diagnoses[:count]
            too_early = self.lists.too_early[:count]
        return self.diagnoses.worded(diagnoses), self.too_early.worded(too_early)


def assess_paged(
    *,
    advisor: User,
    partner: Partner | None = None,
    today: dt.date | None = None,
    mine_only: bool = True,
    too_early: bool = True,
) -> PagedAssessment:
    """What ``assess`` finds, in the same order and with the same counts, worded by the page:
    a constant number of queries whatever the book, and the wording's work bounded by what a
    page reads."""
    today, now = _moment(today)
    thresholds = thresholds_of(advisor)
    scope = _scope(advisor, partner, mine_only)
    # All the scope's statement depends on.
    scope_key = (
        *PartnerQuerySet.visibility_key(advisor),
        partner.pk if partner is not None else None,
        mine_only,
    )
    book = _Book(
        advisor=advisor,
        scope=scope,
        scope_key=scope_key,
        today=today,
        now=now,
        thresholds=thresholds,
    )
    # Every partner of the scope, not only ``may_be_named``'s: most of a big book are
    # candidates, and its conditions, repeated in the query's filter, cost the database more
    # than the verdicts of the others.
    kinds = tuple(kind for kind in PARTNER_KINDS if too_early or not kind.reassurance)
    rows = verdict_codes(scope, today=today, now=now, kinds=kinds, thresholds=thresholds)
    diagnoses: list[_Entry] = []
    early_ones: list[_Entry | int] = []
    dismissed: set[int] = set()
    # What a row's codes name, read once for each combination of codes: a book's partners
    # share a few dozen, and reading every kind of every partner cost more than the query.
    named: dict[tuple[str | None, ...], list[tuple[DiagnosisSlug, bool, Severity, ActionSlug]]]
    named = {}
    for row in rows:
        if row.dismissed_any:
            # Whether the dismissal still holds depends on the wording: judged in full later.
            dismissed.add(row.pk)
            early_ones.append(row.pk)
            continue
        verdicts = named.get(row.codes)
        if verdicts is None:
            verdicts = named[row.codes] = [
                (kind.slug, kind.reassurance, *verdict_of_code(code))
                for kind, code in zip(kinds, row.codes, strict=True)
                if code is not None
            ]
        for slug, reassurance, severity, action in verdicts:
            entry = _Entry(slug, row.pk, row.name, severity, action)
            (early_ones if reassurance else diagnoses).append(entry)
    if partner is None:
        focus = BOOK_KIND.judge_book(advisor, thresholds)
        if focus is not None:
            diagnoses.append(_Entry.of(focus))
    diagnoses.sort(key=_Entry.sort_key)
    lists = _Lists(
        book, diagnoses=diagnoses, early=early_ones, dismissed=dismissed, too_early=too_early
    )
    return PagedAssessment(
        diagnoses=Paged(lambda: lists.diagnoses, book, book.worded),
        too_early=Paged(lambda: lists.too_early, book, book.too_early_of),
        everything=Paged(lambda: lists.diagnoses + lists.too_early, book, book.worded),
        lists=lists,
    )


def diagnosed_partner_ids(advisor: User, slug: str) -> set[int]:
    """The partners ``advisor`` may see that carry the diagnosis ``slug`` (for the list)."""
    found = assess_paged(advisor=advisor, mine_only=False, too_early=slug == "too_early")
    return found.everything.only(slug).partner_ids()
