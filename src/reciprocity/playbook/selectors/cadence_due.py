# Names quoted, values bound: the SQL below is assembled from the ORM's own query.
# ruff: noqa: S608
"""When each keep-warm cadence comes due, computed by the database: the agenda counts and cuts
them in SQL instead of reading the whole book.

The rule is the one ``cadences.py`` applies in Python (``_effective``): the partner's override
of the kind when there is one (off, or its interval), else the firm's default for the partner's
stage; due the interval in months after the local day of the last touch that counts for the kind,
or of the last stage change when there is none, on the month's last day when it is shorter. A
test compares the two on varied books, on SQLite and PostgreSQL.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from reciprocity.partners.agenda import SECTIONS, section_of
from reciprocity.partners.models import Partner, PartnerQuerySet
from reciprocity.playbook.models import Cadence, CadenceDefault, CadenceKind
from reciprocity.playbook.selectors.cadences import last_touch_of

# The calendar's ends: a moment stored before the date rules (year 1, year 9999) has no local
# day beyond them, and a due date past the last day is held there (``dates.shifted``).
FIRST_DAY, LAST_DAY = dt.date.min, dt.date.max
_EDGE_LOW = dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC)
_EDGE_HIGH = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
# The parts of a kind's rounds beyond the agenda's sections (0, 1 and 2: ``SECTIONS``).
LATER, NO_DUE = 3, 4


class AddMonths(Func):
    """``day`` plus a whole number of months, on the month's last day when it is shorter, held
    at 9999-12-31 rather than overflowing (``cadences.add_months``)."""

    output_field = DateField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        (day_sql, day_params), (months_sql, months_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = (
            f"LEAST(({day_sql} + make_interval(months => {months_sql}))::date, '9999-12-31'::date)"
        )
        return sql, [*day_params, *months_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        (day_sql, day_params), (months_sql, months_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        # The same day of the month ``months`` later, or that month's last day, whichever is
        # earlier; SQLite answers NULL past year 9999, held at the last day. The day and the
        # months are named once in a row of their own: written out in each place, SQLite
        # would compute them (a lookup of the last touch, say) once for every place.
        same_day = (
            "COALESCE(date(day, 'start of month', '+' || months || ' months', "
            "'+' || (CAST(strftime('%%d', day) AS INTEGER) - 1) || ' days'), '9999-12-31')"
        )
        month_end = (
            "COALESCE(date(day, 'start of month', '+' || (months + 1) || ' months',"
            " '-1 day'), '9999-12-31')"
        )
        sql = (
            f"(SELECT MIN({same_day}, {month_end}) "
            f"FROM (SELECT {day_sql} AS day, {months_sql} AS months))"
        )
        return sql, [*day_params, *months_params]


def _day_of(moment: Any) -> Case:
    zone = timezone.get_current_timezone()
    if connection.vendor == "sqlite" and timezone.get_current_timezone_name() == "UTC":
        day: Any = Func(moment, function="date", output_field=DateField())
    else:
        day = TruncDate(moment, tzinfo=zone)
    return Case(
        When(LessThan(moment, _EDGE_LOW), then=Value(FIRST_DAY)),
        When(GreaterThanOrEqual(moment, _EDGE_HIGH), then=Value(LAST_DAY)),
        default=day,
        output_field=DateField(),
    )


class LocalDay(Func):
    """The local day of a stored moment, the calendar's ends for one at its edge. SQLite stores
    moments in UTC as text: in UTC their day is their first ten characters, read natively
    rather than by a function per row."""

    output_field = DateField()
    arity = 1

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        (moment,) = self.get_source_expressions()
        return compiler.compile(_day_of(moment).resolve_expression(compiler.query))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The moment named once, in a row of its own, as in ``AddMonths``: the day's rule
        # reads it three times.
        (moment,) = self.get_source_expressions()
        moment_sql, moment_params = compiler.compile(moment)
        named = RawSQL("moment", (), output_field=DateTimeField())
        day_sql, day_params = compiler.compile(_day_of(named).resolve_expression(compiler.query))
        return (
            f"(SELECT {day_sql} FROM (SELECT {moment_sql} AS moment))",
            [*day_params, *moment_params],
        )


def _interval(kind: str, defaults: list[CadenceDefault]) -> Case:
    """The interval in effect for ``kind``: the override's (none when it is off), else the
    stage default's; NULL for no dated cadence. The override is joined (one per kind)."""
    override = f"override_{kind}"
    stage_default = Case(
        *[
            When(firm_id=row.firm_id, stage=row.stage, then=Value(row.interval_months))
            for row in defaults
            if row.kind == kind and row.interval_months
        ],
        default=Value(None),
        output_field=IntegerField(),
    )
    return Case(
        When(**{f"{override}__enabled": False}, then=Value(None)),
        When(**{f"{override}__enabled": True}, then=F(f"{override}__interval_months")),
        default=stage_default,
        output_field=IntegerField(),
    )


