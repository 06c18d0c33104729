"""Import benchmark (not a test): a large partners file with bounded memory, and touches beside
a raw bulk insert of the same rows, on the same database in the same run.

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--touches 200000]

It uses a throwaway SQLite database in a temporary directory, or the database ``DATABASE_URL``
names (which must be empty: the benchmark migrates it and fills it). It prints the figures and
writes them to ``bench/results/import.json``.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFESSIONS = ["CPA", "Estate attorney", "Insurance agent", "Banker", "Realtor"]
KINDS = ["call", "email", "meeting", "note", "thank_you"]


def partners_csv(rows: int, start: int = 0, *, header: bool = True) -> bytes:
    lines = ["ID,First Name,Last Name,Company,Category,Email,Phone,Stage"] if header else []
    lines.extend(
        f"c{i},Pat{i},Lee,Firm {i % 9973},{PROFESSIONS[i % 5]},pat{i}@example.com,"
        f"617-555-{i % 10000:04d},prospect"
        for i in range(start, start + rows)
    )
    return ("\n".join(lines) + "\n").encode()


def touches_csv(touches: int, partners: int) -> bytes:
    lines = ["Partner,Date,Kind,Summary"]
    lines.extend(
        f"c{i % partners},2025-{1 + i % 12:02d}-{1 + i % 28:02d},{KINDS[i % 5]},Touch {i}"
        for i in range(touches)
    )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--touches", type=int, default=200_000)
    parser.add_argument("--touch-partners", type=int, default=10_000)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="reciprocity-bench-")
    os.environ.setdefault("RECIPROCITY_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from reciprocity.accounts.models import Firm, User
    from reciprocity.partners.models import Partner, Touch
    from reciprocity.transfer.imports import engine
    from reciprocity.transfer.imports.services import (
        ImportFiles,
        import_run_create,
        import_run_execute,
    )

    call_command("migrate", verbosity=0)
    firm = Firm.objects.create(name="Bench Wealth", slug="bench")
    User.objects.create(username="bench", firm=firm)
    results: dict[str, object] = {"database": connection.vendor, "rows": args.rows}

    # 1. A large partners file, imported by the command in a process of its own, so its peak
    #    memory is the import's and not this script's.
    big = Path(data_dir) / "big.csv"
    with big.open("wb") as out:
        for start in range(0, args.rows, 100_000):
            out.write(partners_csv(min(100_000, args.rows - start), start, header=start == 0))
    started = time.perf_counter()
    command = [sys.executable, "-m", "reciprocity", "import", str(big), "--user", "bench", "--json"]
    done = subprocess.run(  # noqa: S603 (our own interpreter and command)
        command, capture_output=True, text=True, env=os.environ, check=False
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    created = json.loads(done.stdout)["created"]
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    results["partners"] = {
        "created": created,
        "file_mb": round(big.stat().st_size / 1024 / 1024),
        "seconds": round(elapsed, 1),
        "rows_per_second": round(created / elapsed),
        "peak_rss_mb": round(child_peak),
    }
    print("partners:", results["partners"], flush=True)

    # 2. Touches: the import's writes (rows, history, counters) timed beside a raw bulk insert
    #    of the same rows into the same table.
    few = Firm.objects.create(name="Touch Wealth", slug="touch")
    toucher = User.objects.create(username="toucher", firm=few)
    run = import_run_create(
        by=toucher,
        files=ImportFiles(
            data=partners_csv(args.touch_partners),
            file_name="partners.csv",
            touches=touches_csv(args.touches, args.touch_partners),
            touches_name="touches.csv",
        ),
    )
    timed: dict[str, float] = {}
    real = engine.Walk._touches

    def timed_touches(self, rows):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        real(self, rows)
        timed["touches"] = time.perf_counter() - started

    engine.Walk._touches = timed_touches  # type: ignore[method-assign]
    run = import_run_execute(run=run)
    assert run.status == "done", (run.status, run.error, run.refused[:3])
    partner_ids = list(Partner.objects.filter(owner=toucher).values_list("pk", flat=True))
    now = timezone.now()
    raw = [
        Touch(
            partner_id=partner_ids[i % len(partner_ids)],
            kind=KINDS[i % 5],
            summary=f"Touch {i}",
            occurred_at=now,
            by=toucher,
        )
        for i in range(args.touches)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        Touch.objects.bulk_create(raw, batch_size=5000)
    raw_seconds = time.perf_counter() - started
    results["touches"] = {
        "rows": run.touches_created,
        "import_seconds": round(timed["touches"], 2),
        "import_rows_per_second": round(run.touches_created / timed["touches"]),
        "raw_bulk_create_seconds": round(raw_seconds, 2),
        "raw_rows_per_second": round(args.touches / raw_seconds),
    }
    print("touches:", results["touches"], flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"import-{connection.vendor}.json").write_text(json.dumps(results, indent=2) + "\n")
    connection.close()
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
