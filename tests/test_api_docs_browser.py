"""The interactive API docs in a real Chromium: they load from local files only, raise no
Content-Security-Policy violation, and "Try it out" calls the API with a bearer token."""

import os
import shutil
from typing import Any

import pytest

from reciprocity.accounts.services import token_create
from tests.factories import PartnerFactory, UserFactory

CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine"),
]


def test_the_docs_run_under_the_csp_and_try_it_out_calls_the_api(
    live_server: Any, transactional_db: None
) -> None:
    from playwright.sync_api import sync_playwright

    user = UserFactory(username="integrator")
    PartnerFactory(owner=user, name="Ann Accountant")
    _token, key = token_create(user=user)
    problems: list[str] = []
    outside: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "request",
            lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
        )
        page.goto(f"{live_server.url}/api/v1/docs")
        page.wait_for_selector(".opblock", timeout=30_000)

        page.click("button.authorize")
        page.fill(".auth-container input[type=text]", key)
        page.click("button.modal-btn.auth.authorize")
        page.click("button.btn-done")
        operation = "#operations-Partners-list_partners"
        page.click(f"{operation} .opblock-summary")
        page.click(f"{operation} button.try-out__btn")
        page.click(f"{operation} button.execute")
        status = page.locator(f"{operation} .live-responses-table tr.response .response-col_status")
        status.wait_for(timeout=30_000)
        body = page.locator(
            f"{operation} .live-responses-table tr.response .response-col_description"
        )
        text = status.inner_text(), body.inner_text()
        browser.close()

    assert text[0].strip() == "200"
    assert "Ann Accountant" in text[1]
    assert problems == []
    assert outside == []
