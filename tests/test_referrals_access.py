"""The foundation's access rule holds for referrals: a referral is visible exactly when its
partner is; anything else is a 404, and nothing is written through a partner one cannot see."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from reciprocity.partners.selectors import NOT_FOUND as PARTNER_NOT_FOUND
from reciprocity.referrals.models import Direction, Kind, Referral
from reciprocity.referrals.selectors import (
    REFERRAL_NOT_FOUND,
    ReferralFilters,
    referral_get_for,
    referral_list,
)
from reciprocity.referrals.services.ledger import (
    referral_archive,
    referral_change_status,
    referral_create,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory, ReferralFactory


@pytest.fixture
def referrals(cast: Cast) -> dict[str, Referral]:
    return {
        "private": ReferralFactory(partner=cast.alice_private),
        "shared": ReferralFactory(partner=cast.alice_shared, direction=Direction.RECEIVED),
        "other_firm": ReferralFactory(partner=cast.mallory_partner),
    }


VISIBLE = {
    "alice": {"private", "shared"},
    "bob": {"shared"},
    "carol": set(),
    "ada": {"private", "shared"},
    "cole": {"private", "shared"},
    "mallory": {"other_firm"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_advisor_sees_exactly_the_referrals_of_partners_they_may_see(
    cast: Cast, referrals: dict[str, Referral], who: str
) -> None:
    advisor = getattr(cast, who)
    listed = {r.pk for r in referral_list(advisor=advisor)}
    assert listed == {referrals[name].pk for name in VISIBLE[who]}
    for name, referral in referrals.items():
        if name in VISIBLE[who]:
            assert referral_get_for(advisor=advisor, pk=referral.pk) == referral
        else:
            with pytest.raises(Http404, match=REFERRAL_NOT_FOUND):
                referral_get_for(advisor=advisor, pk=referral.pk)


@pytest.mark.parametrize("pk", ["abc", None, "", "1.5"])
def test_a_malformed_id_is_a_404(cast: Cast, pk: object) -> None:
    with pytest.raises(Http404):
        referral_get_for(advisor=cast.alice, pk=pk)


@pytest.mark.parametrize(
    ("who", "partner"), [("bob", "alice_private"), ("mallory", "alice_shared")]
)
def test_no_referral_is_logged_on_a_partner_one_cannot_see(
    cast: Cast, who: str, partner: str
) -> None:
    with pytest.raises(ValidationError) as error:
        referral_create(
            by=getattr(cast, who),
            partner=getattr(cast, partner),
            direction=Direction.RECEIVED,
            need="Anything",
        )
    assert error.value.message_dict == {"partner": [PARTNER_NOT_FOUND]}
    assert not Referral.objects.exists()


def test_a_teammate_logs_and_moves_referrals_of_a_shared_partner(cast: Cast) -> None:
    referral = referral_create(
        by=cast.bob, partner=cast.alice_shared, direction=Direction.RECEIVED, need="Tax question"
    )
    fetched = referral_get_for(advisor=cast.alice, pk=referral.pk)
    referral_change_status(referral=fetched, by=cast.alice, status="contacted")
    assert referral_get_for(advisor=cast.bob, pk=referral.pk).status == "contacted"
    with pytest.raises(Http404):
        referral_get_for(advisor=cast.carol, pk=referral.pk)


def test_archived_referrals_stay_reachable_but_leave_the_default_list(
    cast: Cast, referrals: dict[str, Referral]
) -> None:
    referral_archive(referral=referrals["private"], by=cast.alice)
    assert referral_get_for(advisor=cast.alice, pk=referrals["private"].pk).archived_at
    assert {r.pk for r in referral_list(advisor=cast.alice)} == {referrals["shared"].pk}
    archived = referral_list(advisor=cast.alice, filters=ReferralFilters(archived=True))
    assert [r.pk for r in archived] == [referrals["private"].pk]
    with pytest.raises(Http404):
        referral_get_for(advisor=cast.mallory, pk=referrals["private"].pk)


def test_the_list_filters_by_partner_direction_kind_status_and_state(cast: Cast) -> None:
    sent = referral_create(
        by=cast.alice, partner=cast.alice_private, direction=Direction.SENT, need="Estate plan"
    )
    received = referral_create(
        by=cast.alice,
        partner=cast.alice_shared,
        direction=Direction.RECEIVED,
        need="Small business retirement plan",
        follow_up=False,
    )
    connection = referral_create(
        by=cast.alice,
        partner=cast.alice_shared,
        direction=Direction.SENT,
        kind=Kind.CONNECTION,
        need="Chamber of commerce",
    )
    referral_change_status(referral=received, by=cast.alice, status="lost", reason="Moved away")

    def pks(**filters: object) -> set[int]:
        return {r.pk for r in referral_list(advisor=cast.alice, filters=ReferralFilters(**filters))}

    assert pks(partner=cast.alice_shared.pk) == {received.pk, connection.pk}
    assert pks(direction="sent") == {sent.pk, connection.pk}
    assert pks(kind="connection") == {connection.pk}
    assert pks(status="lost") == {received.pk}
    assert pks(state="closed") == {received.pk}
    assert pks(state="open") == {sent.pk, connection.pk}
    assert pks(search="retirement") == {received.pk}


def test_the_referral_list_is_one_query_whatever_its_length(
    cast: Cast, django_assert_num_queries: pytest.FixtureDef
) -> None:
    def listed() -> int:
        with django_assert_num_queries(1):
            return len([(r.partner.name, r.by.username) for r in referral_list(advisor=cast.bob)])

    ReferralFactory(partner=cast.alice_shared)
    assert listed() == 1
    for _ in range(6):
        ReferralFactory(partner=PartnerFactory(owner=cast.bob))
    assert listed() == 7
