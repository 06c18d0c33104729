"""On SQLite, an advisor's own live partners are counted by stage, and by furthest stage, from
the index that holds what those counts read: a big book's rows are not read one by one."""

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from reciprocity.insights.funnel import furthest_pairs
from reciprocity.insights.selectors import scope_of, stage_counts, stages_counted
from reciprocity.partners.models import Partner, Profession, Stage
from tests.factories import FirmFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner"),
]
PARTNERS = 300


def plan_of(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(row[-1] for row in cursor.fetchall())


def test_an_advisors_own_partners_are_counted_by_stage_from_their_index() -> None:
    firm = FirmFactory()
    advisor, other = UserFactory(firm=firm), UserFactory(firm=firm)
    now = timezone.now()
    Partner.objects.bulk_create(
        Partner(
            firm=firm,
            owner=advisor if n % 2 else other,
            name=f"Partner {n}",
            profession=Profession.CPA,
            stage=Stage.values[n % len(Stage.values)],
            stage_changed_at=now,
        )
        for n in range(PARTNERS)
    )
    mine = scope_of(advisor=advisor, mine_only=True)

    plans = [plan_of(counted) for counted in (stages_counted(mine), furthest_pairs(mine))]

    # Found by the owner in the index of the live ones, not by the firm's ids or names.
    for plan in plans:
        assert "INDEX partner_owner_live_stage (owner_id=? AND firm_id=?)" in plan, plan
    assert sum(count.count for count in stage_counts(mine)) == PARTNERS // 2
