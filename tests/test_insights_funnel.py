"""The funnel and time: conversion between stages, median days in each stage, days from the
first meeting to the first referral, top partners by yield; every figure against a count made by
hand from the records, in a constant number of queries, scoped to who asks."""

import collections
import datetime as dt
import itertools
import random
import statistics
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from reciprocity.api.insights import FUNNEL_OF_OTHERS, UNKNOWN_FUNNEL_SCOPE
from reciprocity.insights.funnel import first_referral_of, funnel_for
from reciprocity.insights.selectors import scope_of
from reciprocity.partners.models import MET_STAGES, PIPELINE_STAGES, Partner, Stage, StageChange
from reciprocity.partners.services import partner_change_stage
from reciprocity.referrals.models import Referral
from reciprocity.referrals.services.ledger import referral_create
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import (
    PartnerFactory,
    ReferralFactory,
    StageChangeFactory,
    TeamFactory,
    ago,
)


def moved(partner: Partner, by: Any, *moves: tuple[str, float]) -> Partner:
    for stage, days_ago in moves:
        partner_change_stage(
            partner=partner, by=by, stage=stage, occurred_at=ago(days_ago), qualify_anyway=True
        )
    return partner


def received(partner: Partner, by: Any, days_ago: float, kind: str = "referral") -> None:
    referral_create(
        by=by,
        partner=partner,
        direction="received",
        kind=kind,
        need="A client",
        occurred_at=ago(days_ago),
    )


@pytest.fixture
def book(cast: Cast) -> dict[str, Partner]:
    alice = cast.alice
    old = {"owner": alice, "stage_changed_at": ago(100)}
    deep = moved(
        PartnerFactory(name="Ann Deep", **old),
        alice,
        (Stage.QUALIFIED, 90),
        (Stage.FIRST_MEETING, 80),
        (Stage.DUE_DILIGENCE, 60),
    )
    met = moved(
        PartnerFactory(name="Ben Met", **old),
        alice,
        (Stage.QUALIFIED, 90),
        (Stage.FIRST_MEETING, 70),
    )
    PartnerFactory(name="Cal New", **old)
    PartnerFactory(name="Dee Active", owner=alice, stage=Stage.ACTIVE)
    received(deep, alice, 50)  # 30 days after the first meeting
    received(met, alice, 75)  # before the meeting: day 0
    received(met, alice, 10)
    received(deep, alice, 5, kind="connection")  # a connection is not a referral
    # Another advisor's partner stays out of alice's own funnel.
    moved(
        PartnerFactory(owner=cast.bob, name="Bob's", **{"stage_changed_at": ago(100)}),
        cast.bob,
        (Stage.CHAMPION, 1),
    )
    return {"deep": deep, "met": met}


def test_every_figure_matches_a_count_of_the_records(cast: Cast, book: dict[str, Partner]) -> None:
    funnel = funnel_for(partners=scope_of(advisor=cast.alice, mine_only=True))
    # Furthest stages: Ann due diligence, Ben first meeting, Dee active; Cal and the cast's two
    # partners of alice identified.
    assert [(s.stage, s.reached, s.went_on) for s in funnel.steps] == [
        ("identified", 6, 3),
        ("qualified", 3, 3),
        ("first_meeting", 3, 2),
        ("due_diligence", 2, 1),
        ("proposed", 1, 1),
        ("active", 1, 0),
        ("champion", 0, None),
    ]
    assert funnel.steps[2].rate == 67
    times = {t.stage: (t.median_days, t.stays) for t in funnel.times}
    assert times["qualified"] == (15.0, 2)  # Ann 10 days, Ben 20
    assert times["first_meeting"] == (20.0, 1)  # Ann; Ben is still there
    assert times["identified"] == (None, 0)
    assert (funnel.first_referral_median_days, funnel.first_referral_partners) == (15.0, 2)
    assert [(t.name, t.received) for t in funnel.top] == [("Ben Met", 2), ("Ann Deep", 1)]


