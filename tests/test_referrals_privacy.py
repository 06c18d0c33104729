"""Privacy before sharing: no client identity on a sent referral without recorded consent, and a
hypothetical memo that names no one."""

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reciprocity.partners.models import Profession
from reciprocity.referrals.drafts import (
    MEMO_TITLE,
    NEXT_STEPS_CONFERENCE,
    NEXT_STEPS_ESCORT,
    referral_email_draft,
    referral_memo,
)
from reciprocity.referrals.models import (
    Answer,
    ConsentMethod,
    Direction,
    Referral,
    ReferralStatus,
)
from reciprocity.referrals.services.ledger import (
    CONSENT_BEFORE_STATUS,
    CONSENT_ONLY_SENT,
    CONSENT_REQUIRED,
    UNKNOWN_CONSENT_METHOD,
    referral_change_status,
    referral_consent_withdraw,
    referral_create,
    referral_record_consent,
    referral_update,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory, ReferralFactory

NAME = "Ann Lee"
CONTACT = "ann.lee@example.com, 555-201-7788"


def sent(cast: Cast, **fields: Any) -> Referral:
    """A referral alice sends her private partner."""
    return referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.SENT, **fields
    )


def test_a_sent_referral_without_consent_refuses_the_clients_name_and_saves_nothing(
    cast: Cast,
) -> None:
    with pytest.raises(ValidationError) as error:
        sent(
            cast,
            need="Estate plan",
            client_name=NAME,
            client_contact=CONTACT,
        )
    assert error.value.message_dict == {
        "client_name": [CONSENT_REQUIRED],
        "client_contact": [CONSENT_REQUIRED],
    }
    assert not Referral.objects.exists()


def test_an_update_cannot_add_identity_before_consent(cast: Cast) -> None:
    referral = referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.SENT, need="Estate plan"
    )
    with pytest.raises(ValidationError) as error:
        referral_update(referral=referral, by=cast.alice, client_contact=CONTACT, notes="New")
    assert error.value.message_dict == {"client_contact": [CONSENT_REQUIRED]}
    referral.refresh_from_db()
    assert referral.client_contact == ""
    assert referral.notes == ""


def test_the_database_refuses_identity_without_consent_whatever_the_path(cast: Cast) -> None:
    referral = ReferralFactory(partner=cast.alice_private)
    referral.client_name = NAME
    with pytest.raises(IntegrityError), transaction.atomic():
        referral.save()


def test_recording_consent_allows_the_identity_and_moves_a_proposed_referral_on(
    cast: Cast,
) -> None:
    referral = referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.SENT, need="Estate plan"
    )
    when = timezone.now() - dt.timedelta(hours=2)
    referral_record_consent(
        referral=referral,
        by=cast.alice,
        method=ConsentMethod.VERBAL,
        consent_at=when,
        client_name=NAME,
    )
    referral_update(referral=referral, by=cast.alice, client_contact=CONTACT)

    referral.refresh_from_db()
    assert (referral.consent_at, referral.consent_method) == (when, ConsentMethod.VERBAL)
    assert (referral.client_name, referral.client_contact) == (NAME, CONTACT)
    assert referral.status == ReferralStatus.CONSENT_GIVEN
    assert referral.status_changes.last().to_status == ReferralStatus.CONSENT_GIVEN


def test_consent_can_be_given_at_creation_for_a_referral_entered_after_the_fact(
    cast: Cast,
) -> None:
    referral = sent(
        cast,
        need="Estate plan",
        status=ReferralStatus.CONSENT_GIVEN,
        consent_method=ConsentMethod.WRITTEN,
        client_name=NAME,
    )
    assert referral.has_consent
    assert referral.client_name == NAME


def test_consent_given_cannot_be_claimed_without_recording_it(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        sent(
            cast,
            need="Estate plan",
            status=ReferralStatus.CONSENT_GIVEN,
        )
    assert error.value.message_dict == {"status": [CONSENT_BEFORE_STATUS]}
    referral = referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.SENT, need="Estate plan"
    )
    with pytest.raises(ValidationError) as error:
        referral_change_status(
            referral=referral, by=cast.alice, status=ReferralStatus.CONSENT_GIVEN
        )
    assert error.value.message_dict == {"status": [CONSENT_BEFORE_STATUS]}


def test_consent_needs_a_known_method(cast: Cast) -> None:
    referral = referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.SENT, need="Estate plan"
    )
    with pytest.raises(ValidationError) as error:
        referral_record_consent(referral=referral, by=cast.alice, method="telepathy")
    assert error.value.message_dict == {"method": [UNKNOWN_CONSENT_METHOD]}
    referral.refresh_from_db()
    assert referral.consent_at is None


