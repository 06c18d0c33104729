"""The partner's confirmation link in a real Chromium: the advisor creates it on the referral
page, the partner (another browser, signed in nowhere) opens it and confirms, and the advisor
sees the touch on the partner's timeline. The partner's page passes axe on a 390 px phone."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from reciprocity.partners.models import Profession, Touch, TouchKind
from reciprocity.referrals.models import Direction, Referral
from reciprocity.referrals.services.confirmations import referral_link_create
from reciprocity.referrals.services.ledger import referral_create
from tests.browser.conftest import WAIT_MS, axe_violations, log_in
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def partner_browser(browser: Any, live_server: Any) -> Iterator[Any]:
    """The partner's own browser: a fresh context, no session, a phone's screen."""
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def sent(advisor: Any) -> Referral:
    cpa = PartnerFactory(owner=advisor, name="Carla Counts", profession=Profession.CPA)
    return referral_create(
        by=advisor,
        partner=cpa,
        direction=Direction.SENT,
        need="Tax planning after a business sale",
        notes="Sold the family business in March.",
    )


def test_the_advisor_sends_a_link_the_partner_confirms_and_the_timeline_shows_it(
    page: Any, partner_browser: Any
) -> None:
    advisor = UserFactory(username="jordan")
    referral = sent(advisor)
    log_in(page, advisor)
    page.goto(f"/referrals/{referral.pk}/")
    page.get_by_role("button", name="Create a link: confirm receipt").click()
    url_field = page.get_by_label("Confirm receipt link (shown only now)")
    expect(url_field).to_be_visible()
    url = url_field.input_value()
    assert "/r/" in url
    assert axe_violations(page) == []

    partner_browser.goto(url)
    expect(
        partner_browser.get_by_role("heading", name="Did you receive this referral?")
    ).to_be_visible()
    expect(partner_browser.locator(".memo")).to_contain_text("Hypothetical referral")
    partner_browser.get_by_label("A note for the advisor (optional)").fill("Calling them Monday")
    partner_browser.get_by_role("button", name="Yes, I received it").click()
    expect(partner_browser.get_by_role("heading", name="Thank you")).to_be_visible()
    # The link has done its work: opened again, it is not found.
    partner_browser.goto(url)
    expect(partner_browser.get_by_role("heading", name="Link not found")).to_be_visible()

    page.goto(f"/partners/{referral.partner_id}/")
    expect(page.locator(".timeline")).to_contain_text("Confirmed receipt of the referral")
    expect(page.locator(".timeline")).to_contain_text("Calling them Monday")
    touch = Touch.objects.get(partner_id=referral.partner_id)
    assert (touch.kind, touch.by) == (TouchKind.NOTE, advisor)
    page.goto(f"/referrals/{referral.pk}/")
    expect(page.locator(".panel--links")).to_contain_text("confirmed receipt")


@pytest.mark.parametrize("purpose", ["receipt", "outcome"])
def test_the_partners_page_passes_axe_on_a_phone(partner_browser: Any, purpose: str) -> None:
    advisor = UserFactory(username="jordan")
    _link, token = referral_link_create(referral=sent(advisor), by=advisor, purpose=purpose)
    partner_browser.goto(f"/r/{token}/")
    assert axe_violations(partner_browser) == []
    # Nothing runs off the side of a phone.
    width = partner_browser.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    if purpose == "outcome":
        partner_browser.get_by_role("radio", name="Not a fit").check()
        partner_browser.get_by_role("button", name="Send my answer").click()
        expect(partner_browser.locator(".field--invalid")).to_be_visible()
        assert axe_violations(partner_browser) == []
    partner_browser.goto("/r/" + "A" * 32 + "/")
    expect(partner_browser.get_by_role("heading", name="Link not found")).to_be_visible()
    assert axe_violations(partner_browser) == []
