"""Verify an examiner export of Reciprocity's audit trail, offline, with Python alone.

    python verify_export.py DIR

DIR holds what ``reciprocity audit export`` wrote: entries.json, entries.csv and manifest.json.
For each firm's chain in the range, every entry's content must hash (SHA-256 of its canonical
JSON: keys sorted, no spaces, UTF-8) to the entry hash its link records, every link's hash must
follow from its fields and the hash of the link before it, the links must be numbered without a
gap, and the first and last hashes and the counts must be those of the manifest. Both entries.json
and entries.csv are checked. An entry purged under the firm's retention period has no content;
its link still holds its hash, so the chain still checks. Prints what holds or the first entry
that does not match, and exits 0 or 1.

Uses the standard library only; it is the product's own rules written out, to be read.
"""

import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
CSV_FIELDS = ["firm", "seq", "model", "entry_id", "at", "fields", "entry_hash", "prev_hash"]
CSV_FIELDS += ["hash", "content"]


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def link_hash(entry: dict[str, Any]) -> str:
    return sha256(
        {
            "firm": entry["firm"],
            "seq": entry["seq"],
            "model": entry["model"],
            "entry": entry["entry_id"],
            "entry_hash": entry["entry_hash"],
            "prev": entry["prev_hash"],
        }
    )


def name(entry: dict[str, Any]) -> str:
    return f"firm {entry['firm']} link {entry['seq']} ({entry['model']} entry {entry['entry_id']})"


def check_entries(entries: list[dict[str, Any]], manifest: dict[str, Any]) -> list[str]:
    """What does not match, in chain order; empty when everything holds."""
    problems: list[str] = []
    chains: dict[Any, list[dict[str, Any]]] = {}
    for entry in entries:
        chains.setdefault(entry["firm"], []).append(entry)
    expected = {chain["firm"]: chain for chain in manifest["chains"]}
    if set(chains) != set(expected):
        problems.append("the firms of the entries are not those of the manifest")
    for firm, chain in sorted(expected.items(), key=lambda item: str(item[0])):
        links = sorted(chains.get(firm, []), key=lambda entry: entry["seq"])
        if len(links) != chain["entries"]:
            count = chain["entries"]
            problems.append(f"firm {firm}: {len(links)} entries, the manifest says {count}")
        prev, seq = chain["prev_hash"], chain["first_seq"]
        for entry in links:
            if entry["seq"] != seq:
                problems.append(f"{name(entry)}: expected link {seq}; links are missing")
            content = entry["content"]
            if content is not None:
                if list(content) != sorted(entry["fields"].split(",")):
                    problems.append(f"{name(entry)}: its columns are not those it was hashed with")
                elif sha256(content) != entry["entry_hash"]:
                    problems.append(f"{name(entry)}: its content does not match its hash")
            if entry["prev_hash"] != prev:
                problems.append(f"{name(entry)}: it does not follow the link before it")
            if link_hash(entry) != entry["hash"]:
                problems.append(f"{name(entry)}: the link's hash does not match its fields")
            prev, seq = entry["hash"], entry["seq"] + 1
        if links and links[-1]["hash"] != chain["last_hash"]:
            problems.append(f"firm {firm}: the last hash is not the manifest's")
    return problems


def read_json(directory: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((directory / "entries.json").read_text("utf-8"))
    return entries


def read_csv(directory: Path) -> list[dict[str, Any]]:
    entries = []
    with (directory / "entries.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            entries.append(
                {
                    **row,
                    "firm": int(row["firm"]) if row["firm"] else None,
                    "seq": int(row["seq"]),
                    "entry_id": int(row["entry_id"]),
                    "content": json.loads(row["content"]) if row["content"] else None,
                }
            )
    return entries


def verify(directory: Path) -> list[str]:
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    problems = []
    for label, read in (("entries.json", read_json), ("entries.csv", read_csv)):
        try:
            entries = read(directory)
        except (OSError, ValueError, KeyError) as error:
            problems.append(f"{label}: cannot be read ({error})")
            continue
        problems += [f"{label}: {problem}" for problem in check_entries(entries, manifest)]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("Usage: python verify_export.py DIR", file=sys.stderr)
        return 2
    directory = Path(argv[1])
    try:
        problems = verify(directory)
    except (OSError, ValueError, KeyError) as error:
        print(f"Cannot read the export in {directory}: {error}", file=sys.stderr)
        return 2
    if problems:
        print(f"The chain does not hold. First problem: {problems[0]}")
        for problem in problems[1:]:
            print(f"  also: {problem}")
        return 1
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    print(
        f"The chain holds: {manifest['entries']} entries from {manifest['from']} to "
        f"{manifest['to']}, written by Reciprocity {manifest['software_version']}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
