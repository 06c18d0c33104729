"""Agreements through the API."""

import pytest

from reciprocity.partners.models import Commitment, CommitmentOwner, CommitmentStatus
from reciprocity.playbook.models import Agreement
from reciprocity.playbook.services.agreements import AGREEMENT_NEEDS_BOTH_SIDES
from tests.api_client import ApiClient, refused
from tests.conftest import Cast
from tests.playbook.helpers import days, ok

pytestmark = pytest.mark.django_db


AGREEMENT = {
    "promises": [
        {"owner": "advisor", "what": "Send the estate-planning article"},
        {"owner": "partner", "what": "Introduce us to the business owners' association"},
    ],
    "referral_process": "conference_call",
}


def test_an_agreements_promises_become_commitments(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    created = ok(
        api.call(
            "POST",
            "agreements",
            {**AGREEMENT, "partner": partner.pk, "next_review": days(90).isoformat()},
        ),
        201,
    )
    assert created["status"] == "active"
    assert created["referral_process"] == "conference_call"
    promises = {(p["owner"], p["what"], p["commitment_status"]) for p in created["promises"]}
    assert promises == {
        ("advisor", "Send the estate-planning article", "open"),
        ("partner", "Introduce us to the business owners' association", "open"),
    }
    commitments = ok(api.call("GET", f"partners/{partner.pk}/commitments"))["items"]
    assert {(c["what"], c["owner"]) for c in commitments} == {
        ("Send the estate-planning article", CommitmentOwner.ADVISOR),
        ("Introduce us to the business owners' association", CommitmentOwner.PARTNER),
        ("Review the agreement with Priya Private", CommitmentOwner.ADVISOR),
    }
    assert ok(api.call("GET", f"agreements/{created['id']}")) == created
    listed = ok(api.call("GET", "agreements", None, QUERY_STRING=f"partner={partner.pk}"))
    assert listed["count"] == 1

    ended = ok(api.call("POST", f"agreements/{created['id']}/end", {"reason": "They retired"}))
    assert (ended["status"], ended["end_reason"]) == ("ended", "They retired")
    review = Commitment.objects.get(pk=created["review_commitment_id"])
    assert review.status == CommitmentStatus.DROPPED


def test_an_agreement_needs_both_sides(playbook_cast: Cast, api: ApiClient) -> None:
    body = {
        **AGREEMENT,
        "promises": AGREEMENT["promises"][:1],
        "partner": playbook_cast.alice_private.pk,
        "next_review": days(90).isoformat(),
    }
    refused(api.call("POST", "agreements", body), "promises", AGREEMENT_NEEDS_BOTH_SIDES)
    assert not Agreement.objects.exists()
    assert not Commitment.objects.exists()
