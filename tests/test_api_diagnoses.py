"""The diagnoses through the REST API: the list and its filters, one partner's, who may see
which, the documented slugs, and what they cost."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reciprocity.accounts.models import User
from reciprocity.insights.diagnoses import ACTION_SLUGS, DIAGNOSIS_SLUGS
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Profession, Stage
from reciprocity.partners.selectors import NOT_FOUND
from reciprocity.playbook.selectors.digest import FOCUS_LIMIT
from reciprocity.referrals.models import Direction
from tests.api_client import ApiClient, token_client
from tests.conftest import Cast
from tests.factories import PartnerFactory, ReferralFactory, ago

pytestmark = pytest.mark.django_db


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.json()
    return response.json()


def wrong_firm(owner: User, name: str, **kwargs: Any) -> Partner:
    return services.partner_create(
        by=owner,
        name=name,
        profession=Profession.BANKER,
        stage=Stage.FIRST_MEETING,
        occurred_at=ago(400),
        growth_mode=False,
        **kwargs,
    )


@pytest.fixture
def book(cast: Cast) -> Cast:
    """Alice: a private partner of the wrong firm, a shared one with the wrong message, and
    more core partners than she can serve."""
    wrong_firm(cast.alice, "Walter Greystone")
    shared = wrong_firm(cast.alice, "Sam Message", team=cast.north)
    Partner.objects.filter(pk=shared.pk).update(growth_mode=True, can_describe_value="no")
    # Proposed, not active (an active partner without an agreement is no_agreement too), and
    # each has referred (else they are too early to judge).
    for _ in range(FOCUS_LIMIT + 1):
        partner = PartnerFactory(owner=cast.alice, stage=Stage.PROPOSED, stage_changed_at=ago(5))
        ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(3))
    return cast


def listed(client: ApiClient, query: str = "") -> Any:
    return ok(client.call("GET", "diagnoses" + query))


def test_the_list_has_every_diagnosis_with_its_evidence_and_action(book: Cast) -> None:
    body = listed(token_client(book.alice))

    assert body["count"] == 3
    focus, firm, message = body["items"]
    assert focus["slug"] == "too_many_partners"
    assert focus["partner"] is None
    assert focus["action"] == "focus"
    assert focus["action_url"] == "/pipeline/"
    assert focus["reason"] is None
    walter = Partner.objects.get(name="Walter Greystone")
    assert firm == {
        "slug": "wrong_firm",
        "partner": {"id": walter.pk, "name": "Walter Greystone"},
        "title": "Their firm is not meeting new clients",
        "evidence": firm["evidence"],
        "action": "walk_away",
        "action_label": "Walk away: wrong firm",
        "action_url": f"/partners/{walter.pk}/stage/?stage=retired&reason=wrong_firm",
        "severity": "high",
        "reason": "wrong_firm",
    }
    assert firm["evidence"][0] == (
        "Their firm is not in growth mode: it meets few new clients to refer"
    )
    assert message["slug"] == "wrong_message"
    assert message["action_url"] == "/playbook/message/"


def test_the_list_filters_by_slug_and_pages(book: Cast) -> None:
    client = token_client(book.alice)
    assert [d["slug"] for d in listed(client, "?slug=wrong_firm")["items"]] == ["wrong_firm"]
    page = listed(client, "?limit=1&offset=1")
    assert page["count"] == 3
    assert [d["slug"] for d in page["items"]] == ["wrong_firm"]
    refused = client.call("GET", "diagnoses?slug=wrong_everything")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "slug"


def test_the_list_filters_by_a_visible_partner(book: Cast) -> None:
    walter = Partner.objects.get(name="Walter Greystone")
    body = listed(token_client(book.alice), f"?partner={walter.pk}")
    assert [(d["slug"], d["partner"]["id"]) for d in body["items"]] == [("wrong_firm", walter.pk)]


@pytest.mark.parametrize("who", ["bob", "carol", "mallory"])
def test_a_partner_one_may_not_see_is_a_404(book: Cast, who: str) -> None:
    walter = Partner.objects.get(name="Walter Greystone")
    client = token_client(getattr(book, who))
    for path in (f"diagnoses?partner={walter.pk}", f"partners/{walter.pk}/diagnoses"):
        response = client.call("GET", path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": NOT_FOUND}


def test_a_missing_partner_is_a_404_like_a_hidden_one(book: Cast) -> None:
    response = token_client(book.alice).call("GET", "diagnoses?partner=999999")
    assert response.status_code == 404
    assert response.json() == {"detail": NOT_FOUND}


def test_bob_sees_alices_shared_partner_per_the_sharing_rules(book: Cast) -> None:
    client = token_client(book.bob)
    shared = Partner.objects.get(name="Sam Message")
    assert listed(client)["count"] == 0
    wide = listed(client, "?all=true")
    assert [(d["slug"], d["partner"]["name"]) for d in wide["items"]] == [
        ("wrong_message", "Sam Message")
    ]
    assert listed(client, f"?partner={shared.pk}")["count"] == 1
    assert ok(client.call("GET", f"partners/{shared.pk}/diagnoses"))["count"] == 1


def test_mallory_never_sees_the_harbor_partners(book: Cast) -> None:
    client = token_client(book.mallory)
    assert listed(client)["count"] == 0
    assert listed(client, "?all=true")["count"] == 0


def test_the_firm_admin_and_compliance_start_from_the_whole_firm_like_the_dashboard(
    book: Cast,
) -> None:
    for reader in (book.ada, book.cole):
        client = token_client(reader)
        names = {d["partner"]["name"] for d in listed(client)["items"]}
        assert names == {"Walter Greystone", "Sam Message"}
        assert listed(client, "?all=true")["count"] == 2
        assert listed(client, "?all=false")["count"] == 0
    # An advisor starts from their own.
    assert listed(token_client(book.bob))["count"] == 0


def test_a_partners_diagnoses(book: Cast) -> None:
    walter = Partner.objects.get(name="Walter Greystone")
    client = token_client(book.alice)
    body = ok(client.call("GET", f"partners/{walter.pk}/diagnoses"))
    assert [d["slug"] for d in body["items"]] == ["wrong_firm"]
    assert ok(client.call("GET", f"partners/{walter.pk}/diagnoses?slug=one_way"))["count"] == 0


def test_the_session_of_a_logged_in_user_works_too(book: Cast) -> None:
    client = Client()
    client.force_login(book.alice)
    response = client.get("/api/v1/diagnoses")
    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_the_openapi_document_lists_the_slugs(cast: Cast) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operations = {
        (method, path): operation["operationId"]
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert operations[("get", "/api/v1/diagnoses")] == "list_diagnoses"
    assert operations[("get", "/api/v1/partners/{id}/diagnoses")] == "list_partner_diagnoses"
    diagnosis = document["components"]["schemas"]["Diagnosis"]["properties"]
    assert set(diagnosis["slug"]["enum"]) == set(DIAGNOSIS_SLUGS)
    assert set(diagnosis["action"]["enum"]) == set(ACTION_SLUGS)


def add_partners(owner: User, count: int, start: int = 0) -> None:
    for index in range(start, start + count):
        partner = wrong_firm(owner, f"Partner {index}")
        ReferralFactory(partner=partner, direction=Direction.SENT, occurred_at=ago(3))


def queries_for(client: ApiClient) -> int:
    with CaptureQueriesContext(connection) as captured:
        listed(client, "?limit=200")
    return len(captured)


def test_the_list_costs_the_same_queries_for_3_or_30_partners(cast: Cast) -> None:
    client = token_client(cast.alice)
    listed(client)  # the token's first use is recorded once
    add_partners(cast.alice, 3)
    small = queries_for(client)
    add_partners(cast.alice, 27, start=3)
    assert queries_for(client) == small
    assert listed(client, "?limit=200")["count"] == 30
