"""The partner scores: each part's points on built records, the same scores for the same records
and day, a constant number of queries, the list's sorts and the API's shape."""

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from reciprocity.insights.scores import SCORES, Scoring, message_words, scores_of
from reciprocity.partners.models import (
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Propensity,
    Stage,
    TouchKind,
)
from reciprocity.partners.scored import band_of, score_totals, with_scores
from reciprocity.playbook.models import Cadence, CadenceKind
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.referrals.models import Direction, Kind
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import (
    AdvisorProfileFactory,
    CommitmentFactory,
    PartnerFactory,
    ReferralFactory,
    TouchFactory,
    ago,
)
from tests.web import queries_for

pytestmark = pytest.mark.django_db


def points(partner: Partner, slug: str) -> dict[str, int]:
    """The parts' points of one score, by the start of each part's label."""
    (score,) = [score for score in scores_of(partner) if score.slug == slug]
    assert score.score == sum(part.points for part in score.parts)
    assert sum(part.of for part in score.parts) == 100
    return {part.label.split(":")[0]: part.points for part in score.parts}


def fresh(partner: Partner) -> Partner:
    return Partner.objects.get(pk=partner.pk)


# --- Fit --------------------------------------------------------------------------------------
def test_fit_counts_growth_mode_propensity_and_whether_they_can_describe_our_value(
    cast: Cast,
) -> None:
    strong = PartnerFactory(owner=cast.alice, growth_mode=True, propensity_to_refer=Propensity.HIGH)
    strong.can_describe_value = "yes"
    strong.save()
    weak = PartnerFactory(owner=cast.alice, growth_mode=False, propensity_to_refer=Propensity.LOW)
    weak.can_describe_value = "no"
    weak.save()
    unknown = PartnerFactory(owner=cast.alice, growth_mode=None, propensity_to_refer=None)

    assert points(fresh(strong), "fit") == {
        "Firm in growth mode": 30,
        "Propensity to refer": 30,
        "Clientele overlap": 0,
        "Can describe our value": 15,
    }
    assert points(fresh(weak), "fit") == {
        "Firm in growth mode": 0,
        "Propensity to refer": 0,
        "Clientele overlap": 0,
        "Can describe our value": 0,
    }
    assert list(points(fresh(unknown), "fit").values()) == [10, 10, 0, 5]


def test_fit_counts_the_words_of_whom_the_advisor_helps_found_in_the_partners_niche(
    cast: Cast,
) -> None:
    AdvisorProfileFactory(user=cast.alice, whom_i_help="Business owners planning their exit")
    two = PartnerFactory(owner=cast.alice, niche="Family business owners in the North Shore")
    one = PartnerFactory(owner=cast.alice, niche="Small business accounting")
    none = PartnerFactory(owner=cast.alice, niche="Young families buying a first home")
    bobs = PartnerFactory(owner=cast.bob, niche="Family business owners")

    assert message_words("Business owners planning their exit") == [
        "business",
        "owner",
        "planning",
        "exit",
    ]
    (fit,) = [s for s in scores_of(fresh(two)) if s.slug == "fit"]
    overlap = fit.parts[2]
    assert (overlap.points, overlap.of) == (25, 25)
    assert overlap.label.endswith("business, owner")
    assert points(fresh(one), "fit")["Clientele overlap with whom the advisor helps"] == 15
    assert points(fresh(none), "fit")["Clientele overlap with whom the advisor helps"] == 0
    # Bob has written no message: nothing to overlap with, and the part says so.
    assert "not written" in scores_of(fresh(bobs))[0].parts[2].label
    assert scores_of(fresh(bobs))[0].parts[2].points == 0


