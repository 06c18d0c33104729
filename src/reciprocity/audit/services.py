"""Writes of the audit trail: each history row is linked into its firm's hash chain in the
transaction that wrote it; a firm admin purges archived records older than the firm's retention
period, with a reason, leaving a signed tombstone (AuditPurge) in the chain; a verification of
the chain is recorded."""

import datetime as dt
from collections import defaultdict
from graphlib import TopologicalSorter
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute, current_source
from reciprocity.accounts.models import Firm, User
from reciprocity.accounts.services import ensure_firm_admin
from reciprocity.audit import chain
from reciprocity.audit.integrity import ChainReport, chain_check
from reciprocity.audit.models import AuditPurge, ChainHead, ChainLink, ChainVerification
from reciprocity.audit.registry import audited_models, firm_path, history_of
from reciprocity.audit.selectors import NOT_AUDIT_READER

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
    purged_links: list[tuple[int, str]] = []
    for model, pks in plan:
        model._default_manager.filter(pk__in=pks).delete()
        if hasattr(model._meta, "simple_history_manager_attribute"):
            # The history goes too, the deletion records just written included: keeping it
            # would keep what the purge is for removing. Their links stay, and the tombstone
            # below says which entries went.
            history = history_of(model)._default_manager.filter(id__in=pks)
            entry_ids = list(history.values_list("history_id", flat=True))
            purged_links += ChainLink.objects.filter(
                firm=firm, model=model._meta.label, entry_id__in=entry_ids
            ).values_list("seq", "entry_hash")
            history.delete()
        counts[model._meta.label] = len(pks)
    purge = AuditPurge(
        firm=firm,
        by=by,
        reason=reason,
        cutoff=cutoff,
        counts=counts,
        purged_links=[[seq, entry_hash] for seq, entry_hash in sorted(purged_links)],
    )
    purge.signature = chain.tombstone_signature(
        {
            field.attname: chain.plain(field, getattr(purge, field.attname))
            for field in AuditPurge._meta.concrete_fields
        }
    )
    attribute(purge, by).save()
    return purge


def purge_preview(*, by: User) -> tuple[dt.datetime, dict[str, int]]:
    """What a purge would delete now: the cutoff, and counts by model label."""
    ensure_firm_admin(by)
    assert by.firm is not None
    cutoff = purge_cutoff(by.firm)
    plan = _with_parts(purgeable(firm=by.firm, cutoff=cutoff))
    return cutoff, {model._meta.label: len(pks) for model, pks in plan}


# --- The chain ----------------------------------------------------------------------------------


def chain_append(*, entries: list[chain.Pending]) -> list[ChainLink]:
    """Link ``entries`` (in order) at the end of their firms' chains. Each chain's head row is
    locked for the rest of the transaction, so concurrent writers append one after the other:
    no fork, no gap. Per firm: one locked read, one INSERT of the links, one UPDATE of the head."""
    by_firm: dict[int | None, list[chain.Pending]] = defaultdict(list)
    for entry in entries:
        by_firm[entry.firm_id].append(entry)
    links: list[ChainLink] = []
    with transaction.atomic():
        for firm_id, pending in by_firm.items():
            key = firm_id or 0
            head = ChainHead.objects.select_for_update().filter(chain=key).first()
            if head is None:
                # The chain's first link, or links restored from a firm's backup (which holds
                # the links but not the head): the head starts after the last of them.
                existing = ChainLink.objects.filter(
                    **({"firm_id": firm_id} if firm_id else {"firm__isnull": True})
                )
                last = existing.order_by("-seq").first()
                start = ChainHead(
                    chain=key,
                    seq=last.seq if last else 0,
                    hash=last.hash if last else chain.GENESIS,
                )
                ChainHead.objects.bulk_create([start], ignore_conflicts=True)
                head = ChainHead.objects.select_for_update().get(chain=key)
            seq, prev = head.seq, head.hash
            new = []
            for entry in pending:
                seq += 1
                digest = chain.link_hash(
                    firm_id=firm_id,
                    seq=seq,
                    model=entry.model,
                    entry_id=entry.entry_id,
                    entry_hash=entry.entry_hash,
                    prev_hash=prev,
                )
                new.append(
                    ChainLink(
                        firm_id=firm_id,
                        seq=seq,
                        model=entry.model,
                        entry_id=entry.entry_id,
                        at=entry.at,
                        fields=entry.fields,
                        entry_hash=entry.entry_hash,
                        prev_hash=prev,
                        hash=digest,
                    )
                )
                prev = digest
            links += ChainLink.objects.bulk_create(new)
            ChainHead.objects.filter(chain=key).update(seq=seq, hash=prev)
    return links


