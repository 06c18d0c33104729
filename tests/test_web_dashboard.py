"""The dashboard and the partner page's diagnosis panel: what they show, to whom, the charts
and their text alternatives, and what they cost."""

import base64
import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Profession, Stage
from reciprocity.playbook.selectors.digest import FOCUS_LIMIT
from reciprocity.referrals.models import Direction, Kind
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory, PartnerFactory, ReferralFactory, TouchFactory, ago
from tests.web import queries_for

pytestmark = pytest.mark.django_db

CHART = re.compile(r'<img src="data:image/svg\+xml;base64,([^"]+)"[^>]*alt="([^"]+)"')


def stalled(owner: User, name: str = "Walter Greystone", **profile: Any) -> Partner:
    """A partner met 400 days ago (past the patience) whose firm is not in growth mode."""
    partner = services.partner_create(
        by=owner,
        name=name,
        profession=Profession.BANKER,
        stage=Stage.FIRST_MEETING,
        occurred_at=ago(400),
        growth_mode=False,
        **profile,
    )
    return partner


def page_of(cast: Cast, user: str = "alice", query: str = "") -> str:
    response = client_for(getattr(cast, user)).get("/dashboard/" + query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_needs_a_login(cast: Cast) -> None:
    response = Client().get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_main_navigation_links_the_dashboard(cast: Cast) -> None:
    page = client_for(cast.alice).get("/pipeline/").content.decode()
    assert '<a href="/dashboard/">Dashboard</a>' in page
    assert '<a href="/dashboard/" aria-current="page">Dashboard</a>' in page_of(cast)


def test_the_dashboard_lists_the_diagnoses_with_evidence_and_the_action(cast: Cast) -> None:
    partner = stalled(cast.alice)

    page = page_of(cast)

    assert "Stalled alliances" in page
    assert f'<a href="/partners/{partner.pk}/">Walter Greystone</a>' in page
    assert "Their firm is not meeting new clients" in page
    assert "Their firm is not in growth mode: it meets few new clients to refer" in page
    assert (
        f'href="/partners/{partner.pk}/stage/?stage=retired&amp;reason=wrong_firm">'
        "Walk away: wrong firm"
    ) in page


def test_an_empty_book_says_nothing_has_stalled(cast: Cast) -> None:
    page = page_of(cast, "carol")
    assert "Nothing has stalled." in page


def test_partners_met_recently_are_too_early_to_judge(cast: Cast) -> None:
    services.partner_create(
        by=cast.alice,
        name="Nora New",
        profession=Profession.CPA,
        stage=Stage.FIRST_MEETING,
        occurred_at=ago(40),
    )
    page = page_of(cast)
    assert "1 partner too early to judge" in page
    assert "Nora New" in page


def test_too_many_core_partners_is_told_with_a_link_to_the_pipeline(cast: Cast) -> None:
    for _ in range(FOCUS_LIMIT + 1):
        PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE)
    page = page_of(cast)
    assert "8 core partners: too many to serve well" in page
    assert '<a class="button button--small button--secondary" href="/pipeline/">' in page


def test_the_charts_are_images_of_svg_without_script_with_a_text_alternative(
    cast: Cast,
) -> None:
    PartnerFactory(owner=cast.alice, stage=Stage.ACTIVE)
    ReferralFactory(partner=cast.alice_private, direction=Direction.SENT, occurred_at=ago(3))
    ReferralFactory(partner=cast.alice_private, direction=Direction.RECEIVED, occurred_at=ago(40))

    page = page_of(cast)

    charts = CHART.findall(page)
    assert len(charts) == 2
    for encoded, _alt in charts:
        svg = base64.b64decode(encoded).decode()
        assert svg.startswith("<svg")
        assert "<script" not in svg
        assert "<?xml" not in svg
    (_, stages_alt), (_, flow_alt) = charts
    assert stages_alt.startswith("Bar chart of partners per pipeline stage: Identified 2,")
    assert "Active partner 1" in stages_alt
    assert "1 sent and 1 received in all" in flow_alt
    # The numbers behind each chart are in tables.
    assert '<caption class="visually-hidden">Partners per stage</caption>' in page
    assert "Referrals sent and received per month</caption>" in page


def test_the_month_table_counts_referrals_not_connections(cast: Cast) -> None:
    today = timezone.localdate()
    ReferralFactory(partner=cast.alice_private, direction=Direction.SENT, occurred_at=ago(0))
    ReferralFactory(
        partner=cast.alice_private,
        direction=Direction.RECEIVED,
        kind=Kind.CONNECTION,
        occurred_at=ago(0),
    )
    page = page_of(cast)
    row = re.search(
        rf'<th scope="row">{today:%B %Y}</th><td class="num" data-label="Sent">(\d+)</td>'
        r'<td class="num" data-label="Received">(\d+)</td>',
        page,
    )
    assert row is not None
    assert row.groups() == ("1", "0")
    assert (
        '<th scope="row">Connections</th><td class="num" data-label="Sent">0</td>'
        '<td class="num" data-label="Received">1</td>'
    ) in page


def test_the_overdue_count_links_the_agenda(cast: Cast) -> None:
    CommitmentFactory(partner=cast.alice_private, due=timezone.localdate() - dt.timedelta(days=2))
    page = page_of(cast)
    assert (
        '<a href="/agenda/"><span class="stat__value">1</span> overdue on your agenda</a>' in page
    )


def test_the_strategy_yield_is_shown(cast: Cast) -> None:
    page = page_of(cast)
    assert "What each strategy produced" in page
    assert "5. Co-hosted client events and joint reviews" in page


