"""Entering a new partner's past in a real Chromium: the add form takes the first meeting and
the day the stage started, and the partner page counts time in stage from then."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reciprocity.partners.models import Partner, StageChange
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_advisor_adds_a_partner_with_the_history_they_already_have(page: Any) -> None:
    advisor = UserFactory(username="avery")
    met = timezone.localdate() - dt.timedelta(days=400)
    since = timezone.localdate() - dt.timedelta(days=45)
    log_in(page, advisor)
    page.goto("/partners/new/")
    page.get_by_label("Name").fill("Carla Reyes")
    page.locator("select[name=profession]").select_option("cpa")
    page.locator("select[name=can_describe_value]").select_option("unknown")
    page.get_by_label("Pipeline stage").select_option("active")
    page.get_by_label("First met on").fill(met.isoformat())
    page.get_by_label("In this stage since").fill(since.isoformat())
    page.get_by_role("button", name="Add partner").click()

    expect(page.get_by_role("heading", name="Carla Reyes", level=1)).to_be_visible()
    expect(page.locator(".fact", has_text="In this stage")).to_contain_text("45 days")
    partner = Partner.objects.get(name="Carla Reyes")
    moves = StageChange.objects.filter(partner=partner).order_by("occurred_at")
    assert [(m.to_stage, timezone.localdate(m.occurred_at)) for m in moves] == [
        ("first_meeting", met),
        ("active", since),
    ]
