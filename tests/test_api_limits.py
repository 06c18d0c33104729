"""The API's rate limits: per token, and per address without one; over the limit a request
answers 429 with Retry-After and a JSON detail, and is not run."""

import datetime as dt
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from reciprocity.accounts.models import RateCount
from reciprocity.api.limits import PER_ADDRESS, PER_TOKEN, RATE_LIMITED, parse_rate
from reciprocity.partners.models import Partner
from tests.api_client import ApiClient, session_client, token_client
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


@override_settings(API_RATE_LIMIT="3/hour")
def test_a_token_over_its_limit_answers_429_with_retry_after_and_a_detail(cast: Cast) -> None:
    client = token_client(cast.alice)
    answers = [client.call("GET", "partners") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]

    refused = client.call("GET", "partners")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 3600
    assert refused.json() == {
        "detail": RATE_LIMITED.format(limit=3, whose=PER_TOKEN.format(period="hour"), wait=wait)
    }


@override_settings(API_RATE_LIMIT="3/hour")
def test_a_windows_first_request_counts_in_one_row_and_deletes_the_windows_that_ended(
    cast: Cast,
) -> None:
    ended = timezone.now() - dt.timedelta(minutes=1)
    RateCount.objects.create(key="token:earlier:hour:1", count=3, ends_at=ended)
    client = token_client(cast.alice)

    client.call("GET", "partners")
    client.call("GET", "partners")

    assert list(RateCount.objects.values_list("count", flat=True)) == [2]


@override_settings(API_RATE_LIMIT="1/hour")
def test_a_request_over_the_limit_changes_nothing(cast: Cast) -> None:
    client = token_client(cast.alice)
    client.call("GET", "partners")
    before = Partner.objects.count()
    refused = client.call("POST", "partners", {"name": "Over", "profession": "cpa"})
    assert refused.status_code == 429
    assert Partner.objects.count() == before


@override_settings(API_RATE_LIMIT="2/hour")
def test_each_token_has_a_limit_of_its_own(cast: Cast) -> None:
    first, second = token_client(cast.alice), token_client(cast.alice)
    for _ in range(2):
        first.call("GET", "partners")
    assert first.call("GET", "partners").status_code == 429
    assert second.call("GET", "partners").status_code == 200


@override_settings(API_ADDRESS_RATE_LIMIT="2/hour", API_RATE_LIMIT="100/hour")
def test_requests_without_a_token_are_limited_per_address(cast: Cast) -> None:
    anonymous = ApiClient()
    assert anonymous.call("GET", "partners").status_code == 401
    assert session_client(cast.alice).call("GET", "partners").status_code == 200
    refused = ApiClient().call("GET", "partners")
    assert refused.status_code == 429
    assert PER_ADDRESS.format(period="hour") in refused.json()["detail"]
    other = ApiClient(REMOTE_ADDR="10.0.0.9").call("GET", "partners")
    assert other.status_code == 401
    # A token's requests are counted against the token, not the address.
    assert token_client(cast.alice).call("GET", "partners").status_code == 200


@override_settings(API_ADDRESS_RATE_LIMIT="1/hour", ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_clients_address_is_counted(cast: Cast) -> None:
    one = ApiClient(HTTP_X_FORWARDED_FOR="203.0.113.1")
    two = ApiClient(HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert one.call("GET", "partners").status_code == 401
    assert two.call("GET", "partners").status_code == 401
    assert one.call("GET", "partners").status_code == 429


@override_settings(API_RATE_LIMIT="2/second")
def test_the_window_ends_and_the_token_may_ask_again(cast: Cast) -> None:
    client = token_client(cast.alice)
    statuses = [client.call("GET", "partners").status_code for _ in range(3)]
    assert statuses[-1] == 429 or statuses == [200, 200, 200]  # a window may end in between
    time.sleep(1.1)
    assert client.call("GET", "partners").status_code == 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [("600/minute", (600, 60)), ("10/seconds", (10, 1)), ("5/day", (5, 86400))],
)
def test_a_limit_is_a_count_per_period(text: str, expected: tuple[int, int]) -> None:
    rate = parse_rate(text)
    assert rate is not None
    assert (rate.count, rate.seconds) == expected


@pytest.mark.parametrize("text", ["", "0", "off", "0/minute"])
def test_a_limit_of_nothing_is_no_limit(text: str) -> None:
    assert parse_rate(text) is None


@pytest.mark.parametrize("text", ["many", "600/fortnight", "-1/minute", "600"])
def test_a_limit_set_wrong_stops_the_app_rather_than_lifting_the_limit(text: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)
