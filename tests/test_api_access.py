"""Who sees what through the API: an advisor sees their own partners and those shared with
their team; a firm admin sees the whole firm; a compliance officer reads the whole firm but
changes nothing; another firm sees nothing, and anything not visible is a 404, never a 403."""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.partners.models import Commitment, Partner, StageChange, Touch
from tests.api_client import token_client
from tests.conftest import Cast
from tests.factories import CommitmentFactory, PartnerFactory

TODAY = timezone.localdate().isoformat()


def object_endpoints(partner: Partner, commitment: Commitment) -> list[tuple[str, str, Any]]:
    """Every endpoint about one partner or commitment, each with a valid request body."""
    p, c = partner.pk, commitment.pk
    return [
        ("GET", f"partners/{p}", None),
        ("PATCH", f"partners/{p}", {"niche": "Dentists"}),
        ("POST", f"partners/{p}/archive", None),
        ("POST", f"partners/{p}/restore", None),
        ("GET", f"partners/{p}/stage", None),
        ("POST", f"partners/{p}/stage", {"stage": "qualified"}),
        ("GET", f"partners/{p}/touches", None),
        ("POST", f"partners/{p}/touches", {"kind": "call", "summary": "Hello"}),
        ("GET", f"partners/{p}/commitments", None),
        ("POST", f"partners/{p}/commitments", {"what": "Lunch", "due": TODAY}),
        ("GET", f"commitments/{c}", None),
        ("PATCH", f"commitments/{c}", {"status": "done", "log_touch": {"kind": "call"}}),
    ]


WRITES = {"POST", "PATCH"}


def snapshot() -> tuple[Any, ...]:
    """Everything an API write could change."""
    return (
        list(Partner.objects.values_list("pk", "niche", "stage", "archived_at", "touch_count")),
        StageChange.objects.count(),
        Touch.objects.count(),
        list(Commitment.objects.values_list("pk", "status", "what")),
    )


@pytest.fixture
def commitment(cast: Cast) -> Commitment:
    return CommitmentFactory(partner=cast.alice_private, what="Send the article")


Who = Callable[[Cast], User]


@pytest.mark.parametrize(
    ("who", "whose"),
    [
        pytest.param(lambda c: c.mallory, lambda c: c.alice_shared, id="another firm"),
        pytest.param(lambda c: c.carol, lambda c: c.alice_shared, id="colleague not in team"),
        pytest.param(lambda c: c.bob, lambda c: c.alice_private, id="teammate, private"),
        pytest.param(lambda c: c.alice, lambda c: c.mallory_partner, id="mallory's partner"),
        pytest.param(lambda c: c.ada, lambda c: c.mallory_partner, id="admin, other firm"),
    ],
)
def test_every_object_endpoint_answers_404_for_a_record_one_cannot_see(
    cast: Cast, who: Who, whose: Callable[[Cast], Partner]
) -> None:
    partner = whose(cast)
    commitment = CommitmentFactory(partner=partner)
    api = token_client(who(cast))
    before = snapshot()

    for method, path, body in object_endpoints(partner, commitment):
        response = api.call(method, path, body)
        assert response.status_code == 404, (method, path, response.json())
        assert response.json()["detail"] in {
            "No partner with that id.",
            "No commitment with that id.",
        }

    assert snapshot() == before


def test_a_missing_record_and_a_hidden_one_answer_alike(cast: Cast) -> None:
    api = token_client(cast.mallory)
    hidden = api.call("GET", f"partners/{cast.alice_private.pk}")
    missing = api.call("GET", "partners/987654")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_a_teammate_sees_the_shared_partner_but_not_the_private_one(cast: Cast) -> None:
    api = token_client(cast.bob)
    listed = {item["name"] for item in api.call("GET", "partners").json()["items"]}
    assert listed == {"Sam Shared"}
    assert api.call("GET", f"partners/{cast.alice_shared.pk}").status_code == 200
    assert api.call("GET", f"partners/{cast.alice_private.pk}").status_code == 404


def test_a_teammate_can_work_a_shared_partner(cast: Cast) -> None:
    api = token_client(cast.bob)
    response = api.call(
        "POST", f"partners/{cast.alice_shared.pk}/touches", {"kind": "email", "summary": "Notes"}
    )
    assert response.status_code == 201
    assert response.json()["by"]["username"] == "bob"


def test_a_firm_admin_sees_every_partner_of_the_firm_and_none_of_another(cast: Cast) -> None:
    api = token_client(cast.ada)
    listed = {item["name"] for item in api.call("GET", "partners").json()["items"]}
    assert listed == {"Priya Private", "Sam Shared"}
    assert api.call("GET", f"partners/{cast.alice_private.pk}").status_code == 200


def test_a_firm_admin_can_change_any_partner_of_the_firm(
    cast: Cast, commitment: Commitment
) -> None:
    api = token_client(cast.ada)
    for method, path, body in object_endpoints(cast.alice_private, commitment):
        response = api.call(method, path, body)
        assert response.status_code in {200, 201}, (method, path, response.json())


def test_compliance_reads_every_record_of_the_firm(cast: Cast, commitment: Commitment) -> None:
    api = token_client(cast.cole)
    listed = {item["name"] for item in api.call("GET", "partners").json()["items"]}
    assert listed == {"Priya Private", "Sam Shared"}
    for method, path, body in object_endpoints(cast.alice_private, commitment):
        if method == "GET":
            assert api.call(method, path, body).status_code == 200, path


def test_compliance_gets_403_on_every_write_and_nothing_changes(
    cast: Cast, commitment: Commitment
) -> None:
    api = token_client(cast.cole)
    before = snapshot()
    writes = [
        ("POST", "partners", {"name": "Ivy", "profession": "cpa"}),
        *[
            endpoint
            for endpoint in object_endpoints(cast.alice_private, commitment)
            if endpoint[0] in WRITES
        ],
    ]

    for method, path, body in writes:
        response = api.call(method, path, body)
        assert response.status_code == 403, (method, path, response.json())
        assert response.json() == {"detail": READ_ONLY_ROLE}

    assert snapshot() == before
    assert not Partner.objects.filter(name="Ivy").exists()


def test_compliance_learns_nothing_of_another_firms_partner(cast: Cast) -> None:
    api = token_client(cast.cole)
    assert api.call("GET", f"partners/{cast.mallory_partner.pk}").status_code == 404
    # A read-only role is refused every write by its role, before any record is looked up:
    # another firm's partner answers exactly as an id that does not exist.
    theirs = api.call("PATCH", f"partners/{cast.mallory_partner.pk}", {"niche": "x"})
    missing = api.call("PATCH", "partners/999999", {"niche": "x"})
    assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json())
    assert theirs.status_code == 403
    cast.mallory_partner.refresh_from_db()
    assert cast.mallory_partner.niche != "x"


def test_an_advisor_cannot_log_a_touch_on_a_colleagues_partner_by_id(cast: Cast) -> None:
    carols = PartnerFactory(owner=cast.carol, name="Carol's CPA")
    api = token_client(cast.alice)
    response = api.call("POST", f"partners/{carols.pk}/touches", {"kind": "call", "summary": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No partner with that id."}
    assert not Touch.objects.exists()
