"""New rows and their historical records, written many at a time.

Django's ``bulk_create`` (and simple-history's ``bulk_create_with_history`` on top of it)
compiles every value of every row through the ORM, which makes a million rows take minutes.
Here each batch is one multi-row INSERT per table, its values read straight from the objects
(dates adapted for the database), and the ids read back with RETURNING (PostgreSQL, SQLite
3.35+), then the same rows again as historical records attributed to the importing user with
the channel ``import``.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

from reciprocity.accounts.audit import history_rows_created
from reciprocity.audit.registry import history_of

# Bound parameters per statement, under both databases' limits (SQLite 32766, PostgreSQL 65535).
MAX_PARAMS = 30_000


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return lambda value: value


def _insert(
    model: type[models.Model], rows: Sequence[Sequence[Any]], fields: list[models.Field[Any, Any]]
) -> list[int]:
    """INSERT the rows (values in the order of ``fields``); the new ids, in order."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    pk = quote(str(model._meta.pk.column))
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, MAX_PARAMS // len(fields))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (names quoted, values bound)
                + ", ".join([placeholder] * len(chunk))
                + f" RETURNING {pk}"
            )
            cursor.execute(sql, [value for row in chunk for value in row])
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def insert_with_history[M: models.Model](
    objs: list[M], *, by: Any, source: str = "import"
) -> list[M]:
    """INSERT ``objs`` (setting their ids) and one historical record each ("created")."""
    if not objs:
        return objs
    model = type(objs[0])
    now = timezone.now()
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                if getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)
    convert = [(field.attname, _converter(field)) for field in fields]
    rows = [[adapt(getattr(obj, name)) for name, adapt in convert] for obj in objs]
    for obj, pk in zip(objs, _insert(model, rows, fields), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias

    historical = history_of(model)
    own = {
        "history_date": now,
        "history_type": "+",
        "history_change_reason": None,
        "history_user_id": getattr(by, "pk", None),
        "history_source": source,
    }
    history_fields = [field for field in historical._meta.concrete_fields if not field.primary_key]
    history_convert = [(field.attname, _converter(field)) for field in history_fields]
    history_rows = [
        [adapt(own[name] if name in own else getattr(obj, name)) for name, adapt in history_convert]
        for obj in objs
    ]
    history_ids = _insert(historical, history_rows, history_fields)
    history_rows_created.send(sender=model, model=model, history_ids=history_ids)
    return objs
