"""Who may call the API: a live personal access token, or a logged-in session with its CSRF
token for writes. Every change made through the API is attributed to the caller and to "api"."""

import datetime as dt

from django.utils import timezone

from reciprocity.accounts.services import token_create, token_revoke
from reciprocity.api.auth import (
    BEARER_REFUSED,
    CSRF_FAILED,
    MALFORMED_AUTHORIZATION,
    NOT_AUTHENTICATED,
)
from reciprocity.partners.models import Partner
from tests.api_client import ApiClient, session_client, token_client
from tests.conftest import Cast

NEW_PARTNER = {"name": "Nora Newcomer", "profession": "attorney"}


def test_a_valid_token_lists_the_callers_partners(cast: Cast) -> None:
    response = token_client(cast.alice).call("GET", "partners")
    assert response.status_code == 200
    names = {item["name"] for item in response.json()["items"]}
    assert names == {"Priya Private", "Sam Shared"}


def test_a_valid_token_records_when_it_was_last_used(cast: Cast) -> None:
    token, key = token_create(user=cast.alice)
    ApiClient(HTTP_AUTHORIZATION=f"Bearer {key}").call("GET", "partners")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_request_without_credentials_is_refused_with_401(cast: Cast) -> None:
    response = ApiClient().call("GET", "partners")
    assert response.status_code == 401
    assert response.json() == {"detail": NOT_AUTHENTICATED}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_with_401(cast: Cast) -> None:
    token, key = token_create(user=cast.alice)
    token_revoke(token=token, by=cast.alice)
    response = ApiClient(HTTP_AUTHORIZATION=f"Bearer {key}").call("POST", "partners", NEW_PARTNER)
    assert response.status_code == 401
    assert response.json() == {"detail": BEARER_REFUSED}
    assert not Partner.objects.filter(name="Nora Newcomer").exists()


def test_an_unknown_token_is_refused_with_401(cast: Cast) -> None:
    response = ApiClient(HTTP_AUTHORIZATION="Bearer rcp_not-a-real-token").call("GET", "partners")
    assert response.status_code == 401
    assert response.json() == {"detail": BEARER_REFUSED}


def test_the_token_of_a_deactivated_user_is_refused(cast: Cast) -> None:
    client = token_client(cast.alice)
    cast.alice.is_active = False
    cast.alice.save()
    assert client.call("GET", "partners").status_code == 401


def test_a_malformed_authorization_header_is_refused_with_401(cast: Cast) -> None:
    for header in ("Token rcp_abc", "Bearer", "Bearer   ", "rcp_abc", "bearer:rcp_abc"):
        response = ApiClient(HTTP_AUTHORIZATION=header).call("GET", "partners")
        assert response.status_code == 401, header
        assert response.json() == {"detail": MALFORMED_AUTHORIZATION}


def test_a_proxys_basic_credentials_do_not_lock_out_a_logged_in_browser(cast: Cast) -> None:
    header = "Basic YWxpY2U6cHc="
    assert (
        session_client(cast.alice).call("GET", "partners", HTTP_AUTHORIZATION=header).status_code
        == 200
    )
    response = ApiClient(HTTP_AUTHORIZATION=header).call("GET", "partners")
    assert response.status_code == 401
    assert response.json() == {"detail": NOT_AUTHENTICATED}


def test_a_bad_token_is_refused_even_with_a_logged_in_session(cast: Cast) -> None:
    # A script must never silently act as whoever is logged in in the same browser.
    client = session_client(cast.alice)
    response = client.call("GET", "partners", HTTP_AUTHORIZATION="Bearer rcp_wrong")
    assert response.status_code == 401


def test_the_session_of_a_logged_in_user_reads_without_a_csrf_token(cast: Cast) -> None:
    client = session_client(cast.alice, enforce_csrf_checks=True)
    response = client.call("GET", "partners")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_a_session_write_without_the_csrf_token_is_refused_and_saves_nothing(cast: Cast) -> None:
    client = session_client(cast.alice, enforce_csrf_checks=True)
    response = client.call("POST", "partners", NEW_PARTNER)
    assert response.status_code == 403
    assert response.json() == {"detail": CSRF_FAILED}
    assert not Partner.objects.filter(name="Nora Newcomer").exists()


def test_a_session_write_with_the_csrf_token_succeeds(cast: Cast) -> None:
    client = session_client(cast.alice, enforce_csrf_checks=True)
    # The docs page hands the browser its CSRF cookie, as any page of the web UI does.
    client.get("/api/v1/docs")
    csrf = client.cookies["csrftoken"].value
    response = client.call("POST", "partners", NEW_PARTNER, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.json()
    assert response.json()["owner"]["username"] == "alice"


def test_a_token_write_needs_no_csrf_token(cast: Cast) -> None:
    _token, key = token_create(user=cast.alice)
    client = ApiClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.call("POST", "partners", NEW_PARTNER).status_code == 201


def test_changes_through_the_api_are_attributed_to_the_token_user_and_to_the_api(
    cast: Cast,
) -> None:
    client = token_client(cast.bob)
    created = client.call("POST", "partners", NEW_PARTNER).json()
    client.call("POST", f"partners/{created['id']}/touches", {"kind": "call", "summary": "Hi"})

    partner = Partner.objects.get(pk=created["id"])
    for record in [*partner.history.all(), *partner.touches.get().history.all()]:
        assert record.history_user == cast.bob
        assert record.history_source == "api"
    assert partner.owner == cast.bob


def test_a_token_is_refused_once_revoked_even_if_it_worked_before(cast: Cast) -> None:
    token, key = token_create(user=cast.alice)
    client = ApiClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.call("GET", "partners").status_code == 200
    token_revoke(token=token, by=cast.alice)
    assert client.call("GET", "partners").status_code == 401


def test_a_recently_used_token_is_not_written_on_every_request(cast: Cast) -> None:
    token, key = token_create(user=cast.alice)
    token.last_used_at = timezone.now() - dt.timedelta(seconds=5)
    token.save()
    ApiClient(HTTP_AUTHORIZATION=f"Bearer {key}").call("GET", "partners")
    before = token.last_used_at
    token.refresh_from_db()
    assert token.last_used_at == before
