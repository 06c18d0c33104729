"""Pages that do not grow with the book: keyset and deep pages of the lists, the board's first
cards by urgency, the dashboard's figures and the diagnoses' SQL prefilter proven equal to a
recount."""

import datetime as dt
import random
from typing import Any

import pytest
from django.utils import timezone

from reciprocity.insights import diagnoses
from reciprocity.insights.diagnoses import assess, judged_until
from reciprocity.insights.selectors import picture_for
from reciprocity.partners import selectors
from reciprocity.partners.models import (
    Partner,
    Stage,
)
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.cadences import add_months
from reciprocity.records import rows_between
from reciprocity.referrals.models import Direction, Kind, Referral
from tests.api_client import session_client
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, PartnerFactory, met_partner, random_partner

pytestmark = pytest.mark.django_db


def book(owner: Any, n: int, *, seed: int = 7) -> list[Partner]:
    """A varied book: stages, profiles, touches, referrals both ways, open commitments."""
    rng = random.Random(seed)
    partners = []
    for i in range(n):
        partner = random_partner(
            rng,
            owner=owner,
            team=None,
            stage=rng.choice(Stage.values),
            name=f"{rng.choice(['Ana', 'ben', 'Cy'])} {i:02}",
            touches=10,
            referrals=4,
            touch_days=800,
        )
        if rng.random() < 0.7:
            CommitmentFactory(
                partner=partner, due=timezone.localdate() + dt.timedelta(rng.randint(-20, 20))
            )
        partners.append(partner)
    return partners


# --- Lists: keys first, and keyset pages -------------------------------------------------------


def test_walking_the_api_list_by_keys_gives_the_same_rows_as_by_offset(cast: Cast) -> None:
    book(cast.alice, 23)
    api = session_client(cast.alice)
    by_offset = [
        row["id"]
        for offset in range(0, 25, 5)
        for row in api.call("GET", f"partners?limit=5&offset={offset}").json()["items"]
    ]
    by_key: list[int] = []
    page = api.call("GET", "partners?limit=5").json()
    while page["items"]:
        by_key += [row["id"] for row in page["items"]]
        page = api.call("GET", f"partners?limit=5&after={by_key[-1]}").json()
        assert page["count"] == 25  # the list's total, wherever the page starts

    assert by_key == by_offset
    assert len(by_key) == 25


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("after={other}", "No item with that id in this list"),
        ("after={mine}&sort=-touches", "default order only"),
        ("after={mine}&offset=5", "Send after or offset, not both."),
    ],
)
def test_a_bad_after_says_what_is_wrong(cast: Cast, query: str, message: str) -> None:
    query = query.format(other=cast.mallory_partner.pk, mine=cast.alice_private.pk)
    response = session_client(cast.alice).call("GET", f"partners?{query}")

    assert response.status_code in (400, 422)
    assert message in response.content.decode()


def test_a_deep_page_of_the_partner_list_shows_the_same_rows_as_a_slice(cast: Cast) -> None:
    book(cast.alice, 30)
    expected = list(
        selectors.partner_list(advisor=cast.alice, filters=selectors.PartnerFilters(sort="name"))
    )

    page = client_for(cast.alice).get("/partners/?page=2")

    assert [p.pk for p in page.context["page"].object_list] == [p.pk for p in expected[25:]]
    assert [selectors.next_step_of(p) for p in page.context["page"].object_list] == [
        selectors.next_step_of(p) for p in expected[25:]
    ]


def test_any_slice_of_a_list_read_by_its_keys_is_the_same_slice(cast: Cast) -> None:
    book(cast.alice, 12)
    listed = selectors.partner_list(advisor=cast.alice)
    everyone = [p.pk for p in listed]

    for start, stop in [(0, 5), (5, 12), (10, 40), (12, 20), (3, 3)]:
        assert [p.pk for p in rows_between(listed, start, stop)] == everyone[start:stop]
    assert list(rows_between(listed.none(), 0, 5)) == []


# --- The board ---------------------------------------------------------------------------------


def test_the_boards_first_cards_are_the_most_urgent(cast: Cast, monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "BOARD_COLUMN_LIMIT", 2)
    today = timezone.localdate()
    calm = PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE, name="Calm")
    soon = PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE, name="Soon")
    late = PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE, name="Late")
    CommitmentFactory(partner=soon, due=today + dt.timedelta(days=3))
    CommitmentFactory(partner=late, due=today - dt.timedelta(days=3))

    columns = {
        stage: (cards, total)
        for stage, cards, total in selectors.board_columns(advisor=cast.alice).columns
    }
    cards, total = columns[Stage.ACTIVE]

    assert [p.name for p in cards] == ["Late", "Soon"]
    assert total == 3
    assert selectors.next_step_of(cards[0]) is not None
    assert calm not in cards


# --- The dashboard and the diagnoses, against a recount ----------------------------------------


def test_the_dashboards_figures_equal_a_recount_of_the_records(cast: Cast) -> None:
    book(cast.alice, 25)
    today = timezone.localdate()

    picture = picture_for(advisor=cast.alice, today=today)

    own = list(Partner.objects.filter(owner=cast.alice, archived_at__isnull=True))
    assert {row.stage: row.count for row in picture.stages} == {
        stage: sum(p.stage == stage for p in own) for stage in Stage.values
    }
    since = timezone.make_aware(dt.datetime.combine(add_months(today, -12), dt.time.min))
    live = Referral.objects.filter(partner__owner=cast.alice, archived_at__isnull=True)
    recent = [r for r in live if r.occurred_at >= since]
    assert picture.balance.referrals_sent == sum(
        r.direction == Direction.SENT and r.kind == Kind.REFERRAL for r in recent
    )
    assert picture.balance.connections_received == sum(
        r.direction == Direction.RECEIVED and r.kind == Kind.CONNECTION for r in recent
    )
    assert picture.overdue == len(agenda_for(cast.alice, today=today).overdue)


def test_the_diagnoses_prefilter_drops_no_partner_the_rules_name(
    cast: Cast, monkeypatch: Any
) -> None:
    book(cast.alice, 60, seed=11)
    met_partner(cast.alice, days_ago=30)  # met a month ago, nothing else: too early to judge
    filtered = assess(advisor=cast.alice)
    named = diagnoses.diagnoses_for(advisor=cast.alice)

    monkeypatch.setattr(diagnoses, "may_be_named", lambda partners, **_: partners)
    everything = assess(advisor=cast.alice)

    assert filtered == everything
    assert named == everything.everything
    assert filtered.diagnoses
    assert filtered.too_early


@pytest.mark.parametrize(
    ("today", "last"),
    [
        (dt.date(2025, 6, 15), dt.date(2024, 6, 15)),
        (dt.date(2025, 2, 28), dt.date(2024, 2, 29)),  # a first meeting on Feb 29 counts
        (dt.date(2024, 2, 29), dt.date(2023, 2, 28)),
    ],
)
def test_the_last_day_judged_is_a_patience_before_today(today: dt.date, last: dt.date) -> None:
    assert judged_until(today) == last
    assert add_months(last, diagnoses.PATIENCE_MONTHS) <= today
    assert add_months(last + dt.timedelta(days=1), diagnoses.PATIENCE_MONTHS) > today