# --- Engagement -------------------------------------------------------------------------------
def test_engagement_counts_touches_against_the_cadence_and_the_last_touchs_recency(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE)
    Cadence.objects.create(
        partner=partner, kind=CadenceKind.TOUCH_BASE, interval_months=4, by=cast.alice
    )
    # A touch base every four months expects three touches a year; notes do not count.
    TouchFactory(partner=partner, occurred_at=ago(260))
    TouchFactory(partner=partner, occurred_at=ago(10), kind=TouchKind.NOTE)
    found = points(fresh(partner), "engagement")
    assert found["Touches in 12 months"] == 13  # 40 x 1 touch / 3 expected
    assert found["Last touch"] == 0  # 260 days: more than twice four months

    TouchFactory(partner=partner, occurred_at=ago(150))
    found = points(fresh(partner), "engagement")
    assert found["Touches in 12 months"] == 26
    assert found["Last touch"] == 10  # within twice the cadence

    TouchFactory(partner=partner, occurred_at=ago(20))
    TouchFactory(partner=partner, occurred_at=ago(5))
    found = points(fresh(partner), "engagement")
    assert found["Touches in 12 months"] == 40  # capped
    assert found["Last touch"] == 20


@pytest.mark.parametrize("interval", [1, 3, 4, 12, 36])
def test_recency_holds_at_each_cut_off_of_one_and_two_intervals(cast: Cast, interval: int) -> None:
    """Full points from the start of the day one interval ago, half from the start of the day
    two intervals ago (a month's end held), nothing a second before."""
    today = timezone.localdate()

    def start(months: int) -> dt.datetime:
        day = add_months(today, -months)
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    second = dt.timedelta(seconds=1)
    for touched, expected in [
        (start(interval), 20),
        (start(interval) - second, 10),
        (start(2 * interval), 10),
        (start(2 * interval) - second, 0),
    ]:
        partner = PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE)
        Cadence.objects.create(
            partner=partner, kind=CadenceKind.TOUCH_BASE, interval_months=interval, by=cast.alice
        )
        TouchFactory(partner=partner, occurred_at=touched)
        assert points(fresh(partner), "engagement")["Last touch"] == expected, touched


def test_engagement_counts_commitments_kept_on_each_side(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice)
    today = timezone.localdate()
    # Nothing due yet on either side: half the points each.
    assert points(fresh(partner), "engagement")["Advisor's commitments kept"] == 10
    assert points(fresh(partner), "engagement")["Partner's commitments kept"] == 10

    for status in (CommitmentStatus.DONE, CommitmentStatus.DONE, CommitmentStatus.DROPPED):
        CommitmentFactory(partner=partner, due=today - dt.timedelta(days=9), status=status)
    CommitmentFactory(partner=partner, due=today - dt.timedelta(days=2))  # open, overdue
    CommitmentFactory(partner=partner, due=today + dt.timedelta(days=2))  # not due yet
    CommitmentFactory(
        partner=partner,
        owner=CommitmentOwner.PARTNER,
        due=today - dt.timedelta(days=30),
        status=CommitmentStatus.DONE,
    )
    CommitmentFactory(  # more than a year ago: not counted
        partner=partner, owner=CommitmentOwner.PARTNER, due=today - dt.timedelta(days=400)
    )
    found = points(fresh(partner), "engagement")
    assert found["Advisor's commitments kept"] == 10  # 2 done of 4 due
    assert found["Partner's commitments kept"] == 20  # 1 done of 1 due
    labels = [part.label for part in scores_of(fresh(partner))[1].parts]
    assert "Advisor's commitments kept: 2 done, 2 overdue or dropped" in labels


# --- Reciprocity and yield --------------------------------------------------------------------
def test_reciprocity_weighs_referrals_both_ways_over_twelve_months_and_connections_apart(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice)
    assert points(fresh(partner), "reciprocity") == {
        "Referrals received in 12 months": 0,
        "Referrals sent in 12 months": 0,
        "Balance both ways": 0,
        "Connections both ways in 12 months": 0,
    }
    ReferralFactory.create_batch(3, partner=partner, direction=Direction.SENT)
    ReferralFactory(partner=partner, direction=Direction.RECEIVED)
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(400))
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, kind=Kind.CONNECTION)
    assert points(fresh(partner), "reciprocity") == {
        "Referrals received in 12 months": 11,  # 35 x 1/3
        "Referrals sent in 12 months": 25,
        "Balance both ways": 8,  # 25 x 1/3
        "Connections both ways in 12 months": 5,
    }


