# Values bound: the SQL below is assembled from the ORM's own compiled expressions.
# ruff: noqa: S608
"""Days in SQL: the local day of a stored moment and a day moved by days or months, computed by
the database as ``dates`` computes them in Python, so that lists can be counted and cut by what
falls due when, rather than read whole. Tests compare each with its Python reading on SQLite and
PostgreSQL, in time zones far from UTC and at the calendar's ends."""

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Case, DateField, DateTimeField, Func, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

# The calendar's ends: a moment stored before the date rules (year 1, year 9999) has no local
# day beyond them, and a due date past the last day is held there (``dates.shifted``).
FIRST_DAY, LAST_DAY = dt.date.min, dt.date.max
_EDGE_LOW = dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC)
_EDGE_HIGH = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


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


class AddDays(Func):
    """``day`` plus a whole number of days, held at 9999-12-31 rather than overflowing."""

    output_field = DateField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        (day_sql, day_params), (days_sql, days_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return f"LEAST({day_sql} + {days_sql}, '9999-12-31'::date)", [*day_params, *days_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        (day_sql, day_params), (days_sql, days_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        # SQLite answers NULL past year 9999: held at the last day.
        sql = f"COALESCE(date({day_sql}, '+' || {days_sql} || ' days'), '9999-12-31')"
        return sql, [*day_params, *days_params]
