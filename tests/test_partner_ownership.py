"""Who decides who may see a partner: its owner (handing it to a colleague of the firm,
sharing it with a team or not) or a firm admin; a teammate it is shared with edits what is
shared and nothing more. One rule in the service, the same through the web and the API."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from reciprocity.partners.models import Partner
from reciprocity.partners.services import (
    OWNER_CHANGE_NOT_YOURS,
    SHARING_NOT_YOURS,
    partner_update,
)
from tests.api_client import token_client
from tests.conftest import Cast, client_for

pytestmark = pytest.mark.django_db


def who_sees(partner: Partner) -> tuple[int, int | None]:
    partner.refresh_from_db()
    return partner.owner_id, partner.team_id


def profile(partner: Partner) -> dict[str, str]:
    """What the profile form needs besides the owner and the team."""
    return {"name": partner.name, "profession": partner.profession, "can_describe_value": "unknown"}


# (the change a teammate asks for, the field refused, its message)
TAKEOVERS: list[tuple[str, str, str]] = [
    ("owner=self", "owner", OWNER_CHANGE_NOT_YOURS),
    ("owner=self, team=none", "owner", OWNER_CHANGE_NOT_YOURS),
    ("owner=carol", "owner", OWNER_CHANGE_NOT_YOURS),
    ("team=none", "team", SHARING_NOT_YOURS),
]


def takeover(cast: Cast, change: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if "owner=self" in change:
        body["owner"] = cast.bob.pk
    if "owner=carol" in change:
        body["owner"] = cast.carol.pk
    if "team=none" in change:
        body["team"] = None
    return body


@pytest.mark.parametrize(("change", "field", "message"), TAKEOVERS)
def test_a_teammate_cannot_take_a_shared_partner_over_or_stop_its_sharing(
    cast: Cast, change: str, field: str, message: str
) -> None:
    partner, before = cast.alice_shared, who_sees(cast.alice_shared)

    with pytest.raises(ValidationError) as excinfo:
        partner_update(partner=partner, by=cast.bob, **takeover(cast, change))

    assert excinfo.value.message_dict == {field: [message]}
    assert who_sees(partner) == before


@pytest.mark.parametrize(("change", "field", "message"), TAKEOVERS)
def test_the_api_refuses_a_teammates_takeover_and_the_owner_keeps_the_partner(
    cast: Cast, change: str, field: str, message: str
) -> None:
    partner, before = cast.alice_shared, who_sees(cast.alice_shared)

    answer = token_client(cast.bob).call("PATCH", f"partners/{partner.pk}", takeover(cast, change))

    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": field, "message": message}]
    assert who_sees(partner) == before
    assert token_client(cast.alice).call("GET", f"partners/{partner.pk}").status_code == 200


def test_a_teammate_still_edits_the_profile_of_a_shared_partner(cast: Cast) -> None:
    partner = cast.alice_shared
    answer = token_client(cast.bob).call(
        "PATCH",
        f"partners/{partner.pk}",
        {"niche": "Dentists", "owner": cast.alice.pk, "team": cast.north.pk},
    )

    assert answer.status_code == 200, answer.json()
    partner.refresh_from_db()
    assert partner.niche == "Dentists"
    assert who_sees(partner) == (cast.alice.pk, cast.north.pk)


def test_the_web_form_of_a_teammate_offers_neither_owner_nor_team_and_ignores_them(
    cast: Cast,
) -> None:
    partner, before = cast.alice_shared, who_sees(cast.alice_shared)
    web = client_for(cast.bob)
    form = web.get(f"/partners/{partner.pk}/edit/").content.decode()
    assert '<select name="owner"' not in form
    assert '<select name="team"' not in form

    web.post(
        f"/partners/{partner.pk}/edit/",
        {**profile(partner), "owner": cast.bob.pk, "team": ""},
    )

    assert who_sees(partner) == before


def test_the_owner_hands_a_partner_to_a_colleague_and_stops_sharing(cast: Cast) -> None:
    partner = cast.alice_shared

    answer = token_client(cast.alice).call(
        "PATCH", f"partners/{partner.pk}", {"owner": cast.carol.pk, "team": None}
    )

    assert answer.status_code == 200, answer.json()
    assert who_sees(partner) == (cast.carol.pk, None)


def test_the_owner_hands_a_partner_over_in_the_web_form(cast: Cast) -> None:
    partner = cast.alice_private
    web = client_for(cast.alice)
    assert '<select name="owner"' in web.get(f"/partners/{partner.pk}/edit/").content.decode()

    web.post(
        f"/partners/{partner.pk}/edit/",
        {**profile(partner), "owner": cast.carol.pk},
    )

    assert who_sees(partner) == (cast.carol.pk, None)


def test_a_firm_admin_changes_the_owner_and_the_sharing(cast: Cast) -> None:
    partner = cast.alice_shared

    partner_update(partner=partner, by=cast.ada, owner=cast.bob.pk, team=None)

    assert who_sees(partner) == (cast.bob.pk, None)
