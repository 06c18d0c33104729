"""Likely duplicates when a partner is added, and merging two partners who are one person."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reciprocity.accounts.models import Role
from reciprocity.audit.selectors import partner_history
from reciprocity.partners.duplicates import (
    CLOSE_NAME,
    SAME_EMAIL,
    SAME_NAME,
    SAME_PHONE,
    Described,
    normalised_name,
    normalised_phone,
    partner_duplicates_among,
    partner_duplicates_for,
)
from reciprocity.partners.merge import MERGE_NOT_ALLOWED, MERGE_SELF, partner_merge
from reciprocity.partners.models import Partner, Touch
from reciprocity.playbook.models import Agreement, AgreementStatus
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    PartnerFactory,
    ReferralFactory,
    StageChangeFactory,
    TouchFactory,
    UserFactory,
)


def test_names_and_phones_are_compared_normalised() -> None:
    assert normalised_name("Dr. José O'Neil, CPA") == "jose oneil"
    assert normalised_phone("+1 (617) 555-0101") == normalised_phone("617.555.0101")
    assert normalised_phone("12") == ""


def test_the_same_email_phone_or_a_close_name_in_the_organization_is_a_likely_duplicate(
    cast: Cast,
) -> None:
    PartnerFactory(owner=cast.alice, name="Dana Whitfield", email="DANA@ledger.example")
    PartnerFactory(owner=cast.alice, name="Dan Ortiz", phone="(617) 555-0101")
    PartnerFactory(owner=cast.alice, name="Katherine Moss", organization="Moss & Hale CPAs")

    def reasons(**fields: str) -> list[list[str]]:
        found = partner_duplicates_for(advisor=cast.alice, **{"name": "Someone Else", **fields})
        return [duplicate.reasons for duplicate in found]

    assert reasons(email="dana@ledger.example") == [[SAME_EMAIL]]
    assert reasons(phone="+1 617 555 0101") == [[SAME_PHONE]]
    assert reasons(name="Katharine Moss", organization="moss & hale cpas") == [[CLOSE_NAME]]
    assert reasons(name="Katherine Moss") == [[SAME_NAME]]
    assert reasons(name="Katharine Moss", organization="Elsewhere LLP") == []


def test_an_import_asks_about_a_batch_of_rows_in_one_query(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    dana = PartnerFactory(owner=cast.alice, name="Dana Whitfield", email="dana@example.com")
    quinn = PartnerFactory(owner=cast.alice, name="Quinn Quill", phone="617 555 0101")
    rows = [
        Described(name="D. Whitfield", email="DANA@example.com"),
        Described(name="Somebody New"),
        Described(name="Dr. Quinn Quill", phone="+1-617-555-0101"),
    ]
    with django_assert_num_queries(1):
        found = partner_duplicates_among(advisor=cast.alice, described=rows)
    assert [[(d.partner, d.reasons) for d in row] for row in found] == [
        [(dana, [SAME_EMAIL])],
        [],
        [(quinn, [SAME_PHONE, SAME_NAME])],
    ]


def test_duplicates_are_looked_for_only_among_partners_the_advisor_sees(cast: Cast) -> None:
    PartnerFactory(owner=cast.carol, name="Hidden Harper", email="harper@example.com")
    PartnerFactory(owner=cast.mallory, name="Far Away", email="far@example.com")
    assert partner_duplicates_for(advisor=cast.alice, name="x", email="harper@example.com") == []
    assert partner_duplicates_for(advisor=cast.alice, name="x", email="far@example.com") == []
    found = partner_duplicates_for(advisor=cast.ada, name="x", email="harper@example.com")
    assert [d.partner.name for d in found] == ["Hidden Harper"]


def test_adding_a_likely_duplicate_on_the_web_warns_with_links_then_adds_it_anyway(
    cast: Cast,
) -> None:
    existing = PartnerFactory(owner=cast.alice, name="Dana Whitfield", email="dana@example.com")
    client = client_for(cast.alice)
    form = {
        "name": "Dana  Whitfield",
        "profession": "cpa",
        "email": "other@example.com",
        "can_describe_value": "unknown",
    }
    response = client.post("/partners/new/", form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "may already be in your book" in page
    assert f'href="/partners/{existing.pk}/"' in page
    assert Partner.objects.filter(name__icontains="Dana").count() == 1
    response = client.post("/partners/new/", {**form, "create_anyway": "on"})
    assert response.status_code == 302
    assert Partner.objects.filter(name__icontains="Dana").count() == 2


def test_the_api_answers_409_with_the_duplicates_when_asked_to_check(cast: Cast) -> None:
    existing = PartnerFactory(owner=cast.alice, name="Dana Whitfield", phone="617-555-0101")
    api = token_client(cast.alice)
    body = {"name": "Someone", "profession": "cpa", "phone": "6175550101"}
    response = api.call("POST", "/partners?check_duplicates=true", body)
    assert response.status_code == 409
    assert response.json()["duplicates"][0]["id"] == existing.pk
    assert response.json()["duplicates"][0]["reasons"] == [SAME_PHONE]
    found = api.call("GET", "/partners/duplicates?phone=617.555.0101").json()
    assert [d["id"] for d in found] == [existing.pk]
    assert api.call("POST", "/partners", body).status_code == 201


@pytest.fixture
def pair(cast: Cast) -> tuple[Partner, Partner]:
    keep = PartnerFactory(owner=cast.alice, name="Dana Whitfield", organization="Ledger & Co")
    other = PartnerFactory(
        owner=cast.alice,
        name="Dana Whitfeld",
        organization="Ledger & Co",
        email="dana@example.com",
        phone="617-555-0101",
    )
    for partner in (keep, other):
        StageChangeFactory(partner=partner)
        TouchFactory(partner=partner)
        CommitmentFactory(partner=partner)
        MeetingFactory(partner=partner)
    ReferralFactory(partner=other)
    return keep, other


def test_a_merge_moves_every_record_to_the_kept_partner_and_archives_the_other(
    cast: Cast, pair: tuple[Partner, Partner]
) -> None:
    keep, other = pair
    result = partner_merge(user=cast.alice, keep=keep, other=other)
    assert result.moved["touches"] == 1
    assert result.moved["referrals"] == 1
    keep.refresh_from_db()
    other.refresh_from_db()
    assert keep.touches.count() == 2
    assert keep.commitments.count() == 2
    assert keep.stage_changes.count() == 2
    assert keep.meetings.count() == 2
    assert keep.referrals.count() == 1
    assert not Touch.objects.filter(partner=other).exists()
    assert keep.touch_count == 2
    assert other.touch_count == 0
    assert other.archived_at is not None
    assert other.merged_into == keep
    # The kept partner takes what it lacked.
    assert keep.email == "dana@example.com"
    assert keep.phone == "617-555-0101"


def test_the_merge_is_in_both_partners_history(cast: Cast, pair: tuple[Partner, Partner]) -> None:
    keep, other = pair
    partner_merge(user=cast.alice, keep=keep, other=other)
    kept_reasons = [entry.reason for entry in partner_history(partner=keep)]
    other_reasons = [entry.reason for entry in partner_history(partner=other)]
    assert f"Merged with Dana Whitfeld (#{other.pk}):" in " ".join(kept_reasons)
    assert f"Merged into Dana Whitfield (#{keep.pk})" in other_reasons
    page = client_for(cast.alice).get(f"/partners/{other.pk}/").content.decode()
    assert f'Merged into <a href="/partners/{keep.pk}/">' in page


def test_when_both_have_an_active_agreement_the_kept_ones_stands(
    cast: Cast, pair: tuple[Partner, Partner]
) -> None:
    keep, other = pair
    for partner in (keep, other):
        Agreement.objects.create(
            partner=partner,
            referral_process="email_thread",
            keep_in_touch="Quarterly",
            agreed_on="2026-01-05",
            next_review="2027-01-05",
            by=cast.alice,
        )
    partner_merge(user=cast.alice, keep=keep, other=other)
    statuses = sorted(keep.agreements.values_list("status", flat=True))
    assert statuses == [AgreementStatus.ACTIVE, AgreementStatus.ENDED]


def test_only_a_firm_admin_or_the_owner_of_both_may_merge(
    cast: Cast, pair: tuple[Partner, Partner]
) -> None:
    keep, _other = pair
    bobs = PartnerFactory(owner=cast.bob, team=cast.north, name="Bob's Dana")
    with pytest.raises(PermissionDenied, match=MERGE_NOT_ALLOWED):
        partner_merge(user=cast.alice, keep=keep, other=bobs)
    with pytest.raises(ValidationError, match=MERGE_SELF):
        partner_merge(user=cast.alice, keep=keep, other=keep)
    partner_merge(user=cast.ada, keep=keep, other=bobs)
    assert Partner.objects.get(pk=bobs.pk).merged_into_id == keep.pk


def test_a_merge_on_the_web_offers_the_likely_duplicates(
    cast: Cast, pair: tuple[Partner, Partner]
) -> None:
    keep, other = pair
    client = client_for(cast.alice)
    page = client.get(f"/partners/{keep.pk}/merge/").content.decode()
    assert f'value="{other.pk}"' in page
    response = client.post(f"/partners/{keep.pk}/merge/", {"other": other.pk})
    assert response.status_code == 302
    assert Partner.objects.get(pk=other.pk).merged_into_id == keep.pk


def test_a_merge_through_the_api_answers_what_moved(
    cast: Cast, pair: tuple[Partner, Partner]
) -> None:
    keep, other = pair
    answer = token_client(cast.alice).call(
        "POST", f"/partners/{keep.pk}/merge", {"other": other.pk}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["moved"]["touches"] == 1
    stranger = UserFactory(firm=cast.other_firm, role=Role.FIRM_ADMIN)
    refused = token_client(stranger).call("POST", f"/partners/{keep.pk}/merge", {"other": 1})
    assert refused.status_code == 404