def test_yield_counts_referrals_received_in_a_year_against_the_firms_target(
    cast: Cast,
) -> None:
    partner = PartnerFactory(owner=cast.alice)
    ReferralFactory.create_batch(2, partner=partner, direction=Direction.RECEIVED)
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(380))
    assert points(fresh(partner), "yield") == {"Referrals received in 12 months": 40}

    cast.firm.yield_target = 2
    cast.firm.save()
    (yield_score,) = [s for s in scores_of(fresh(partner)) if s.slug == "yield"]
    assert (yield_score.score, yield_score.band) == (100, "high")
    assert "target of 2" in yield_score.parts[0].label


def test_the_bands_are_low_under_40_medium_to_69_and_high_from_70() -> None:
    assert [band_of(n) for n in (0, 39, 40, 69, 70, 100)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


# --- Determinism ------------------------------------------------------------------------------
def test_the_same_records_on_the_same_day_give_the_same_scores(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, growth_mode=True)
    TouchFactory(partner=partner, occurred_at=ago(40))
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(100))
    today = timezone.localdate()
    first = scores_of(fresh(partner), today=today)
    assert scores_of(fresh(partner), today=today) == first
    assert scores_of(fresh(partner)) == first
    # A year on, the referral and the touch have left the window.
    later = scores_of(fresh(partner), today=today + dt.timedelta(days=366))
    assert [s.score for s in later][2:] == [0, 0]


# --- Pages, sorts and the API -----------------------------------------------------------------
def build_book(owner: Any, count: int) -> None:
    for index in range(count):
        partner = PartnerFactory(owner=owner, stage=list(Stage)[index % len(Stage)])
        TouchFactory.create_batch(2, partner=partner)
        CommitmentFactory(partner=partner, due=timezone.localdate() - dt.timedelta(days=1))
        ReferralFactory(partner=partner, direction=Direction.RECEIVED)


@pytest.mark.parametrize("url", ["/pipeline/", "/partners/", "/partners/?sort=fit"])
def test_the_board_and_the_list_cost_the_same_queries_for_3_or_30_partners(
    cast: Cast, url: str
) -> None:
    AdvisorProfileFactory(user=cast.alice)
    client = client_for(cast.alice)
    build_book(cast.alice, 3)
    # Warm first: what a process reads once and keeps (left by earlier tests or not) is no
    # part of a page's cost.
    client.get(url)
    small = queries_for(lambda: client.get(url))
    build_book(cast.alice, 27)
    assert queries_for(lambda: client.get(url)) == small


def test_a_page_counts_each_input_of_the_scores_once_for_its_own_partners_only(
    cast: Cast,
) -> None:
    AdvisorProfileFactory(user=cast.alice, whom_i_help="Retired physicians and dentists")
    build_book(cast.alice, 30)
    api = token_client(cast.alice)
    api.call("GET", "partners?limit=1")
    with CaptureQueriesContext(connection) as queries:
        assert api.call("GET", "partners?limit=5").status_code == 200
    (scoring,) = [q["sql"] for q in queries.captured_queries if "score_inputs" in q["sql"]]
    # One subquery per input (each part reading its inputs' columns, not their subqueries
    # again), over the page's five partners: not the book's thirty.
    day = Scoring(today=timezone.localdate(), messages={})
    inputs = {name for score in SCORES.values() for name in score.inputs(day)}
    assert scoring.count("SELECT") <= len(inputs) + 3
    chosen = re.findall(r'"partners_partner"\."id" IN \(([^)]*)\)', scoring)
    assert chosen
    assert all(len(ids.split(",")) == 5 for ids in chosen)


