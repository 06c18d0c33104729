"""The dashboard in a real Chromium: the charts load as images under the CSP, nothing is refused
or fails in the console, and a diagnosis leads to its action."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reciprocity.partners import services
from reciprocity.partners.models import Profession, Stage
from reciprocity.referrals.models import Direction
from tests.browser.conftest import axe_violations, log_in
from tests.factories import ReferralFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Collects what the CSP refuses; injected by the browser tooling, so the CSP does not block it.
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_the_dashboard_draws_its_charts_under_the_csp_and_leads_to_the_action(
    page: Any,
) -> None:
    advisor = UserFactory(username="jordan")
    partner = services.partner_create(
        by=advisor,
        name="Walter Greystone",
        profession=Profession.BANKER,
        stage=Stage.FIRST_MEETING,
        occurred_at=timezone.now() - dt.timedelta(days=400),
        growth_mode=False,
    )
    ReferralFactory(
        partner=partner,
        direction=Direction.SENT,
        occurred_at=timezone.now() - dt.timedelta(days=20),
    )
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.add_init_script(WATCH_CSP)

    log_in(page, advisor)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    charts = page.locator(".chart img")
    expect(charts).to_have_count(2)
    for index in range(2):
        chart = charts.nth(index)
        expect(chart).to_be_visible()
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
        assert chart.get_attribute("alt").startswith("Bar chart of")
    assert page.evaluate("window.cspViolations") == []
    assert problems == []
    assert axe_violations(page) == []

    # The numbers behind a chart open from the keyboard too.
    page.get_by_text("Partners per stage: the numbers").click()
    expect(page.get_by_role("row", name="First meeting 1", exact=True)).to_be_visible()

    diagnosis = page.locator(".diagnosis[data-slug=wrong_firm]")
    expect(diagnosis).to_contain_text("Their firm is not in growth mode")
    diagnosis.get_by_role("link", name="Walk away: wrong firm").click()
    expect(page.get_by_role("heading", name="Move Walter Greystone")).to_be_visible()
    expect(page.get_by_label("Move to")).to_have_value(Stage.RETIRED)
    expect(page.get_by_label("Wrong firm")).to_be_checked()
    assert page.evaluate("window.cspViolations") == []
    assert problems == []

    # The partner page names the same diagnosis in its own panel.
    page.goto(f"/partners/{partner.pk}/")
    panel = page.locator(".panel--diagnosis")
    expect(panel).to_contain_text("Their firm is not meeting new clients")
    assert axe_violations(page) == []
    assert page.evaluate("window.cspViolations") == []
    assert problems == []


def test_the_dashboard_fits_a_phone(browser: Any, live_server: Any) -> None:
    advisor = UserFactory(username="phone")
    services.partner_create(
        by=advisor,
        name="Bartholomew Kingsley-Vanderbilt",
        profession=Profession.ATTORNEY,
        stage=Stage.FIRST_MEETING,
        occurred_at=timezone.now() - dt.timedelta(days=200),
        can_describe_value="no",
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    try:
        log_in(page, advisor)
        page.goto("/dashboard/")
        expect(page.locator(".diagnosis[data-slug=wrong_message]")).to_be_visible()
        width = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert width == 0
        for chart in page.locator(".chart img").all():
            box = chart.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390
    finally:
        context.close()
