"""What every app's records share: archived rows kept apart, rows re-read under a lock,
updates of optional fields, and the refusal of a write the record's state no longer allows."""

import datetime as dt
import operator
from functools import reduce
from typing import Any, Self

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class ArchivableQuerySet[M: models.Model](models.QuerySet[M]):
    """Records are archived, never deleted."""

    def live(self) -> Self:
        """Leave out what was archived."""
        return self.filter(archived_at__isnull=True)


class Conflict(ValidationError):
    """The record is not in a state that allows this write any more (done already, moved on):
    the API answers 409, a page shows the message like any refusal."""


def lock[M: models.Model](instance: M, queryset: models.QuerySet[M] | None = None) -> M:
    """Re-read ``instance`` in place under a row lock (inside the caller's transaction), so two
    writers of one row take turns and the caller's object shows what was written. ``queryset``
    may add the related rows to read with it."""
    if queryset is None:
        queryset = type(instance)._default_manager.all()
    instance.refresh_from_db(from_queryset=queryset.select_for_update())
    return instance


def archived_set(instance: Any, *, archived: bool) -> bool:
    """Archive (or restore) a row locked by the caller; True when that changed it. Records are
    archived, never deleted."""
    if (instance.archived_at is not None) == archived:
        return False
    instance.archived_at = timezone.now() if archived else None
    return True


def model_update[M: models.Model](instance: M, **changes: Any) -> list[str]:
    """Set every field given a value; None means "leave it as it is". Text is stripped. Returns
    the names of the fields whose value changed."""
    changed = []
    for field, value in changes.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


def changed_since[M: models.Model](
    queryset: models.QuerySet[M], since: "dt.datetime | None"
) -> models.QuerySet[M]:
    """For a sync: the rows changed at or after ``since`` (all of them when None), in the order
    they changed, ties broken by id, so a client pages through them and asks again from the last
    ``updated_at`` it saw."""
    if since is not None:
        queryset = queryset.filter(updated_at__gte=since)
    return queryset.order_by("updated_at", "pk")


class _Ids(models.Subquery):
    # No ids at all (an empty slice, ``none()``) means no row matches, as ``__in`` has it:
    # not ``IN NULL``, which no database accepts.
    empty_result_set_value = NotImplemented


class AmongIds(models.Func):
    """``field`` among the ids a subquery returns. On PostgreSQL the subquery becomes an array
    computed once (``= ANY(ARRAY(...))``), a condition the field's index serves: an OR of it
    with another indexed condition is a bitmap OR, and rows are found by probing the index
    for those ids where an ``IN`` over a subquery the planner cannot estimate may scan the
    whole firm (or join a whole scope's rows to a page of them). Other databases get a plain
    ``IN``."""

    conditional = True
    output_field = models.BooleanField()
    template = "%(expressions)s"
    arg_joiner = " IN "

    def __init__(self, field: str, ids: models.QuerySet[Any]) -> None:
        # The ids' order matters only to pick a slice of them; otherwise it is a sort for nothing.
        if not ids.query.is_sliced:
            ids = ids.order_by()
        super().__init__(models.F(field), _Ids(ids))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self.as_sql(
            compiler, connection, arg_joiner=" = ANY(ARRAY", template="%(expressions)s)"
        )


def rows_between[M: models.Model](
    queryset: models.QuerySet[M], start: int, stop: int
) -> models.QuerySet[M]:
    """Rows ``start`` to ``stop`` of an ordered queryset, with whatever it annotates computed
    for those rows only: the page's keys are found first in a subquery that only walks past the
    skipped rows, then its rows are read (still one query). The first page too: a big book's
    rows sorted with their joins (the owner, the team) cost several times their keys sorted.
    The rows are then read by those keys, not found again among the whole scope's."""
    return queryset.filter(AmongIds("pk", queryset.values("pk")[start:stop]))


def after_key[M: models.Model](queryset: models.QuerySet[M], pk: Any) -> models.QuerySet[M] | None:
    """The rows of ``queryset`` that come after the row ``pk`` in its order (keyset paging), or
    None when that row is not in it; for an order of plain field names ending in the primary
    key, ValueError for any other order. The row's keys are read alone, not the row's
    annotations."""
    order = [str(term) for term in queryset.query.order_by]
    if not order or any(not isinstance(t, str) for t in queryset.query.order_by):
        raise ValueError("keyset paging needs an order of plain fields")
    if order[-1].lstrip("-") not in ("pk", "id"):
        raise ValueError("keyset paging needs an order that ends with the primary key")
    names = [term.lstrip("-") for term in order]
    row = queryset.filter(pk=pk).values(*names).first()
    if row is None:
        return None
    parts = []
    equal = models.Q()
    for term, name in zip(order, names, strict=True):
        value = row[name]
        if value is None:
            raise ValueError(f"keyset paging cannot start after an empty {name}")
        parts.append(equal & models.Q(**{f"{name}__{'lt' if term[0] == '-' else 'gt'}": value}))
        equal &= models.Q(**{name: value})
    return queryset.filter(reduce(operator.or_, parts))
