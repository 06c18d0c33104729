"""The diagnoses worded by the page: the same list, in the same order and with the same counts,
as the full reading of the book, on varied books; the pages that read them cost the same
queries whatever the book."""

import datetime as dt
import random
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity import statements
from reciprocity.accounts.models import User
from reciprocity.insights.diagnoses import (
    assess,
    assess_paged,
    diagnosed_partner_ids,
    paged,
    readings,
)
from reciprocity.insights.diagnoses.base import cutoffs_of, thresholds_of
from reciprocity.insights.models import Dismissal
from reciprocity.insights.services import dismissal_create
from reciprocity.partners.models import (
    CanDescribeValue,
    Partner,
    Propensity,
    Stage,
    StageChange,
)
from reciprocity.playbook.models import CadenceDefault, CadenceKind
from reciprocity.playbook.services.cadences import cadence_set
from reciprocity.playbook.services.firm import firm_defaults_install
from tests.api_client import session_client
from tests.conftest import Cast, client_for
from tests.factories import (
    PartnerFactory,
    ReferralFactory,
    StageChangeFactory,
    TouchFactory,
    ago,
    agreement_in_force,
    random_partner,
)

pytestmark = pytest.mark.django_db


def varied_book(cast: Cast, n: int, *, seed: int) -> list[Partner]:
    """Partners of alice and bob, some shared with their team, in every stage and profile,
    some with no recorded stage change, with touches, referrals both ways and of both kinds,
    agreements, cadences of their own, and dismissed diagnoses (some of which the evidence has
    moved on from since)."""
    rng = random.Random(seed)
    firm_defaults_install(firm=cast.firm)
    partners = []
    for _ in range(n):
        owner = rng.choice([cast.alice, cast.alice, cast.bob])
        stage = rng.choice(Stage.values)
        partner = random_partner(
            rng,
            owner=owner,
            team=cast.north if rng.random() < 0.3 else None,
            name=f"{rng.choice(['Ana', 'ben', 'Cy', 'ana'])} {rng.randint(0, 30):02}",
            stage=stage,
            touches=14,
            referrals=5,
        )
        # Some have no recorded move: they count from the partner's last one.
        if rng.random() < 0.2:
            StageChange.objects.filter(partner=partner).delete()
        if stage in (Stage.ACTIVE, Stage.CHAMPION) and rng.random() < 0.4:
            agreement_in_force(partner, owner)
        if rng.random() < 0.2:
            enabled = rng.random() < 0.7
            months = rng.choice([1, 2, 6]) if enabled else None
            kwargs: dict[str, Any] = {"interval_months": months} if enabled else {}
            cadence_set(partner=partner, by=owner, kind="touch_base", enabled=enabled, **kwargs)
        partners.append(partner)
    # Dismiss some diagnoses as they read now; then move the evidence of a few of them.
    found = assess(advisor=cast.alice, mine_only=False).everything
    dismissed = []
    for diagnosis in found[::3]:
        if diagnosis.partner_id is None:
            continue
        partner = Partner.objects.get(pk=diagnosis.partner_id)
        dismissal_create(partner=partner, by=partner.owner, slug=diagnosis.slug, reason="Known")
        dismissed.append(partner)
    for partner in dismissed:
        if rng.random() < 0.4:
            TouchFactory(partner=partner, occurred_at=ago(1))
    return partners


def same(advisor: User, **kwargs: Any) -> None:
    full = assess(advisor=advisor, **kwargs)
    paged = assess_paged(advisor=advisor, **kwargs)

    assert len(paged.diagnoses) == len(full.diagnoses)
    assert len(paged.too_early) == len(full.too_early)
    assert len(paged.everything) == len(full.everything)
    assert paged.diagnoses[:] == full.diagnoses
    assert paged.too_early[:] == full.too_early
    assert paged.everything[:] == full.everything
    # The first page before the counts, as the dashboard reads them.
    for count in (1, 5, 20):
        diagnoses, too_early = assess_paged(advisor=advisor, **kwargs).first(count)
        assert diagnoses == full.diagnoses[:count]
        assert too_early == full.too_early[:count]
    # Page by page, as the API reads it, and item by item.
    pages = [paged.everything[start : start + 7] for start in range(0, len(full.everything), 7)]
    assert [d for page in pages for d in page] == full.everything
    if full.everything:
        assert paged.everything[-1] == full.everything[-1]


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_the_paged_diagnoses_are_the_full_readings_list_in_order_with_its_counts(
    cast: Cast, seed: int
) -> None:
    varied_book(cast, 45, seed=seed)

    for advisor, mine_only in [
        (cast.alice, True),
        (cast.alice, False),
        (cast.bob, False),
        (cast.ada, False),
    ]:
        same(advisor, mine_only=mine_only)
    same(cast.alice, too_early=False)
    later = timezone.localdate() + dt.timedelta(days=200)
    same(cast.alice, mine_only=False, today=later)
    # An earlier day: the touches since are still to come, the partners' last ones among them.
    earlier = timezone.localdate() - dt.timedelta(days=40)
    same(cast.alice, mine_only=False, today=earlier)
    # Local days read in a time zone far from the database's.
    with timezone.override("Pacific/Auckland"):
        same(cast.alice, mine_only=False)


