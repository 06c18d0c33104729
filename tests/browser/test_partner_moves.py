"""Moving a partner in a real Chromium: no click demotes a champion, a move back (on the partner
page or dragged on the board) asks to confirm, and a retired partner's page says why."""

from typing import Any

import pytest
from playwright.sync_api import expect

from reciprocity.accounts.models import User
from reciprocity.partners import services
from reciprocity.partners.models import FailureReason, Partner, Profession, Stage
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def advisor() -> User:
    return UserFactory(username="avery", first_name="Avery", last_name="Stone")


def a_partner(advisor: User, stage: str) -> Partner:
    return services.partner_create(
        by=advisor, name="Carla Reyes", profession=Profession.CPA, stage=stage
    )


def test_a_champion_is_not_demoted_by_one_click_and_a_move_back_is_confirmed(
    page: Any, advisor: User
) -> None:
    partner = a_partner(advisor, Stage.CHAMPION)
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")
    panel = page.locator(".panel--stage")
    expect(panel.get_by_label("Move to")).to_have_value("")

    # The stage is required: pressing Move as the form comes moves nothing.
    panel.get_by_role("button", name="Move").click()
    partner.refresh_from_db()
    assert partner.stage == Stage.CHAMPION
    panel.get_by_label("Move to").select_option(Stage.IDENTIFIED.value)
    panel.get_by_role("button", name="Move").click()
    expect(panel).to_contain_text("undoing progress")
    partner.refresh_from_db()
    assert partner.stage == Stage.CHAMPION

    panel.get_by_label("Yes, move back to an earlier stage").check()
    panel.get_by_role("button", name="Move").click()
    expect(page.locator(".detail-head .stage-badge")).to_have_text("Identified")
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED


def test_a_card_dragged_back_on_the_board_asks_first(page: Any, advisor: User) -> None:
    partner = a_partner(advisor, Stage.QUALIFIED)
    log_in(page, advisor)
    card = page.locator(".card", has=page.get_by_role("link", name="Carla Reyes", exact=True))
    card.drag_to(page.locator("#board .column[data-stage=identified]"))
    dialog = page.get_by_role("dialog", name="Move Carla Reyes")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Move to")).to_have_value(Stage.IDENTIFIED)
    partner.refresh_from_db()
    assert partner.stage == Stage.QUALIFIED

    dialog.get_by_label("Yes, move back to an earlier stage").check()
    dialog.get_by_role("button", name="Move", exact=True).click()
    expect(dialog).to_be_hidden()
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED


def test_a_retired_partner_says_why_in_its_header(page: Any, advisor: User) -> None:
    partner = a_partner(advisor, Stage.FIRST_MEETING)
    services.partner_change_stage(
        partner=partner, by=advisor, stage=Stage.RETIRED, reason=FailureReason.WRONG_MESSAGE
    )
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")
    expect(page.locator(".detail-head")).to_contain_text("Walked away on")
    expect(page.locator(".detail-head")).to_contain_text("Wrong message")
    expect(page.get_by_text("add a commitment", exact=False)).to_have_count(0)
    expect(page.get_by_role("button", name="Add commitment")).to_have_count(0)


def test_a_card_dragged_to_qualified_asks_the_three_questions_first(
    page: Any, advisor: User
) -> None:
    partner = a_partner(advisor, Stage.IDENTIFIED)
    log_in(page, advisor)
    card = page.locator(".card", has=page.get_by_role("link", name="Carla Reyes", exact=True))
    card.drag_to(page.locator("#board .column[data-stage=qualified]"))
    dialog = page.get_by_role("dialog", name="Move Carla Reyes")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Move to")).to_have_value(Stage.QUALIFIED)
    expect(dialog.get_by_text("Qualify them: the three reasons alliances fail")).to_be_visible()
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED
