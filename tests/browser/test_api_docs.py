"""The interactive API docs in a real Chromium: they load from local files only, raise no
Content-Security-Policy violation, and "Try it out" calls the API with a bearer token."""

from typing import Any

import pytest

from reciprocity.accounts.services import token_create
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_run_under_the_csp_and_try_it_out_calls_the_api(
    page: Any, live_server: Any
) -> None:
    user = UserFactory(username="integrator")
    PartnerFactory(owner=user, name="Ann Accountant")
    _token, key = token_create(user=user)
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
    )
    page.goto("/api/v1/docs")
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
    body = page.locator(f"{operation} .live-responses-table tr.response .response-col_description")

    assert status.inner_text().strip() == "200"
    assert "Ann Accountant" in body.inner_text()
    assert problems == []
    assert outside == []