def cadence_dues(partners: PartnerQuerySet, firm_ids: list[int]) -> QuerySet[Partner]:
    """``partners`` with a cadence running, each annotated, for each kind, with ``last_<kind>``
    (the last touch that counts), ``interval_<kind>`` and ``due_<kind>`` (NULL when no dated
    cadence of the kind runs). On PostgreSQL the touches are read in one join grouped by
    partner, not a lookup per partner."""
    defaults = list(CadenceDefault.objects.filter(firm_id__in=firm_ids))
    # Only partners with a cadence running: in a stage with a dated default, or overridden.
    dated_stages = {row.stage for row in defaults if row.interval_months}
    qs = (
        partners.not_retired()
        .live()
        .filter(
            Q(stage__in=dated_stages)
            | Exists(Cadence.objects.filter(partner_id=OuterRef("pk"), enabled=True))
        )
    )
    qs = qs.alias(
        **{
            f"override_{kind}": FilteredRelation("cadences", condition=Q(cadences__kind=kind))
            for kind in CadenceKind.values
        }
    )
    annotations: dict[str, Any] = {}
    for kind in CadenceKind.values:
        annotations[f"last_{kind}"] = last_touch_of(kind)
        annotations[f"interval_{kind}"] = _interval(kind, defaults)
    qs = qs.annotate(**annotations)
    dues = {}
    for kind in CadenceKind.values:
        since = Coalesce(F(f"last_{kind}"), F("stage_changed_at"))
        dues[f"due_{kind}"] = Case(
            When(**{f"interval_{kind}__isnull": True}, then=Value(None)),
            default=AddMonths(LocalDay(since), F(f"interval_{kind}")),
            output_field=DateField(),
        )
    return qs.annotate(**dues)


@dataclass(frozen=True)
class DueCadence:
    partner_id: int
    partner_name: str
    kind: str
    interval_months: int
    last_touch_at: dt.datetime | None
    due: dt.date

    @property
    def key(self) -> str:
        """The agenda item's key (``agenda.item_key`` of the cadence source)."""
        return f"cadence:{self.partner_id}:{self.kind}:{self.due.isoformat()}"


@dataclass(frozen=True)
class CadenceWindow:
    cadences: list[DueCadence]
    counts: dict[str, int]
    snoozed: int


def _held(kind: str, rounds: list[tuple[int, dt.date]]) -> tuple[str, list[Any]]:
    """SQL true for the snoozed rounds of ``kind`` among the inner query's rows."""
    if not rounds:
        return "(1 = 0)", []
    q, date = connection.ops.quote_name, connection.ops.adapt_datefield_value
    sql = " OR ".join([f"({q('pk')} = %s AND {q('due_' + kind)} = %s)"] * len(rounds))
    return f"({sql})", [value for pk, due in rounds for value in (pk, date(due))]


def _counts(
    inner: str,
    inner_params: Any,
    kinds: list[str],
    today: dt.date,
    until: dt.date,
    snoozed: dict[str, list[tuple[int, dt.date]]],
) -> tuple[dict[str, int], int]:
    """Each section's count and the snoozed ones', when no item is wanted: one pass, no
    ranking. The due dates are computed once per row (a materialized common table): read from
    a plain subquery, SQLite would compute each kind's for every sum that names it."""
    q, date = connection.ops.quote_name, connection.ops.adapt_datefield_value
    sums: list[str] = []
    params: list[Any] = []
    for kind in kinds:
        due = q(f"due_{kind}")
        hold, hold_params = _held(kind, snoozed.get(kind, []))
        for condition, args in (
            (f"{due} < %s AND NOT {hold}", [date(today), *hold_params]),
            (f"{due} = %s AND NOT {hold}", [date(today), *hold_params]),
            (
                f"{due} > %s AND {due} <= %s AND NOT {hold}",
                [date(today), date(until), *hold_params],
            ),
            (f"{due} <= %s AND {hold}", [date(until), *hold_params]),
        ):
            sums.append(f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)")
            params.extend(args)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH dated AS MATERIALIZED ({inner}) SELECT {', '.join(sums)} FROM dated",
            [*inner_params, *params],
        )
        totals = list(cursor.fetchone())
    per_kind = [totals[index : index + 4] for index in range(0, len(totals), 4)]
    counts = {name: sum(row[index] for row in per_kind) for index, name in enumerate(SECTIONS)}
    return counts, sum(row[3] for row in per_kind)


