"""Reports and exports may read from a replica of the database (DATABASE_REPLICA_URL).

Only code that asks for it reads there (a view decorated with ``reads_from_replica``, rows
streamed through ``replica_stream``): a replica lags its primary a little, which a report can
afford and a page that just saved a change cannot. Writes always go to the primary.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings

REPLICA = "replica"

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica when one is configured."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def reads_from_replica[**P, R](view: Callable[P, R]) -> Callable[P, R]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


def replica_stream[T](rows: Iterable[T]) -> Iterator[T]:
    """Rows of a streamed response are read after its view returned: each is read from the
    replica, and nothing else between them is."""
    iterator = iter(rows)
    while True:
        with replica_reads():
            try:
                row = next(iterator)
            except StopIteration:
                return
        yield row


class ReplicaRouter:
    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if _reading_reports.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: a record read there may be linked to one
        # read from the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica follows the primary's schema; it is never migrated itself.
        return False if db == REPLICA else None