def test_the_funnel_costs_the_same_queries_whatever_the_book(
    cast: Cast, book: dict[str, Partner], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(4):
        funnel_for(partners=scope_of(advisor=cast.alice, mine_only=True))
    for _ in range(5):
        moved(
            PartnerFactory(owner=cast.alice, stage_changed_at=ago(50)),
            cast.alice,
            (Stage.QUALIFIED, 40),
        )
    with django_assert_num_queries(4):
        funnel_for(partners=scope_of(advisor=cast.alice, mine_only=True))


def expected_medians(partners: list[Partner]) -> tuple[dict[str, tuple[float | None, int]], Any]:
    """The medians counted here from every record, as the funnel once counted them."""
    stays: dict[str, list[float]] = {stage: [] for stage in PIPELINE_STAGES}
    waits: list[float] = []
    for partner in partners:
        changes = sorted(
            StageChange.objects.filter(partner=partner), key=lambda c: (c.occurred_at, c.pk)
        )
        for change, following in itertools.pairwise(changes):
            if change.to_stage in stays:
                stays[change.to_stage].append(
                    days_between(change.occurred_at, following.occurred_at)
                )
        met = [c.occurred_at for c in changes if c.to_stage in MET_STAGES]
        firsts = [
            r.occurred_at
            for r in Referral.objects.live().filter(
                partner=partner, direction="received", kind="referral"
            )
        ]
        if met and firsts:
            waits.append(max(days_between(min(met), min(firsts)), 0))

    def median(values: list[float]) -> tuple[float | None, int]:
        return (round(statistics.median(values), 1) if values else None, len(values))

    return {stage: median(values) for stage, values in stays.items()}, median(waits)


def days_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 86400


def test_the_medians_counted_in_the_database_are_those_of_every_record(cast: Cast) -> None:
    chance = random.Random(20)
    partners = []
    for _ in range(23):
        partner = PartnerFactory(owner=cast.alice, stage_changed_at=ago(400))
        StageChangeFactory(partner=partner, to_stage=Stage.IDENTIFIED, occurred_at=ago(400))
        at = 400.0
        for stage in chance.sample(list(Stage.values), chance.randint(0, 5)):
            # Now and then two moves at the same moment: the one recorded first ends first.
            at -= 0 if chance.random() < 0.15 else chance.uniform(0.01, 60)
            StageChangeFactory(
                partner=partner,
                to_stage=stage,
                occurred_at=ago(at),
                reason="Not a fit" if stage == Stage.RETIRED else "",
            )
        for _ in range(chance.randint(0, 3)):
            ReferralFactory(
                partner=partner,
                direction=chance.choice(["received", "sent"]),
                kind=chance.choice(["referral", "referral", "connection"]),
                occurred_at=ago(chance.uniform(1, 420)),
                archived_at=ago(1) if chance.random() < 0.1 else None,
            )
        partners.append(partner)

    funnel = funnel_for(partners=Partner.objects.filter(pk__in=[p.pk for p in partners]))

    times, first = expected_medians(partners)
    # The book gives the medians odd and even counts to take the middle of.
    assert {count % 2 for _median, count in times.values() if count > 1} == {0, 1}
    assert first[1] > 1
    assert {t.stage: (t.median_days, t.stays) for t in funnel.times} == times
    assert (funnel.first_referral_median_days, funnel.first_referral_partners) == first


def test_the_dashboard_shows_the_funnel_as_tables(cast: Cast, book: dict[str, Partner]) -> None:
    page = client_for(cast.alice).get("/dashboard/").content.decode()
    assert "Conversion between stages" in page
    assert "Median days in each stage" in page
    assert "Ben Met" in page


def test_the_api_answers_the_same_figures(cast: Cast, book: dict[str, Partner]) -> None:
    response = token_client(cast.alice).call("GET", "insights/funnel?all=false")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["steps"][0] == {
        "stage": "identified",
        "label": "Identified",
        "reached": 6,
        "went_on": 3,
        "rate": 50,
    }
    assert body["first_referral"] == {"median_days": 15.0, "partners": 2}
    assert body["top"][0] == {"partner": {"id": book["met"].pk, "name": "Ben Met"}, "received": 2}


def test_a_firm_admin_draws_one_advisors_funnel_and_one_teams(
    cast: Cast, book: dict[str, Partner]
) -> None:
    api = token_client(cast.ada)

    alice = api.call("GET", f"insights/funnel?owner={cast.alice.pk}").json()
    north = api.call("GET", f"insights/funnel?team={cast.north.pk}").json()
    firm = api.call("GET", "insights/funnel").json()

    # North is alice and bob: alice's six partners and bob's one.
    assert alice["steps"][0]["reached"] == 6
    assert north["steps"][0]["reached"] == 7
    assert firm["steps"][0]["reached"] == 7  # carol, ada and cole own none
    assert north["top"] == firm["top"]
    page = client_for(cast.ada).get(f"/dashboard/?team={cast.north.pk}").content.decode()
    assert "The partners of <strong>North</strong>" in page


def test_an_advisor_may_not_draw_a_colleagues_funnel(cast: Cast) -> None:
    response = token_client(cast.alice).call("GET", f"insights/funnel?owner={cast.bob.pk}")

    assert response.status_code == 403
    assert response.json()["detail"] == FUNNEL_OF_OTHERS


def test_a_team_of_another_firm_is_refused_by_name(cast: Cast) -> None:
    other = TeamFactory(firm=cast.other_firm, name="South")

    response = token_client(cast.ada).call("GET", f"insights/funnel?team={other.pk}")

    assert response.status_code == 422
    assert UNKNOWN_FUNNEL_SCOPE["team"] in str(response.json())


def test_the_partner_page_shows_the_days_from_first_meeting_to_first_referral(
    cast: Cast, book: dict[str, Partner]
) -> None:
    client = client_for(cast.alice)
    deep = client.get(f"/partners/{book['deep'].pk}/").content.decode()
    new = PartnerFactory(owner=cast.alice, name="Never Met")
    never = client.get(f"/partners/{new.pk}/").content.decode()

    assert first_referral_of(book["deep"]).days == 30
    assert first_referral_of(book["met"]).days == 0  # the referral came before the meeting
    assert '<span class="fact__value">30</span> days' in deep
    assert "Not met yet" in never


@pytest.mark.parametrize("mine_only", [True, False], ids=["own", "firm"])
def test_the_top_partners_are_those_of_a_recount_of_the_referrals(
    cast: Cast, mine_only: bool
) -> None:
    chance = random.Random(7)
    # Few names among many partners, so that ties are broken by the name, then the id.
    partners = [
        PartnerFactory(owner=chance.choice([cast.alice, cast.bob]), name=chance.choice("ABC"))
        for _ in range(12)
    ]
    partners.append(PartnerFactory(owner=cast.alice, name="Archived", archived_at=ago(1)))
    for _ in range(60):
        ReferralFactory(
            partner=chance.choice(partners),
            direction=chance.choice(["received", "sent"]),
            kind=chance.choice(["referral", "referral", "connection"]),
            occurred_at=ago(chance.uniform(0, 500)),
            archived_at=ago(1) if chance.random() < 0.1 else None,
        )
    ReferralFactory(partner=partners[0], direction="received", occurred_at=ago(-3))  # to come
    reader = cast.alice if mine_only else cast.ada
    partners_in = scope_of(advisor=reader, mine_only=mine_only)

    funnel = funnel_for(partners=partners_in)

    since = ago(0) - relativedelta(months=12)
    counted = collections.Counter(
        r.partner_id
        for r in Referral.objects.filter(
            partner__in=partners_in,
            archived_at__isnull=True,
            direction="received",
            kind="referral",
            occurred_at__gte=since,
            occurred_at__lte=ago(0),
        )
    )
    names = dict(Partner.objects.values_list("pk", "name"))
    expected = sorted(counted.items(), key=lambda item: (-item[1], names[item[0]], item[0]))[:5]
    assert [(t.partner_id, t.name, t.received) for t in funnel.top] == [
        (pk, names[pk], n) for pk, n in expected
    ]
    assert len(funnel.top) == 5