def test_received_referrals_carry_the_prospects_name_and_need_no_consent(cast: Cast) -> None:
    referral = referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction=Direction.RECEIVED,
        need="Retirement income",
        client_name=NAME,
        client_contact=CONTACT,
    )
    assert referral.client_name == NAME
    with pytest.raises(ValidationError) as error:
        referral_record_consent(referral=referral, by=cast.alice, method=ConsentMethod.VERBAL)
    assert error.value.message_dict == {"method": [CONSENT_ONLY_SENT]}


def test_withdrawn_consent_forgets_the_identity(cast: Cast) -> None:
    referral = sent(
        cast,
        need="Estate plan",
        consent_method=ConsentMethod.EMAIL,
        client_name=NAME,
        client_contact=CONTACT,
    )
    referral_consent_withdraw(referral=referral, by=cast.alice)
    referral.refresh_from_db()
    assert (referral.client_name, referral.client_contact, referral.consent_at) == ("", "", None)


def test_the_memo_identifies_no_one_even_when_the_notes_do(cast: Cast) -> None:
    referral = sent(
        cast,
        need="Ann Lee needs an estate plan after selling her business",
        notes=(
            "Mrs Lee (ann.lee@example.com, +1 555 201 7788) is 62, widowed, two adult children.\n"
            "Call ANN on 555-201-7788 after 5pm."
        ),
        consent_method=ConsentMethod.VERBAL,
        client_name=NAME,
        client_contact=CONTACT,
        client_has_professional=Answer.YES,
        existing_relationship="Ann's current CPA retired; she trusts him but wants a new one.",
        consultation_fee=Answer.UNKNOWN,
    )

    memo = referral_memo(referral)

    assert memo.startswith(MEMO_TITLE)
    for identifier in ("Ann", "Lee", "ann.lee", "example.com", "555", "7788"):
        assert identifier.lower() not in memo.lower()
    assert "estate plan after selling her business" in memo
    assert "62, widowed, two adult children" in memo
    assert "already works with a cpa" in memo.lower()
    assert "fee for an initial consultation" in memo


def test_the_memo_of_a_referral_without_consent_is_its_situation_and_questions(
    cast: Cast,
) -> None:
    referral = sent(
        cast,
        need="Business owner planning a sale",
        client_has_professional=Answer.NO,
        consultation_fee=Answer.NO,
    )
    memo = referral_memo(referral)
    assert "Business owner planning a sale" in memo
    assert "does not have a cpa" in memo.lower()
    assert "without a fee" in memo


def test_the_email_draft_without_consent_is_the_memo_with_a_mailto_link(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, email="cpa@example.org", name="Dana Cruz")
    referral = referral_create(
        by=cast.alice, partner=partner, direction=Direction.SENT, need="Trust & tax question"
    )
    draft = referral_email_draft(referral, sender=cast.alice)

    assert draft.to == "cpa@example.org"
    assert draft.subject == "Hypothetical referral: Trust & tax question"
    assert referral_memo(referral) in draft.body
    url = urlsplit(draft.mailto)
    assert url.scheme == "mailto"
    assert url.path == "cpa@example.org"
    query = parse_qs(url.query)
    assert query["subject"] == [draft.subject]
    assert query["body"] == [draft.body.replace("\n", "\r\n")]
    assert "+" not in url.query  # spaces are %20 in mailto, never "+"


def test_the_email_draft_with_consent_names_the_client_and_follows_the_protocol(
    cast: Cast,
) -> None:
    cpa = PartnerFactory(owner=cast.alice, profession=Profession.CPA)
    attorney = PartnerFactory(owner=cast.alice, profession=Profession.ATTORNEY)
    drafts = {}
    for partner in (cpa, attorney):
        referral = referral_create(
            by=cast.alice,
            partner=partner,
            direction=Direction.SENT,
            need="Estate plan",
            consent_method=ConsentMethod.VERBAL,
            client_name=NAME,
            client_contact=CONTACT,
        )
        drafts[partner.profession] = referral_email_draft(referral)
    assert NAME in drafts[Profession.CPA].subject
    assert CONTACT in drafts[Profession.CPA].body
    assert NEXT_STEPS_ESCORT in drafts[Profession.CPA].body
    assert NEXT_STEPS_CONFERENCE in drafts[Profession.ATTORNEY].body
