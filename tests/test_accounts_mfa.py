"""Two-factor authentication: an authenticator app with recovery codes, and a firm rule that
makes it compulsory for the web pages and the API alike."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client

from reciprocity.accounts.adapter import MFA_KEPT
from reciprocity.accounts.middleware import MFA_REQUIRED
from reciprocity.accounts.models import Firm
from reciprocity.accounts.services import token_create
from reciprocity.api.auth import MFA_REQUIRED as API_MFA_REQUIRED
from tests.api_client import session_client, token_client
from tests.conftest import PASSWORD, Cast
from tests.mfa import enrol, signed_in, totp
from tests.web import htmx, shows

pytestmark = pytest.mark.django_db
SETUP = "/accounts/2fa/totp/activate/"


def require_mfa(cast: Cast) -> None:
    Firm.objects.filter(pk=cast.firm.pk).update(requires_mfa=True)


def test_an_advisor_enrols_an_authenticator_app_and_gets_recovery_codes(cast: Cast) -> None:
    client = signed_in("alice")
    enrol(client)
    types = set(Authenticator.objects.filter(user=cast.alice).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert codes.status_code == 200
    assert len(re.findall(r"\b\d{8}\b", codes.content.decode())) == 10


def test_setting_up_an_authenticator_asks_for_the_password_again(cast: Cast) -> None:
    client = signed_in("alice")
    response = client.get(SETUP)
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert client.post(response["Location"], {"password": "wrong"}).status_code == 200
    assert client.get(SETUP).status_code == 302
    client.post(response["Location"], {"password": PASSWORD})
    assert client.get(SETUP).status_code == 200


def reauthenticated(username: str) -> Client:
    client = signed_in(username)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return client


def test_a_wrong_code_does_not_activate_anything(cast: Cast) -> None:
    client = reauthenticated("alice")
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=cast.alice).exists()


def test_signing_in_then_asks_for_a_code(cast: Cast) -> None:
    secret = enrol(signed_in("alice"))
    client = Client()
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/pipeline/").status_code == 302
    bad = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert "Incorrect code." in bad.content.decode()
    good = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert good["Location"] == "/pipeline/"
    assert client.get("/pipeline/").status_code == 200


def test_a_code_works_only_once(cast: Cast) -> None:
    secret = enrol(signed_in("alice"))
    code = totp(secret)
    first = Client()
    first.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    second = Client()
    second.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    replay = second.post("/accounts/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200
    assert second.get("/pipeline/").status_code == 302


def test_a_recovery_code_signs_in_once_when_the_phone_is_lost(cast: Cast) -> None:
    enrol(signed_in("alice"))
    codes = RecoveryCodes(
        Authenticator.objects.get(user=cast.alice, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    client = Client()
    client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    again = Client()
    again.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert again.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200


def test_the_setup_page_keeps_to_the_content_security_policy(cast: Cast) -> None:
    page = reauthenticated("alice").get(SETUP)
    html = page.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+"', html)
    assert "data:" in page["Content-Security-Policy"].split("img-src")[1].split(";")[0]
    assert " style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html


# --- The firm requires two-factor authentication ---------------------------------------------


def test_without_an_authenticator_every_page_leads_to_the_setup(cast: Cast) -> None:
    require_mfa(cast)
    client = signed_in("alice")
    for url in ("/pipeline/", "/partners/", f"/partners/{cast.alice_private.pk}/", "/agenda/"):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, SETUP), url
    assert shows(client.get(SETUP, follow=True), MFA_REQUIRED)
    assert client.post(f"/partners/{cast.alice_private.pk}/archive/").status_code == 302
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.archived_at is None


def test_an_htmx_request_is_sent_to_the_setup_as_a_whole_page(cast: Cast) -> None:
    require_mfa(cast)
    response = signed_in("alice").get("/pipeline/", headers=htmx("board"))
    assert response["HX-Redirect"] == SETUP


def test_the_setup_logging_out_and_static_files_stay_reachable(cast: Cast) -> None:
    require_mfa(cast)
    client = signed_in("alice")
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get(SETUP)["Location"].startswith("/accounts/reauthenticate/")
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    assert client.get(SETUP).status_code == 200
    assert client.get("/static/css/app.css").status_code != 302
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_once_enrolled_the_advisor_works_as_usual(cast: Cast) -> None:
    require_mfa(cast)
    client = signed_in("alice")
    enrol(client)
    assert client.get("/pipeline/").status_code == 200


def test_nobody_removes_the_authenticator_the_firm_requires(cast: Cast) -> None:
    client = signed_in("alice")
    enrol(client)
    require_mfa(cast)
    response = client.post("/accounts/2fa/totp/deactivate/", follow=True)
    assert shows(response, MFA_KEPT)
    assert Authenticator.objects.filter(user=cast.alice, type=Authenticator.Type.TOTP).exists()


def test_the_rule_binds_only_its_own_firm(cast: Cast) -> None:
    require_mfa(cast)
    assert signed_in("mallory").get("/pipeline/").status_code == 200


def test_the_api_refuses_a_token_of_someone_without_an_authenticator(cast: Cast) -> None:
    require_mfa(cast)
    token_create(user=cast.alice)
    response = token_client(cast.alice).get("/api/v1/partners")
    assert response.status_code == 403
    assert response.json() == {"detail": API_MFA_REQUIRED}


def test_the_api_refuses_a_session_of_someone_without_an_authenticator(cast: Cast) -> None:
    require_mfa(cast)
    response = session_client(cast.alice).get("/api/v1/partners")
    assert response.status_code == 403
    assert response.json() == {"detail": API_MFA_REQUIRED}


def test_the_api_answers_once_the_authenticator_is_set_up(cast: Cast) -> None:
    enrol(signed_in("alice"))
    require_mfa(cast)
    assert token_client(cast.alice).get("/api/v1/partners").status_code == 200


def test_the_message_is_the_one_integrators_read(db: None) -> None:
    assert API_MFA_REQUIRED == (
        "Your firm requires two-factor authentication; set it up in the web app first."
    )
