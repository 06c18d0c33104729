"""The first referral received kept on the partner's row: always what a recount of the live
referrals finds, whatever the writes (log, archive, restore, merge), so that the funnel and the
balance read it from the row."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity.accounts.models import User
from reciprocity.partners.merge import partner_merge
from reciprocity.partners.models import Partner
from reciprocity.referrals.models import Direction, Kind, Referral
from reciprocity.referrals.services.ledger import (
    referral_archive,
    referral_create,
    referral_restore,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory


def recount(partner: Partner) -> dt.datetime | None:
    moments = Referral.objects.filter(
        partner=partner,
        archived_at__isnull=True,
        direction=Direction.RECEIVED,
        kind=Kind.REFERRAL,
    ).values_list("occurred_at", flat=True)
    return min(moments, default=None)


def assert_kept(partners: list[Partner]) -> None:
    for partner in partners:
        partner.refresh_from_db(fields=["first_received_at"])
        assert partner.first_received_at == recount(partner), partner.name


logs = st.tuples(
    st.just("log"),
    st.integers(0, 1),
    st.sampled_from(Direction.values),
    st.sampled_from(Kind.values),
    st.integers(0, 400),
)
changes = st.tuples(
    st.sampled_from(["archive", "restore"]),
    st.integers(0, 30),
    st.just(""),
    st.just(""),
    st.just(0),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(st.one_of(logs, changes), max_size=12), merge=st.booleans())
def test_the_first_referral_received_matches_a_recount_after_any_sequence_of_writes(
    cast: Cast, operations: list[tuple], merge: bool
) -> None:
    now = timezone.now()
    with transaction.atomic():
        partners = [
            PartnerFactory(owner=cast.alice, name="Ines Ortega"),
            PartnerFactory(owner=cast.alice, name="Jon Park"),
        ]
        made: list[Referral] = []
        for name, index, direction, kind, days in operations:
            if name == "log":
                made.append(
                    referral_create(
                        by=cast.alice,
                        partner=partners[index],
                        direction=direction,
                        kind=kind,
                        need="Estate plan",
                        occurred_at=now - dt.timedelta(days=days),
                        follow_up=False,
                    )
                )
            elif made:
                referral = made[index % len(made)]
                referral.refresh_from_db()
                if name == "archive":
                    referral_archive(referral=referral, by=cast.alice)
                else:
                    referral_restore(referral=referral, by=cast.alice)
            assert_kept(partners)
        if merge:
            partner_merge(user=cast.alice, keep=partners[0], other=partners[1])
            assert_kept(partners)
        transaction.set_rollback(True)


def received(partner: Partner, by: User, days_ago: int) -> Referral:
    return referral_create(
        by=by,
        partner=partner,
        direction=Direction.RECEIVED,
        need="Tax",
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        follow_up=False,
    )


def test_logging_a_referral_received_updates_the_partner_given(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice)
    referral = received(partner, cast.alice, 3)
    assert partner.first_received_at == referral.occurred_at


def test_archiving_the_first_referral_received_makes_the_next_one_the_first_until_restored(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice)
    first, second = (received(partner, cast.alice, days) for days in (30, 10))
    referral_archive(referral=first, by=cast.alice)
    partner.refresh_from_db()
    assert partner.first_received_at == second.occurred_at
    referral_restore(referral=first, by=cast.alice)
    partner.refresh_from_db()
    assert partner.first_received_at == first.occurred_at


def test_a_merge_gives_the_kept_partner_the_earlier_first_referral_of_the_two(cast: Cast) -> None:
    keep, other = PartnerFactory(owner=cast.alice), PartnerFactory(owner=cast.alice)
    received(keep, cast.alice, 10)
    earlier = received(other, cast.alice, 40).occurred_at
    partner_merge(user=cast.alice, keep=keep, other=other)
    keep.refresh_from_db()
    other.refresh_from_db()
    assert (keep.first_received_at, other.first_received_at) == (earlier, None)
