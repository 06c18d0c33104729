"""Medians of durations taken by the database, in one pass over the rows: the funnel's time in
stage and time to the first referral, over a book's or a firm's moves.

PostgreSQL has the median (its continuous percentile); SQLite has none, so each SQLite
connection is given one (``MEDIAN``, registered as it opens). Ranking the rows with window
functions instead, the same everywhere, took two to three times as long as either.
"""

import sqlite3
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, DurationField, Func
from django.db.models.sql.compiler import SQLCompiler

MICROSECONDS_PER_DAY = 86_400_000_000
SQLITE_MEDIAN = "MEDIAN"


class Median(Aggregate):
    """The middle duration of a group, or the two middle ones averaged; nulls left out."""

    function = "PERCENTILE_CONT"
    # ``filter``: the aggregate's FILTER clause, when it is given one.
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = DurationField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        return super().as_sql(
            compiler,
            connection,
            function=SQLITE_MEDIAN,
            template="%(function)s(%(expressions)s)%(filter)s",
            **extra_context,
        )


class Elapsed(Func):
    """The time from ``start`` to ``end``, two moments. On SQLite from the days between them
    as SQLite counts them (to the millisecond), in the microseconds SQLite keeps durations
    in: Django's own difference calls Python for every row."""

    output_field = DurationField()
    arity = 2
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        (end, end_params), (start, start_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        days = f"julianday({end}) - julianday({start})"
        return (
            f"CAST(ROUND(({days}) * {MICROSECONDS_PER_DAY}) AS INTEGER)",
            (*end_params, *start_params),
        )


class _SqliteMedian:
    """SQLite's aggregate behind ``Median``: it keeps the group's values and sorts them."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        values = sorted(self.values)
        if not values:
            return None
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def add_sqlite_median(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Give a new SQLite connection its ``MEDIAN`` (``connection_created``)."""
    if connection.vendor == "sqlite":
        raw: sqlite3.Connection = connection.connection
        raw.create_aggregate(SQLITE_MEDIAN, 1, _SqliteMedian)  # type: ignore[arg-type]
