"""Measure each page in-process with Django's test client: query count, median and p95 server
time, response size, and the ratio of that time to the same page's SQL replayed raw (the floor:
what the database alone needs)."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reciprocity.accounts.models import User
from reciprocity.ops.collector import FREEZE_AFTER, freeze_once_warm
from reciprocity.partners.models import Partner

REQUESTS = 20
# A page slower than this is measured fewer times (at least MIN_REQUESTS), to keep a run short.
BUDGET_SECONDS = 20.0
MIN_REQUESTS = 3
# Health checks answered before the pages: past the last of the collector's freezes.
WARM_UP_REQUESTS = max(FREEZE_AFTER)


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[User, dict[str, Any]], str]


def _deep_page(user: User, info: dict[str, Any]) -> int:
    return max(1, (Partner.objects.visible_to(user).live().count() - 1) // 25 + 1)


def _deep_offset(user: User, info: dict[str, Any]) -> int:
    return max(0, Partner.objects.visible_to(user).live().count() - 50)


def _deep_after(user: User, info: dict[str, Any]) -> str:
    """The key of the row before the last page, as a client walking ``next`` would send."""
    partners = Partner.objects.visible_to(user).live().order_by("name", "pk")
    row = partners.values_list("pk", flat=True)[max(0, partners.count() - 51)]
    return str(row)


PAGES = [
    Page("board", lambda u, i: "/pipeline/"),
    Page("partner list", lambda u, i: "/partners/"),
    Page("partner list, deep page", lambda u, i: f"/partners/?page={_deep_page(u, i)}"),
    Page("search", lambda u, i: "/partners/?q=Smith"),
    Page("partner page, long timeline", lambda u, i: f"/partners/{i['long_timeline_partner']}/"),
    Page("agenda", lambda u, i: "/agenda/"),
    Page("dashboard", lambda u, i: "/dashboard/"),
    Page("API partners ?limit=10", lambda u, i: "/api/v1/partners?limit=10"),
    Page("API partners ?limit=50", lambda u, i: "/api/v1/partners?limit=50"),
    Page("API partners, deep offset", lambda u, i: f"/api/v1/partners?offset={_deep_offset(u, i)}"),
    Page("API partners, deep ?after=", lambda u, i: f"/api/v1/partners?after={_deep_after(u, i)}"),
    Page("API agenda", lambda u, i: "/api/v1/agenda"),
    Page("API diagnoses ?limit=50", lambda u, i: "/api/v1/diagnoses?limit=50"),
    Page("API referrals ?limit=50", lambda u, i: "/api/v1/referrals?limit=50"),
]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# The reads replayed: a query with common table expressions (the diagnoses') is one too.
READS = ("SELECT", "WITH")


def _raw_floor(queries: list[dict[str, Any]]) -> float:
    """Milliseconds to run the page's reads again as raw SQL, fetching every row."""
    statements = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(READS)]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_page(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)  # warm: templates, caches, the planner
    status = response.status_code
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = list(captured.captured_queries)
    size = len(response.content)
    times: list[float] = []
    spent = 0.0
    while len(times) < REQUESTS and (spent < BUDGET_SECONDS or len(times) < MIN_REQUESTS):
        started = time.perf_counter()
        client.get(url)
        elapsed = time.perf_counter() - started
        times.append(elapsed * 1000)
        spent += elapsed
    median, p95 = statistics.median(times), _percentile(times, 0.95)
    floor = _raw_floor(queries)
    return {
        "url": url,
        "status": status,
        "requests": len(times),
        "queries": len(queries),
        "median_ms": round(median, 1),
        "p95_ms": round(p95, 1),
        "bytes": size,
        "raw_sql_ms": round(floor, 1),
        "ratio_to_raw_sql": round(median / floor, 1) if floor else None,
    }


def measure_as(username: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    # The process runs as the server's workers do (``reciprocity.wsgi``): once warm, what it
    # keeps is left out of the garbage collector's walks. It first answers health checks, as a
    # worker behind a load balancer does, so that those moments (a full collection each) fall
    # there and not among a page's timed requests.
    freeze_once_warm()
    client = Client()
    for _ in range(WARM_UP_REQUESTS):
        client.get("/health/")
    user = User.objects.get(username=username)
    client.force_login(user)
    results = []
    for page in PAGES:
        result = {"page": page.name, **measure_page(client, page.url(user, info))}
        print(
            f"  {username:11} {page.name:30} {result['status']} q={result['queries']:3} "
            f"median={result['median_ms']:8.1f} p95={result['p95_ms']:8.1f} "
            f"size={result['bytes'] / 1024:8.1f}KB x{result['ratio_to_raw_sql']}",
            flush=True,
        )
        results.append(result)
    return results
