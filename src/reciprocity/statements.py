"""Reads whose SQL is the same from one request to the next but for the rows' ids (and the
moment they are read at): built and compiled by the ORM once per shape, then run with each
call's values.

A statement of many expressions (the scores: a hundred annotations over a common table; the
diagnoses' readings: forty; the agenda's windows) costs the ORM tens of milliseconds to build
and compile, several times what the database takes to run it, and a page asks for it on every
request, for other partners. The statement is compiled with stand-ins no row has (negative ids,
a moment long past); a call puts its own values in their places among the parameters. A
statement that holds neither depends on its key alone.

On PostgreSQL the statement's other parameters are written into it once, as the literals the
driver would send: psycopg binds on the client and parses a statement of over 4 KB or 50
parameters again on each call (the scores' has hundreds), where what a call sends is the same.
"""

import copy
import datetime as dt
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

# Statements kept per process: one per shape (what the caller's key says, the database, the
# number of ids), the oldest dropped first.
KEPT = 256
# The ids a statement is compiled with: negative, so no row has one, and within a 32-bit
# integer, which the ORM may check a lookup's value against.
_FIRST_STAND_IN = -1_000_000_000
# The moment a statement is compiled with: no call reads at it, and its microseconds make it
# unlike any moment a statement would hold for another reason.
_STAND_IN_MOMENT = dt.datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=dt.UTC)
_NOT_HELD = "The statement does not hold every stand-in it was built with."
# A parameter's place in the ORM's SQL, or a percent sign written as two.
_PLACEHOLDER = re.compile(r"%[s%]")


@dataclass(frozen=True)
class _Slots:
    """Which parameters of a compiled statement hold a call's values, by position."""

    # (position, which id)
    ids: tuple[tuple[int, int], ...]
    # (position, whether the moment is held as the database adapts it)
    moments: tuple[tuple[int, bool], ...]

    @classmethod
    def find(cls, params: list[Any], *, count: int, moment: bool, using: str) -> "_Slots":
        stand_ins = {_FIRST_STAND_IN - index: index for index in range(count)}
        adapted = connections[using].ops.adapt_datetimefield_value(_STAND_IN_MOMENT)
        ids, moments = [], []
        for at, param in enumerate(params):
            if type(param) is int and param in stand_ins:
                ids.append((at, stand_ins[param]))
            elif moment and param == _STAND_IN_MOMENT and isinstance(param, dt.datetime):
                moments.append((at, False))
            elif moment and type(param) is type(adapted) and param == adapted:
                moments.append((at, True))
        if {which for _at, which in ids} != set(range(count)) or (moment and not moments):
            raise ValueError(_NOT_HELD)
        return cls(ids=tuple(ids), moments=tuple(moments))

    @property
    def positions(self) -> set[int]:
        return {at for at, _which in self.ids} | {at for at, _adapted in self.moments}

    def fill(
        self, params: tuple[Any, ...], ids: list[int], now: dt.datetime | None, using: str
    ) -> list[Any]:
        filled = list(params)
        for at, which in self.ids:
            filled[at] = ids[which]
        if self.moments:
            adapted = connections[using].ops.adapt_datetimefield_value(now)
            for at, is_adapted in self.moments:
                filled[at] = adapted if is_adapted else now
        return filled


