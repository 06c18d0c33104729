"""A partner's papers in a real Chromium: the meeting brief and the annual review open from the
partner page with no console error or CSP refusal, and each downloads as a one-page PDF."""

import io
from typing import Any
from urllib.parse import urljoin

import pypdfium2
import pytest
from playwright.sync_api import expect

from reciprocity.partners import services
from reciprocity.partners.models import Profession, Stage
from reciprocity.referrals.models import Direction
from tests.browser.conftest import SCREENSHOTS, axe_violations, log_in
from tests.factories import ReferralFactory, UserFactory, ago

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_of(page: Any) -> Any:
    """Follow the page's "Download as PDF" link in the signed-in browser context."""
    href = page.get_by_role("link", name="Download as PDF").get_attribute("href")
    return page.request.get(urljoin(page.url, href))


def test_the_brief_and_the_review_open_from_the_partner_page_and_download_as_pdf(
    page: Any,
) -> None:
    advisor = UserFactory(username="riley")
    partner = services.partner_create(
        by=advisor,
        name="Dana Whitfield",
        profession=Profession.CPA,
        organization="Whitfield Tax",
        stage=Stage.ACTIVE,
        occurred_at=ago(300),
        values="Clients who file on time",
    )
    ReferralFactory(partner=partner, direction=Direction.RECEIVED, need="Cash flow for a practice")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    log_in(page, advisor)

    page.goto(f"/partners/{partner.pk}/")
    page.get_by_role("link", name="Meeting brief").click()
    expect(page.get_by_role("heading", name="Dana Whitfield")).to_be_visible()
    expect(page.get_by_text("Clients who file on time")).to_be_visible()
    expect(page.get_by_text("Cash flow for a practice", exact=False)).to_be_visible()
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "meeting-brief.png"), full_page=True)
    brief_pdf = pdf_of(page)
    assert brief_pdf.headers["content-type"] == "application/pdf"
    assert len(pypdfium2.PdfDocument(io.BytesIO(brief_pdf.body()))) == 1

    page.get_by_role("link", name="Annual review").click()
    expect(page.get_by_text("The year in figures")).to_be_visible()
    expect(page.get_by_label("Year")).to_be_visible()
    assert axe_violations(page) == []
    review_pdf = pdf_of(page)
    assert review_pdf.headers["content-type"] == "application/pdf"
    assert len(pypdfium2.PdfDocument(io.BytesIO(review_pdf.body()))) >= 1
    assert problems == []
