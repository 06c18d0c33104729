"""The examiner export: every audit entry of a date range with its chain, as entries.csv and
entries.json, a manifest.json (counts, first and last hash of each firm's chain, the range, the
software version), and verify_export.py, which checks it offline with Python alone."""

import csv
import datetime as dt
import importlib.metadata
import json
import shutil
from pathlib import Path
from typing import Any

from django.utils import timezone

from reciprocity.accounts.models import Firm
from reciprocity.audit import chain
from reciprocity.audit.integrity import chains, entry_values, links_of
from reciprocity.audit.registry import history_of, model_by_label
from reciprocity.audit.verify_export import CSV_FIELDS
from reciprocity.dates import day_start

FORMAT = "reciprocity-audit-export"
SCRIPT = Path(__file__).with_name("verify_export.py")


def software_version() -> str:
    try:
        return importlib.metadata.version("reciprocity")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _chain_entries(
    firm_id: int | None, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    links = [link for link in links_of(firm_id) if start <= link.at < end]
    found = entry_values(links)
    entries = []
    for link in links:
        values = found.get((link.model, link.entry_id))
        content = None
        if values is not None:
            model = model_by_label(link.model)
            assert model is not None
            try:
                content = chain.entry_content(history_of(model), values, link.fields.split(","))
            except KeyError:
                content = {}
        entries.append(
            {
                "firm": firm_id,
                "seq": link.seq,
                "model": link.model,
                "entry_id": link.entry_id,
                "at": link.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
                "fields": link.fields,
                "entry_hash": link.entry_hash,
                "prev_hash": link.prev_hash,
                "hash": link.hash,
                "content": content,
            }
        )
    return entries


def chain_export(
    *, since: dt.date, until: dt.date, directory: Path, firm: Firm | None = None
) -> dict[str, Any]:
    """Write the export of ``since``..``until`` (both days included) into ``directory``."""
    start, end = day_start(since), day_start(until + dt.timedelta(days=1))
    if firm is not None:
        keys: list[int | None] = [firm.pk]
    else:
        keys = chains()
    slugs = dict(Firm.objects.values_list("pk", "slug"))
    entries: list[dict[str, Any]] = []
    summaries = []
    for key in keys:
        found = _chain_entries(key, start, end)
        if not found:
            continue
        entries += found
        summaries.append(
            {
                "firm": key,
                "firm_slug": slugs.get(key) if key else None,
                "entries": len(found),
                "purged": sum(1 for entry in found if entry["content"] is None),
                "first_seq": found[0]["seq"],
                "last_seq": found[-1]["seq"],
                "prev_hash": found[0]["prev_hash"],
                "first_hash": found[0]["hash"],
                "last_hash": found[-1]["hash"],
            }
        )
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "entries.json").open("w", encoding="utf-8") as out:
        json.dump(entries, out, ensure_ascii=False, sort_keys=True, indent=1)
    with (directory / "entries.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for entry in entries:
            content = entry["content"]
            writer.writerow(
                {
                    **entry,
                    "firm": "" if entry["firm"] is None else entry["firm"],
                    "content": "" if content is None else chain.canonical(content).decode(),
                }
            )
    manifest = {
        "format": FORMAT,
        "version": 1,
        "software_version": software_version(),
        "written_at": timezone.now().isoformat(timespec="seconds"),
        "from": since.isoformat(),
        "to": until.isoformat(),
        "firm": firm.slug if firm else None,
        "entries": len(entries),
        "first_hash": entries[0]["hash"] if entries else None,
        "last_hash": entries[-1]["hash"] if entries else None,
        "chains": summaries,
    }
    (directory / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    shutil.copyfile(SCRIPT, directory / SCRIPT.name)
    return manifest
