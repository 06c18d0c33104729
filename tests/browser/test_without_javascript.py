"""With JavaScript off, the daily writes still work: every form is a plain POST and a redirect."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from reciprocity.accounts.models import User
from reciprocity.partners import services
from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    FailureReason,
    Partner,
    Profession,
    Stage,
    StageChange,
    Touch,
    TouchKind,
)
from tests.browser.conftest import WAIT_MS, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def advisor() -> User:
    return UserFactory(username="noscript")


@pytest.fixture
def partner(advisor: User) -> Partner:
    return services.partner_create(
        by=advisor, name="Ben Okafor", profession=Profession.BANKER, stage=Stage.QUALIFIED
    )


def test_the_page_really_runs_no_script(page: Any, advisor: User) -> None:
    log_in(page, advisor)
    # app.js marks the document when it runs.
    assert page.locator("html.js").count() == 0


def test_a_touch_is_logged_by_a_plain_form_post(page: Any, advisor: User, partner: Partner) -> None:
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")
    touch = page.locator("section.panel--touch")
    touch.get_by_label("Kind").select_option(TouchKind.CALL.value)
    touch.get_by_label("What happened").fill("Asked which clients need a second opinion")
    touch.get_by_role("button", name="Log touch").click()

    page.wait_for_url(f"**/partners/{partner.pk}/")
    expect(page.locator("#messages")).to_contain_text("Touch logged.")
    expect(page.locator(".timeline")).to_contain_text("Asked which clients need a second opinion")
    touch_saved = Touch.objects.get(partner=partner)
    assert (touch_saved.kind, touch_saved.by) == (TouchKind.CALL, advisor)


def test_a_commitment_is_added_by_a_plain_form_post(
    page: Any, advisor: User, partner: Partner
) -> None:
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")
    commitments = page.locator("section.panel--commitments")
    commitments.get_by_label("What").fill("Introduce us to the business owners' association")
    commitments.get_by_label("Partner", exact=True).check()
    commitments.get_by_role("button", name="Add commitment").click()

    page.wait_for_url(f"**/partners/{partner.pk}/")
    expect(page.locator("#messages")).to_contain_text("Commitment added.")
    expect(commitments.locator(".commitment")).to_contain_text(
        "Introduce us to the business owners' association"
    )
    saved = Commitment.objects.get(partner=partner)
    assert saved.owner == CommitmentOwner.PARTNER


def test_the_stage_changes_from_the_board_by_the_stage_page(
    page: Any, advisor: User, partner: Partner
) -> None:
    log_in(page, advisor)
    # Without script the card's Move link is a link to the stage page.
    page.get_by_role("link", name="Move Ben Okafor").click()
    page.wait_for_url(f"**/partners/{partner.pk}/stage/**")
    expect(page.get_by_role("heading", name="Move Ben Okafor", level=1)).to_be_visible()
    page.get_by_label("Move to").select_option(Stage.FIRST_MEETING.value)
    page.get_by_role("button", name="Move", exact=True).click()

    page.wait_for_url("**/pipeline/")
    expect(page.locator("#messages")).to_contain_text("Ben Okafor moved to First meeting.")
    first_meeting = page.locator(".column[data-stage=first_meeting]")
    expect(first_meeting.locator(".card")).to_contain_text("Ben Okafor")
    partner.refresh_from_db()
    assert partner.stage == Stage.FIRST_MEETING


def test_retiring_without_script_needs_the_reason_too(
    page: Any, advisor: User, partner: Partner
) -> None:
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")
    stage = page.locator("section.panel--stage")
    stage.get_by_label("Move to").select_option(Stage.RETIRED.value)
    stage.get_by_role("button", name="Move", exact=True).click()

    expect(page.locator(".reason-field")).to_contain_text(services.RETIRED_NEEDS_REASON)
    partner.refresh_from_db()
    assert partner.stage == Stage.QUALIFIED
    # The refused form keeps what was chosen; now say why.
    expect(page.get_by_label("Move to")).to_have_value(Stage.RETIRED)
    page.get_by_label("Wrong professional").check()
    page.get_by_role("button", name="Move", exact=True).click()

    page.wait_for_url(f"**/partners/{partner.pk}/")
    expect(page.locator(".timeline")).to_contain_text("Moved from Qualified to Retired")
    expect(page.locator(".timeline")).to_contain_text("Reason: Wrong professional")
    partner.refresh_from_db()
    assert partner.stage == Stage.RETIRED
    change = StageChange.objects.get(partner=partner, to_stage=Stage.RETIRED)
    assert change.reason == FailureReason.WRONG_PROFESSIONAL


def test_the_partner_reports_the_outcome_on_their_link_by_a_plain_form_post(
    page: Any, advisor: User, partner: Partner
) -> None:
    from reciprocity.referrals.models import ConsentMethod, Direction, Referral, ReferralStatus
    from reciprocity.referrals.services.confirmations import referral_link_create
    from reciprocity.referrals.services.ledger import referral_create, referral_record_consent

    referral = referral_create(
        by=advisor, partner=partner, direction=Direction.SENT, need="A second opinion on a loan"
    )
    referral_record_consent(referral=referral, by=advisor, method=ConsentMethod.VERBAL)
    _link, token = referral_link_create(referral=referral, by=advisor, purpose="outcome")
    # The partner is signed in nowhere: a fresh page of this script-less browser.
    page.goto(f"/r/{token}/")
    assert page.locator("script").count() == 0
    page.get_by_role("radio", name="Engaged").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ENGAGED
