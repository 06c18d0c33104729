"""On a phone (390 by 844) the board, the partner page and the agenda are usable: the page never
scrolls sideways (only the board's own stage scroller does) and the main actions are in reach.
The screenshots land in the test-results folder for a person to look at."""

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reciprocity.accounts.models import Role, User
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Profession, Stage, TouchKind
from tests.browser.conftest import SCREENSHOTS, WAIT_MS, log_in
from tests.factories import CommitmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def advisor() -> User:
    return UserFactory(username="phone", first_name="Maximiliana", last_name="Featherstonehaugh")


@pytest.fixture
def partner(advisor: User) -> Partner:
    partner = services.partner_create(
        by=advisor,
        name="Bartholomew Kingsley-Vanderbilt",
        profession=Profession.ATTORNEY,
        organization="Kingsley-Vanderbilt Estate and Trust Attorneys at Law",
        stage=Stage.DUE_DILIGENCE,
        tags=["estate planning", "business succession", "downtown"],
        niche="Owners of family businesses planning a succession, and their adult children",
        website="https://kingsley-vanderbilt-estate-and-trust-attorneys.example.com/about/team",
    )
    services.touch_log(
        partner=partner,
        by=advisor,
        kind=TouchKind.MEETING,
        summary="Due diligence meeting: forty minutes on her clients, her process, her referrals",
    )
    CommitmentFactory(
        partner=partner,
        what="Send the succession-planning checklist with notes on the two shared clients",
        due=timezone.localdate() - dt.timedelta(days=3),
    )
    CommitmentFactory(partner=partner, what="Quarterly coffee", due=timezone.localdate())
    for index, stage in enumerate((Stage.IDENTIFIED, Stage.ACTIVE, Stage.DORMANT)):
        services.partner_create(
            by=advisor, name=f"Partner {index}", profession=Profession.CPA, stage=stage
        )
    return partner


def page_overflow(page: Any) -> int:
    """How far the page itself scrolls sideways, in CSS pixels (0 when it does not)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
    )


def assert_within_screen(locator: Any) -> None:
    """Scrolled to, the element is visible and entirely within the screen's width."""
    locator.scroll_into_view_if_needed()
    expect(locator).to_be_visible()
    expect(locator).to_be_in_viewport()
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"phone-{name}.png", full_page=True)


def test_the_board_on_a_phone_scrolls_only_its_stages(
    page: Any, advisor: User, partner: Partner
) -> None:
    log_in(page, advisor)
    board = page.locator(".board")
    expect(board).to_be_visible()

    assert page_overflow(page) == 0
    # The stages scroll inside the board, sideways.
    assert board.evaluate("board => board.scrollWidth > board.clientWidth")
    assert_within_screen(page.get_by_role("link", name="Add partner"))
    card = page.locator(".card", has_text="Bartholomew Kingsley-Vanderbilt")
    move = card.get_by_role("link", name="Move Bartholomew Kingsley-Vanderbilt")
    assert_within_screen(move)
    # A finger cannot drag: on a touch screen Move is a button a finger can hit.
    box = move.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    expect(page.get_by_text("Tap a card's Move button to move it.")).to_be_visible()
    screenshot(page, "board")

    card.get_by_role("link", name="Move Bartholomew Kingsley-Vanderbilt").tap()
    dialog = page.get_by_role("dialog", name="Move Bartholomew Kingsley-Vanderbilt")
    expect(dialog).to_be_visible()
    assert_within_screen(dialog.get_by_role("button", name="Move", exact=True))
    assert page_overflow(page) == 0
    screenshot(page, "move-dialog")


def test_the_menu_button_opens_every_link_on_a_phone(
    page: Any, advisor: User, partner: Partner
) -> None:
    log_in(page, advisor)
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    assert_within_screen(menu)
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    box = menu.bounding_box()
    assert box is not None
    assert box["height"] >= 44  # a finger's width

    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Pipeline", "Partners", "Referrals", "Agenda", "Dashboard", "Playbook"):
        assert_within_screen(nav.get_by_role("link", name=name))
    assert_within_screen(page.get_by_role("link", name="Maximiliana Featherstonehaugh"))
    assert_within_screen(page.get_by_role("button", name="Log out"))
    assert_within_screen(page.get_by_role("searchbox", name="Search partners"))
    assert page_overflow(page) == 0
    page.screenshot(path=SCREENSHOTS / "phone-menu.png")

    nav.get_by_role("link", name="Dashboard").tap()
    expect(page).to_have_url(re.compile("/dashboard/"))