def _pending(
    model: type[models.Model], firm_id: int | None, values: dict[str, Any]
) -> chain.Pending:
    historical = history_of(model)
    content = chain.entry_content(historical, values)
    return chain.Pending(
        firm_id=firm_id,
        model=model._meta.label,
        entry_id=int(values["history_id"]),
        at=values["history_date"],
        fields=",".join(content),
        entry_hash=chain.sha256(content),
    )


def chain_link_history(*, instance: models.Model, history: models.Model) -> ChainLink:
    """Link the history row just written for ``instance`` (simple-history's signal)."""
    model = type(instance)._meta.concrete_model
    assert model is not None
    values = {
        field.attname: getattr(history, field.attname)
        for field in chain.entry_fields(type(history))
    }
    firm_id = chain.firm_of(instance, history, firm_path(model))
    return chain_append(entries=[_pending(model, firm_id, values)])[0]


def chain_link_rows(*, model: type[models.Model], history_ids: list[int]) -> list[ChainLink]:
    """Link history rows written many at a time (bulk writes send no per-row signal): read back
    in one query with their firm, linked in the order of their ids."""
    if not history_ids:
        return []
    historical = history_of(model)
    names = [field.attname for field in chain.entry_fields(historical)]
    path = firm_path(model)
    rows = historical._default_manager.filter(history_id__in=history_ids).order_by("history_id")
    if path is not None:
        rows = rows.annotate(chain_firm=models.F(path))
    entries = [
        _pending(model, values.get("chain_firm"), values)
        for values in rows.values(*names, *(["chain_firm"] if path is not None else []))
    ]
    return chain_append(entries=entries)


def chain_verify(*, firm: Firm | None, by: User | None = None) -> ChainReport:
    """Check ``firm``'s chain (the chain of records of no firm for None) and record that it was
    checked, by whom, from where and what was found."""
    if by is not None and not by.reads_audit_log:
        raise PermissionDenied(NOT_AUDIT_READER)
    report = chain_check(firm_id=firm.pk if firm else None)
    first = report.first
    ChainVerification.objects.create(
        firm=firm,
        by=by,
        source=current_source(),
        ok=report.ok,
        entries=report.entries,
        problems=len(report.problems),
        head_hash=report.head_hash,
        first_broken=first.as_dict() if first else None,
    )
    return report


def chain_backfill(*, state_apps: Any = None) -> int:
    """Link every history row that has no link yet, oldest first (for a database whose history
    was written before the chain). ``state_apps`` reads the rows as the schema is at a
    migration. Returns how many were linked."""
    linked: dict[str, set[int]] = defaultdict(set)
    for label, entry_id in ChainLink.objects.values_list("model", "entry_id").iterator():
        linked[label].add(entry_id)
    found: list[tuple[Any, str, int, chain.Pending]] = []
    for model in audited_models():
        live = history_of(model)
        historical = live
        if state_apps is not None:
            try:
                historical = state_apps.get_model(live._meta.label)
            except LookupError:
                continue  # its table comes with a later migration: no history to link yet
        names = [field.attname for field in chain.entry_fields(historical)]
        path = firm_path(model)
        rows = historical._default_manager.all()
        extra = []
        if path is not None:
            rows, extra = rows.annotate(chain_firm=models.F(path)), ["chain_firm"]
        label = model._meta.label
        for values in rows.values(*names, *extra).iterator(chunk_size=2000):
            if values["history_id"] in linked[label]:
                continue
            content = chain.entry_content(historical, values)
            pending = chain.Pending(
                firm_id=values.get("chain_firm"),
                model=label,
                entry_id=int(values["history_id"]),
                at=values["history_date"],
                fields=",".join(content),
                entry_hash=chain.sha256(content),
            )
            found.append((values["history_date"], label, pending.entry_id, pending))
    found.sort(key=lambda item: item[:3])
    chain_append(entries=[pending for *_key, pending in found])
    return len(found)
