"""The header's search box finds what the issue could not ("hannah@", "617-555", "tax season"),
the search results pass axe, and a partner picker of fifty or more names narrows as one types."""

from typing import Any

import pytest
from playwright.sync_api import expect

from reciprocity.partners import services
from reciprocity.partners.models import Profession, TouchKind
from tests.browser.conftest import SCREENSHOTS, axe_violations, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_header_search_finds_partners_touches_and_notes(page: Any) -> None:
    advisor = UserFactory(username="searcher")
    hannah = services.partner_create(
        by=advisor,
        name="Hannah Lee",
        profession=Profession.CPA,
        organization="Lee & Ortiz CPAs",
        email="hannah@leeortiz.example",
        phone="617-555-0142",
    )
    services.touch_log(
        partner=hannah, by=advisor, kind=TouchKind.NOTE, summary="Busy until after tax season"
    )
    log_in(page, advisor)
    box = page.get_by_role("searchbox", name="Search partners")
    for text in ("hannah@", "617-555"):
        box = page.get_by_role("searchbox", name="Search partners")
        box.fill(text)
        box.press("Enter")
        expect(page.locator(".search-hit").first).to_contain_text("Hannah Lee")
    page.get_by_role("searchbox", name="Search partners").fill("tax season")
    page.get_by_role("searchbox", name="Search partners").press("Enter")
    hit = page.locator(".search-hit--note")
    expect(hit).to_contain_text("Busy until after tax season")
    expect(hit).to_contain_text("Hannah Lee")
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "search.png", full_page=True)


def test_a_long_partner_picker_narrows_as_one_types(page: Any) -> None:
    advisor = UserFactory(username="picker")
    for n in range(55):
        services.partner_create(by=advisor, name=f"Partner {n:02d}", profession=Profession.CPA)
    services.partner_create(by=advisor, name="Zelda Quintero", profession=Profession.ATTORNEY)
    log_in(page, advisor)
    page.goto("/referrals/new/")
    narrow = page.get_by_role("searchbox", name="Narrow the")
    narrow.fill("quin")
    picker = page.get_by_label("Partner", exact=True)
    expect(picker.locator("option:checked")).to_have_text("Zelda Quintero")
    assert picker.evaluate("s => [...s.options].filter(o => !o.hidden && o.value).length") == 1


def test_ticked_partners_are_tagged_in_one_go(page: Any) -> None:
    advisor = UserFactory(username="bulk")
    for name in ("Ada Brook", "Ben Cole", "Cy Dunn"):
        services.partner_create(by=advisor, name=name, profession=Profession.CPA)
    log_in(page, advisor)
    page.goto("/partners/")
    page.get_by_label("Choose Ada Brook").check()
    page.get_by_label("Choose Cy Dunn").check()
    # Only the chosen action's fields show.
    expect(page.locator("#bulk-form").get_by_label("Team")).to_be_hidden()
    page.get_by_label("With the chosen partners").select_option("tag")
    expect(page.locator("#bulk-form").get_by_label("Stage")).to_be_hidden()
    page.locator("#bulk-form").get_by_label("Tag", exact=True).fill("tax season")
    page.get_by_role("button", name="Apply to the chosen").click()
    expect(page.get_by_text("2 partners tagged.")).to_be_visible()
    page.get_by_label("Tag", exact=True).first.select_option("tax season")
    expect(page.locator(".results__count")).to_contain_text("2 partners match")
    assert axe_violations(page) == []
