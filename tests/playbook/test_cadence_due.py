"""The keep-warm cadences' due dates computed by the database agree with the Python reading:
the same counts, the same first items, the same snoozed ones, on a varied book."""

import datetime as dt
import random
from typing import Any

import pytest
from django.utils import timezone

from reciprocity.partners.agenda import SOURCES, AgendaQuery, AgendaSource, agenda_order
from reciprocity.partners.models import Stage, TouchKind
from reciprocity.partners.scope import PartnerScope
from reciprocity.playbook.models import Cadence, CadenceDefault, CadenceKind
from tests.conftest import Cast
from tests.factories import PartnerFactory, TouchFactory
from tests.test_sql_days import MONTH_ENDS


def _moment(rng: random.Random, today: dt.date) -> dt.datetime:
    """A moment in the last two years, now and then at the end of a month near midnight, where
    the local day and the month's length matter."""
    if rng.random() < 0.3:
        day = rng.choice([d for d in MONTH_ENDS if d.year > 2000])
        return dt.datetime.combine(day, dt.time(rng.choice([0, 12, 23]), 30), tzinfo=dt.UTC)
    return timezone.now() - dt.timedelta(days=rng.randint(0, 730), hours=rng.randint(0, 23))


def varied_book(cast: Cast, seed: int) -> None:
    """Partners in every stage (archived ones too), touches of every kind (archived ones too)
    and overrides that turn a cadence off, change its interval or make it a membership."""
    rng = random.Random(seed)
    alice, today = cast.alice, timezone.localdate()
    CadenceDefault.objects.update_or_create(
        firm=cast.firm,
        stage=Stage.FIRST_MEETING,
        kind=CadenceKind.TOUCH_BASE,
        defaults={"interval_months": 2},
    )
    for n in range(45):
        partner = PartnerFactory(
            owner=alice,
            team=None,
            name=rng.choice(["Ann Lee", "ann lee", "Bob Stone", "Cy Park"]) + f" {n % 7}",
            stage=rng.choice(list(Stage)),
            stage_changed_at=_moment(rng, today),
            archived_at=timezone.now() if rng.random() < 0.05 else None,
        )
        for _ in range(rng.randint(0, 4)):
            touch = TouchFactory(
                partner=partner,
                kind=rng.choice(list(TouchKind)),
                occurred_at=_moment(rng, today),
            )
            if rng.random() < 0.1:
                type(touch).objects.filter(pk=touch.pk).update(archived_at=timezone.now())
        for kind in CadenceKind.values:
            if rng.random() < 0.2:
                Cadence.objects.create(
                    partner=partner,
                    kind=kind,
                    by=alice,
                    enabled=rng.random() < 0.7,
                    interval_months=rng.choice([None, 1, 3, 6, 12, 36]),
                )


def _windows(cast: Cast, limit: int, snoozed: frozenset[str], horizon: int) -> tuple[Any, Any]:
    alice, today = cast.alice, timezone.localdate()
    query = AgendaQuery(
        advisor=alice,
        today=today,
        until=today + dt.timedelta(days=horizon),
        scope=PartnerScope(reader=alice, owner=alice.pk),
        mine_only=True,
        limit=limit,
        snoozed_keys=snoozed,
    )
    source = SOURCES["cadence"]
    return source.window(query), AgendaSource.window(source, query)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Pacific/Kiritimati"])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_cadences_counted_and_cut_in_sql_are_the_ones_the_python_reading_finds(
    playbook_cast: Cast, settings: Any, zone: str, seed: int
) -> None:
    settings.TIME_ZONE = zone
    varied_book(playbook_cast, seed)
    _, everything = _windows(playbook_cast, 1000, frozenset(), 30)
    assert sum(everything.counts.values()) > 5  # the book has cadences due in every section
    rng = random.Random(seed)
    snoozed = frozenset(item.key for item in everything.items if rng.random() < 0.2)

    for limit in (0, 1, 3, 1000):
        for horizon in (0, 7, 30):
            in_sql, in_python = _windows(playbook_cast, limit, snoozed, horizon)
            assert in_sql.counts == in_python.counts, (limit, horizon)
            assert in_sql.snoozed == in_python.snoozed, (limit, horizon)
            assert sorted(in_sql.items, key=agenda_order) == sorted(
                in_python.items, key=agenda_order
            ), (limit, horizon)
