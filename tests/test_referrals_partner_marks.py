"""What the partner's row keeps of its referrals (the first and the latest received, the
earliest sent): always what a recount of the live referrals finds, whatever the writes (log,
archive, restore, merge), so that the funnel, the balance and the diagnoses read them from the
row."""

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity.accounts.models import User
from reciprocity.partners.merge import partner_merge
from reciprocity.partners.models import Partner
from reciprocity.referrals.models import Direction, Kind, Referral
from reciprocity.referrals.services.ledger import (
    REFERRAL_MARKS,
    referral_archive,
    referral_create,
    referral_restore,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory


def recount(partner: Partner) -> list[dt.datetime | None]:
    """The partner's marks, in ``REFERRAL_MARKS``'s order, from its live referrals."""

    def moments(direction: str) -> list[dt.datetime]:
        return list(
            Referral.objects.filter(
                partner=partner,
                archived_at__isnull=True,
                direction=direction,
                kind=Kind.REFERRAL,
            ).values_list("occurred_at", flat=True)
        )

    received, sent = moments(Direction.RECEIVED), moments(Direction.SENT)
    return [min(received, default=None), max(received, default=None), min(sent, default=None)]


def assert_kept(partners: list[Partner]) -> None:
    for partner in partners:
        partner.refresh_from_db(fields=REFERRAL_MARKS)
        kept = [getattr(partner, field) for field in REFERRAL_MARKS]
        assert kept == recount(partner), partner.name


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
def test_the_partners_referral_marks_match_a_recount_after_any_sequence_of_writes(
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


def logged(
    partner: Partner, by: User, days_ago: int, *, direction: str, kind: str = Kind.REFERRAL
) -> Referral:
    return referral_create(
        by=by,
        partner=partner,
        direction=direction,
        kind=kind,
        need="Estate plan",
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        follow_up=False,
    )


def received(partner: Partner, by: User, days_ago: int) -> Referral:
    return logged(partner, by, days_ago, direction=Direction.RECEIVED)


def sent(partner: Partner, by: User, days_ago: int, *, kind: str = Kind.REFERRAL) -> Referral:
    return logged(partner, by, days_ago, direction=Direction.SENT, kind=kind)


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


def test_logging_referrals_keeps_the_latest_received_and_the_earliest_sent_connections_aside(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice)
    earliest = sent(partner, cast.alice, 50)
    sent(partner, cast.alice, 20)
    sent(partner, cast.alice, 90, kind=Kind.CONNECTION)
    received(partner, cast.alice, 30)
    latest = received(partner, cast.alice, 5)

    assert (partner.latest_received_at, partner.earliest_sent_at) == (
        latest.occurred_at,
        earliest.occurred_at,
    )


def test_archiving_the_latest_received_and_the_earliest_sent_falls_back_until_restored(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice)
    older, latest = received(partner, cast.alice, 30), received(partner, cast.alice, 5)
    earliest, later = sent(partner, cast.alice, 50), sent(partner, cast.alice, 20)

    def after(write: Callable[..., Referral]) -> tuple[dt.datetime | None, ...]:
        for referral in (latest, earliest):
            write(referral=referral, by=cast.alice)
        partner.refresh_from_db()
        return partner.latest_received_at, partner.earliest_sent_at

    assert after(referral_archive) == (older.occurred_at, later.occurred_at)
    assert after(referral_restore) == (latest.occurred_at, earliest.occurred_at)


def test_a_merge_gives_the_kept_partner_the_first_latest_and_earliest_of_the_two(
    cast: Cast,
) -> None:
    keep, other = PartnerFactory(owner=cast.alice), PartnerFactory(owner=cast.alice)
    received(keep, cast.alice, 10)
    first = received(other, cast.alice, 40).occurred_at
    latest = received(other, cast.alice, 2).occurred_at
    sent(keep, cast.alice, 30)
    earliest = sent(other, cast.alice, 60).occurred_at
    partner_merge(user=cast.alice, keep=keep, other=other)
    keep.refresh_from_db()
    other.refresh_from_db()
    assert [getattr(keep, field) for field in REFERRAL_MARKS] == [first, latest, earliest]
    assert [getattr(other, field) for field in REFERRAL_MARKS] == [None, None, None]
