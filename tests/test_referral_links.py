"""The partner's confirmation link, its services: only a hash is kept, each link works once per
purpose, expires and can be revoked; the answer updates the referral through the ledger where
the lifecycle and the client's consent allow, logs a touch and is audited as the partner's."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from reciprocity.partners.models import Touch, TouchKind
from reciprocity.partners.services import partner_archive
from reciprocity.referrals.link_models import LinkPurpose, PartnerAnswer, ReferralLink
from reciprocity.referrals.link_selectors import (
    LinkState,
    link_rows_of,
    link_state,
    referral_link_for_token,
)
from reciprocity.referrals.models import ConsentMethod, Direction, Referral, ReferralStatus
from reciprocity.referrals.services import confirmations as links
from reciprocity.referrals.services import ledger
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def send(cast: Cast, **kwargs: Any) -> Referral:
    return ledger.referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction=Direction.SENT,
        need="Estate plan for a widowed client",
        **kwargs,
    )


def consented(cast: Cast) -> Referral:
    referral = send(cast)
    return ledger.referral_record_consent(
        referral=referral, by=cast.alice, method=ConsentMethod.WRITTEN, client_name="Ann Lee"
    )


def link_for(cast: Cast, referral: Referral, purpose: str) -> tuple[ReferralLink, str]:
    return links.referral_link_create(referral=referral, by=cast.alice, purpose=purpose)


# --- Creating, revoking -----------------------------------------------------------------------


def test_a_link_keeps_only_a_hash_of_its_secret(cast: Cast) -> None:
    link, token = link_for(cast, send(cast), LinkPurpose.RECEIPT)
    assert len(token) >= 32
    assert link.token_hash == ReferralLink.hash_token(token) != token
    assert not ReferralLink.objects.filter(token_hash=token).exists()
    assert referral_link_for_token(token) == link


def test_a_link_expires_after_the_days_the_setting_gives(cast: Cast, settings: Any) -> None:
    settings.PARTNER_LINK_DAYS = 3
    link, _token = link_for(cast, send(cast), LinkPurpose.RECEIPT)
    assert link.expires_at - link.created_at == pytest.approx(
        dt.timedelta(days=3), abs=dt.timedelta(seconds=5)
    )


def test_a_new_link_of_a_purpose_stops_the_earlier_unused_one(cast: Cast) -> None:
    referral = send(cast)
    first, first_token = link_for(cast, referral, LinkPurpose.RECEIPT)
    outcome, _ = link_for(cast, referral, LinkPurpose.OUTCOME)
    _second, second_token = link_for(cast, referral, LinkPurpose.RECEIPT)
    first.refresh_from_db()
    assert link_state(first) == LinkState.REVOKED
    with pytest.raises(Http404):
        referral_link_for_token(first_token)
    assert referral_link_for_token(second_token).purpose == LinkPurpose.RECEIPT
    assert link_state(outcome) == LinkState.LIVE


def test_received_referrals_take_no_link(cast: Cast) -> None:
    received = ledger.referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.RECEIVED, need="Prospect"
    )
    with pytest.raises(ValidationError) as refused:
        link_for(cast, received, LinkPurpose.RECEIPT)
    assert refused.value.message_dict == {"purpose": [links.ONLY_SENT]}


def test_an_unknown_purpose_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        link_for(cast, send(cast), "gossip")
    assert refused.value.message_dict == {"purpose": [links.UNKNOWN_PURPOSE]}


def test_a_compliance_officer_creates_no_link(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        links.referral_link_create(referral=send(cast), by=cast.cole, purpose="receipt")


def test_archived_referrals_and_partners_take_no_link(cast: Cast) -> None:
    referral = send(cast)
    ledger.referral_archive(referral=referral, by=cast.alice)
    with pytest.raises(ValidationError, match="archived"):
        link_for(cast, referral, LinkPurpose.RECEIPT)
    other = send(cast)
    partner_archive(partner=cast.alice_private, by=cast.alice)
    with pytest.raises(ValidationError, match="archived"):
        link_for(cast, other, LinkPurpose.RECEIPT)


def test_a_revoked_link_stops_working_and_revoking_again_changes_nothing(cast: Cast) -> None:
    link, token = link_for(cast, send(cast), LinkPurpose.RECEIPT)
    links.referral_link_revoke(link=link, by=cast.alice)
    revoked_at = link.revoked_at
    assert links.referral_link_revoke(link=link, by=cast.alice).revoked_at == revoked_at
    with pytest.raises(Http404):
        referral_link_for_token(token)
    with pytest.raises(links.LinkGoneError):
        links.referral_link_answer(link=link, answer=PartnerAnswer.RECEIVED)


def test_a_used_link_cannot_be_revoked(cast: Cast) -> None:
    link, _token = link_for(cast, send(cast), LinkPurpose.RECEIPT)
    links.referral_link_answer(link=link, answer=PartnerAnswer.RECEIVED)
    with pytest.raises(ValidationError) as refused:
        links.referral_link_revoke(link=link, by=cast.alice)
    assert refused.value.message_dict == {"link": [links.LINK_USED]}


def test_forged_expired_and_archived_links_are_not_found(cast: Cast) -> None:
    referral = send(cast)
    link, token = link_for(cast, referral, LinkPurpose.RECEIPT)
    for forged in ("", "short", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 200):
        with pytest.raises(Http404):
            referral_link_for_token(forged)
    ReferralLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    with pytest.raises(Http404):
        referral_link_for_token(token)
    with pytest.raises(links.LinkGoneError):
        links.referral_link_answer(link=link, answer=PartnerAnswer.RECEIVED)
    _live, live_token = link_for(cast, referral, LinkPurpose.RECEIPT)
    ledger.referral_archive(referral=referral, by=cast.alice)
    with pytest.raises(Http404):
        referral_link_for_token(live_token)


# --- The partner's answers --------------------------------------------------------------------


def test_confirming_receipt_records_it_logs_a_touch_and_is_audited_as_the_partner(
    cast: Cast,
) -> None:
    referral = send(cast)
    link, token = link_for(cast, referral, LinkPurpose.RECEIPT)
    answered = links.referral_link_answer(link=link, answer="received", note="Calling her Monday")

    referral.refresh_from_db()
    assert referral.receipt_confirmed_at == answered.used_at
    assert referral.status == ReferralStatus.PROPOSED
    touch = Touch.objects.get(pk=answered.touch_id)
    assert (touch.partner_id, touch.kind, touch.by) == (
        cast.alice_private.pk,
        TouchKind.NOTE,
        cast.alice,
    )
    assert "Calling her Monday" in touch.summary
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.touch_count == 1
    for record in (referral, answered, touch):
        last = record.history.first()  # type: ignore[attr-defined]
        assert (last.history_source, last.history_user) == ("partner", cast.alice)
    with pytest.raises(Http404):
        referral_link_for_token(token)


def test_a_link_works_once(cast: Cast) -> None:
    link, _token = link_for(cast, send(cast), LinkPurpose.RECEIPT)
    links.referral_link_answer(link=link, answer="received")
    with pytest.raises(links.LinkGoneError):
        links.referral_link_answer(link=link, answer="received")
    assert Touch.objects.filter(partner=cast.alice_private).count() == 1


def test_a_purpose_answered_takes_no_second_link_and_no_second_answer(cast: Cast) -> None:
    referral = send(cast)
    link, _token = link_for(cast, referral, LinkPurpose.RECEIPT)
    links.referral_link_answer(link=link, answer="received")
    with pytest.raises(ValidationError) as refused:
        link_for(cast, referral, LinkPurpose.RECEIPT)
    assert refused.value.message_dict == {
        "purpose": [links.ALREADY_ANSWERED.format(purpose="receipt")]
    }
    # The database holds the rule too.
    second = ReferralLink.objects.create(
        referral=referral,
        purpose=LinkPurpose.RECEIPT,
        token_hash="0" * 64,
        created_by=cast.alice,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralLink.objects.filter(pk=second.pk).update(used_at=timezone.now(), answer="received")


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("met", ReferralStatus.MEETING_HELD),
        ("engaged", ReferralStatus.ENGAGED),
        ("not_a_fit", ReferralStatus.DECLINED),
    ],
)
def test_an_outcome_moves_a_consented_referral_through_the_ledger(
    cast: Cast, answer: str, status: str
) -> None:
    referral = consented(cast)
    link, _token = link_for(cast, referral, LinkPurpose.OUTCOME)
    answered = links.referral_link_answer(link=link, answer=answer, note="No estate to plan")
    referral.refresh_from_db()
    assert referral.status == status
    assert (answered.moved_to, answered.held_reason) == (status, "")
    change = referral.status_changes.order_by("-pk").first()
    assert change is not None
    assert (change.to_status, change.by) == (status, cast.alice)
    assert change.history.first().history_source == "partner"  # type: ignore[attr-defined]
    if answer == "not_a_fit":
        assert referral.outcome_reason == links.NOT_A_FIT_REASON.format(note="No estate to plan")


def test_without_consent_an_outcome_is_recorded_and_the_status_stays(cast: Cast) -> None:
    referral = send(cast)
    link, _token = link_for(cast, referral, LinkPurpose.OUTCOME)
    answered = links.referral_link_answer(link=link, answer="met")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PROPOSED
    assert answered.answer == "met"
    assert answered.moved_to == ""
    assert answered.held_reason == links.HELD_NO_CONSENT.format(answer="We met", status="Proposed")
    assert answered.touch is not None


def test_an_outcome_never_moves_a_referral_backwards_or_out_of_a_closed_status(
    cast: Cast,
) -> None:
    referral = consented(cast)
    ledger.referral_change_status(referral=referral, by=cast.alice, status="engaged")
    link, _token = link_for(cast, referral, LinkPurpose.OUTCOME)
    answered = links.referral_link_answer(link=link, answer="met")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ENGAGED
    assert answered.held_reason == links.HELD_NO_MOVE.format(
        answer="We met", status="Engaged", why=links.WHY_CLOSED
    )


def test_not_a_fit_needs_a_reason_and_answers_fit_their_purpose(cast: Cast) -> None:
    referral = send(cast)
    outcome, _ = link_for(cast, referral, LinkPurpose.OUTCOME)
    receipt, _ = link_for(cast, referral, LinkPurpose.RECEIPT)
    with pytest.raises(ValidationError) as refused:
        links.referral_link_answer(link=outcome, answer="not_a_fit", note="  ")
    assert refused.value.message_dict == {"note": [links.REASON_NEEDED]}
    for link, answer in ((outcome, "received"), (receipt, "met"), (receipt, "nonsense")):
        with pytest.raises(ValidationError) as refused:
            links.referral_link_answer(link=link, answer=answer)
        assert refused.value.message_dict == {"answer": [links.ANSWER_NOT_FOR_PURPOSE]}
    assert not Touch.objects.filter(partner=cast.alice_private).exists()
    assert not ReferralLink.objects.filter(used_at__isnull=False).exists()


def test_the_advisor_sees_each_link_with_its_state(cast: Cast) -> None:
    referral = send(cast)
    answered, _ = link_for(cast, referral, LinkPurpose.RECEIPT)
    links.referral_link_answer(link=answered, answer="received")
    expired, _ = link_for(cast, referral, LinkPurpose.OUTCOME)
    ReferralLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    live, _ = link_for(cast, referral, LinkPurpose.OUTCOME)
    states = {row.link.pk: row.state for row in link_rows_of(referral=referral)}
    assert states == {
        answered.pk: LinkState.ANSWERED,
        expired.pk: LinkState.EXPIRED,
        live.pk: LinkState.LIVE,
    }
