"""Signing in and out: username or email, a lockout after ten wrong passwords, sessions that
end, a password reset by email with the password rules, and no open sign-up."""

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from reciprocity.accounts.adapter import ADDRESS_THROTTLED, LOCKED_OUT
from reciprocity.accounts.models import User
from tests.conftest import PASSWORD, Cast
from tests.web import shows

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def sign_in(client: Client, login: str, password: str = PASSWORD) -> object:
    return client.post(LOGIN, {"login": login, "password": password})


def test_an_advisor_signs_in_with_their_username(cast: Cast) -> None:
    client = Client()
    response = sign_in(client, "alice")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == "/pipeline/"  # type: ignore[index]
    assert client.get("/pipeline/").status_code == 200


def test_an_advisor_signs_in_with_their_email_address(cast: Cast) -> None:
    client = Client()
    assert sign_in(client, "Alice@Example.com").status_code == 302  # type: ignore[attr-defined]
    assert client.get("/pipeline/").status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(cast: Cast) -> None:
    response = sign_in(Client(), "alice", "not the password")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert (
        "The username and/or password you specified are not correct." in response.content.decode()
    )  # type: ignore[attr-defined]


def test_ten_wrong_passwords_lock_the_account_even_against_the_right_one(cast: Cast) -> None:
    client = Client()
    for _ in range(10):
        sign_in(client, "alice", "guess")
    response = sign_in(client, "alice")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert shows(response, LOCKED_OUT)  # type: ignore[arg-type]
    assert client.get("/pipeline/").status_code == 302


def test_the_lockout_counts_the_account_whichever_name_is_typed(cast: Cast) -> None:
    client = Client()
    for attempt in range(10):
        sign_in(client, "alice" if attempt % 2 else "alice@example.com", "guess")
    assert shows(sign_in(client, "alice@example.com"), LOCKED_OUT)  # type: ignore[arg-type]


def test_a_locked_account_does_not_lock_its_colleagues(cast: Cast) -> None:
    client = Client()
    for _ in range(10):
        sign_in(client, "alice", "guess")
    assert sign_in(client, "bob").status_code == 302  # type: ignore[attr-defined]


def test_logging_out_ends_the_session(cast: Cast) -> None:
    client = Client()
    sign_in(client, "alice")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get("/pipeline/").status_code == 302


def test_sessions_end_with_the_browser_and_expire_after_the_configured_age(cast: Cast) -> None:
    client = Client()
    sign_in(client, "alice")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_a_deactivated_person_cannot_sign_in(cast: Cast) -> None:
    User.objects.filter(pk=cast.bob.pk).update(is_active=False)
    client = Client()
    response = sign_in(client, "bob")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == "/accounts/inactive/"  # type: ignore[index]
    assert client.get("/pipeline/").status_code == 302


def test_nobody_can_sign_up(db: None) -> None:
    page = Client().get("/accounts/signup/")
    assert "created by your firm admin: ask them for an invitation" in page.content.decode()
    Client().post(
        "/accounts/signup/",
        {
            "username": "intruder",
            "email": "intruder@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert not User.objects.filter(username="intruder").exists()


def _reset_link() -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_a_forgotten_password_is_reset_by_email_and_must_be_strong(cast: Cast) -> None:
    client = Client()
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert mail.outbox[-1].to == ["alice@example.com"]
    link = client.get(_reset_link())
    form_url = link["Location"] if link.status_code == 302 else _reset_link()
    weak = client.post(form_url, {"password1": "password", "password2": "password"})
    assert shows(weak, "This password is too common.")
    short = client.post(form_url, {"password1": "x7!q", "password2": "x7!q"})
    assert "too short" in short.content.decode()
    new = "a lantern over quiet harbours"
    assert client.post(form_url, {"password1": new, "password2": new}).status_code == 302
    assert sign_in(Client(), "alice", new).status_code == 302  # type: ignore[attr-defined]
    assert sign_in(Client(), "alice", PASSWORD).status_code == 200  # type: ignore[attr-defined]


def test_a_reset_for_an_unknown_address_reveals_nothing(db: None) -> None:
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"


def test_a_reset_for_an_unknown_address_sends_no_mail(db: None) -> None:
    Client().post("/accounts/password/reset/", {"email": "stranger@example.com"})
    assert mail.outbox == []


def test_signing_in_adds_nothing_to_the_persons_history(cast: Cast) -> None:
    before = User.history.filter(id=cast.alice.pk).count()  # type: ignore[attr-defined]
    sign_in(Client(), "alice")
    cast.alice.refresh_from_db()
    assert cast.alice.last_login is not None
    assert User.history.filter(id=cast.alice.pk).count() == before  # type: ignore[attr-defined]


def test_the_per_address_limit_says_the_attempts_came_from_this_address(
    cast: Cast, settings: Any
) -> None:
    # Below the sign-in page's own limit, so the form's refusal is the one that shows.
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": "5/m/ip,10/15m/key",
    }
    client = Client()
    for attempt in range(5):
        sign_in(client, f"nobody{attempt}", "guess")

    response = sign_in(client, "bob")

    assert shows(response, ADDRESS_THROTTLED)  # type: ignore[arg-type]
    assert not shows(response, LOCKED_OUT)  # type: ignore[arg-type]
    assert client.get("/pipeline/").status_code == 302


def test_the_sign_in_page_over_its_limit_blames_the_address_not_the_account(cast: Cast) -> None:
    client = Client()
    for attempt in range(30):
        sign_in(client, f"nobody{attempt}", "guess")

    response = sign_in(client, "bob")

    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "came from your network address" in response.content.decode()  # type: ignore[attr-defined]
    assert "locked" not in response.content.decode()  # type: ignore[attr-defined]
