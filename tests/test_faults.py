"""When the database goes away in the middle of a request, the user gets the app's clean error
page (rendered without touching the database), integrators the API's JSON error, and monitors
a 503 from /health/."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from reciprocity.accounts.services import token_create
from reciprocity.api.errors import SERVER_ERROR
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
real_execute = CursorWrapper.execute


@contextmanager
def database_gone(when: Callable[[str], bool] = lambda sql: True) -> Iterator[None]:
    """Every query for which ``when(sql)`` holds fails as a dropped connection does."""

    def execute(self: CursorWrapper, sql: str, params: Any = None) -> Any:
        if when(sql):
            raise OperationalError("server closed the connection unexpectedly")
        return real_execute(self, sql, params)

    with mock.patch.object(CursorWrapper, "execute", execute):
        yield


def client_of(user: object) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)  # type: ignore[arg-type]
    return client


def is_clean_error_page(html: str) -> bool:
    return (
        "Something went wrong" in html
        and "Nothing was half-saved" in html
        and "css/app.css" in html
        and "Traceback" not in html
        and "OperationalError" not in html
    )


def test_the_database_failing_mid_request_shows_the_clean_error_page(cast: Cast) -> None:
    client = client_of(cast.alice)
    # The session and the user load; the partners query is where the database goes away.
    with database_gone(lambda sql: "partners_partner" in sql):
        response = client.get("/partners/")
    assert response.status_code == 500
    assert is_clean_error_page(response.content.decode())


def test_the_error_page_needs_no_database_at_all(cast: Cast) -> None:
    client = client_of(cast.alice)
    with database_gone():
        response = client.get("/pipeline/")
    assert response.status_code == 500
    assert is_clean_error_page(response.content.decode())


def test_a_write_that_fails_half_way_leaves_nothing_behind(cast: Cast) -> None:
    from reciprocity.partners.models import Partner

    client = client_of(cast.alice)
    before = Partner.objects.count()
    # The partner row is written; its first stage change is not.
    with database_gone(
        lambda sql: sql.lstrip().upper().startswith("INSERT") and "stagechange" in sql
    ):
        response = client.post(
            "/partners/new/",
            {"name": "Half Saved", "profession": "cpa", "can_describe_value": "unknown"},
        )
    assert response.status_code == 500
    assert Partner.objects.count() == before
    assert not Partner.objects.filter(name="Half Saved").exists()


def test_the_api_answers_its_json_error(cast: Cast) -> None:
    _token, key = token_create(user=cast.alice)
    client = Client(raise_request_exception=False)
    with database_gone(lambda sql: "partners_partner" in sql):
        response = client.get("/api/v1/partners", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 500
    assert response.json() == {"detail": SERVER_ERROR}


def test_health_reports_the_database_gone(db: None) -> None:
    with database_gone():
        response = Client().get("/health/")
    assert response.status_code == 503