@dataclass(frozen=True)
class _Values:
    sql: str
    params: tuple[Any, ...]
    slots: _Slots
    names: tuple[str, ...]
    # The selected expressions, for the database's and the fields' converters.
    selected: tuple[Any, ...]

    @classmethod
    def compile(cls, values: QuerySet[Any], count: int, using: str) -> "_Values":
        query = values.query
        compiler = query.get_compiler(using=using)
        sql, params = _compiled(compiler)
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        selected = tuple(expression for expression, _sql, _alias in compiler.select)
        if len(selected) != len(names):
            raise ValueError(_NOT_HELD)
        slots = _Slots.find(list(params), count=count, moment=False, using=using)
        sql, params, slots = _inlined(sql, tuple(params), slots, using)
        return cls(sql=sql, params=params, slots=slots, names=names, selected=selected)

    def rows(self, ids: list[int], using: str) -> list[dict[str, Any]]:
        if not self.sql:
            return []
        params = self.slots.fill(self.params, ids, None, using)
        connection = connections[using]
        converters = [
            (index, functions, expression)
            for index, expression in enumerate(self.selected)
            if (
                functions := connection.ops.get_db_converters(expression)
                + expression.get_db_converters(connection)
            )
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        rows = []
        for row in fetched:
            values = list(row)
            for index, functions, expression in converters:
                for function in functions:
                    values[index] = function(values[index], expression, connection)
            rows.append(dict(zip(self.names, values, strict=True)))
        return rows


@dataclass(frozen=True)
class _Models:
    """A query of model instances, compiled: the ORM's own iterable makes the instances (their
    related rows, annotations and converters), from a compiler that answers with this SQL."""

    queryset: QuerySet[Any]
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    slots: _Slots

    @classmethod
    def compile(cls, queryset: QuerySet[Any], count: int, using: str, *, moment: bool) -> "_Models":
        compiler = queryset.query.get_compiler(using=using)
        sql, params = _compiled(compiler)
        slots = _Slots.find(list(params), count=count, moment=moment and bool(sql), using=using)
        sql, params, slots = _inlined(sql, tuple(params), slots, using)
        return cls(queryset, compiler, sql, params, slots)

    def instances(self, ids: list[int], now: dt.datetime | None, using: str) -> list[Any]:
        if not self.sql:
            return []
        statement = (self.sql, self.slots.fill(self.params, ids, now, using))
        # Copies for this call: the kept ones are shared by the process's threads, and a
        # compiler holds the connection of the thread that made it.
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[using]
        vars(compiler)["as_sql"] = lambda *args, **kwargs: statement
        query = copy.copy(self.queryset.query)
        vars(query)["get_compiler"] = lambda *args, **kwargs: compiler
        # A new queryset over the query (a copy of the kept one would be fetched to be copied).
        queryset = type(self.queryset)(model=self.queryset.model, query=query, using=using)
        return list(queryset)


def _compiled(compiler: SQLCompiler) -> tuple[str, Any]:
    """The compiler's statement, or none for a query that can have no rows."""
    try:
        return compiler.as_sql()
    except EmptyResultSet:
        return "", ()


def _inlined(
    sql: str, params: tuple[Any, ...], slots: _Slots, using: str
) -> tuple[str, tuple[Any, ...], _Slots]:
    """The statement with every parameter but its slots written in as the literal the driver
    would send for it, where the driver binds on the client (PostgreSQL's, by default): what a
    call sends is the same text, and the driver parses a few placeholders, not hundreds."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get(
        "server_side_binding"
    ):
        return sql, params, slots
    # Here only: the driver is not loaded where the database is SQLite.
    from django.db.backends.postgresql.operations import DatabaseOperations

    ops = connection.ops
    assert isinstance(ops, DatabaseOperations)
    kept = slots.positions
    pieces: list[str] = []
    moved: dict[int, int] = {}
    start = at = 0
    for placeholder in _PLACEHOLDER.finditer(sql):
        if placeholder.group() == "%%":
            continue
        if at in kept:
            moved[at] = len(moved)
        else:
            literal = ops.compose_sql("%s", [params[at]])
            pieces += [sql[start : placeholder.start()], literal.replace("%", "%%")]
            start = placeholder.end()
        at += 1
    if at != len(params):
        raise ValueError(_NOT_HELD)
    pieces.append(sql[start:])
    return (
        "".join(pieces),
        tuple(params[position] for position in sorted(moved)),
        _Slots(
            ids=tuple((moved[at], which) for at, which in slots.ids),
            moments=tuple((moved[at], adapted) for at, adapted in slots.moments),
        ),
    )


_kept: OrderedDict[Hashable, _Values | _Models] = OrderedDict()
_lock = threading.Lock()


def _kept_or_compiled[T: (_Values, _Models)](
    shape: Hashable, compile: Callable[[], T], kind: type[T]
) -> T:
    with _lock:
        compiled = _kept.get(shape)
        if compiled is not None:
            _kept.move_to_end(shape)
    if not isinstance(compiled, kind):
        compiled = compile()
        with _lock:
            _kept[shape] = compiled
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
    return compiled


def _stand_ins(count: int) -> list[int]:
    return [_FIRST_STAND_IN - index for index in range(count)]


def _call(model: type[Model], ids: Collection[int] | None) -> tuple[list[int], str] | None:
    """The call's ids, each once (none for a statement that holds none), and the database it
    reads; None when it was given ids and they are none: nothing to read."""
    if ids is not None and not ids:
        return None
    return list(dict.fromkeys(ids or ())), router.db_for_read(model)


def values_of(
    model: type[Model],
    build: Callable[[list[int]], QuerySet[Any]],
    ids: Collection[int] | None,
    *,
    key: Hashable,
) -> list[dict[str, Any]]:
    """The rows of ``build(ids)``, a ``values()`` query of ``model`` whose statement depends on
    nothing but ``key`` and the ids (None: a statement that holds none), compiled once for
    each ``key``, database and number of ids."""
    call = _call(model, ids)
    if call is None:
        return []
    unique, using = call
    count = len(unique)
    compiled = _kept_or_compiled(
        ("values", key, using, count),
        lambda: _Values.compile(build(_stand_ins(count)), count, using),
        _Values,
    )
    return compiled.rows(unique, using)


def models_of[M: Model](
    model: type[M],
    build: Callable[[list[int], dt.datetime], QuerySet[M]],
    ids: Collection[int] | None,
    *,
    now: dt.datetime | None = None,
    key: Hashable,
) -> list[M]:
    """The instances of ``build(ids, now)``, a query of ``model`` whose statement depends on
    nothing but ``key``, the ids (None: a statement that holds none) and ``now`` (held as it
    is: nothing computed from it; None: a statement that holds no moment), compiled once for
    each ``key``, database and number of ids."""
    call = _call(model, ids)
    if call is None:
        return []
    unique, using = call
    count = len(unique)
    compiled = _kept_or_compiled(
        ("models", key, using, count, now is not None),
        lambda: _Models.compile(
            build(_stand_ins(count), _STAND_IN_MOMENT), count, using, moment=now is not None
        ),
        _Models,
    )
    return compiled.instances(unique, now, using)
