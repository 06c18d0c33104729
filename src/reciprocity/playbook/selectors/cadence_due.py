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
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from reciprocity.partners.agenda import SECTIONS, section_of
from reciprocity.partners.models import Partner, PartnerQuerySet
from reciprocity.playbook.models import Cadence, CadenceDefault, CadenceKind
from reciprocity.playbook.selectors.cadences import last_touch_of
from reciprocity.sql_days import AddMonths, LocalDay

# The parts of a kind's rounds beyond the agenda's sections (0, 1 and 2: ``SECTIONS``).
LATER, NO_DUE = 3, 4


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
