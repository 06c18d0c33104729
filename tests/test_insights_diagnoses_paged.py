"""The diagnoses worded by the page: the same list, in the same order and with the same counts,
as the full reading of the book, on varied books; the pages that read them cost the same
queries whatever the book."""

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.insights.diagnoses import assess, assess_paged, diagnosed_partner_ids
from reciprocity.insights.services import dismissal_create
from reciprocity.partners.models import (
    Partner,
    Stage,
    StageChange,
)
from reciprocity.playbook.services.cadences import cadence_set
from reciprocity.playbook.services.firm import firm_defaults_install
from tests.api_client import session_client
from tests.conftest import Cast, client_for
from tests.factories import TouchFactory, ago, agreement_in_force, random_partner

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


@pytest.mark.parametrize("scope", ["", "?scope=all"])
def test_the_dashboard_and_the_api_cost_the_same_queries_for_a_small_or_a_varied_book(
    cast: Cast, scope: str
) -> None:
    client = client_for(cast.alice)
    api = session_client(cast.alice)
    small_dashboard = queries(lambda: client.get("/dashboard/" + scope))
    small_api = queries(lambda: api.call("GET", "diagnoses?limit=50"))
    varied_book(cast, 40, seed=23)

    assert queries(lambda: client.get("/dashboard/" + scope)) == small_dashboard
    assert queries(lambda: api.call("GET", "diagnoses?limit=50")) == small_api
