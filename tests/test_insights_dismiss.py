"""Dismissing a diagnosis: with a reason, hidden while its evidence reads the same, back when
it changes, kept in the history; from the partner page and the API."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from reciprocity.accounts.models import User
from reciprocity.api.schemas.common import NOT_UNICODE
from reciprocity.insights.diagnoses import diagnoses_for
from reciprocity.insights.models import Dismissal
from reciprocity.insights.services import (
    DISMISS_REASON_REQUIRED,
    NOT_DIAGNOSED,
    dismissal_create,
)
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Profession, Stage
from reciprocity.referrals.models import Direction
from tests.api_client import token_client
from tests.conftest import Cast
from tests.factories import ReferralFactory, ago

pytestmark = pytest.mark.django_db


def wrong_message(owner: User) -> Partner:
    return services.partner_create(
        by=owner,
        name="Milton Quayle",
        profession=Profession.BUSINESS_BROKER,
        stage=Stage.FIRST_MEETING,
        occurred_at=ago(500),
        can_describe_value="no",
    )


def slugs(advisor: User) -> list[str]:
    return [d.slug for d in diagnoses_for(advisor=advisor)]


def test_a_dismissed_diagnosis_is_hidden_until_its_evidence_changes(cast: Cast) -> None:
    partner = wrong_message(cast.alice)
    assert slugs(cast.alice) == ["wrong_message"]

    dismissal = dismissal_create(
        partner=partner, by=cast.alice, slug="wrong_message", reason="He has it now; retest"
    )

    assert slugs(cast.alice) == []
    assert dismissal.evidence[-1] == "No referral received from them yet"
    # The evidence changes: a referral came. The diagnosis is back.
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(2))
    (back,) = diagnoses_for(advisor=cast.alice)
    assert back.slug == "wrong_message"
    assert back.evidence[-1] == "1 referral received from them so far"


def test_dismissing_again_archives_the_earlier_dismissal_and_both_are_in_the_history(
    cast: Cast,
) -> None:
    partner = wrong_message(cast.alice)
    dismissal_create(partner=partner, by=cast.alice, slug="wrong_message", reason="First")
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(2))
    dismissal_create(partner=partner, by=cast.alice, slug="wrong_message", reason="Second")

    rows = Dismissal.objects.filter(partner=partner).order_by("pk")
    assert [(row.reason, row.archived_at is None) for row in rows] == [
        ("First", False),
        ("Second", True),
    ]
    history = Dismissal.history.filter(partner_id=partner.pk)  # type: ignore[attr-defined]
    assert {(h.reason, h.history_user) for h in history} == {
        ("First", cast.alice),
        ("Second", cast.alice),
    }
    assert slugs(cast.alice) == []


def test_a_dismissal_needs_a_reason_and_a_diagnosis_the_partner_has(cast: Cast) -> None:
    partner = wrong_message(cast.alice)
    with pytest.raises(ValidationError) as empty:
        dismissal_create(partner=partner, by=cast.alice, slug="wrong_message", reason="  ")
    assert empty.value.message_dict == {"reason": [DISMISS_REASON_REQUIRED]}
    with pytest.raises(ValidationError) as absent:
        dismissal_create(partner=partner, by=cast.alice, slug="one_way", reason="Why not")
    assert absent.value.message_dict == {"slug": [NOT_DIAGNOSED]}
    assert not Dismissal.objects.exists()


def test_a_dismissed_cause_still_stands_instead_of_no_referral_yet(cast: Cast) -> None:
    partner = wrong_message(cast.alice)
    for days in range(10):
        services.touch_log(
            partner=partner, by=cast.alice, kind="call", summary="Call", occurred_at=ago(9 + days)
        )
    assert slugs(cast.alice) == ["wrong_message"]
    dismissal_create(partner=partner, by=cast.alice, slug="wrong_message", reason="Known")
    assert slugs(cast.alice) == []


def test_the_partner_page_dismisses_with_a_reason(cast: Cast) -> None:
    partner = wrong_message(cast.alice)
    client = Client()
    client.force_login(cast.alice)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    url = f"/partners/{partner.pk}/diagnoses/wrong_message/dismiss/"
    assert f'action="{url}"' in page

    refused = client.post(url, {"reason": ""}, follow=True)
    assert not Dismissal.objects.exists()
    assert "This field is required." in refused.content.decode()

    response = client.post(url, {"reason": "Retested him last week"}, follow=True)
    body = response.content.decode()
    assert "Diagnosis dismissed" in body
    assert 'data-slug="wrong_message"' not in body
    # Set aside, not forgotten: the panel says so, with the reason, instead of "nothing stalled".
    assert 'data-set-aside="wrong_message"' in body
    assert "Retested him last week" in body
    assert "Nothing stalled" not in body
    assert Dismissal.objects.get().reason == "Retested him last week"


def test_the_api_dismisses_and_a_partner_one_may_not_see_is_a_404(cast: Cast) -> None:
    partner = wrong_message(cast.alice)
    path = f"partners/{partner.pk}/diagnoses/wrong_message/dismiss"
    refused = token_client(cast.mallory).call("POST", path, {"reason": "Sneaky"})
    assert refused.status_code == 404

    client = token_client(cast.alice)
    empty = client.call("POST", path, {"reason": ""})
    assert empty.status_code == 422
    assert empty.json()["detail"].endswith(DISMISS_REASON_REQUIRED)

    response = client.call("POST", path, {"reason": "Retested"})
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    assert (body["slug"], body["reason"], body["partner"]["id"]) == (
        "wrong_message",
        "Retested",
        partner.pk,
    )
    listed = client.call("GET", f"partners/{partner.pk}/diagnoses").json()
    assert listed["count"] == 0
    again = client.call("POST", path, {"reason": "Again"})
    assert again.status_code == 422
    assert NOT_DIAGNOSED in again.json()["detail"]


def test_a_reason_that_cannot_be_stored_is_refused_by_name_and_nothing_is_saved(
    cast: Cast,
) -> None:
    partner = wrong_message(cast.alice)
    path = f"partners/{partner.pk}/diagnoses/wrong_message/dismiss"

    response = token_client(cast.alice).call("POST", path, {"reason": "\ud800"})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "reason", "message": NOT_UNICODE}]
    assert not Dismissal.objects.exists()
