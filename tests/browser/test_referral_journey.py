"""Sending a referral in a real Chromium: from the partner page through the five protocol steps
(each an htmx swap in place) to five touches on the partner's timeline, under the CSP."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reciprocity.partners.models import Profession, Touch
from reciprocity.referrals.models import Referral
from reciprocity.referrals.services.ledger import referral_create
from tests.browser.conftest import axe_violations, log_in
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_advisor_sends_a_referral_to_a_cpa_and_walks_its_five_steps(page: Any) -> None:
    advisor = UserFactory(username="jordan")
    cpa = PartnerFactory(owner=advisor, name="Carla Counts", profession=Profession.CPA)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    log_in(page, advisor)
    expect(page.get_by_role("heading", name="Pipeline", level=1)).to_be_visible()

    page.goto(f"/partners/{cpa.pk}/")
    page.get_by_role("link", name="Send a referral").click()
    expect(page.get_by_role("heading", name="Send a referral to Carla Counts")).to_be_visible()
    # Without consent the name fields stay out of the way.
    expect(page.locator("input[name=client_name]")).to_be_hidden()
    page.fill("textarea[name=notes]", "Sold the family business in March.")
    page.fill("input[name=need]", "Tax planning after a business sale")
    page.locator("#referral-client_has_professional_1").check()
    page.get_by_role("button", name="Preview the memo").click()
    expect(page.locator(".memo-preview")).to_contain_text("Hypothetical referral")
    page.get_by_role("button", name="Record the referral").click()
    expect(page.get_by_role("heading", name="Tax planning after a business sale")).to_be_visible()
    assert axe_violations(page) == []

    steps = page.locator(".checklist__item")
    expect(steps).to_have_count(5)
    # Without consent the call and the email go ahead; the escort would introduce the client.
    expect(page.locator(".consent-first")).to_contain_text("only after their consent")
    for done in range(1, 3):
        page.locator("button[name=action][value=complete]").first.click()
        expect(page.locator(".checklist__item--done")).to_have_count(done)
    page.locator("button[name=action][value=complete]").first.click()
    expect(page.locator("#messages")).to_contain_text("Record the client's consent first")
    expect(page.locator(".checklist__item--done")).to_have_count(2)
    expect(page.locator(".status-badge").first).to_have_text("Proposed")

    page.get_by_label("How did the client consent?").select_option("verbal")
    page.get_by_role("button", name="Record consent").click()
    expect(page.locator(".consent--given")).to_be_visible()
    for done in range(3, 6):
        page.locator("button[name=action][value=complete]").first.click()
        expect(page.locator(".checklist__item--done")).to_have_count(done)
    expect(page.get_by_label("5 of 5 steps done")).to_be_visible()
    # The steps moved the status: all five done is an engaged referral, each move recorded.
    expect(page.locator(".status-badge").first).to_have_text("Engaged")
    expect(page.locator(".lifecycle__step--skipped")).to_have_count(0)

    page.get_by_role("link", name="Carla Counts").first.click()
    timeline = page.locator(".timeline")
    expect(timeline.locator(".timeline__item--touch")).to_have_count(5)
    expect(timeline).to_contain_text("Referral: Escort the client to the first meeting")
    assert Touch.objects.filter(partner=cpa).count() == 5
    assert Referral.objects.get(partner=cpa).steps.filter(done_at__isnull=False).count() == 5
    assert problems == []


def test_the_referral_pages_have_no_serious_accessibility_problems(page: Any) -> None:
    admin = UserFactory(username="rachel", role="firm_admin")
    attorney = PartnerFactory(owner=admin, name="Alex Attorney", profession=Profession.ATTORNEY)
    referral = referral_create(by=admin, partner=attorney, direction="sent", need="Estate plan")
    referral_create(by=admin, partner=attorney, direction="received", need="Rollover")
    log_in(page, admin)
    expect(page.get_by_role("heading", name="Pipeline", level=1)).to_be_visible()
    for url in (
        "/referrals/",
        "/referrals/new/",
        f"/referrals/new/?partner={attorney.pk}&direction=sent",
        f"/referrals/new/?partner={attorney.pk}&direction=received",
        f"/referrals/{referral.pk}/",
        f"/partners/{attorney.pk}/",
        "/referrals/balance/",
        "/referrals/protocols/",
        "/pipeline/",
    ):
        page.goto(url)
        assert axe_violations(page) == [], url


def test_the_next_step_of_a_referral_is_done_in_place_on_the_agenda(page: Any) -> None:
    advisor = UserFactory(username="morgan")
    cpa = PartnerFactory(owner=advisor, name="Carla Counts", profession=Profession.CPA)
    referral = referral_create(
        by=advisor,
        partner=cpa,
        direction="sent",
        need="Tax planning after a business sale",
        occurred_at=timezone.now() - dt.timedelta(days=2),
    )
    log_in(page, advisor)
    expect(page.get_by_role("heading", name="Pipeline", level=1)).to_be_visible()
    page.goto("/agenda/")

    overdue = page.locator(".agenda__group--overdue")
    item = overdue.locator(".agenda-item", has_text="Call the partner about the client")
    expect(item).to_contain_text("Tax planning after a business sale")
    expect(item).to_contain_text("Sent referral · step 1 of 5")
    assert axe_violations(page) == []
    page.evaluate("window.stillTheSamePage = true")
    item.get_by_role("button", name="Done").click()

    expect(page.locator("#messages")).to_contain_text(
        "Done: Call the partner about the client. Logged: Call with Carla Counts"
    )
    # Done in place: the email step is next, due the day after the call.
    expect(overdue).to_have_count(0)
    next_item = page.locator(".agenda-item", has_text="Email notes and next steps")
    expect(next_item).to_contain_text("step 2 of 5")
    assert page.evaluate("window.stillTheSamePage === true")
    assert Touch.objects.get(partner=cpa).kind == "call"

    next_item.get_by_role("link", name="Referral").click()
    expect(page.get_by_role("heading", name="Tax planning after a business sale")).to_be_visible()
    expect(page.locator(".checklist__item").nth(1)).to_contain_text("next, due")
    assert page.url.endswith(f"/referrals/{referral.pk}/")
