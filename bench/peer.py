"""The peer comparison (``make bench-peer``, not part of ``make test``): BottleCRM (PyPI
``django-crm``) against Reciprocity with the same book, on the same machine and the same
PostgreSQL, measured interleaved, each in-process with its own Django test client.

    python bench/peer.py [--reuse] [--requests 20]

1. BottleCRM is installed into its own virtual environment (``bench/.peer-venv``, by ``uv venv``
   and ``uv pip install django-crm==PEER_VERSION``), given its own database ``BENCH_PEER_DB``
   (default ``peer_bottlecrm``), migrated and loaded by ``bench/peer/bottlecrm.py``: 20,000
   contacts in 5,000 companies, 50,000 activities.
2. Reciprocity's big book (20,000 partners, 50,000 touches) goes into ``BENCH_OURS_DB`` (default
   ``reciprocity_load_peer``), by ``bench/peer/reciprocity_side.py``.
3. One worker process per side (``bench/peer/protocol.py``); for each pair of pages, each page
   is warmed, its queries counted, then requested ``--requests`` times, the two sides taking turns
   request by request, so that whatever else the machine does falls on both alike.

``--reuse`` keeps databases that are already loaded (BottleCRM's migrations alone take minutes).
Results go to ``bench/results/peer/postgresql.json`` and the table in ``bench/README.md``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.load import write_readme  # noqa: E402
from bench.run import DATA, PG_URL, _pg_admin, machine  # noqa: E402

PEER_VERSION = os.environ.get("BENCH_PEER_VERSION", "1.35.0")
PEER_DB = os.environ.get("BENCH_PEER_DB", "peer_bottlecrm")
OURS_DB = os.environ.get("BENCH_OURS_DB", "reciprocity_load_peer")
VENV = HERE / ".peer-venv"
RESULTS = HERE / "results" / "peer"
UV = HERE.parent / ".tools" / "bin" / "uv"
SECRET = "peer-comparison-key-for-a-throwaway-database-" + "x" * 20
DEEP_OFFSET = 19_950

# (what is compared, the peer's URL, ours): {id} is each side's contact with the long timeline.
PAIRS = [
    ("contacts list, 10 a page", "/api/contacts/?limit=10", "/api/v1/partners?limit=10"),
    ("contacts list, 50 a page", "/api/contacts/?limit=50", "/api/v1/partners?limit=50"),
    (
        "contacts list, deep page (offset 19,950)",
        f"/api/contacts/?limit=50&offset={DEEP_OFFSET}",
        f"/api/v1/partners?limit=50&offset={DEEP_OFFSET}",
    ),
    ("contact detail (API)", "/api/contacts/{id}/", "/api/v1/partners/{id}"),
    ("contact detail: our web page", "/api/contacts/{id}/", "/partners/{id}/"),
    (
        "contact timeline, 50 of 500 activities",
        "/api/interactions/?contact={id}&limit=50",
        "/api/v1/partners/{id}/touches?limit=50",
    ),
]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def peer_environment() -> dict[str, str]:
    host_port = PG_URL.split("@", 1)[-1]
    host, _, port = host_port.partition(":")
    user = PG_URL.split("//", 1)[1].split("@", 1)[0] if "@" in PG_URL else "postgres"
    user, _, password = user.partition(":")
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DBNAME": PEER_DB,
        "DBUSER": user,
        "DBPASSWORD": password,
        "DBHOST": host,
        "DBPORT": port or "5432",
        "SECRET_KEY": SECRET,
        "ENV_TYPE": "dev",
        "DEBUG": "False",
        "ALLOWED_HOSTS": "testserver",
        "PYTHONWARNINGS": "ignore",
    }


def ours_environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reciprocity.settings",
        "DATABASE_URL": f"{PG_URL}/{OURS_DB}",
        "RECIPROCITY_MODE": "local",
        "RECIPROCITY_DATA_DIR": str(DATA),
        "SECRET_KEY": SECRET,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
    }


def ensure_venv() -> Path:
    """BottleCRM in an environment of its own, with the Python that runs this suite."""
    python = VENV / "bin" / "python"
    installed = VENV / f".django-crm-{PEER_VERSION}"
    if not installed.exists():
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        subprocess.run(  # noqa: S603
            [str(UV), "venv", "--quiet", "--python", sys.executable, str(VENV)], env=env, check=True
        )
        subprocess.run(  # noqa: S603
            [
                str(UV),
                "pip",
                "install",
                "--quiet",
                "--python",
                str(python),
                f"django-crm=={PEER_VERSION}",
            ],
            env=env,
            check=True,
        )
        installed.touch()
    return python


def prepare(python: Path, reuse: bool) -> None:
    peer, ours = HERE / "peer" / "bottlecrm.py", HERE / "peer" / "reciprocity_side.py"
    # The working directory of both sides' processes, missing in a fresh clone.
    DATA.mkdir(exist_ok=True)
    if not (reuse and _exists(PEER_DB)):
        _pg_admin(f'DROP DATABASE IF EXISTS "{PEER_DB}"')
        _pg_admin(f'CREATE DATABASE "{PEER_DB}"')
        env = peer_environment()
        # BottleCRM writes its logs to the working directory: the suite's data folder.
        subprocess.run(  # noqa: S603
            [str(VENV / "bin" / "django-admin"), "migrate", "-v0"], env=env, check=True, cwd=DATA
        )
        subprocess.run([str(python), str(peer), "load"], env=env, check=True, cwd=DATA)  # noqa: S603
    if not (reuse and _exists(OURS_DB)):
        _pg_admin(f'DROP DATABASE IF EXISTS "{OURS_DB}"')
        _pg_admin(f'CREATE DATABASE "{OURS_DB}"')
        subprocess.run([sys.executable, str(ours), "load"], env=ours_environment(), check=True)  # noqa: S603


class Side:
    """A worker process answering one request per line."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=DATA
        )
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"{self.process.args} stopped before answering.")
        return json.loads(line)

    def get(self, url: str, *, capture: bool = False) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"url": url, "capture": capture}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def measure(python: Path, requests: int) -> dict[str, Any]:
    DATA.mkdir(exist_ok=True)
    peer = Side([str(python), str(HERE / "peer" / "bottlecrm.py"), "worker"], peer_environment())
    ours = Side(
        [sys.executable, str(HERE / "peer" / "reciprocity_side.py"), "worker"], ours_environment()
    )
    pairs = []
    try:
        for name, peer_url, our_url in PAIRS:
            urls = {
                "peer": peer_url.format(id=peer.info["long_timeline"]),
                "ours": our_url.format(id=ours.info["long_timeline"]),
            }
            sides = {"peer": peer, "ours": ours}
            first = {k: sides[k].get(urls[k]) for k in sides}  # warm
            counted = {k: sides[k].get(urls[k], capture=True) for k in sides}
            times: dict[str, list[float]] = {"peer": [], "ours": []}
            for i in range(requests):
                order = ["peer", "ours"] if i % 2 == 0 else ["ours", "peer"]
                for k in order:
                    times[k].append(sides[k].get(urls[k])["ms"])
            row: dict[str, Any] = {"pair": name}
            for k in sides:
                row[k] = {
                    "url": urls[k],
                    "status": first[k]["status"],
                    "queries": counted[k]["queries"],
                    "bytes": first[k]["bytes"],
                    "median_ms": round(statistics.median(times[k]), 1),
                    "p95_ms": round(_percentile(times[k], 0.95), 1),
                }
            row["p95_ratio"] = round(row["peer"]["p95_ms"] / row["ours"]["p95_ms"], 1)
            row["query_ratio"] = round(row["peer"]["queries"] / max(1, row["ours"]["queries"]), 1)
            row["target_met"] = (
                row["p95_ratio"] >= 4 and 3 * row["ours"]["queries"] <= row["peer"]["queries"]
            )
            print(
                f"{name:42} peer p95 {row['peer']['p95_ms']:8.1f} q={row['peer']['queries']:3}  "
                f"ours p95 {row['ours']['p95_ms']:8.1f} q={row['ours']['queries']:3}  "
                f"x{row['p95_ratio']}",
                flush=True,
            )
            pairs.append(row)
    finally:
        peer.close()
        ours.close()
    return {"peer": peer.info, "ours": ours.info, "requests": requests, "pairs": pairs}


