"""Rate limits on the API: so many requests a window per personal access token, and so many
per address for requests without one (a browser's session, or no credentials at all).

Counters live in a table of their own (``accounts.RateCount``, shared by every app process), in
fixed windows: one upsert a request counts it, the first request of a window starts its count,
and the windows that ended are deleted then. A request over the limit answers 429 with
``Retry-After`` (the seconds until the window ends) and a JSON ``detail``; every answer says the
limit and what is left of it.
"""

import datetime as dt
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from ninja import NinjaAPI

from reciprocity.accounts.services import rate_count_add

# User-facing message; tests reuse it.
RATE_LIMITED = "Too many requests: {limit} {whose}. Try again in {wait} seconds (see Retry-After)."
PER_TOKEN = "a {period} are allowed per token"  # noqa: S105 (words, not a secret)
PER_ADDRESS = "a {period} are allowed per address without a token"

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    period: str

    @property
    def seconds(self) -> int:
        return PERIODS[self.period]


def parse_rate(text: str) -> Rate | None:
    """``"600/minute"`` → a rate; empty or ``0`` → None (no limit). ImproperlyConfigured for
    anything else, so that a typo in the environment stops the app instead of lifting a limit."""
    text = text.strip().lower()
    if text in {"", "0", "off"}:
        return None
    count, _, period = text.partition("/")
    period = period.strip().removesuffix("s")
    if not count.strip().isdigit() or period not in PERIODS:
        raise ImproperlyConfigured(
            f"A rate limit is a number of requests per second, minute, hour or day, such as "
            f"600/minute; got {text!r}."
        )
    return Rate(int(count), period) if int(count) else None


def client_address(request: HttpRequest) -> str:
    """The caller's address; behind TRUSTED_PROXY_COUNT proxies, the one they saw."""
    proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("X-Forwarded-For", "")
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if proxies > 0 and len(addresses) >= proxies:
        return addresses[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    return (key.strip() or None) if scheme.lower() == "bearer" else None


def _counted(key: str, rate: Rate) -> tuple[int, float]:
    """Count one request against ``key``; the count so far in this window and the seconds
    left in it."""
    now = time.time()
    window = int(now // rate.seconds)
    ends = (window + 1) * rate.seconds
    count = rate_count_add(
        key=f"{key}:{rate.period}:{window}", ends_at=dt.datetime.fromtimestamp(ends, tz=dt.UTC)
    )
    return count, ends - now


def install(api: NinjaAPI, error: Callable[[HttpRequest, int, str], HttpResponse]) -> None:
    """Limit every operation of ``api``; ``error`` answers the JSON error shape."""
    # A limit set wrong in the environment stops the app at start, not at the first request.
    parse_rate(settings.API_RATE_LIMIT)
    parse_rate(settings.API_ADDRESS_RATE_LIMIT)

    def limited(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(run)
        def operation(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            token = _bearer(request)
            if token is not None:
                rate = parse_rate(settings.API_RATE_LIMIT)
                # The token itself is never stored, not even in the counters' keys.
                key = "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
                whose = PER_TOKEN
            else:
                rate = parse_rate(settings.API_ADDRESS_RATE_LIMIT)
                key = "address:" + client_address(request)
                whose = PER_ADDRESS
            if rate is None:
                return run(request, *args, **kwargs)
            count, left = _counted(key, rate)
            if count > rate.count:
                wait = max(1, math.ceil(left))
                detail = RATE_LIMITED.format(
                    limit=rate.count, whose=whose.format(period=rate.period), wait=wait
                )
                response: HttpResponseBase = error(request, 429, detail)
                response["Retry-After"] = str(wait)
            else:
                response = run(request, *args, **kwargs)
            response["RateLimit-Limit"] = str(rate.count)
            response["RateLimit-Remaining"] = str(max(0, rate.count - count))
            response["RateLimit-Reset"] = str(max(1, math.ceil(left)))
            return response

        return operation

    # Added after the other decorators, so it runs first: a refused request costs nothing else.
    api.add_decorator(limited, mode="view")


def describe(document: dict[str, Any]) -> None:
    """Say in the OpenAPI document that every operation may answer 429."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("responses", {})["429"] = {
                "description": "Too many requests: wait the seconds Retry-After says.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds until the limit's window ends.",
                        "schema": {"type": "integer"},
                    }
                },
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
