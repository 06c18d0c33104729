"""The reciprocity balance: computed from the ledger, in constant queries, and the stage moves it
suggests."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity.partners.models import Partner, Stage
from reciprocity.partners.selectors import partner_list
from reciprocity.partners.services import partner_change_stage, partner_create
from reciprocity.referrals.models import Direction, Kind, Referral, lifecycle_of
from reciprocity.referrals.selectors import (
    BALANCE_COUNTS,
    balance_for,
    firm_balance_table,
    stage_suggestion,
    with_balance,
)
from reciprocity.referrals.services.ledger import (
    referral_archive,
    referral_change_status,
    referral_create,
    referral_restore,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory, ReferralFactory

DAY = dt.timedelta(days=1)


def log(
    cast: Cast,
    partner: Partner,
    direction: str,
    kind: str = Kind.REFERRAL,
    days_ago: int = 1,
    now: dt.datetime | None = None,
) -> Referral:
    return referral_create(
        by=cast.alice,
        partner=partner,
        direction=direction,
        kind=kind,
        need="Need",
        occurred_at=(now or timezone.now()) - days_ago * DAY,
        follow_up=False,
    )


def test_the_balance_counts_live_referrals_and_connections_both_ways(cast: Cast) -> None:
    partner = cast.alice_private
    log(cast, partner, Direction.SENT)
    log(cast, partner, Direction.SENT, days_ago=500)
    log(cast, partner, Direction.RECEIVED)
    log(cast, partner, Direction.SENT, Kind.CONNECTION)
    log(cast, partner, Direction.RECEIVED, Kind.CONNECTION, days_ago=400)
    archived = log(cast, partner, Direction.RECEIVED)
    referral_archive(referral=archived, by=cast.alice)
    log(cast, cast.alice_shared, Direction.RECEIVED)  # another partner's

    balance = balance_for(partner)

    assert (balance.referrals_sent, balance.referrals_sent_12m) == (2, 1)
    assert (balance.referrals_received, balance.referrals_received_12m) == (1, 1)
    assert (balance.connections_sent, balance.connections_sent_12m) == (1, 1)
    assert (balance.connections_received, balance.connections_received_12m) == (1, 0)


def test_a_partner_list_with_balance_is_one_query_whatever_its_length(cast: Cast) -> None:
    def figures() -> list[tuple[int, int]]:
        # Counted as the list's reads: a connection may first probe what its database
        # supports (SQLite's JSON), once, which is not the list's.
        with CaptureQueriesContext(connection) as queries:
            balances = [balance_for(p) for p in with_balance(partner_list(advisor=cast.alice))]
            found = [(b.referrals_sent, b.referrals_received) for b in balances]
        reads = [q for q in queries.captured_queries if "partners_partner" in q["sql"]]
        assert len(reads) == 1, reads
        return found

    log(cast, cast.alice_private, Direction.SENT)
    few = figures()
    for _ in range(8):
        partner = PartnerFactory(owner=cast.alice)
        log(cast, partner, Direction.SENT)
        log(cast, partner, Direction.RECEIVED)
    many = figures()
    assert len(many) == len(few) + 8
    assert sum(sent for sent, _ in many) == 9


def test_time_to_first_referral_comes_from_the_dated_stage_changes_and_referrals(
    cast: Cast,
) -> None:
    now = timezone.now()
    partner = partner_create(
        by=cast.alice, name="Pat CPA", profession="cpa", occurred_at=now - 300 * DAY
    )
    partner_change_stage(
        partner=partner, by=cast.alice, stage=Stage.FIRST_MEETING, occurred_at=now - 200 * DAY
    )
    partner_change_stage(
        partner=partner, by=cast.alice, stage=Stage.DUE_DILIGENCE, occurred_at=now - 150 * DAY
    )
    mistaken = log(cast, partner, Direction.RECEIVED, days_ago=190, now=now)
    referral_archive(referral=mistaken, by=cast.alice)
    log(cast, partner, Direction.SENT, days_ago=120, now=now)  # sent ones do not count
    log(cast, partner, Direction.RECEIVED, days_ago=80, now=now)
    log(cast, partner, Direction.RECEIVED, days_ago=20, now=now)

    balance = balance_for(partner)

    assert balance.first_met_at == now - 200 * DAY
    assert balance.first_referral_received_at == now - 80 * DAY
    assert balance.days_from_first_meeting_to_first_referral == 120
    # The same figures come through the list annotation.
    annotated = with_balance(Partner.objects.filter(pk=partner.pk)).get()
    assert balance_for(annotated) == balance


def test_no_time_to_first_referral_before_a_meeting_or_a_referral(cast: Cast) -> None:
    balance = balance_for(cast.alice_private)
    assert balance.first_referral_received_at is None
    assert balance.days_from_first_meeting_to_first_referral is None


def test_a_first_received_referral_suggests_active_partner(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, stage=Stage.PROPOSED)
    assert stage_suggestion(partner) is None
    log(cast, partner, Direction.SENT)
    log(cast, partner, Direction.RECEIVED, Kind.CONNECTION)
    assert stage_suggestion(partner) is None  # connections show goodwill, not referrals

    log(cast, partner, Direction.RECEIVED)
    suggestion = stage_suggestion(partner)
    assert suggestion is not None
    assert suggestion.stage == Stage.ACTIVE
    assert "First referral received" in suggestion.reason


def test_referrals_flowing_both_ways_repeatedly_suggest_champion(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE)
    log(cast, partner, Direction.SENT)
    log(cast, partner, Direction.RECEIVED)
    assert stage_suggestion(partner) is None  # already active
    log(cast, partner, Direction.SENT, days_ago=30)
    log(cast, partner, Direction.RECEIVED, days_ago=500)  # too long ago to count
    assert stage_suggestion(partner) is None

    log(cast, partner, Direction.RECEIVED, days_ago=60)
    suggestion = stage_suggestion(partner)
    assert suggestion is not None
    assert suggestion.stage == Stage.CHAMPION

    partner.stage = Stage.CHAMPION
    assert stage_suggestion(partner) is None
    partner.stage = Stage.RETIRED
    assert stage_suggestion(partner) is None


def test_a_firm_admin_sees_every_advisors_balance_and_an_advisor_their_own(
    cast: Cast, django_assert_max_num_queries: pytest.FixtureDef
) -> None:
    log(cast, cast.alice_private, Direction.SENT)
    log(cast, cast.alice_shared, Direction.RECEIVED)
    ReferralFactory(partner=PartnerFactory(owner=cast.bob), direction=Direction.RECEIVED)
    ReferralFactory(partner=cast.mallory_partner, direction=Direction.SENT)

    with django_assert_max_num_queries(3):
        table = {row.advisor.username: row for row in firm_balance_table(advisor=cast.ada)}
    assert set(table) == {"alice", "bob", "carol"}
    assert (table["alice"].partners, table["alice"].referrals_sent) == (2, 1)
    assert table["alice"].referrals_received == 1
    assert (table["bob"].referrals_received, table["carol"].partners) == (1, 0)

    mine = firm_balance_table(advisor=cast.alice)
    assert [row.advisor.username for row in mine] == ["alice"]
    # Bob sees Alice only through the partner she shares with the team.
    bobs = {row.advisor.username: row for row in firm_balance_table(advisor=cast.bob)}
    assert (bobs["alice"].partners, bobs["alice"].referrals_sent) == (1, 0)
    assert bobs["alice"].referrals_received == 1
    assert [row.advisor.username for row in firm_balance_table(advisor=cast.mallory)] == ["mallory"]


# --- Property: the balance matches the ledger after any sequence of writes --------------------

AGES = [0, 10, 200, 400, 900]  # days; none near the 365-day edge of the window


@dataclass
class Entry:
    partner: int
    direction: str
    kind: str
    days_ago: int
    archived: bool = False


creates = st.tuples(
    st.just("create"),
    st.integers(0, 1),
    st.sampled_from(Direction.values),
    st.sampled_from(Kind.values),
    st.sampled_from(AGES),
)
changes = st.tuples(
    st.sampled_from(["archive", "restore", "status"]), st.integers(0, 50), st.integers(0, 10)
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(st.one_of(creates, changes), max_size=14))
def test_the_balance_matches_the_ledger_after_any_sequence_of_writes(
    cast: Cast, operations: list[tuple]
) -> None:
    partners = [cast.alice_private, cast.alice_shared]
    with transaction.atomic():
        ReferralFactory(partner=cast.mallory_partner, direction=Direction.RECEIVED)
        ledger: list[tuple[Referral, Entry]] = []
        for operation in operations:
            if operation[0] == "create":
                _, index, direction, kind, days_ago = operation
                referral = log(cast, partners[index], direction, kind, days_ago=days_ago)
                ledger.append((referral, Entry(index, direction, kind, days_ago)))
            elif ledger:
                referral, entry = ledger[operation[1] % len(ledger)]
                if operation[0] == "archive":
                    referral_archive(referral=referral, by=cast.alice)
                    entry.archived = True
                elif operation[0] == "restore":
                    referral_restore(referral=referral, by=cast.alice)
                    entry.archived = False
                elif not entry.archived:
                    lifecycle = lifecycle_of(entry.direction, entry.kind)
                    # Logged without consent: the moves that introduce the client are refused.
                    allowed = tuple(
                        s
                        for s in lifecycle.allowed_from(referral.status)
                        if s not in lifecycle.needs_consent
                    )
                    if allowed:
                        referral_change_status(
                            referral=referral,
                            by=cast.alice,
                            status=allowed[operation[2] % len(allowed)],
                            reason="Because",
                        )
            _assert_balance_matches(partners, [entry for _, entry in ledger])
        transaction.set_rollback(True)


def _assert_balance_matches(partners: list[Partner], entries: list[Entry]) -> None:
    annotated = {
        p.pk: p for p in with_balance(Partner.objects.filter(pk__in=[p.pk for p in partners]))
    }
    for index, partner in enumerate(partners):
        live = [e for e in entries if e.partner == index and not e.archived]
        expected = {}
        for name, direction, kind in BALANCE_COUNTS:
            matching = [e for e in live if (e.direction, e.kind) == (direction, kind)]
            expected[name] = len(matching)
            expected[name + "_12m"] = len([e for e in matching if e.days_ago < 365])
        balance = balance_for(partner)
        assert {name: getattr(balance, name) for name in expected} == expected
        listed = balance_for(annotated[partner.pk])
        assert {name: getattr(listed, name) for name in expected} == expected
