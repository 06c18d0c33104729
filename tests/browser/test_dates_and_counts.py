"""In a real Chromium: a next step in another year shows its year, an agreement's first promise
is the partner's next step, and the board and the dashboard say what they count."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reciprocity.partners import services
from reciprocity.partners.models import Profession, Stage
from tests.browser.conftest import log_in
from tests.factories import CommitmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_next_step_next_year_shows_its_year(page: Any) -> None:
    advisor = UserFactory(username="avery")
    partner = services.partner_create(
        by=advisor, name="Carla Reyes", profession=Profession.CPA, stage=Stage.ACTIVE
    )
    due = timezone.localdate().replace(year=timezone.localdate().year + 1, month=12, day=4)
    CommitmentFactory(partner=partner, what="Annual review lunch", due=due)
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")
    expect(page.locator(".fact", has_text="Next step")).to_contain_text(
        due.strftime("%a, %b ") + f"{due.day}, {due.year}"
    )


def test_an_agreements_first_promise_becomes_the_next_step(page: Any) -> None:
    advisor = UserFactory(username="avery")
    partner = services.partner_create(
        by=advisor, name="Carla Reyes", profession=Profession.CPA, stage=Stage.PROPOSED
    )
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/agreement/")
    page.get_by_label("What you will do").fill("Send the tax-season checklist\nHost a lunch")
    page.get_by_label("What the partner will do").fill("Introduce two business owners")
    page.get_by_label("Email thread").check()
    review = timezone.localdate() + dt.timedelta(days=360)
    page.get_by_label("Next review").fill(review.isoformat())
    page.get_by_role("button", name="Record the agreement").click()
    page.goto(f"/partners/{partner.pk}/")
    expect(page.locator(".fact", has_text="Next step")).to_contain_text(
        "Send the tax-season checklist"
    )


def test_the_board_and_the_dashboard_say_what_they_count(page: Any) -> None:
    advisor = UserFactory(username="avery")
    log_in(page, advisor)
    page.goto("/pipeline/")
    expect(page.locator(".stats__note")).to_contain_text("every partner you can see")
    page.goto("/dashboard/")
    expect(page.locator(".stats__note")).to_contain_text("the partners you own")
    expect(page.locator(".stats__note")).to_contain_text("so its totals can differ")