def test_the_stage_links_keep_the_scope_so_the_list_counts_the_same(cast: Cast) -> None:
    Partner.objects.filter(pk=cast.alice_shared.pk).update(stage=Stage.ACTIVE)
    PartnerFactory(owner=cast.bob, stage=Stage.ACTIVE, name="Bob Own")
    client = client_for(cast.bob)
    row = '<a href="{}">Active partner</a></th><td class="num" data-label="Partners">{}</td>'

    link = f"/partners/?stage=active&amp;owner={cast.bob.pk}"
    assert row.format(link, 1) in page_of(cast, "bob", "?scope=mine")
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert "Bob Own" in listed
    assert "Sam Shared" not in listed

    link = "/partners/?stage=active"
    assert row.format(link, 2) in page_of(cast, "bob", "?scope=all")
    listed = client.get(link).content.decode()
    assert "Bob Own" in listed
    assert "Sam Shared" in listed


def test_bob_sees_alices_shared_partner_when_he_widens_the_picture(cast: Cast) -> None:
    stalled(cast.alice, name="Shared Stall", team=cast.north)
    stalled(cast.alice, name="Private Stall")
    assert "Shared Stall" not in page_of(cast, "bob")
    wide = page_of(cast, "bob", "?scope=all")
    assert "Shared Stall" in wide
    assert "Private Stall" not in wide


def test_mallory_never_sees_the_harbor_partners(cast: Cast) -> None:
    stalled(cast.alice, name="Harbor Stall", team=cast.north)
    for query in ("", "?scope=all"):
        assert "Harbor Stall" not in page_of(cast, "mallory", query)


def test_the_firm_admin_and_compliance_start_from_the_whole_firm(cast: Cast) -> None:
    stalled(cast.alice, name="Harbor Stall")
    for who in ("ada", "cole"):
        assert "Harbor Stall" in page_of(cast, who)
        assert "Harbor Stall" not in page_of(cast, who, "?scope=mine")
    assert "Harbor Stall" in page_of(cast, "alice", "?scope=mine")


def test_compliance_reads_the_diagnoses_without_action_buttons(cast: Cast) -> None:
    partner = stalled(cast.alice)
    page = page_of(cast, "cole")
    assert "Walter Greystone" in page
    assert "Suggested: walk away: wrong firm" in page
    assert f"/partners/{partner.pk}/stage/" not in page


def add_book(owner: User, count: int) -> None:
    for index in range(count):
        partner = stalled(owner, name=f"Partner {index}", can_describe_value="no")
        TouchFactory.create_batch(2, partner=partner)
        CommitmentFactory(partner=partner, due=timezone.localdate() - dt.timedelta(days=1))
        ReferralFactory(partner=partner, direction=Direction.SENT, occurred_at=ago(index + 1))
        ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(400))
        PartnerFactory(owner=owner, stage=Stage.ACTIVE)


@pytest.mark.parametrize("query", ["", "?scope=all"])
def test_the_dashboard_costs_the_same_queries_for_3_or_30_partners(cast: Cast, query: str) -> None:
    client = client_for(cast.alice)
    add_book(cast.alice, 3)
    small = queries_for(lambda: client.get("/dashboard/" + query))
    add_book(cast.alice, 27)
    assert queries_for(lambda: client.get("/dashboard/" + query)) == small


# --- The partner page's panel -----------------------------------------------------------------


def detail(cast: Cast, partner: Partner, user: str = "alice") -> str:
    response = client_for(getattr(cast, user)).get(f"/partners/{partner.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_partner_page_shows_its_diagnosis(cast: Cast) -> None:
    partner = stalled(cast.alice)
    page = detail(cast, partner)
    assert '<h2 id="diagnosis-title">Diagnosis</h2>' in page
    assert "Their firm is not meeting new clients" in page
    assert "Walk away: wrong firm" in page


def test_the_partner_page_says_when_it_is_too_early_to_judge(cast: Cast) -> None:
    partner = services.partner_create(
        by=cast.alice,
        name="Nora New",
        profession=Profession.CPA,
        stage=Stage.FIRST_MEETING,
        occurred_at=ago(40),
    )
    assert "Too early to judge." in detail(cast, partner)


def test_the_partner_page_says_nothing_stalled(cast: Cast) -> None:
    partner = stalled(cast.alice)
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, occurred_at=ago(10))
    assert "Nothing stalled" in detail(cast, partner)


def test_a_partner_not_yet_met_has_no_diagnosis_panel(cast: Cast) -> None:
    assert "diagnosis-title" not in detail(cast, cast.alice_private)


def test_the_diagnosis_panel_costs_the_same_queries_however_long_the_history(cast: Cast) -> None:
    partner = stalled(cast.alice)
    client = client_for(cast.alice)
    url = f"/partners/{partner.pk}/"
    small = queries_for(lambda: client.get(url))
    TouchFactory.create_batch(30, partner=partner)
    for days in range(30):
        ReferralFactory(partner=partner, direction=Direction.SENT, occurred_at=ago(days + 1))
    assert queries_for(lambda: client.get(url)) == small


def test_the_walk_away_link_opens_the_stage_form_with_the_reason_chosen(cast: Cast) -> None:
    partner = stalled(cast.alice)
    page = (
        client_for(cast.alice)
        .get(f"/partners/{partner.pk}/stage/?stage=retired&reason=wrong_firm")
        .content.decode()
    )
    assert re.search(r'<option value="retired" selected>', page)
    assert re.search(r'value="wrong_firm"[^>]*checked', page)
