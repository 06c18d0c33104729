"""Who changed what, from where.

Every historical record (django-simple-history) carries the acting user and the channel the change
came through: ``web``, ``api``, ``cli``, ``import``, ``email``, ``partner`` (a partner answering
the confirmation link of a referral) or ``system``. The channel is a context variable set once at
the edge (middleware, API auth, management command, mail receiver, the partner's link) so
services need not pass it along.

Every history row is also linked into its firm's hash chain by the audit app, in the same
transaction: simple-history's signal does it for single saves; a write of many history rows at
once (which sends no per-row signal) sends ``history_rows_created`` with the model and the ids.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import models
from django.dispatch import Signal, receiver
from simple_history.signals import pre_create_historical_record

SOURCES = ("web", "api", "cli", "import", "email", "partner", "system")
# Sent with ``model`` (the audited model) and ``history_ids`` after a bulk write of history rows.
history_rows_created = Signal()
_source: ContextVar[str] = ContextVar("audit_source", default="system")


def current_source() -> str:
    return _source.get()


@contextmanager
def audit_source(source: str) -> Iterator[None]:
    if source not in SOURCES:
        raise ValueError(f"Unknown audit source {source!r}")
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def set_audit_source(source: str) -> None:
    """For entry points that own the whole process (a management command)."""
    if source not in SOURCES:
        raise ValueError(f"Unknown audit source {source!r}")
    _source.set(source)


M = TypeVar("M", bound=models.Model)


def attribute[M: models.Model](instance: M, actor: Any) -> M:
    """Mark the user responsible for the next save of ``instance`` in its history."""
    instance._history_user = actor  # type: ignore[attr-defined]
    return instance


@receiver(pre_create_historical_record)
def _stamp_source(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    history_instance.history_source = current_source()
