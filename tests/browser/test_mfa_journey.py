"""Two-factor authentication in a real Chromium: an advisor enrols an authenticator app (the QR
code loads under the Content-Security-Policy), then signs in again with a code from it."""

from typing import Any

import pytest

from reciprocity.accounts.models import Firm
from tests.browser.conftest import axe_violations
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.mfa import totp

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Any, login: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_login", login)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def test_an_advisor_enrols_an_authenticator_and_signs_in_with_a_code(page: Any) -> None:
    user = UserFactory(username="tessa", email="tessa@example.com")
    Firm.objects.filter(pk=user.firm_id).update(requires_mfa=True)
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    # The firm requires two-factor authentication: signing in leads to the setup, through a
    # password check (allauth asks for it before changing how the account signs in).
    sign_in(page, "tessa")
    page.wait_for_url("**/accounts/reauthenticate/**")
    assert "Your firm requires two-factor authentication" in page.content()
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/totp/activate/")

    qr = page.locator("img.qr-code")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", qr.element_handle())
    secret = page.input_value("#authenticator_secret")
    assert axe_violations(page) == []
    page.fill("#id_code", totp(secret))
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    assert page.locator("#recovery_codes").input_value().count("\n") == 9

    page.goto("/pipeline/")
    assert page.url.endswith("/pipeline/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")

    sign_in(page, "tessa@example.com")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp(secret))
    page.click("main button[type=submit]")
    page.wait_for_url("**/pipeline/")
    assert page.locator("h1").first.inner_text() == "Pipeline"
    assert problems == []
