"""Adding a partner who is already in the book, then merging the two, in a real Chromium."""

from typing import Any

import pytest
from playwright.sync_api import expect

from reciprocity.accounts.models import User
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Profession
from tests.browser.conftest import axe_violations, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def advisor() -> User:
    return UserFactory(username="devon")


def test_a_likely_duplicate_is_shown_added_anyway_then_merged(page: Any, advisor: User) -> None:
    first = services.partner_create(
        by=advisor,
        name="Carla Reyes",
        profession=Profession.CPA,
        organization="Reyes CPA",
        email="carla@reyes.example",
    )
    log_in(page, advisor)
    page.goto("/partners/new/")
    page.get_by_label("Name Required").fill("Carla Reyes")
    page.get_by_label("Profession Required").select_option(Profession.CPA.value)
    page.get_by_label("Email").fill("carla@reyes.example")
    page.get_by_role("button", name="Add partner").click()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("may already be in your book")
    expect(warning.get_by_role("link", name="Carla Reyes")).to_have_attribute(
        "href", f"/partners/{first.pk}/"
    )
    assert [v["id"] for v in axe_violations(page)] == []
    page.get_by_role("button", name="Add anyway").click()
    expect(page.get_by_role("heading", name="Carla Reyes", level=1)).to_be_visible()
    second = Partner.objects.exclude(pk=first.pk).get(name="Carla Reyes")

    page.goto(f"/partners/{first.pk}/")
    page.get_by_role("link", name="Merge a duplicate").click()
    expect(page.get_by_role("radio", name="same email")).to_be_checked()
    assert [v["id"] for v in axe_violations(page)] == []
    page.get_by_role("button", name="Merge into Carla Reyes").click()
    expect(page.get_by_text("merged into Carla Reyes")).to_be_visible()
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
