"""The load test (``make bench-load``, not part of ``make test``): ``reciprocity serve`` with 4
workers on PostgreSQL on loopback, 16 clients (locust, headless) mixing reads and writes for 60 s;
then the database is checked against the writes that succeeded. Results go to
``bench/results/load/postgresql-<size>.json`` and the table in ``bench/README.md``.

    python bench/load.py [--size solo] [--clients 16] [--seconds 60] [--workers 4]

A fresh database ``BENCH_LOAD_DB`` (default ``reciprocity_load``) is created on
``BENCH_PG_URL``, migrated, filled by ``bench/generate.py`` and dropped at the end.
"""

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.run import DATA, PG_URL, _pg_admin, machine  # noqa: E402

RESULTS = HERE / "results" / "load"
DATABASE = os.environ.get("BENCH_LOAD_DB", "reciprocity_load")
BIN = Path(sys.executable).parent
SECRET = "load-test-key-for-a-throwaway-database-" + "x" * 24
# Partners each client moves (its own share: no two clients move the same one).
MOVABLE_EACH = 20


def _environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reciprocity.settings",
        "DATABASE_URL": database_url,
        "RECIPROCITY_MODE": "local",
        "RECIPROCITY_DATA_DIR": str(DATA),
        "SECRET_KEY": SECRET,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
    }