def cadence_window(
    *,
    partners: PartnerQuerySet,
    firm_ids: list[int],
    today: dt.date,
    until: dt.date,
    limit: int,
    snoozed: dict[str, list[tuple[int, dt.date]]],
) -> CadenceWindow:
    """The dated cadences due up to ``until``: each section's count and first ``limit`` (oldest
    due first, then by partner name) in one query that computes every due date once, whatever
    the size of the book; a second reads what those few show. ``snoozed`` (per kind, the
    partner and due date of each snoozed round) are left out and counted apart."""
    dues = cadence_dues(partners, firm_ids)
    kinds = list(CadenceKind.values)
    # Unordered: each reader of the rows orders what it takes.
    inner, inner_params = (
        dues.order_by()
        .values("pk", "name", *(f"due_{kind}" for kind in kinds))
        .query.sql_with_params()
    )
    q, date = connection.ops.quote_name, connection.ops.adapt_datefield_value
    # The agenda's order (``agenda_order``): the due date, the name in lower case, then the key,
    # whose partner id compares as text followed by its colon; byte order on PostgreSQL too.
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    pk_text = f"(CAST({q('pk')} AS VARCHAR(20)) || ':')"
    order = f"LOWER({q('name')}){collate}, {pk_text}{collate}"
    if limit == 0:
        counts, hidden = _counts(inner, inner_params, kinds, today, until, snoozed)
        return CadenceWindow([], counts, hidden)
    # The due dates computed once (a materialized common table), then read by each kind's
    # counts (grouped by part) and each section's first ``limit`` (a top-N, not a sort).
    members: list[str] = []
    params: list[Any] = []
    for index, kind in enumerate(kinds):
        due = q(f"due_{kind}")
        hold, hold_params = _held(kind, snoozed.get(kind, []))
        part = (
            f"CASE WHEN {due} IS NULL THEN {NO_DUE} WHEN {due} < %s THEN 0 WHEN {due} = %s "
            f"THEN 1 WHEN {due} <= %s THEN 2 ELSE {LATER} END"
        )
        part_params = [date(today), date(today), date(until)]
        held = f"CASE WHEN {hold} THEN 1 ELSE 0 END"
        members.append(
            f"SELECT {index}, {part}, {held}, COUNT(*), NULL FROM dated GROUP BY {part}, {held}"
        )
        params += [*part_params, *hold_params, *part_params, *hold_params]
        for section, condition in enumerate(
            (f"{due} < %s", f"{due} = %s", f"{due} > %s AND {due} <= %s")
        ):
            members.append(
                f"SELECT * FROM (SELECT {index}, {section}, 0, 0, {q('pk')} FROM dated "
                f"WHERE {condition} AND NOT {hold} ORDER BY {due}, {order} LIMIT %s) "
                f"first_{index}_{section}"
            )
            params += [date(today)] if section < 2 else [date(today), date(until)]
            params += [*hold_params, limit]
    sql = f"WITH dated AS MATERIALIZED ({inner}) " + " UNION ALL ".join(members)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, *params])
        rows = cursor.fetchall()
    counts = dict.fromkeys(SECTIONS, 0)
    hidden = 0
    ids = set()
    for _, part, held_row, n, pk in rows:
        if pk is not None:
            ids.add(pk)
        elif part not in (NO_DUE, LATER):
            if held_row:
                hidden += n
            else:
                counts[SECTIONS[part]] += n
    if not ids:
        return CadenceWindow([], counts, hidden)
    fields = ["pk", "name"]
    for kind in kinds:
        fields += [f"due_{kind}", f"last_{kind}", f"interval_{kind}"]
    candidates: dict[str, list[DueCadence]] = {kind: [] for kind in kinds}
    for row in dues.filter(pk__in=ids).values(*fields):
        for kind in kinds:
            due = row[f"due_{kind}"]
            if due is None or due > until or (row["pk"], due) in snoozed.get(kind, []):
                continue
            candidates[kind].append(
                DueCadence(
                    partner_id=row["pk"],
                    partner_name=row["name"],
                    kind=kind,
                    interval_months=row[f"interval_{kind}"],
                    last_touch_at=row[f"last_{kind}"],
                    due=due,
                )
            )
    # A partner fetched for one kind's rank brings its other kinds along: keep each section's
    # first ``limit`` of all kinds, in the agenda's order (each kind's first are among these).
    by_section: dict[str, list[DueCadence]] = {name: [] for name in SECTIONS}
    for kind_found in candidates.values():
        for cadence in kind_found:
            by_section[section_of(cadence.due, today)].append(cadence)
    found: list[DueCadence] = []
    for in_section in by_section.values():
        in_section.sort(key=lambda c: (c.due, c.partner_name.lower(), c.key))
        found.extend(in_section[:limit])
    return CadenceWindow(found, counts, hidden)
