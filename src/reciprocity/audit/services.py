"""The one way records leave the database: a firm admin purges archived records older than the
firm's retention period, with a reason, and the purge itself is recorded (AuditPurge)."""

import datetime as dt
from collections import defaultdict
from graphlib import TopologicalSorter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import Firm, User
from reciprocity.accounts.services import ensure_firm_admin
from reciprocity.audit.models import AuditPurge
from reciprocity.audit.registry import audited_models, firm_path, history_of

# User-facing messages; tests reuse them.
PURGE_NEEDS_REASON = "Say why these records are purged; the reason is kept with the purge."
NOTHING_TO_PURGE = "No archived record is older than the retention period: nothing was purged."


def purge_cutoff(firm: Firm, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=firm.retention_days)


def purgeable(*, firm: Firm, cutoff: dt.datetime) -> dict[type[models.Model], set[Any]]:
    """Ids of the firm's records archived before ``cutoff``, by model: every model with an
    ``archived_at`` and a history (a new one is included without being listed)."""
    found: dict[type[models.Model], set[Any]] = {}
    for model in audited_models():
        path = firm_path(model)
        names = {f.name for f in model._meta.concrete_fields}
        if path is None or "archived_at" not in names:
            continue
        lookup = "pk" if path == "id" else path
        ids = set(
            model._default_manager.filter(
                **{lookup: firm.pk, "archived_at__lt": cutoff}
            ).values_list("pk", flat=True)
        )
        if ids:
            found[model] = ids
    return found


def _protecting_children(model: type[models.Model]) -> list[tuple[type[models.Model], str]]:
    """(model, key name) of the records that are part of a ``model`` record: they point at it
    through a protecting or cascading key (a partner's touches, a referral's steps). Keys that
    set null (a commitment's touch) are left to the database."""
    children = []
    for relation in model._meta.related_objects:
        on_delete = getattr(relation, "on_delete", None)
        if relation.many_to_many or on_delete not in (models.PROTECT, models.CASCADE):
            continue
        child = relation.related_model
        assert isinstance(child, type)
        children.append((child, relation.field.name))
    return children


def _with_parts(
    start: dict[type[models.Model], set[Any]],
) -> list[tuple[type[models.Model], set[Any]]]:
    """The records to delete with everything that is part of them, in an order where each
    model comes before the models it points at."""
    collected: dict[type[models.Model], set[Any]] = defaultdict(set)
    pending = list(start.items())
    while pending:
        model, pks = pending.pop()
        new = pks - collected[model]
        if not new:
            continue
        collected[model] |= new
        for child, key in _protecting_children(model):
            ids = set(
                child._default_manager.filter(**{f"{key}__in": new}).values_list("pk", flat=True)
            )
            if ids:
                pending.append((child, ids))
    graph: dict[type[models.Model], set[type[models.Model]]] = {
        model: {
            child
            for child, _key in _protecting_children(model)
            if child in collected and child is not model
        }
        for model in collected
    }
    return [(model, collected[model]) for model in TopologicalSorter(graph).static_order()]


@transaction.atomic
def records_purge(*, by: User, reason: str) -> AuditPurge:
    """Delete the firm's records archived before the retention period, with everything that is
    part of them and their history; keep an AuditPurge with the reason and the counts."""
    ensure_firm_admin(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": PURGE_NEEDS_REASON})
    assert by.firm is not None  # a firm admin has a firm
    firm = Firm.objects.select_for_update().get(pk=by.firm.pk)
    cutoff = purge_cutoff(firm)
    plan = _with_parts(purgeable(firm=firm, cutoff=cutoff))
    if not plan:
        raise ValidationError(NOTHING_TO_PURGE)
    counts: dict[str, int] = {}
    for model, pks in plan:
        model._default_manager.filter(pk__in=pks).delete()
        if hasattr(model._meta, "simple_history_manager_attribute"):
            # The history goes too, the deletion records just written included: keeping it
            # would keep what the purge is for removing.
            history_of(model)._default_manager.filter(id__in=pks).delete()
        counts[model._meta.label] = len(pks)
    purge = AuditPurge(firm=firm, by=by, reason=reason, cutoff=cutoff, counts=counts)
    attribute(purge, by).save()
    return purge


def purge_preview(*, by: User) -> tuple[dt.datetime, dict[str, int]]:
    """What a purge would delete now: the cutoff, and counts by model label."""
    ensure_firm_admin(by)
    assert by.firm is not None
    cutoff = purge_cutoff(by.firm)
    plan = _with_parts(purgeable(firm=by.firm, cutoff=cutoff))
    return cutoff, {model._meta.label: len(pks) for model, pks in plan}
