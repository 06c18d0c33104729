"""On PostgreSQL, the advisor's partner list is served by the indexes (the owner's, the team's),
not by a walk through the whole firm, and so are their referrals (found by the partner's index,
counted and paged from an index of their own, a page read by its keys); the diagnoses read each
partner's touches from the index of the live ones; the agenda reads the advisor's partners'
open commitments, not the firm's; a whole firm's furthest stages are counted from an index
alone; and JIT compilation is off for the app's connections."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reciprocity.accounts.models import Role, Team, User
from reciprocity.insights.diagnoses import assess_paged
from reciprocity.insights.funnel import funnel_for, furthest_pairs
from reciprocity.insights.selectors import referral_flows, scope_of
from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Profession,
    Stage,
    Touch,
)
from reciprocity.partners.scope import PartnerScope
from reciprocity.partners.selectors import PartnerFilters, agenda_items, partner_list
from reciprocity.records import rows_between
from reciprocity.referrals.models import Direction, Kind, Referral, lifecycle_of
from reciprocity.referrals.selectors import referral_list, referrals_visible_to
from reciprocity.settings import _postgresql_options
from tests.factories import FirmFactory, UserFactory, ago

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]
ADVISORS = 40
PARTNERS_EACH = 100


def a_firm() -> tuple[User, Team]:
    """A firm of ADVISORS advisors with PARTNERS_EACH partners each, a team sharing a few, and
    the planner's statistics up to date."""
    firm = FirmFactory()
    advisors = [UserFactory(firm=firm) for _ in range(ADVISORS)]
    team = Team.objects.create(firm=firm, name="North")
    team.members.add(advisors[0], advisors[1])
    now = timezone.now()
    Partner.objects.bulk_create(
        Partner(
            firm=firm,
            owner=advisor,
            team=team if advisor == advisors[1] and n < 10 else None,
            name=f"Partner {i}-{n}",
            profession=Profession.CPA,
            stage=Stage.values[n % len(Stage.values)],
            stage_changed_at=now - dt.timedelta(days=n),
        )
        for i, advisor in enumerate(advisors)
        for n in range(PARTNERS_EACH)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_partner")
        cursor.execute("ANALYZE accounts_team_members")
    return advisors[0], team


def plan_of(queryset: Any) -> str:
    return queryset.explain()


def test_the_advisors_partner_list_is_read_through_the_indexes() -> None:
    advisor, _team = a_firm()
    listed = partner_list(advisor=advisor, filters=PartnerFilters())
    page = listed[:25]

    counted = plan_of(listed.order_by())
    plan = plan_of(page)

    # Counted from two indexed parts, or-ed together: the advisor's own partners and their
    # teams'.
    assert "BitmapOr" in counted, counted
    assert "Index Cond: (owner_id = " in counted, counted
    assert "Index Cond: (team_id = ANY " in counted, counted
    # A page from the same parts, or from the index of the firm's names read in order as far
    # as the page: never a pass over the firm's rows.
    assert "Seq Scan on partners_partner" not in plan, plan
    assert "BitmapOr" in plan or "using partner_firm_name" in plan, plan
    assert len(list(page)) == 25
    assert partner_list(advisor=advisor).count() == PARTNERS_EACH + 10


def test_a_whole_firms_list_is_read_in_name_order_from_the_index() -> None:
    advisor, _team = a_firm()
    admin = UserFactory(firm=advisor.firm, role=Role.FIRM_ADMIN)
    first = partner_list(advisor=admin, filters=PartnerFilters())[:25]

    plan = plan_of(first)

    # The first names of the firm's live partners, without sorting the firm's 4,000.
    assert "partner_firm_name" in plan, plan
    assert "Seq Scan on partners_partner" not in plan, plan
    names = [partner.name for partner in first]
    assert names == sorted(names)
    assert len(names) == 25


def some_referrals_each(partners: Any, each: int) -> None:
    """``each`` referrals sent and as many received for each of ``partners``, a year apart."""
    now = timezone.now()
    Referral.objects.bulk_create(
        Referral(
            firm_id=partner.firm_id,
            partner=partner,
            direction=direction,
            kind=Kind.REFERRAL,
            need="A plan",
            status=lifecycle_of(direction, Kind.REFERRAL).initial,
            occurred_at=now - dt.timedelta(days=365 * n + 7),
            status_changed_at=now,
            by_id=partner.owner_id,
        )
        for partner in partners
        for n in range(each)
        for direction in (Direction.SENT, Direction.RECEIVED)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE referrals_referral")


def test_the_advisors_referrals_are_found_through_their_partners_index() -> None:
    advisor, _team = a_firm()
    some_referrals_each(Partner.objects.all(), 3)
    referrals = referrals_visible_to(advisor=advisor)

    plan = plan_of(referrals)

    # The advisor's partners read once, then their referrals by the partner's index.
    assert "Seq Scan on referrals_referral" not in plan, plan
    assert "partner_id = ANY " in plan, plan
    assert referrals.count() == 2 * 3 * (PARTNERS_EACH + 10)


def test_a_page_of_the_advisors_referrals_is_found_by_its_keys_then_read_by_them() -> None:
    advisor, _team = a_firm()
    some_referrals_each(Partner.objects.all(), 3)
    listed = referral_list(advisor=advisor)

    plan = plan_of(rows_between(listed, 0, 50))

    # The page's keys are found among the referrals of the advisor's partners; its rows are
    # then read by those keys, where joining every visible referral to the page's keys read
    # the advisor's whole list a second time.
    assert "Index Cond: (id = ANY " in plan, plan
    assert "referrals_referral_pkey" in plan, plan
    assert "Semi Join" not in plan, plan
    assert "Seq Scan on referrals_referral" not in plan, plan
    assert len(list(rows_between(listed, 0, 50))) == 50


@pytest.mark.django_db(transaction=True)
def test_the_advisors_referrals_are_counted_and_paged_from_their_index_alone() -> None:
    advisor, _team = a_firm()
    some_referrals_each(Partner.objects.all(), 3)
    # Vacuumed, as autovacuum leaves a table, so that the index alone can answer (outside a
    # transaction: the test commits its rows).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE referrals_referral")
    listed = referral_list(advisor=advisor)

    counted = plan_of(listed.order_by().values("pk"))
    keys = plan_of(listed.values("pk")[:50])

    assert "Index Only Scan using referral_partner_recent" in counted, counted
    assert "Index Only Scan using referral_partner_recent" in keys, keys


def test_a_whole_firms_referral_figures_are_read_from_the_index_of_live_referrals() -> None:
    advisor, _team = a_firm()
    admin = UserFactory(firm=advisor.firm, role=Role.FIRM_ADMIN)
    # Twenty years of referrals, of which the figures read the last.
    some_referrals_each(Partner.objects.all()[:1000], 20)
    firm = scope_of(advisor=admin, mine_only=False)

    with CaptureQueriesContext(connection) as queries:
        referral_flows(firm, today=timezone.localdate())
        funnel_for(partners=firm)
    plans = []
    for query in queries.captured_queries:
        if "referrals_referral" in query["sql"]:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN {query['sql']}")
                plans.append("\n".join(row[0] for row in cursor.fetchall()))

    # The flows and the top partners: a year of the firm's referrals from the index, not the
    # firm's whole history from the table.
    assert len(plans) == 2
    for plan in plans:
        assert "referral_live_flow" in plan, plan
        assert "Seq Scan on referrals_referral" not in plan, plan


# Outside a transaction: a vacuum marks the table's pages all visible, as autovacuum does.
@pytest.mark.django_db(transaction=True)
def test_a_whole_firms_furthest_stages_are_counted_from_an_index_alone() -> None:
    advisor, _team = a_firm()
    admin = UserFactory(firm=advisor.firm, role=Role.FIRM_ADMIN)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE partners_partner")

    plan = plan_of(furthest_pairs(scope_of(advisor=admin, mine_only=False)))

    # The firm's 4,000 live partners by stage and furthest stage, without reading their rows.
    assert "Index Only Scan using partner_firm_live_stage" in plan, plan


def test_the_diagnoses_count_touches_from_the_index_of_live_ones_as_a_verdict_needs() -> None:
    advisor, _team = a_firm()
    mine = list(Partner.objects.filter(owner=advisor, stage=Stage.ACTIVE))
    Touch.objects.bulk_create(
        Touch(partner=partner, by=advisor, kind="call", summary="Call", occurred_at=ago(days=d))
        for partner in mine
        for d in range(1, 40)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_touch")
    with CaptureQueriesContext(connection) as queries:
        assess_paged(advisor=advisor)
    (readings,) = [q["sql"] for q in queries.captured_queries if "diag_scope" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {readings}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # Each partner's touches by the index, a few entries each: no pass over the table.
    assert "touch_live_partner_at" in plan, plan
    assert "Seq Scan on partners_touch" not in plan, plan


def test_the_advisors_agenda_reads_their_partners_open_commitments_not_the_firms() -> None:
    advisor, _team = a_firm()
    today = timezone.localdate()
    Commitment.objects.bulk_create(
        Commitment(
            partner=partner,
            what="Send the plan",
            owner=CommitmentOwner.ADVISOR,
            due=today + dt.timedelta(days=d - 10),
            status=CommitmentStatus.OPEN if d % 2 else CommitmentStatus.DONE,
            by_id=partner.owner_id,
        )
        for partner in Partner.objects.all()
        for d in range(6)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_commitment")
    due = agenda_items(
        scope=PartnerScope(reader=advisor, owner=advisor.pk), until=today + dt.timedelta(days=7)
    )

    plan = plan_of(due)

    # The scope as conditions on each commitment's partner: the advisor's partners from the
    # owner's index, then their open commitments from the partner's, none of the firm's others.
    assert "Seq Scan on partners_commitment" not in plan, plan
    assert "Index Cond: (owner_id = " in plan, plan
    assert "commitment_partner_open_due" in plan, plan
    assert due.count() == 3 * (PARTNERS_EACH - PARTNERS_EACH // len(Stage.values))


def test_the_apps_connections_run_without_jit() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_options_given_in_the_url_are_kept_beside_jit_off() -> None:
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "OPTIONS": {"options": "-c statement_timeout=5000"},
    }
    _postgresql_options(database)

    assert database["OPTIONS"]["options"] == "-c statement_timeout=5000 -c jit=off"
