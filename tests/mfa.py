"""Helpers for two-factor tests: sign in through the form (so allauth records how), enrol an
authenticator app, and compute its codes the way the app on a phone does."""

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from tests.conftest import PASSWORD

SECRET_IN_PAGE = re.compile(r'id="authenticator_secret"[^>]*value="([A-Z2-7=]+)"')


def totp(secret: str, at: float | None = None) -> str:
    return format_hotp_value(hotp_value(secret, int(at or time.time()) // 30))


def signed_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": username, "password": password})
    assert response.status_code == 302, response.content.decode()
    return client


def enrol(client: Client, password: str = PASSWORD) -> str:
    """Activate an authenticator app from its setup page, confirming the password first as
    allauth asks; return the secret the page shows."""
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/"):
        client.post(page["Location"], {"password": password})
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page
    match = SECRET_IN_PAGE.search(page.content.decode())
    assert match, page.content.decode()
    secret = match.group(1)
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert response.status_code == 302, response.content.decode()
    return secret
