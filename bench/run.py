"""The performance suite (``make bench``): for each database and size, a fresh database is
migrated, filled by the seeded generator and measured; results go to ``bench/results/`` as
JSON, and ``bench/README.md``'s table is written from every result there.

    python bench/run.py [--databases sqlite,postgresql] [--sizes solo,bigbook] [--report-only]

Environment: ``BENCH_PG_URL`` the server (default ``postgres://postgres@127.0.0.1:5432``),
``BENCH_PG_ADMIN_DB`` the database connected to for creating and dropping the bench databases
(default ``postgres``), ``BENCH_PG_PREFIX`` their names' prefix (default ``reciprocity_bench_``).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATA = HERE / ".data"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_ADMIN_DB = os.environ.get("BENCH_PG_ADMIN_DB", "postgres")
PG_PREFIX = os.environ.get("BENCH_PG_PREFIX", "reciprocity_bench_")
# What the generator made, by its key in the results, in the order the table names them.
GENERATED = [
    ("partners", "partners"),
    ("touches", "touches"),
    ("stage_changes", "stage changes"),
    ("commitments", "commitments"),
    ("referrals", "referrals"),
    ("referral_steps", "referral steps"),
    ("opportunities", "opportunities"),
    ("meetings", "meetings"),
]
# Who is measured at each size: the advisor whose growth is followed, and the firm admin.
READERS = {
    "solo": ["bench0"],
    "bigbook": ["bench0", "benchadmin"],
    "firm": ["bench0", "benchadmin"],
}


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = meminfo.read_text().splitlines()[0].split(":", 1)[1].strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/{PG_ADMIN_DB}", autocommit=True) as conn:
        conn.execute(sql)


def database_url(database: str, size: str) -> str:
    if database == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / f"{size}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"{PG_PREFIX}{size}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}"')
    return f"{PG_URL}/{name}"


def drop(database: str, size: str) -> None:
    if database == "postgresql":
        _pg_admin(f'DROP DATABASE IF EXISTS "{PG_PREFIX}{size}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DATA / size}.sqlite3{suffix}").unlink(missing_ok=True)


def one(database: str, size: str) -> dict[str, Any]:
    """In a process of its own, configured for its database: migrate, generate, measure."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")
    django.setup()
    import time

    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(HERE.parent))
    from bench.generate import generate
    from bench.measure import measure_as

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    migrated = round(time.perf_counter() - started, 1)
    generated = generate(size)
    print(f"{database} {size}: generated {generated}", flush=True)
    version = ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]}"
    readers = {reader: measure_as(reader, generated) for reader in READERS[size]}
    return {
        "database": database,
        "database_version": version,
        "size": size,
        "migrate_seconds": migrated,
        "generated": generated,
        "machine": machine(),
        "readers": readers,
    }


def report() -> str:
    """The table of every result in bench/results/, as kept in bench/README.md."""
    results = [json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))]
    # The pages' results only (the import benchmark writes its own file there).
    results = [result for result in results if "readers" in result]
    if not results:
        return "No results yet: run `make bench`.\n"
    lines = [f"Machine: {_machine_line(results[0]['machine'])}", ""]
    for result in results:
        g = result["generated"]
        lines += [f"### {result['size']} on {result['database_version']}", ""]
        # A result kept from a run on another machine says so: its times compare with its own.
        if result["machine"] != results[0]["machine"]:
            lines += [f"Measured on another machine: {_machine_line(result['machine'])}.", ""]
        made = [
            f"{g['advisors']} advisor(s)",
            *(
                f"{g[key]:,} {label}"
                for key, label in GENERATED
                # Results kept from before the generator made some of them say nothing of them.
                if key in g
            ),
            f"{g['teams']} teams",
        ]
        lines += [f"Generated in {g['seconds']} s: {', '.join(made)}.", ""]
        for reader, pages in result["readers"].items():
            lines += [
                f"As `{reader}`:",
                "",
                "| page | queries | median ms | p95 ms | KB | raw SQL ms | x raw SQL |",
                "|---|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {p['page']} | {p['queries']} | {p['median_ms']} | {p['p95_ms']} | "
                f"{p['bytes'] / 1024:.1f} | {p['raw_sql_ms']} | {p['ratio_to_raw_sql']} |"
                for p in pages
            ]
            lines.append("")
    lines += _growth(results)
    return "\n".join(lines) + "\n"


def _machine_line(m: dict[str, Any]) -> str:
    return f"{m['cpu']}, {m['cores']} cores, {m['memory']}, {m['system']}, Python {m['python']}"


def _growth(results: list[dict[str, Any]]) -> list[str]:
    """p95 of each page for the same advisor (bench0), from solo to the larger sizes."""
    lines = []
    for database in sorted({r["database"] for r in results}):
        by_size = {r["size"]: r for r in results if r["database"] == database}
        if "solo" not in by_size or len(by_size) < 2:
            continue
        sizes = [s for s in ("solo", "bigbook", "firm") if s in by_size]
        lines += [
            f"### Growth on {database}: p95 ms of `bench0` (solo: their 300 partners alone; "
            "bigbook: their book of 20,000; firm: their 300 among 60,000)",
            "",
            "| page | " + " | ".join(sizes) + " |",
            "|---|" + "---|" * len(sizes),
        ]
        pages = [p["page"] for p in by_size["solo"]["readers"]["bench0"]]
        for index, page in enumerate(pages):
            cells = [str(by_size[s]["readers"]["bench0"][index]["p95_ms"]) for s in sizes]
            lines.append(f"| {page} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def write_readme() -> None:
    readme = HERE / "README.md"
    text = readme.read_text()
    marker = "<!-- results -->"
    head = text.split(marker, 1)[0]
    readme.write_text(f"{head}{marker}\n\n{report()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="solo,bigbook")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--one", nargs=2, metavar=("DATABASE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        database, size = args.one
        result = one(database, size)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{database}-{size}.json").write_text(json.dumps(result, indent=1) + "\n")
        return
    if not args.report_only:
        for size in args.sizes.split(","):
            for database in args.databases.split(","):
                env = {
                    **os.environ,
                    "DATABASE_URL": database_url(database, size),
                    "RECIPROCITY_MODE": "local",
                    "RECIPROCITY_DATA_DIR": str(DATA),
                    "DEBUG": "false",
                    "ALLOWED_HOSTS": "testserver",
                    "LOG_LEVEL": "WARNING",
                    # One reader sends every page's requests in a burst: not a client to throttle.
                    "API_RATE_LIMIT": "1000000/minute",
                    "API_ADDRESS_RATE_LIMIT": "1000000/minute",
                }
                try:
                    subprocess.run(  # noqa: S603 (this very script)
                        [sys.executable, __file__, "--one", database, size], env=env, check=True
                    )
                finally:
                    drop(database, size)
    write_readme()
    print(report())


if __name__ == "__main__":
    main()
