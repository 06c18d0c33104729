"""Reads whose SQL is the same from one request to the next but for the rows' ids: built and
compiled by the ORM once per shape, then run with each call's ids.

A statement of many expressions (the scores: a hundred annotations over a common table) costs
the ORM tens of milliseconds to build and compile, several times what the database takes to
run it, and a page asks for it on every request, for other partners. The statement is compiled
with ids no row has; a call puts its own ids in their places among the parameters.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

# Statements kept per process: one per shape (what the caller's key says, the database, the
# number of ids), the oldest dropped first.
KEPT = 64
# The ids a statement is compiled with: negative, so no row has one, and within a 32-bit
# integer, which the ORM may check a lookup's value against.
_FIRST_STAND_IN = -1_000_000_000


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # Which parameter holds which of the call's ids, by position.
    slots: tuple[tuple[int, int], ...]
    names: tuple[str, ...]
    # The selected expressions, for the database's and the fields' converters.
    selected: tuple[Any, ...]

    def rows(self, ids: list[int], using: str) -> list[dict[str, Any]]:
        params = list(self.params)
        for at, which in self.slots:
            params[at] = ids[which]
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


_kept: OrderedDict[Hashable, _Compiled] = OrderedDict()
_lock = threading.Lock()


def _compile(values: QuerySet[Any], count: int, using: str) -> _Compiled:
    query = values.query
    compiler = query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    stand_ins = {_FIRST_STAND_IN - index: index for index in range(count)}
    slots = tuple(
        (at, stand_ins[param])
        for at, param in enumerate(params)
        if type(param) is int and param in stand_ins
    )
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    selected = tuple(expression for expression, _sql, _alias in compiler.select)
    if {which for _at, which in slots} != set(range(count)) or len(selected) != len(names):
        raise ValueError("The statement does not hold every id it was built with.")
    return _Compiled(sql=sql, params=tuple(params), slots=slots, names=names, selected=selected)


def values_of(
    model: type[Model],
    build: Callable[[list[int]], QuerySet[Any]],
    ids: Collection[int],
    *,
    key: Hashable,
) -> list[dict[str, Any]]:
    """The rows of ``build(ids)``, a ``values()`` query of ``model`` whose statement depends on
    nothing but ``key`` and the ids, compiled once for each ``key``, database and number of
    ids."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    using = router.db_for_read(model)
    shape = (key, using, len(unique))
    with _lock:
        compiled = _kept.get(shape)
        if compiled is not None:
            _kept.move_to_end(shape)
    if compiled is None:
        stand_ins = [_FIRST_STAND_IN - index for index in range(len(unique))]
        compiled = _compile(build(stand_ins), len(unique), using)
        with _lock:
            _kept[shape] = compiled
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
    return compiled.rows(unique, using)