def test_the_api_list_costs_the_same_queries_for_3_or_30_partners(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    api = token_client(cast.alice)
    build_book(cast.alice, 3)
    api.call("GET", "partners?limit=1")
    with django_assert_max_num_queries(6):
        assert api.call("GET", "partners?limit=100").status_code == 200
    build_book(cast.alice, 27)
    with django_assert_max_num_queries(6):
        assert len(api.call("GET", "partners?limit=100").json()["items"]) == 32


@pytest.mark.parametrize("slug", ["fit", "engagement"])
def test_the_api_pages_through_a_sort_by_a_score_as_the_whole_list_orders_it(
    cast: Cast, slug: str
) -> None:
    build_book(cast.alice, 12)
    for index, partner in enumerate(Partner.objects.filter(owner=cast.alice)):
        TouchFactory.create_batch(index % 4, partner=partner, occurred_at=ago(index * 9))
        partner.growth_mode = index % 3 == 0
        partner.save(update_fields=["growth_mode"])
    api = token_client(cast.alice)
    whole = api.call("GET", f"partners?sort={slug}&limit=100").json()["items"]
    pages = [
        api.call("GET", f"partners?sort={slug}&offset={offset}&limit=5").json()["items"]
        for offset in (0, 5, 10)
    ]
    paged = [item for page in pages for item in page]
    assert [item["id"] for item in paged] == [item["id"] for item in whole]
    ranked = [item["scores"][slug]["score"] for item in whole]
    assert ranked == sorted(ranked, reverse=True)


def test_the_board_card_shows_each_score_as_a_badge_linking_to_its_parts(cast: Cast) -> None:
    partner = PartnerFactory(
        owner=cast.alice, stage=Stage.ACTIVE, name="Dana Deeds", growth_mode=True
    )
    page = client_for(cast.alice).get("/pipeline/").content.decode()
    for score in SCORES.values():
        assert f'<span class="score__title">{score.title} </span>' in page
    cards = page.count('class="card__scores"')
    assert cards
    assert page.count('<span class="score-badge score-badge--') == cards * len(SCORES)
    # Read aloud as a list: each score with its band, a comma after each but the last.
    assert page.count("),</span></span>") == cards * (len(SCORES) - 1)
    assert f'href="/partners/{partner.pk}/#scores-heading"' in page
    # The parts are on the partner's page, not repeated on every card.
    assert "Firm in growth mode" not in page
    parts = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    assert 'id="scores-heading"' in parts
    assert "Firm in growth mode: yes" in parts


def test_the_list_shows_each_score_in_its_column_opening_on_its_parts(cast: Cast) -> None:
    partner = PartnerFactory(
        owner=cast.alice, name="Quincy Quill", propensity_to_refer=Propensity.HIGH
    )
    page = client_for(cast.alice).get("/partners/?q=Quincy").content.decode()
    cells = re.findall(r'<td data-label="([^"]+)" class="score-cell">(.*?)</td>', page)
    assert [title for title, _ in cells] == [score.title for score in SCORES.values()]
    for score, (_, cell) in zip(scores_of(fresh(partner)), cells, strict=True):
        assert f'<details class="score score--{score.band}">' in cell
        assert f'<span class="score__value">{score.score}</span>' in cell
        assert f'<span class="visually-hidden"> ({score.band}), its parts</span>' in cell
        parts = re.findall(r"<li>(.*?)</li>", cell)
        # The labels escaped (an apostrophe is in one of them).
        assert parts == [f"{escape(p.label)}: {p.points}/{p.of}" for p in score.parts]
    assert "<li>Propensity to refer: high: 30/30</li>" in page
    assert "the advisor&#x27;s whom-I-help is not written" in page


def test_a_cards_badges_read_the_totals_the_board_fetched_and_match_the_scores_in_full(
    cast: Cast,
) -> None:
    AdvisorProfileFactory(user=cast.alice, whom_i_help="Physicians and dentists")
    partner = PartnerFactory(
        owner=cast.alice, growth_mode=True, niche="Dentists", propensity_to_refer=Propensity.HIGH
    )
    TouchFactory.create_batch(3, partner=partner, occurred_at=ago(20))
    full = [(s.slug, s.title, s.score, s.band) for s in scores_of(fresh(partner))]
    (fetched,) = with_scores(Partner.objects.filter(pk=partner.pk), firm_id=cast.alice.firm_id)
    with CaptureQueriesContext(connection) as read:
        totals = score_totals(fetched)
    assert len(read) == 0
    assert [(s.slug, s.title, s.score, s.band) for s in totals] == full
    # A partner fetched without them: the scores are read for it.
    assert [(s.slug, s.title, s.score, s.band) for s in score_totals(fresh(partner))] == full


def test_the_partner_page_shows_a_table_of_each_scores_parts(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, propensity_to_refer=Propensity.HIGH)
    page = client_for(cast.alice).get(f"/partners/{partner.pk}/").content.decode()
    assert 'id="scores-heading"' in page
    assert page.count('class="table scores-table"') == 4
    assert '<th scope="row">Propensity to refer: high</th>' in page


@pytest.mark.parametrize("slug", list(SCORES))
def test_the_list_sorts_by_each_score_highest_first_or_reversed_the_weakest_first(
    cast: Cast, slug: str
) -> None:
    low = PartnerFactory(owner=cast.alice, name="Aaron Low", growth_mode=False)
    high = PartnerFactory(owner=cast.alice, name="Zoe High", growth_mode=True)
    high.propensity_to_refer = Propensity.HIGH
    high.save()
    TouchFactory.create_batch(3, partner=high)
    ReferralFactory.create_batch(3, partner=high, direction=Direction.RECEIVED)
    ReferralFactory.create_batch(3, partner=high, direction=Direction.SENT)
    page = client_for(cast.alice).get(f"/partners/?sort={slug}").content.decode()
    assert page.index(high.name) < page.index(low.name)
    assert 'aria-sort="descending"' in page
    api = token_client(cast.alice)
    names = [item["name"] for item in api.call("GET", f"partners?sort={slug}").json()["items"]]
    assert names.index(high.name) < names.index(low.name)
    # Reversed, the weakest first; the header says so and sorts back highest first.
    page = client_for(cast.alice).get(f"/partners/?sort=-{slug}").content.decode()
    assert page.index(low.name) < page.index(high.name)
    assert 'aria-sort="ascending"' in page
    assert f'href="?sort={slug}"' in page
    names = [item["name"] for item in api.call("GET", f"partners?sort=-{slug}").json()["items"]]
    assert names.index(low.name) < names.index(high.name)


def test_the_api_gives_every_score_with_its_band_and_parts(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice, growth_mode=True)
    api = token_client(cast.alice)
    detail = api.call("GET", f"partners/{partner.pk}").json()
    listed = api.call("GET", "partners").json()["items"]
    mine = next(item for item in listed if item["id"] == partner.pk)
    assert mine["scores"] == detail["scores"]
    assert list(detail["scores"]) == ["fit", "engagement", "reciprocity", "yield"]
    fit = detail["scores"]["fit"]
    assert fit["score"] == 30 + 10 + 0 + 5
    assert fit["band"] == "medium"
    assert fit["parts"][0] == {"label": "Firm in growth mode: yes", "points": 30, "of": 30}


def test_the_openapi_document_lists_the_scores(cast: Cast) -> None:
    schemas = token_client(cast.alice).call("GET", "openapi.json").json()["components"]["schemas"]
    assert schemas["Partner"]["properties"]["scores"]["$ref"].endswith("/PartnerScores")
    assert schemas["PartnerScores"]["required"] == ["fit", "engagement", "reciprocity", "yield"]
    assert set(schemas["Score"]["properties"]) == {"score", "band", "parts"}
    assert set(schemas["ScorePart"]["properties"]) == {"label", "points", "of"}
    sorts = schemas["PartnerSort"]["enum"] if "PartnerSort" in schemas else None
    assert sorts is None or {"fit", "yield", "-fit", "-yield"} <= set(sorts)


def test_the_firm_admin_sets_the_yield_target_on_the_settings_page(cast: Cast) -> None:
    page = client_for(cast.ada).get("/firm/settings/").content.decode()
    assert 'name="yield_target"' in page
    assert cast.firm.yield_target == 5
