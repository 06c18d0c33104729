"""A time sent with any UTC offset ISO 8601 text allows is kept as the same instant, on SQLite and
on PostgreSQL alike (PostgreSQL refuses offsets beyond 15:59 as they are); a time that reads as a
number is refused."""

import datetime as dt

import pytest

from reciprocity.partners.models import StageChange
from tests.api_client import token_client
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_a_far_offset_is_stored_as_the_same_instant(cast: Cast) -> None:
    response = token_client(cast.alice).call(
        "POST",
        "partners",
        {"name": "Old Timer", "profession": "cpa", "occurred_at": "2020-11-28T03:57:35-21:11"},
    )
    assert response.status_code == 201, response.content
    change = StageChange.objects.get(partner_id=response.json()["id"])
    assert change.occurred_at == dt.datetime(2020, 11, 29, 1, 8, 35, tzinfo=dt.UTC)


@pytest.mark.parametrize("when", [1, 1.5, "1", "-9.06e-59", "0.0"])
def test_a_time_that_reads_as_a_number_is_refused_naming_the_field(
    cast: Cast, when: object
) -> None:
    response = token_client(cast.alice).call(
        "POST", "partners", {"name": "Epoch", "profession": "cpa", "occurred_at": when}
    )

    # ISO 8601 text only: read as a number, it would be seconds since 1970.
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["occurred_at"]
