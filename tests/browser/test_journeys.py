"""An advisor's daily journeys in a real Chromium, each from the login form: what the page shows
and what the database keeps."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reciprocity.accounts.models import User
from reciprocity.partners import services
from reciprocity.partners.models import (
    Commitment,
    CommitmentStatus,
    FailureReason,
    Partner,
    Profession,
    Stage,
    StageChange,
    Touch,
    TouchKind,
)
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import CommitmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def advisor() -> User:
    return UserFactory(username="avery", first_name="Avery", last_name="Stone")


def a_partner(advisor: User, name: str = "Carla Reyes", stage: str = Stage.IDENTIFIED) -> Partner:
    return services.partner_create(
        by=advisor, name=name, profession=Profession.CPA, organization="Reyes CPA", stage=stage
    )


def card(page: Any, name: str) -> Any:
    return page.locator(".card", has=page.get_by_role("link", name=name, exact=True))


def column(page: Any, stage: str) -> Any:
    return page.locator(f"#board .column[data-stage={stage}]")


def timeline(page: Any) -> Any:
    return page.locator(".timeline")


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_board(
    page: Any, advisor: User
) -> None:
    page.goto("/pipeline/")
    expect(page).to_have_url(f"{page.url.split('/accounts/')[0]}/accounts/login/?next=/pipeline/")
    page.get_by_label("Username").fill("avery")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("password you specified are not correct")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Pipeline", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator(".account__name")).to_contain_text("Avery Stone")


def test_an_advisor_adds_a_partner(page: Any, advisor: User) -> None:
    log_in(page, advisor)
    page.get_by_role("link", name="Add your first partner").click()
    page.get_by_label("Name Required").fill("Dana Whitfield")
    page.get_by_label("Profession Required").select_option(Profession.ATTORNEY.value)
    page.get_by_label("Firm or organization").fill("Whitfield Estate Law")
    page.get_by_label("Clients they serve").fill("Families with a business to pass on")
    page.get_by_role("button", name="Add partner").click()

    expect(page.get_by_role("heading", name="Dana Whitfield", level=1)).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("Dana Whitfield added to your pipeline.")
    expect(timeline(page)).to_contain_text("Added as Identified")
    partner = Partner.objects.get(name="Dana Whitfield")
    assert (partner.owner, partner.profession, partner.stage) == (
        advisor,
        Profession.ATTORNEY,
        Stage.IDENTIFIED,
    )
    assert partner.organization == "Whitfield Estate Law"
    assert page.url.endswith(f"/partners/{partner.pk}/")


def test_a_missing_name_is_shown_on_the_form_and_nothing_is_saved(page: Any, advisor: User) -> None:
    log_in(page, advisor)
    page.goto("/partners/new/")
    page.get_by_label("Profession Required").select_option(Profession.BANKER.value)
    # The browser's own check would stop an empty required field before the server sees it.
    page.locator("#partner-form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Add partner").click()

    expect(page.locator(".field--invalid")).to_contain_text("This field is required.")
    assert not Partner.objects.exists()


def test_an_advisor_logs_a_touch_on_the_partner_page(page: Any, advisor: User) -> None:
    partner = a_partner(advisor)
    log_in(page, advisor)
    page.get_by_role("link", name="Carla Reyes", exact=True).click()
    expect(page.get_by_role("heading", name="Carla Reyes", level=1)).to_be_visible()

    touch = page.locator("section.panel--touch")
    touch.get_by_label("Kind").select_option(TouchKind.MEETING.value)
    touch.get_by_label("What happened").fill("Lunch: she serves three family businesses")
    touch.get_by_role("button", name="Log touch").click()

    expect(timeline(page)).to_contain_text("Lunch: she serves three family businesses")
    expect(page.locator("#messages")).to_contain_text("Touch logged.")
    expect(page.locator(".fact", has_text="Touches").locator(".fact__value")).to_have_text("1")
    expect(page.locator(".fact", has_text="Last touch")).to_contain_text("Today")
    saved = Touch.objects.get(partner=partner)
    assert (saved.kind, saved.by) == (TouchKind.MEETING, advisor)
    partner.refresh_from_db()
    assert partner.touch_count == 1
    # The form is ready for the next touch.
    expect(touch.get_by_label("What happened")).to_have_value("")


def test_an_advisor_adds_a_commitment_and_completes_it_with_a_touch(
    page: Any, advisor: User
) -> None:
    partner = a_partner(advisor)
    due = timezone.localdate() + dt.timedelta(days=3)
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")

    commitments = page.locator("section.panel--commitments")
    commitments.get_by_label("What").fill("Send the estate-planning article")
    commitments.get_by_label("Advisor (us)").check()
    commitments.get_by_label("Due").fill(due.isoformat())
    commitments.get_by_role("button", name="Add commitment").click()

    item = commitments.locator(".commitment", has_text="Send the estate-planning article")
    expect(item).to_be_visible()
    expect(page.locator(".fact", has_text="Next step")).to_contain_text(
        "Send the estate-planning article"
    )
    commitment = Commitment.objects.get(partner=partner)
    assert (commitment.due, commitment.status) == (due, CommitmentStatus.OPEN)

    item.get_by_label("Log as").select_option(TouchKind.EMAIL.value)
    item.get_by_role("button", name="Done").click()

    expect(timeline(page)).to_contain_text("Done: Send the estate-planning article")
    expect(item).to_have_count(0)
    expect(page.locator(".fact", has_text="Next step")).to_contain_text("None yet")
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DONE
    assert list(Touch.objects.filter(partner=partner).values_list("kind", flat=True)) == [
        TouchKind.EMAIL
    ]


def test_a_card_dragged_to_another_column_moves_the_partner(page: Any, advisor: User) -> None:
    # Forward, past qualifying (a drop on Qualified asks the three questions first).
    partner = a_partner(advisor, stage=Stage.QUALIFIED)
    log_in(page, advisor)
    expect(card(page, "Carla Reyes")).to_have_attribute("data-stage", Stage.QUALIFIED)

    card(page, "Carla Reyes").drag_to(column(page, Stage.FIRST_MEETING))

    expect(column(page, Stage.FIRST_MEETING).locator(".card")).to_contain_text("Carla Reyes")
    expect(column(page, Stage.QUALIFIED)).to_contain_text("No partners here yet")
    expect(page.locator("#messages")).to_contain_text("Carla Reyes moved to First meeting.")
    partner.refresh_from_db()
    assert partner.stage == Stage.FIRST_MEETING
    assert StageChange.objects.filter(
        partner=partner, from_stage=Stage.QUALIFIED, to_stage=Stage.FIRST_MEETING, by=advisor
    ).exists()


def test_the_move_menu_moves_a_card_without_dragging(page: Any, advisor: User) -> None:
    partner = a_partner(advisor, stage=Stage.QUALIFIED)
    log_in(page, advisor)

    card(page, "Carla Reyes").get_by_role("link", name="Move Carla Reyes").click()
    dialog = page.get_by_role("dialog", name="Move Carla Reyes")
    expect(dialog).to_be_visible()
    # The stage that usually comes next is preselected.
    expect(dialog.get_by_label("Move to")).to_have_value(Stage.FIRST_MEETING)
    dialog.get_by_label("Note").fill("Met at the chamber breakfast")
    dialog.get_by_role("button", name="Move", exact=True).click()

    expect(dialog).to_be_hidden()
    expect(column(page, Stage.FIRST_MEETING).locator(".card")).to_contain_text("Carla Reyes")
    partner.refresh_from_db()
    assert partner.stage == Stage.FIRST_MEETING
    change = StageChange.objects.get(partner=partner, to_stage=Stage.FIRST_MEETING)
    assert change.note == "Met at the chamber breakfast"


def test_retiring_asks_why_and_refuses_without_a_reason(page: Any, advisor: User) -> None:
    # Dormant sits next to Retired, so both columns fit the window without scrolling the board.
    partner = a_partner(advisor, stage=Stage.DORMANT)
    log_in(page, advisor)

    # Dropped on Retired, the card does not move: the board asks why first.
    card(page, "Carla Reyes").drag_to(column(page, Stage.RETIRED))
    dialog = page.get_by_role("dialog", name="Move Carla Reyes")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Move to")).to_have_value(Stage.RETIRED)
    expect(dialog.get_by_role("group", name="Why are you walking away?")).to_be_visible()
    expect(column(page, Stage.DORMANT).locator(".card")).to_contain_text("Carla Reyes")

    dialog.get_by_role("button", name="Move", exact=True).click()
    expect(dialog).to_contain_text(services.RETIRED_NEEDS_REASON)
    expect(dialog).to_be_visible()
    partner.refresh_from_db()
    assert partner.stage == Stage.DORMANT

    dialog.get_by_label("Wrong firm").check()
    dialog.get_by_role("button", name="Move", exact=True).click()

    expect(dialog).to_be_hidden()
    expect(column(page, Stage.RETIRED).locator(".card")).to_contain_text("Carla Reyes")
    partner.refresh_from_db()
    assert partner.stage == Stage.RETIRED
    change = StageChange.objects.get(partner=partner, to_stage=Stage.RETIRED)
    assert change.reason == FailureReason.WRONG_FIRM

    page.get_by_role("link", name="Carla Reyes", exact=True).click()
    expect(timeline(page)).to_contain_text("Moved from Dormant to Retired")
    expect(timeline(page)).to_contain_text("Reason: Wrong firm")


def test_an_overdue_item_is_cleared_in_place_on_the_agenda(page: Any, advisor: User) -> None:
    partner = a_partner(advisor)
    overdue = CommitmentFactory(
        partner=partner,
        what="Call about the Henderson trust",
        due=timezone.localdate() - dt.timedelta(days=2),
    )
    CommitmentFactory(partner=partner, what="Quarterly coffee", due=timezone.localdate())
    log_in(page, advisor)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agenda").click()

    group = page.locator(".agenda__group--overdue")
    item = group.locator(".agenda-item", has_text="Call about the Henderson trust")
    expect(item).to_contain_text("Overdue")
    expect(item).to_contain_text("Carla Reyes")
    # A mark on this document: it survives only if the page is not reloaded.
    page.evaluate("window.stillTheSamePage = true")
    item.get_by_label("Log as").select_option(TouchKind.CALL.value)
    item.get_by_role("button", name="Done").click()

    expect(page.locator("#messages")).to_contain_text("Done: Call about the Henderson trust")
    expect(group).to_have_count(0)
    expect(page.locator(".agenda__group--today")).to_contain_text("Quarterly coffee")
    assert page.evaluate("window.stillTheSamePage === true")
    overdue.refresh_from_db()
    assert overdue.status == CommitmentStatus.DONE
    assert Touch.objects.filter(partner=partner, kind=TouchKind.CALL).count() == 1
