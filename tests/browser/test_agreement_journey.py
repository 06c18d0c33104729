"""Playbook journeys in a real Chromium: writing down a partnership agreement whose promises
become commitments, and keeping a partner warm from the agenda."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reciprocity.accounts.models import User
from reciprocity.partners import services
from reciprocity.partners.models import (
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    Partner,
    Profession,
    Stage,
    Touch,
    TouchKind,
)
from reciprocity.playbook.models import AgendaSnooze, Agreement
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.playbook.services.firm import firm_defaults_install
from reciprocity.playbook.services.library import case_create, concern_log
from reciprocity.playbook.services.meetings import meeting_schedule
from reciprocity.playbook.services.message import advisor_message_set
from reciprocity.playbook.services.strategies import (
    opportunity_close,
    opportunity_create,
    opportunity_link_referral,
)
from reciprocity.referrals.models import Direction
from reciprocity.referrals.services.ledger import referral_create
from tests.browser.conftest import axe_violations, log_in
from tests.factories import CommitmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def advisor() -> User:
    user = UserFactory(username="avery", first_name="Avery", last_name="Stone")
    assert user.firm is not None
    firm_defaults_install(firm=user.firm)
    return user


def a_partner(advisor: User, *, stage: str, days_in_stage: int = 0) -> Partner:
    return services.partner_create(
        by=advisor,
        name="Carla Reyes",
        profession=Profession.ATTORNEY,
        organization="Reyes Estate Law",
        stage=stage,
        occurred_at=timezone.now() - dt.timedelta(days=days_in_stage),
    )


def test_an_agreement_is_written_down_and_its_promises_become_commitments(
    page: Any, advisor: User
) -> None:
    partner = a_partner(advisor, stage=Stage.PROPOSED)
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/")
    playbook = page.locator("#playbook")
    expect(playbook).to_contain_text("Nothing written down yet")
    playbook.get_by_role("link", name="Write the agreement").click()

    review = timezone.localdate() + dt.timedelta(days=120)
    page.get_by_label("What you will do").fill(
        "Send the estate-planning article\nInvite Carla to the spring seminar"
    )
    page.get_by_label("What the partner will do").fill(
        "Introduce us to the business owners' association"
    )
    page.get_by_label("Conference call").check()
    page.get_by_label("Next review").fill(review.isoformat())
    page.get_by_role("button", name="Record the agreement").click()

    expect(page.locator("#messages")).to_contain_text("Agreement recorded")
    expect(page.get_by_role("heading", name="The agreement in force")).to_be_visible()
    expect(page.locator(".promise", has_text="Invite Carla to the spring seminar")).to_contain_text(
        "Open"
    )
    assert axe_violations(page) == []

    page.get_by_role("link", name="Carla Reyes").first.click()
    commitments = page.locator(".panel--commitments")
    for what in (
        "Send the estate-planning article",
        "Invite Carla to the spring seminar",
        "Introduce us to the business owners' association",
        "Review the agreement with Carla Reyes",
    ):
        expect(commitments).to_contain_text(what)
    expect(commitments.locator(".commitment", has_text="business owners")).to_contain_text(
        "Partner"
    )
    expect(page.locator("#playbook")).to_contain_text("Referrals by conference call")

    agreement = Agreement.objects.get(partner=partner)
    owners = {
        (c.what, c.owner)
        for c in Commitment.objects.filter(promise__agreement=agreement, status="open")
    }
    assert owners == {
        ("Send the estate-planning article", CommitmentOwner.ADVISOR),
        ("Invite Carla to the spring seminar", CommitmentOwner.ADVISOR),
        ("Introduce us to the business owners' association", CommitmentOwner.PARTNER),
    }

    page.goto(f"/partners/{partner.pk}/agreement/print/")
    expect(page.get_by_role("heading", name="Partnership agreement")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".document")).to_contain_text("What Carla Reyes will do")


def test_an_overdue_keep_warm_touch_is_cleared_on_the_agenda(page: Any, advisor: User) -> None:
    partner = a_partner(advisor, stage=Stage.ACTIVE, days_in_stage=200)
    services.touch_log(
        partner=partner,
        by=advisor,
        kind=TouchKind.EMAIL,
        summary="Sent the newsletter article",
        occurred_at=timezone.now() - dt.timedelta(days=130),
    )
    late = CommitmentFactory(
        partner=partner, what="Send the trust checklist", due=timezone.localdate() - dt.timedelta(1)
    )
    log_in(page, advisor)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agenda").click()

    overdue = page.locator(".agenda__group--overdue")
    item = overdue.locator(".agenda-item", has_text="Touch base with Carla Reyes")
    expect(item).to_contain_text("Keep warm")
    expect(item).to_contain_text("Touch base every 4 months")
    expect(item.get_by_label("Log as")).to_have_value(TouchKind.CALL.value)
    assert axe_violations(page) == []
    page.evaluate("window.stillTheSamePage = true")

    item.get_by_role("button", name="Done").click()
    expect(page.locator("#messages")).to_contain_text("Logged: Call with Carla Reyes")
    expect(overdue.locator(".agenda-item", has_text="Touch base")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage === true")
    assert Touch.objects.filter(partner=partner, kind=TouchKind.CALL).count() == 1

    # The other overdue item is put off, with the reason, until next week.
    other = overdue.locator(".agenda-item", has_text="Send the trust checklist")
    other.locator("summary").click()
    other.get_by_label("Why").fill("Carla is away until Monday")
    other.get_by_role("button", name="Snooze", exact=True).click()
    expect(page.locator(".agenda__group--overdue")).to_have_count(0)
    expect(page.locator(".agenda__group--snoozed")).to_contain_text("Carla is away until Monday")
    assert AgendaSnooze.objects.get().key == f"commitment:{partner.pk}:{late.pk}"
    late.refresh_from_db()
    assert late.status == CommitmentStatus.OPEN


def test_the_playbook_pages_pass_axe(page: Any, advisor: User) -> None:
    partner = a_partner(advisor, stage=Stage.ACTIVE, days_in_stage=30)
    advisor_message_set(
        by=advisor, whom_i_help="Business owners selling", what_is_unique="One plan for all"
    )
    meeting = meeting_schedule(
        partner=partner,
        by=advisor,
        kind="due_diligence",
        scheduled_for=timezone.now() + dt.timedelta(days=2),
    )
    concern = concern_log(
        partner=partner, by=advisor, source="client_complaint", description="Worried about tax"
    )
    case = case_create(
        partner=partner, by=advisor, alias="Client A", description="A surgeon", topics=["tax"]
    )
    agreement_create(
        partner=partner,
        by=advisor,
        promises=[PromiseInput("advisor", "a"), PromiseInput("partner", "b")],
        referral_process="email_thread",
        next_review=timezone.localdate() + dt.timedelta(days=90),
    )
    # Opportunities in every state the page offers a form for: to close with a referral, to
    # link one, and one linked to its referral.
    opportunity_create(partner=partner, by=advisor, title="Asked about her pension")
    unlinked = opportunity_create(partner=partner, by=advisor, title="A trust to fund")
    opportunity_close(opportunity=unlinked, by=advisor, outcome="referred")
    linked = opportunity_create(partner=partner, by=advisor, title="A business sale")
    referral = referral_create(
        by=advisor, partner=partner, direction=Direction.RECEIVED, need="Selling the firm"
    )
    referral_create(by=advisor, partner=partner, direction=Direction.RECEIVED, need="A widow")
    opportunity_link_referral(opportunity=linked, referral=referral, by=advisor)
    log_in(page, advisor)
    p = f"/partners/{partner.pk}"
    for path in (
        f"/referrals/{referral.pk}/",
        f"{p}/",
        f"{p}/agreement/",
        f"{p}/agreement/print/",
        f"{p}/meetings/",
        f"{p}/meetings/{meeting.pk}/",
        f"{p}/cadences/",
        f"{p}/concerns/",
        f"{p}/concerns/{concern.pk}/",
        f"{p}/opportunities/",
        f"{p}/cases/",
        f"{p}/cases/{case.pk}/",
        "/playbook/",
        "/playbook/message/",
        "/playbook/calendar/",
        "/playbook/meetings/",
        "/playbook/cadences/",
        "/playbook/questions/",
        "/playbook/library/",
    ):
        assert page.goto(path).status == 200, path
        assert axe_violations(page) == [], path


def test_an_opportunity_is_closed_with_the_referral_it_produced(page: Any, advisor: User) -> None:
    partner = a_partner(advisor, stage=Stage.ACTIVE, days_in_stage=30)
    opportunity = opportunity_create(partner=partner, by=advisor, title="Asked about her pension")
    referral = referral_create(
        by=advisor, partner=partner, direction=Direction.RECEIVED, need="A pension rollover"
    )
    log_in(page, advisor)
    page.goto(f"/partners/{partner.pk}/opportunities/")
    item = page.locator(f"#opportunity-{opportunity.pk}")
    item.get_by_label("Referral received").select_option(value=str(referral.pk))
    item.get_by_role("button", name="Referred").click()

    item = page.locator(f"#opportunity-{opportunity.pk}")
    expect(item.get_by_role("link", name="A pension rollover")).to_be_visible()
    item.get_by_role("link", name="A pension rollover").click()
    expect(page.get_by_text("From opportunity")).to_be_visible()
    expect(page.get_by_role("link", name="Asked about her pension")).to_be_visible()