def test_the_diagnoses_found_late_are_in_order_when_sorted_again_with_the_rest(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_book(cast, 45, seed=7)
    # Every entry found late (the partners with a dismissal) makes the list sorted again.
    monkeypatch.setattr(paged, "INSERTED_AT_MOST", 0)

    same(cast.alice, mine_only=False)
    same(cast.bob, mine_only=False)


def book_on_the_cutoffs(cast: Cast) -> None:
    """Partners a moment either side of each day the verdicts turn on: the end of the patience
    window, of the walk-away window and of each touch-base window, and in every branch of the
    kinds' verdicts."""
    firm_defaults_install(firm=cast.firm)
    cuts = cutoffs_of(timezone.localdate(), thresholds_of(cast.alice))
    moment = dt.timedelta(microseconds=1)
    many = cuts.thresholds.many_touches

    def partner(met_at: dt.datetime, stage: str = Stage.ACTIVE, **profile: Any) -> Partner:
        found = PartnerFactory(owner=cast.alice, stage=stage, stage_changed_at=met_at, **profile)
        StageChangeFactory(partner=found, to_stage=stage, occurred_at=met_at)
        return found

    long_ago = ago(1200)
    for side in (-moment, dt.timedelta(0)):
        at = cuts.patient + side
        # Wrong firm, high or medium; wrong professional or too early; no referral yet.
        partner(at, Stage.FIRST_MEETING, growth_mode=False)
        partner(at, Stage.FIRST_MEETING, propensity_to_refer=Propensity.LOW)
        quiet = partner(at, Stage.FIRST_MEETING)
        told = partner(at, Stage.FIRST_MEETING, can_describe_value=CanDescribeValue.NO)
        for touched in (quiet, told):
            for day in range(many):
                TouchFactory(partner=touched, occurred_at=at + dt.timedelta(days=day + 1))
        # One way: walked away from, or not yet (with an agreement or without).
        for first_sent in (cuts.walk_away + side, ago(200)):
            for agreed in (True, False):
                one_way = partner(long_ago)
                if agreed:
                    agreement_in_force(one_way, cast.alice)
                ReferralFactory(partner=one_way, occurred_at=first_sent)
                for days in (10, 20, 30):
                    ReferralFactory(partner=one_way, occurred_at=ago(days))
        old_received = partner(long_ago)
        ReferralFactory(partner=old_received, direction="received", occurred_at=ago(1000))
        ReferralFactory(partner=old_received, occurred_at=cuts.walk_away + side)
        for days in (10, 20, 30):
            ReferralFactory(partner=old_received, occurred_at=ago(days))
        # Gone cold: the stage's window, a window of their own, touching base turned off.
        stage_window = CadenceDefault.objects.get(
            firm=cast.firm, stage=Stage.ACTIVE, kind=CadenceKind.TOUCH_BASE
        ).interval_months
        cold = partner(long_ago)
        TouchFactory(partner=cold, occurred_at=cuts.gone_cold[stage_window] + side)
        for months, enabled in ((1, True), (6, True), (6, False)):
            own = partner(long_ago)
            kwargs: dict[str, Any] = {"interval_months": months} if enabled else {}
            cadence_set(partner=own, by=cast.alice, kind="touch_base", enabled=enabled, **kwargs)
            TouchFactory(partner=own, occurred_at=ago(2000))
            ReferralFactory(
                partner=own, direction="received", occurred_at=cuts.gone_cold[months] + side
            )


@pytest.mark.parametrize("zone", ["", "Pacific/Auckland"])
def test_the_verdicts_in_sql_turn_on_the_same_moments_as_the_full_reading(
    cast: Cast, zone: str
) -> None:
    with timezone.override(zone or timezone.get_default_timezone()):
        book_on_the_cutoffs(cast)
        same(cast.alice, mine_only=False)
        found = {(d.slug, d.severity, d.action) for d in assess(advisor=cast.alice).everything}
    assert found >= {
        ("wrong_firm", "high", "walk_away"),
        ("wrong_firm", "medium", "walk_away"),
        ("wrong_professional", "high", "walk_away"),
        ("wrong_message", "medium", "change_message"),
        ("no_referral_yet", "medium", "change_strategy"),
        ("one_way", "high", "walk_away"),
        ("one_way", "medium", "review_agreement"),
        ("one_way", "medium", "make_the_ask"),
        ("gone_cold", "medium", "reconnect"),
        ("no_agreement", "medium", "make_it_explicit"),
        ("too_early", "info", "keep_going"),
    }


def test_the_paged_diagnoses_of_a_book_with_none_are_empty(cast: Cast) -> None:
    paged = assess_paged(advisor=cast.carol)

    assert len(paged.everything) == 0
    assert paged.everything[:50] == []
    with pytest.raises(IndexError):
        paged.diagnoses[0]


def test_the_partner_lists_diagnosis_filter_keeps_the_partners_the_full_reading_names(
    cast: Cast,
) -> None:
    varied_book(cast, 40, seed=5)
    full = assess(advisor=cast.alice, mine_only=False).everything

    for slug in {d.slug for d in full} | {"one_way", "too_early"}:
        expected = {d.partner_id for d in full if d.slug == slug and d.partner_id is not None}
        assert diagnosed_partner_ids(cast.alice, slug) == expected


def test_the_api_pages_the_diagnoses_as_the_full_reading_lists_them(cast: Cast) -> None:
    varied_book(cast, 40, seed=17)
    full = assess(advisor=cast.alice).everything
    api = session_client(cast.alice)

    page = api.call("GET", "diagnoses?limit=5&offset=5").json()
    only = api.call("GET", "diagnoses?slug=too_early&limit=50").json()

    assert page["count"] == len(full)
    assert [(d["slug"], d["evidence"]) for d in page["items"]] == [
        (d.slug, d.evidence) for d in full[5:10]
    ]
    assert only["count"] == sum(d.slug == "too_early" for d in full)


def queries(read: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured)


def test_the_first_page_reads_its_partners_and_those_with_a_dismissal_in_one_query(
    cast: Cast,
) -> None:
    varied_book(cast, 30, seed=7)
    full = assess(advisor=cast.alice, mine_only=False)
    assert Dismissal.objects.exists()
    assessment = assess_paged(advisor=cast.alice, mine_only=False)

    with CaptureQueriesContext(connection) as captured:
        diagnoses, too_early = assessment.first(10)
        counts = (len(assessment.diagnoses), len(assessment.too_early))

    assert len(captured) == 1
    assert (diagnoses, too_early) == (full.diagnoses[:10], full.too_early[:10])
    assert counts == (len(full.diagnoses), len(full.too_early))


@pytest.mark.parametrize("scope", ["", "?scope=all"])
def test_the_dashboard_and_the_api_cost_the_same_queries_for_a_small_or_a_varied_book(
    cast: Cast, scope: str
) -> None:
    client = client_for(cast.alice)
    api = session_client(cast.alice)
    # A book with diagnoses to word: a page with none reads no partners in full.
    varied_book(cast, 4, seed=5)
    small_dashboard = queries(lambda: client.get("/dashboard/" + scope))
    small_api = queries(lambda: api.call("GET", "diagnoses?limit=50"))
    varied_book(cast, 40, seed=23)

    assert queries(lambda: client.get("/dashboard/" + scope)) == small_dashboard
    assert queries(lambda: api.call("GET", "diagnoses?limit=50")) == small_api


def test_a_pages_partners_are_read_through_a_statement_built_once(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_book(cast, 12, seed=5)
    built: list[int] = []
    with_readings = readings.with_readings

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return with_readings(*args, **kwargs)

    monkeypatch.setattr(readings, "with_readings", counting)
    monkeypatch.setattr(statements, "_kept", OrderedDict())
    first = assess_paged(advisor=cast.alice).first(5)
    assert built == [1]
    built.clear()

    again = assess_paged(advisor=cast.alice).first(5)

    assert built == []
    full = assess(advisor=cast.alice)
    assert again == first == (full.diagnoses[:5], full.too_early[:5])
    assert first[0]