def prepare(size: str, clients: int) -> dict[str, Any]:
    """Migrate, generate, and make what the clients need: a token each, a session, partners."""
    import django

    django.setup()
    from bench.generate import generate
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from reciprocity.accounts.models import User
    from reciprocity.accounts.services import token_create
    from reciprocity.partners.models import Partner

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    generated = generate(size)
    user = User.objects.get(username="bench0")
    # A token each, as that many integrations would have: the API's limit counts per token,
    # and one token shared by every client is one integration going over it.
    secrets = [token_create(user=user, name=f"load test {n}")[1] for n in range(clients)]
    client = Client()
    client.force_login(user)
    live = Partner.objects.filter(owner=user, archived_at__isnull=True).exclude(stage="retired")
    rows = list(live.order_by("pk").values_list("pk", "stage"))
    each = min(MOVABLE_EACH, len(rows) // clients)
    movable = [rows[i * each : (i + 1) * each] for i in range(clients)]  # disjoint shares
    return {
        "generated": generated,
        "tokens": secrets,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "partners": [pk for pk, _ in rows],
        "movable": movable,
        "counts": counts(),
    }


def counts() -> dict[str, int]:
    from reciprocity.partners.models import Partner, StageChange, Touch

    return {
        "partners": Partner.objects.count(),
        "touches": Touch.objects.count(),
        "stage_changes": StageChange.objects.count(),
    }


def verify(writes: dict[str, list[Any]], before: dict[str, int]) -> dict[str, Any]:
    """The database against the writes that succeeded: each exactly once, nothing else."""
    import django

    django.setup()
    from collections import Counter

    from reciprocity.partners.models import Partner, StageChange, Touch

    after = counts()
    touches = Counter(
        Touch.objects.filter(summary__startswith="load ").values_list("summary", flat=True)
    )
    partners = Counter(
        Partner.objects.filter(name__startswith="Load ").values_list("name", flat=True)
    )
    moved = Counter(
        StageChange.objects.filter(from_stage__gt="", note="")
        .filter(occurred_at__gte=_started())
        .values_list("partner_id", "to_stage")
    )

    def check(found: Counter[Any], succeeded: list[Any]) -> dict[str, Any]:
        wanted = Counter(succeeded)
        return {
            "succeeded": len(succeeded),
            "in_database": sum(found.values()),
            "lost": sum((wanted - found).values()),
            "doubled_or_unexpected": sum((found - wanted).values()),
        }

    result = {
        "before": before,
        "after": after,
        "touch": check(touches, writes["touch"]),
        "partner": check(partners, writes["partner"]),
        "stage": check(moved, [tuple(m) for m in writes["stage"]]),
    }
    result["counts_match"] = (
        after["touches"] - before["touches"] == len(writes["touch"])
        and after["partners"] - before["partners"] == len(writes["partner"])
        # A new partner starts with one stage change of its own.
        and after["stage_changes"] - before["stage_changes"]
        == len(writes["stage"]) + len(writes["partner"])
    )
    result["nothing_lost_nothing_doubled"] = result["counts_match"] and all(
        result[k]["lost"] == 0 and result[k]["doubled_or_unexpected"] == 0
        for k in ("touch", "partner", "stage")
    )
    return result


def _started() -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(os.environ["LOAD_STARTED"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"The server at {base} did not answer /health/ in {seconds} s.")


def _stats(prefix: Path) -> list[dict[str, Any]]:
    rows = []
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "request": row["Name"] if row["Name"] != "Aggregated" else "all",
                    "method": row["Type"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "per_second": round(float(row["Requests/s"]), 1),
                    "median_ms": float(row["50%"]),
                    "p95_ms": float(row["95%"]),
                    "p99_ms": float(row["99%"]),
                    "max_ms": round(float(row["Max Response Time"]), 1),
                }
            )
    return rows


def _exceptions(prefix: Path) -> list[dict[str, Any]]:
    """Errors in the clients themselves (not answers from the server)."""
    path = Path(f"{prefix}_exceptions.csv")
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return [{"error": r["Message"], "count": int(r["Count"])} for r in csv.DictReader(handle)]


def _failures(prefix: Path) -> list[dict[str, Any]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return [
            {"request": r["Name"], "error": r["Error"], "occurrences": int(r["Occurrences"])}
            for r in csv.DictReader(handle)
        ]


def run(size: str, clients: int, seconds: int, workers: int) -> dict[str, Any]:
    import datetime as dt

    DATA.mkdir(exist_ok=True)
    name = DATABASE
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}"')
    env = _environment(f"{PG_URL}/{name}")
    setup_path, writes_path, prefix = (
        DATA / "load-setup.json",
        DATA / "load-writes.json",
        DATA / "load",
    )
    server = None
    try:
        subprocess.run(  # noqa: S603 (this very script)
            [sys.executable, __file__, "--prepare", size, "--clients", str(clients)],
            env=env,
            check=True,
        )
        setup = json.loads(setup_path.read_text())
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(DATA / "load-server.log", "w")  # noqa: SIM115 (open while the server runs)
        server = subprocess.Popen(  # noqa: S603
            [str(BIN / "reciprocity"), "serve", "--workers", str(workers), "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_until_up(base)
        started = dt.datetime.now(dt.UTC)
        load_before = os.getloadavg()
        locust = subprocess.run(  # noqa: S603
            [
                str(BIN / "locust"),
                "-f",
                str(HERE / "load_users.py"),
                "--headless",
                "--users",
                str(clients),
                "--spawn-rate",
                str(clients),
                "--run-time",
                f"{seconds}s",
                "--stop-timeout",
                "30",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**os.environ, "LOAD_SETUP": str(setup_path), "LOAD_WRITES": str(writes_path)},
            check=False,
        )
        load_after = os.getloadavg()
        # Every request in flight has been answered (locust waited for it): stop the server.
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        server = None
        log.close()
        verified = subprocess.run(  # noqa: S603 (this very script)
            [sys.executable, __file__, "--verify"],
            env={
                **env,
                "LOAD_WRITES": str(writes_path),
                "LOAD_SETUP": str(setup_path),
                "LOAD_STARTED": started.isoformat(),
            },
            check=True,
            capture_output=True,
            text=True,
        )
        stats = _stats(prefix)
        total = next(row for row in stats if row["request"] == "all")
        with psycopg_version(f"{PG_URL}/{name}") as version:
            database_version = version
        return {
            "database": "postgresql",
            "database_version": database_version,
            "size": size,
            "generated": setup["generated"],
            "clients": clients,
            "seconds": seconds,
            "server_workers": workers,
            "locust_exit_code": locust.returncode,
            "throughput_per_second": total["per_second"],
            "requests": total["requests"],
            "errors": total["failures"],
            "by_request": [row for row in stats if row["request"] != "all"],
            "all": total,
            "failures": _failures(prefix),
            "client_exceptions": _exceptions(prefix),
            "load_average_before_and_after": [
                [round(x, 1) for x in load_before],
                [round(x, 1) for x in load_after],
            ],
            "database_check": json.loads(verified.stdout),
            "machine": machine(),
        }
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')


class psycopg_version:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> str:
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"

    def __exit__(self, *_exc: object) -> None:
        return None


def report() -> str:
    """The load test's table for bench/README.md, from bench/results/load/."""
    lines: list[str] = []
    for path in sorted(RESULTS.glob("*.json")):
        r = json.loads(path.read_text())
        g, m, check = r["generated"], r["machine"], r["database_check"]
        lines += [
            f"### Load: {r['clients']} clients for {r['seconds']} s, `reciprocity serve` with "
            f"{r['server_workers']} workers, {r['size']} on {r['database_version']}",
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['system']}, "
            f"Python {m['python']} (the clients and the server on the same machine; load "
            f"average {r['load_average_before_and_after'][0][0]} before the run, "
            f"{r['load_average_before_and_after'][1][0]} after). "
            f"Book: {g['partners']:,} partners, {g['touches']:,} touches.",
            "",
            f"Throughput **{r['throughput_per_second']} requests/s**, {r['requests']:,} requests, "
            f"**{r['errors']} errors** ({sum(e['count'] for e in r['client_exceptions'])} in the "
            "clients themselves). Database afterwards: "
            + ", ".join(
                f"{kind} {check[kind]['succeeded']} succeeded / {check[kind]['in_database']} "
                f"in the database ({check[kind]['lost']} lost, "
                f"{check[kind]['doubled_or_unexpected']} doubled)"
                for kind in ("touch", "partner", "stage")
            )
            + f"; counts match: **{'yes' if check['counts_match'] else 'NO'}**.",
            "",
            "| request | count | errors | per s | median ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {s['request']} | {s['requests']} | {s['failures']} | {s['per_second']} | "
            f"{s['median_ms']:g} | {s['p95_ms']:g} | {s['p99_ms']:g} | {s['max_ms']:g} |"
            for s in [*r["by_request"], r["all"]]
        ]
        lines.append("")
    return "\n".join(lines) if lines else "No load results yet: run `make bench-load`.\n"


def write_readme(marker: str, text: str) -> None:
    """Replace what lies between ``<!-- marker -->`` and ``<!-- /marker -->`` in the README."""
    readme = HERE / "README.md"
    content = readme.read_text()
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    head, rest = content.split(start, 1)
    tail = rest.split(end, 1)[1]
    readme.write_text(f"{head}{start}\n\n{text}\n{end}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="solo")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--prepare", metavar="SIZE", help=argparse.SUPPRESS)
    parser.add_argument("--verify", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        setup = prepare(args.prepare, args.clients)
        (DATA / "load-setup.json").write_text(json.dumps(setup))
        return
    if args.verify:
        writes = json.loads(Path(os.environ["LOAD_WRITES"]).read_text())
        before = json.loads(Path(os.environ["LOAD_SETUP"]).read_text())["counts"]
        print(json.dumps(verify(writes, before)))
        return
    if not args.report_only:
        result = run(args.size, args.clients, args.seconds, args.workers)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"postgresql-{args.size}.json").write_text(json.dumps(result, indent=1) + "\n")
    table = report()
    write_readme("load", table)
    print(table)


if __name__ == "__main__":
    main()