def report() -> str:
    lines: list[str] = []
    for path in sorted(RESULTS.glob("*.json")):
        r = json.loads(path.read_text())
        m = r["machine"]
        lines += [
            f"### {r['peer']['name']} against Reciprocity, {r['database_version']}",
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['system']}, Python "
            f"{m['python']}. Peer: {r['peer']['contacts']:,} contacts; ours: "
            f"{r['ours']['contacts']:,} partners. {r['requests']} requests per page, interleaved.",
            "",
            "| pair | peer median ms | peer p95 ms | peer queries | peer KB | ours median ms | "
            "ours p95 ms | ours queries | ours KB | peer / ours p95 | peer / ours queries | "
            "target (4x faster, a third of the queries) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in r["pairs"]:
            p, o = row["peer"], row["ours"]
            lines.append(
                f"| {row['pair']} | {p['median_ms']} | {p['p95_ms']} | {p['queries']} | "
                f"{p['bytes'] / 1024:.1f} | {o['median_ms']} | {o['p95_ms']} | {o['queries']} | "
                f"{o['bytes'] / 1024:.1f} | {row['p95_ratio']}x | {row['query_ratio']}x | "
                f"{'met' if row['target_met'] else '**missed**'} |"
            )
        lines.append("")
        lines += ["URLs (peer, ours):", ""]
        lines += [
            f"- {row['pair']}: `{row['peer']['url']}`, `{row['ours']['url']}`" for row in r["pairs"]
        ]
        lines.append("")
    return "\n".join(lines) if lines else "No peer results yet: run `make bench-peer`.\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="keep databases already loaded")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="do not drop the databases")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    if not args.report_only:
        python = ensure_venv()
        prepare(python, args.reuse)
        try:
            result = measure(python, args.requests)
        finally:
            if not args.keep:
                _pg_admin(f'DROP DATABASE IF EXISTS "{PEER_DB}"')
                _pg_admin(f'DROP DATABASE IF EXISTS "{OURS_DB}"')
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
        result |= {
            "database_version": f"PostgreSQL {row[0] if row else '?'}",
            "machine": machine(),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "postgresql.json").write_text(json.dumps(result, indent=1) + "\n")
    table = report()
    write_readme("peer", table)
    print(table)


if __name__ == "__main__":
    main()
