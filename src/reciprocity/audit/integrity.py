"""Checking a firm's chain: recompute every link from the entries as they are now and name what
does not match (an entry changed, deleted or added outside the product, a link missing or
altered, a forged tombstone). Reads only; ``services.chain_verify`` records the result.

The work is bounded by the firm's size: every link and every history row of the firm is read
once (by chunks of ids), in one pass.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from reciprocity.audit import chain
from reciprocity.audit.models import AuditPurge, ChainHead, ChainLink
from reciprocity.audit.registry import audited_models, firm_path, history_of, model_by_label

CHUNK = 900  # ids per query, under SQLite's limit of bound parameters

# What a problem says; tests reuse them.
ENTRY_CHANGED = "its content no longer matches the hash recorded when it was written"
ENTRY_DELETED = "it was deleted, and no valid tombstone of a purge covers it"
LINK_MISSING = "the link is missing: the chain jumps from link {before} to link {after}"
LINK_ALTERED = "the link was altered: its hashes do not follow from the link before it"
LINKS_TRUNCATED = "the chain ends at link {last} but was written up to link {head}"
NOT_IN_CHAIN = "it is not in the chain: it was added outside the product"
TOMBSTONE_FORGED = "it is a purge's tombstone whose signature does not match"


@dataclass(frozen=True)
class Problem:
    seq: int | None  # the link, when the entry has one
    model: str
    entry_id: int | None  # the history row's id
    what: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "model": self.model, "entry_id": self.entry_id, "what": self.what}

    def __str__(self) -> str:
        where = f"link {self.seq}" if self.seq is not None else "no link"
        entry = f"{self.model} history row {self.entry_id}" if self.entry_id else "no entry"
        return f"{where}, {entry}: {self.what}"


@dataclass
class ChainReport:
    firm_id: int | None
    entries: int = 0
    head_hash: str = chain.GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


@dataclass(frozen=True)
class _Link:
    seq: int
    model: str
    entry_id: int
    at: dt.datetime
    fields: str
    entry_hash: str
    prev_hash: str
    hash: str


def links_of(firm_id: int | None) -> list[_Link]:
    links = (
        ChainLink.objects.filter(firm_id=firm_id)
        if firm_id
        else ChainLink.objects.filter(firm__isnull=True)
    )
    columns = ("seq", "model", "entry_id", "at", "fields", "entry_hash", "prev_hash", "hash")
    return [_Link(*row) for row in links.order_by("seq").values_list(*columns)]


def entry_values(links: list[_Link]) -> dict[tuple[str, int], dict[str, Any]]:
    """The linked history rows that still exist, by (model label, history id)."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for link in links:
        wanted[link.model].append(link.entry_id)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for label, ids in wanted.items():
        model = model_by_label(label)
        if model is None:
            continue
        historical = history_of(model)
        names = [f.attname for f in chain.entry_fields(historical)]
        manager = historical._default_manager
        for start in range(0, len(ids), CHUNK):
            for values in manager.filter(history_id__in=ids[start : start + CHUNK]).values(*names):
                found[(label, values["history_id"])] = values
    return found


def _tombstones(
    links: list[_Link], found: dict[tuple[str, int], dict[str, Any]]
) -> tuple[dict[int, str], set[int]]:
    """What valid tombstones cover ({seq: entry hash}), and the links of forged ones."""
    covered: dict[int, str] = {}
    forged: set[int] = set()
    label = AuditPurge._meta.label
    historical = history_of(AuditPurge)
    for link in links:
        values = found.get((link.model, link.entry_id))
        if link.model != label or values is None or values["history_type"] != "+":
            continue
        if not (values.get("signature") or values.get("purged_links")):
            continue  # a purge from before tombstones
        content = chain.entry_content(historical, values)
        if chain.tombstone_valid(content):
            covered.update({int(seq): str(digest) for seq, digest in content["purged_links"]})
        else:
            forged.add(link.seq)
    return covered, forged


def _entry_problem(link: _Link, values: dict[str, Any] | None, covered: dict[int, str]) -> str:
    if values is None:
        return "" if covered.get(link.seq) == link.entry_hash else ENTRY_DELETED
    model = model_by_label(link.model)
    assert model is not None
    try:
        content = chain.entry_content(history_of(model), values, link.fields.split(","))
    except KeyError:
        return ENTRY_CHANGED  # a column it was written with is gone
    return "" if chain.sha256(content) == link.entry_hash else ENTRY_CHANGED


def _unlinked(firm_id: int | None, linked: set[tuple[str, int]]) -> list[Problem]:
    problems = []
    for model in audited_models():
        path = firm_path(model)
        if path is None or (firm_id is None and path == "id"):
            continue
        label = model._meta.label
        lookup = {path: firm_id} if firm_id is not None else {f"{path}__isnull": True}
        ids = history_of(model)._default_manager.filter(**lookup).order_by("history_id")
        problems += [
            Problem(None, label, history_id, NOT_IN_CHAIN)
            for history_id in ids.values_list("history_id", flat=True).iterator(chunk_size=2000)
            if (label, history_id) not in linked
        ]
    return problems


def chain_check(*, firm_id: int | None) -> ChainReport:
    """Recompute the chain of ``firm_id`` (None: records of no firm) from its entries."""
    links = links_of(firm_id)
    found = entry_values(links)
    covered, forged = _tombstones(links, found)
    report = ChainReport(firm_id=firm_id, entries=len(links))
    prev, expected = chain.GENESIS, 1
    for link in links:
        if link.seq != expected:
            what = LINK_MISSING.format(before=expected - 1, after=link.seq)
            report.problems.append(Problem(expected, "", None, what))
        recomputed = chain.link_hash(
            firm_id=firm_id,
            seq=link.seq,
            model=link.model,
            entry_id=link.entry_id,
            entry_hash=link.entry_hash,
            prev_hash=link.prev_hash,
        )
        values = found.get((link.model, link.entry_id))
        if link.seq == expected and (link.prev_hash != prev or recomputed != link.hash):
            report.problems.append(Problem(link.seq, link.model, link.entry_id, LINK_ALTERED))
        elif what := _entry_problem(link, values, covered):
            report.problems.append(Problem(link.seq, link.model, link.entry_id, what))
        elif link.seq in forged:
            report.problems.append(Problem(link.seq, link.model, link.entry_id, TOMBSTONE_FORGED))
        prev, expected = link.hash, link.seq + 1
    head = ChainHead.objects.filter(chain=firm_id or 0).first()
    if head is not None and head.seq != expected - 1:
        what = LINKS_TRUNCATED.format(last=expected - 1, head=head.seq)
        report.problems.append(Problem(expected, "", None, what))
    report.head_hash = prev
    report.problems += _unlinked(firm_id, {(link.model, link.entry_id) for link in links})
    return report


def chains() -> list[int | None]:
    """Every chain there is: the firms' ids, and None when records of no firm have one."""
    keys = sorted(ChainHead.objects.values_list("chain", flat=True))
    return [key or None for key in keys]
