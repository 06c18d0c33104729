"""Agreements on the web: write one, end it, print it."""

import pytest

from reciprocity.partners.models import Commitment, CommitmentOwner, CommitmentStatus
from reciprocity.playbook.models import Agreement, AgreementStatus
from reciprocity.playbook.services.agreements import REVIEW_NOT_AFTER_AGREEMENT
from tests.conftest import Cast, client_for
from tests.playbook.helpers import days, has, page_of

pytestmark = pytest.mark.django_db


AGREEMENT = {
    "advisor_promises": "Send the estate-planning article\n- Invite them to the client seminar",
    "partner_promises": "Introduce us to the business owners' association",
    "referral_process": "email_thread",
    "keep_in_touch": "",
    "next_review": "",
}


def test_recording_an_agreement_turns_its_promises_into_commitments(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    url = f"/partners/{partner.pk}/agreement/"
    assert "Record the agreement" in page_of(client.get(url))

    response = client.post(url, {**AGREEMENT, "next_review": days(90).isoformat()})
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.status == AgreementStatus.ACTIVE
    commitments = {
        (c.what, c.owner)
        for c in Commitment.objects.filter(partner=partner, status=CommitmentStatus.OPEN)
    }
    assert {
        ("Send the estate-planning article", CommitmentOwner.ADVISOR),
        ("Invite them to the client seminar", CommitmentOwner.ADVISOR),
        ("Introduce us to the business owners' association", CommitmentOwner.PARTNER),
        ("Review the agreement with Priya Private", CommitmentOwner.ADVISOR),
    } == commitments

    detail = page_of(client.get(f"/partners/{partner.pk}/"))
    assert "Introduce us to the business owners&#x27; association" in detail
    page = page_of(client.get(url))
    assert "The agreement in force" in page
    assert "Printable version" in page

    printed = page_of(client.get(f"{url}print/"))
    assert "css/print.css" in printed
    assert "Send the estate-planning article" in printed
    assert "Email thread" in printed


def test_an_agreement_needs_both_sides_and_a_later_review(playbook_cast: Cast) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    url = f"/partners/{partner.pk}/agreement/"
    page = page_of(
        client_for(alice).post(
            url, {**AGREEMENT, "partner_promises": "  ", "next_review": days(0).isoformat()}
        )
    )
    assert "This field is required." in page
    page = page_of(
        client_for(alice).post(
            url,
            {**AGREEMENT, "next_review": days(-1).isoformat()},
        )
    )
    assert has(page, REVIEW_NOT_AFTER_AGREEMENT)
    assert not Agreement.objects.exists()
    assert not Commitment.objects.exists()


def test_a_new_agreement_replaces_the_old_one_which_stays_in_the_history(
    playbook_cast: Cast,
) -> None:
    alice, partner = playbook_cast.alice, playbook_cast.alice_private
    client = client_for(alice)
    url = f"/partners/{partner.pk}/agreement/"
    client.post(url, {**AGREEMENT, "next_review": days(90).isoformat()})
    first = Agreement.objects.get()
    client.post(
        url,
        {
            **AGREEMENT,
            "advisor_promises": "Quarterly lunch",
            "next_review": days(180).isoformat(),
        },
    )
    first.refresh_from_db()
    assert first.status == AgreementStatus.SUPERSEDED
    page = page_of(client.get(url))
    assert "Earlier agreements" in page
    assert "Superseded" in page
    assert f"?agreement={first.pk}" in page
    assert "Send the estate-planning article" in page_of(
        client.get(f"{url}print/?agreement={first.pk}")
    )

    client.post(f"{url}end/", {"reason": "They retired"})
    assert not Agreement.objects.filter(status=AgreementStatus.ACTIVE).exists()
    assert client.get(f"{url}print/").status_code == 404