def test_the_partner_page_on_a_phone(page: Any, advisor: User, partner: Partner) -> None:
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")
    expect(page.get_by_role("heading", name=partner.name, level=1)).to_be_visible()

    assert page_overflow(page) == 0
    assert_within_screen(page.locator("section.panel--stage").get_by_label("Move to"))
    assert_within_screen(page.get_by_role("button", name="Add commitment"))
    assert_within_screen(page.get_by_role("button", name="Log touch"))
    commitment = page.locator(".commitment", has_text="succession-planning checklist")
    assert_within_screen(commitment.get_by_role("button", name="Done"))
    assert_within_screen(page.get_by_role("link", name="Edit profile"))
    screenshot(page, "partner")
    # The timeline comes a page at a time, so the page stays short.
    assert page.evaluate("document.documentElement.scrollHeight") < 7600

    touch = page.locator("section.panel--touch")
    touch.get_by_label("What happened").fill("Called from the car: she has a client for us")
    touch.get_by_role("button", name="Log touch").tap()
    expect(page.locator(".timeline")).to_contain_text("she has a client for us")
    assert page_overflow(page) == 0


def test_the_agenda_on_a_phone(page: Any, advisor: User, partner: Partner) -> None:
    log_in(page, advisor)
    page.goto("/agenda/")
    item = page.locator(".agenda-item", has_text="succession-planning checklist")
    expect(item).to_be_visible()

    assert page_overflow(page) == 0
    assert_within_screen(item.get_by_role("link", name=partner.name))
    assert_within_screen(item.get_by_label("Log as"))
    assert_within_screen(item.get_by_role("button", name="Done"))
    assert_within_screen(item.get_by_role("button", name="Drop"))
    screenshot(page, "agenda")

    item.get_by_role("button", name="Done").tap()
    expect(page.locator(".agenda__group--overdue")).to_have_count(0)
    assert page_overflow(page) == 0

    # Grouped by partner: each partner's work under its name.
    page.get_by_label("Group by").select_option("partner")
    page.get_by_role("button", name="Show").tap()
    expect(page.get_by_role("heading", name=re.compile(partner.name))).to_be_visible()
    assert page_overflow(page) == 0


def test_the_dashboard_on_a_phone(page: Any, advisor: User, partner: Partner) -> None:
    # Gone cold: its action ("Reconnect: plan the next touch, or move them to dormant") is the
    # longest a diagnosis has.
    cold = services.partner_create(
        by=advisor,
        name="Cornelius Coldwater-Abernathy",
        profession=Profession.CPA,
        stage=Stage.ACTIVE,
        occurred_at=timezone.now() - dt.timedelta(days=500),
    )
    services.touch_log(
        partner=cold,
        by=advisor,
        kind=TouchKind.CALL,
        summary="Catch-up call",
        occurred_at=timezone.now() - dt.timedelta(days=400),
    )
    log_in(page, advisor)
    page.goto("/dashboard/")
    diagnosis = page.locator(".diagnosis", has_text=cold.name).first
    action = diagnosis.locator(".diagnosis__action .button", has_text="Reconnect")
    expect(action).to_be_visible()
    # A long title and action wrap within the screen.
    assert page_overflow(page) == 0
    assert_within_screen(action)
    screenshot(page, "dashboard")


LAPTOP = {"width": 1280, "height": 800}


def test_the_partner_list_fits_a_laptop_screen_with_every_column(
    browser: Any, live_server: Any, advisor: User, partner: Partner
) -> None:
    # A firm admin's list has every column: the step, the four scores and the owner.
    advisor.role = Role.FIRM_ADMIN
    advisor.save(update_fields=["role"])
    services.partner_create(
        by=advisor,
        name="Penelope Ashworth-Montgomery",
        profession=Profession.INSURANCE_AGENT,
        organization="Ashworth-Montgomery Insurance",
        stage=Stage.PROPOSED,
    )
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        log_in(page, advisor)
        page.goto("/partners/")
        table = page.locator(".table-wrap")
        expect(table.get_by_role("columnheader", name="Owner")).to_be_visible()
        assert page_overflow(page) == 0
        # Nothing hides past the table's right edge.
        assert table.evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "laptop-partner-list.png", full_page=True)
    finally:
        context.close()
