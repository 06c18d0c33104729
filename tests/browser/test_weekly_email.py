"""The weekly email, looked at as a mail client shows it: its own fonts and colours (inline
styles), the overdue count, the five items that come first with their partner, and a button to
the agenda, on a laptop and on a phone. The screenshots are for a person to look at."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reciprocity.accounts import services as account_services
from reciprocity.partners import services as partner_services
from reciprocity.playbook.digest import TOP_ITEMS, digest_render
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db


def test_the_weekly_email_is_short_styled_and_names_each_partner(browser: Any) -> None:
    firm = account_services.firm_create(name="Harbor Wealth")
    advisor = account_services.advisor_create(
        firm=firm, username="dana", password=None, email="dana@example.com", first_name="Dana"
    )
    for n, name in enumerate(("Carla Reyes", "Hannah Lee", "Omar Haddad", "Grace Kim")):
        partner = partner_services.partner_create(by=advisor, name=name, profession="cpa")
        for days in (-9 + n, 2 + n):
            partner_services.commitment_create(
                partner=partner,
                by=advisor,
                what=f"Send {name.split()[0]} the {'estate' if days < 0 else 'tax'} checklist",
                owner="advisor",
                due=timezone.localdate() + dt.timedelta(days=days),
            )
    rendered = digest_render(advisor=advisor)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, width in (("weekly-email", 700), ("weekly-email-phone", 390)):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_content(rendered.html)
        items = page.locator("tr.item")
        expect(items).to_have_count(TOP_ITEMS)
        expect(items.first).to_contain_text("Carla Reyes")
        expect(page.get_by_role("link", name="Open your agenda")).to_be_visible()
        expect(page.get_by_text("And 3 more on your agenda.")).to_be_visible()
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "Times" not in font
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        context.close()
