"""Linking an opportunity to the referral it produced, through the API."""

from typing import Any

import pytest

from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.playbook.models import Strategy
from reciprocity.playbook.services import strategies as services
from reciprocity.referrals.models import ReferralStatus
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import OpportunityFactory, PartnerFactory, ago
from tests.playbook.helpers import ok, received, state
from tests.playbook.test_opportunity_referrals import (
    _archived,
    _connection,
    _linked_elsewhere,
    _other_partners,
    _sent,
    linked,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    return token_client(cast.alice)


def test_the_api_links_a_referral_and_shows_it_on_the_opportunity(
    cast: Cast, api: ApiClient
) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private, occurred_at=ago(2))
    assert ok(api.call("GET", f"opportunities/{opportunity.pk}"))["referral"] is None

    body = ok(
        api.call("POST", f"opportunities/{opportunity.pk}/referral", {"referral": referral.pk})
    )

    assert (body["status"], body["referral"]) == ("referred", referral.pk)
    listed = ok(api.call("GET", f"partners/{cast.alice_private.pk}/opportunities"))
    assert listed["items"][0]["referral"] == referral.pk


def test_the_api_closes_as_referred_with_the_referral(cast: Cast, api: ApiClient) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)

    body = ok(
        api.call(
            "POST",
            f"opportunities/{opportunity.pk}/close",
            {"outcome": "referred", "referral": referral.pk},
        )
    )

    assert (body["status"], body["referral"]) == ("referred", referral.pk)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_sent, services.REFERRAL_NOT_RECEIVED),
        (_connection, services.REFERRAL_IS_CONNECTION),
        (_other_partners, services.REFERRAL_OF_ANOTHER_PARTNER),
        (_archived, services.REFERRAL_ARCHIVED),
        (_linked_elsewhere, services.REFERRAL_TAKEN),
    ],
)
def test_the_api_says_why_a_referral_does_not_fit(
    cast: Cast, api: ApiClient, make: Any, message: str
) -> None:
    opportunity = OpportunityFactory(partner=cast.alice_private)
    referral = make(cast)

    response = api.call(
        "POST", f"opportunities/{opportunity.pk}/referral", {"referral": referral.pk}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "referral", "message": message}]
    assert message.rstrip(".") in response.json()["detail"]
    assert state(opportunity) == ("open", None, None)


def test_the_api_refuses_a_declined_opportunity_and_a_declined_close_with_a_referral(
    cast: Cast, api: ApiClient
) -> None:
    declined = OpportunityFactory(partner=cast.alice_private, status="declined")
    referral = received(cast.alice_private)
    response = api.call("POST", f"opportunities/{declined.pk}/referral", {"referral": referral.pk})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": None, "message": services.OPPORTUNITY_DECLINED}]

    opportunity = OpportunityFactory(partner=cast.alice_private)
    response = api.call(
        "POST",
        f"opportunities/{opportunity.pk}/close",
        {"outcome": "declined", "referral": referral.pk},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "referral", "message": services.REFERRAL_ONLY_IF_REFERRED}
    ]


def test_the_api_unlinks_a_referral(cast: Cast, api: ApiClient) -> None:
    referral = received(cast.alice_private)
    opportunity = OpportunityFactory(
        partner=cast.alice_private, status="referred", referral=referral
    )

    body = ok(api.call("POST", f"opportunities/{opportunity.pk}/referral/unlink"))

    assert (body["status"], body["referral"]) == ("referred", None)
    response = api.call("POST", f"opportunities/{opportunity.pk}/referral/unlink")
    assert response.status_code == 422
    assert response.json()["detail"] == services.OPPORTUNITY_NOT_LINKED


def test_who_may_link_through_the_api(cast: Cast) -> None:
    private = OpportunityFactory(partner=cast.alice_private)
    referral = received(cast.alice_private)
    theirs = received(cast.mallory_partner)
    link = f"opportunities/{private.pk}/referral"
    for who in (cast.mallory, cast.bob, cast.carol):
        response = token_client(who).call("POST", link, {"referral": referral.pk})
        assert response.status_code == 404, who
    # A referral the caller cannot see is a 404 too, not a reason it does not fit.
    response = token_client(cast.alice).call("POST", link, {"referral": theirs.pk})
    assert response.status_code == 404
    response = token_client(cast.cole).call("POST", link, {"referral": referral.pk})
    assert (response.status_code, response.json()["detail"]) == (403, READ_ONLY_ROLE)
    assert state(private) == ("open", None, None)

    shared = OpportunityFactory(partner=cast.alice_shared)
    mine = received(cast.alice_shared)
    body = ok(
        token_client(cast.bob).call(
            "POST", f"opportunities/{shared.pk}/referral", {"referral": mine.pk}
        )
    )
    assert body["referral"] == mine.pk


def test_the_api_yield_counts_referrals_and_clients(
    cast: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    linked(cast.alice_private, Strategy.CLIENT_COMPLAINTS, ReferralStatus.BECAME_CLIENT)
    linked(cast.alice_shared, Strategy.CLIENT_COMPLAINTS)
    for _ in range(10):
        linked(PartnerFactory(owner=cast.alice), Strategy.TALK_CLIENTS)

    # The token, then the yield's four: partners on each rung, opportunities, the referrals'
    # totals, and those of the partners who switched by the strategy then.
    with django_assert_max_num_queries(6):
        rows = ok(api.call("GET", "opportunities/yield"))

    assert [row["strategy"] for row in rows] == Strategy.values
    complaints = rows[1]
    assert (complaints["rung"], complaints["referrals"], complaints["clients"]) == (2, 2, 1)
    assert rows[3]["referrals"] == 10
    one = ok(api.call("GET", f"opportunities/yield?partner={cast.alice_private.pk}"))
    assert (one[1]["referrals"], one[1]["clients"], one[3]["referrals"]) == (1, 1, 0)
    for odd in ("+1.0", "1.0", "x"):
        assert api.get("/api/v1/opportunities/yield", {"partner": odd}).status_code == 422
    for who, partner in ((cast.mallory, cast.alice_private), (cast.bob, cast.alice_private)):
        response = token_client(who).call("GET", f"opportunities/yield?partner={partner.pk}")
        assert response.status_code == 404
