"""Personal access tokens managed in the web app: created with a name, an expiry and a scope,
shown once, listed with their last use, revoked; the API honours the scope and the expiry, and
the command line keeps working."""

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reciprocity.accounts.models import ApiToken, TokenScope
from reciprocity.accounts.services import TOKEN_EXPIRY_PAST, token_create
from reciprocity.api.auth import BEARER_REFUSED, TOKEN_READ_ONLY
from reciprocity.partners.models import Partner
from tests.api_client import ApiClient
from tests.conftest import Cast, client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'value="(rcp_[^"]+)"')


def created(response: Any) -> str:
    assert response.status_code == 200
    found = SECRET.search(response.content.decode())
    assert found is not None
    return found.group(1)


def bearer(secret: str) -> ApiClient:
    return ApiClient(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_token_created_on_the_page_is_shown_once_and_works(cast: Cast) -> None:
    page = client_for(cast.alice)
    response = page.post(
        reverse("api_tokens"), {"name": "CRM sync", "expires": "90", "scope": "read_write"}
    )
    secret = created(response)
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=cast.alice)
    assert (token.name, token.scope) == ("CRM sync", TokenScope.READ_WRITE)
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=90))) < dt.timedelta(
        minutes=5
    )
    assert secret not in page.get(reverse("api_tokens")).content.decode()

    answer = bearer(secret).call("POST", "partners", {"name": "Via token", "profession": "cpa"})
    assert answer.status_code == 201


def test_the_list_shows_each_token_with_its_last_use(cast: Cast) -> None:
    token, secret = token_create(user=cast.alice, name="Old laptop")
    bearer(secret).call("GET", "partners")
    token.refresh_from_db()
    assert token.last_used_at is not None
    with_page = client_for(cast.alice).get(reverse("api_tokens"))
    html = with_page.content.decode()
    assert "Old laptop" in html
    assert token.hint in html
    assert timezone.localtime(token.last_used_at).strftime("%Y") in html


def test_the_page_lists_only_your_own_tokens(cast: Cast) -> None:
    token_create(user=cast.bob, name="Bob's robot")
    html = client_for(cast.alice).get(reverse("api_tokens")).content.decode()
    assert "Bob&#x27;s robot" not in html
    assert "Bob's robot" not in html


def test_a_read_only_token_reads_but_every_write_is_refused_with_403(cast: Cast) -> None:
    page = client_for(cast.alice)
    secret = created(
        page.post(reverse("api_tokens"), {"name": "Reports", "expires": "30", "scope": "read"})
    )
    client = bearer(secret)
    assert client.call("GET", "partners").status_code == 200
    before = Partner.objects.count()
    refused = client.call("POST", "partners", {"name": "No", "profession": "cpa"})
    assert refused.status_code == 403
    assert refused.json() == {"detail": TOKEN_READ_ONLY}
    patched = client.call("PATCH", f"partners/{cast.alice_private.pk}", {"notes": "no"})
    assert patched.status_code == 403
    assert Partner.objects.count() == before
    assert Partner.objects.get(pk=cast.alice_private.pk).notes == ""


def test_a_token_that_never_expires_can_be_chosen(cast: Cast) -> None:
    created(
        client_for(cast.alice).post(
            reverse("api_tokens"), {"name": "Server", "expires": "never", "scope": "read"}
        )
    )
    assert ApiToken.objects.get(user=cast.alice).expires_at is None


def test_an_expired_token_is_refused(cast: Cast) -> None:
    _token, secret = token_create(
        user=cast.alice, name="Brief", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    ApiToken.objects.filter(user=cast.alice).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = bearer(secret).call("GET", "partners")
    assert response.status_code == 401
    assert response.json() == {"detail": BEARER_REFUSED}


def test_an_expiry_in_the_past_is_refused_by_the_service() -> None:
    with pytest.raises(ValidationError) as refused:
        token_create(user=UserFactory(), name="x", expires_at=timezone.now() - dt.timedelta(days=1))
    assert refused.value.message_dict == {"expires_at": [TOKEN_EXPIRY_PAST]}


def test_a_form_without_a_name_is_refused_and_creates_nothing(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("api_tokens"), {"name": "", "expires": "30", "scope": "read"}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.filter(user=cast.alice).exists()


def test_revoking_a_token_on_the_page_makes_the_api_refuse_it(cast: Cast) -> None:
    token, secret = token_create(user=cast.alice, name="Lost phone")
    response = client_for(cast.alice).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(secret).call("GET", "partners").status_code == 401
    assert "Revoked" in client_for(cast.alice).get(reverse("api_tokens")).content.decode()


def test_someone_elses_token_cannot_be_revoked_and_looks_like_none(cast: Cast) -> None:
    token, _secret = token_create(user=cast.bob, name="Bob's")
    response = client_for(cast.alice).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_tokens_page_needs_a_login(cast: Cast) -> None:
    response = Client().get(reverse("api_tokens"))
    assert response.status_code == 302


def test_the_tokens_page_costs_a_bounded_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        token_create(user=cast.alice, name=f"token {n}")
    page = client_for(cast.alice)
    with django_assert_max_num_queries(12):
        assert page.get(reverse("api_tokens")).status_code == 200


def test_the_command_line_still_creates_tokens_with_a_scope_and_an_expiry(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("token", "create", "alice", "--read-only", "--expires-in", "7")
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=cast.alice)
    assert token.scope == TokenScope.READ
    assert token.expires_at is not None
    assert bearer(secret).call("GET", "partners").status_code == 200

    call_command("token", "create", "alice")
    plain = capsys.readouterr().out.strip()
    assert (
        bearer(plain).call("POST", "partners", {"name": "x", "profession": "cpa"}).status_code
        == 201
    )
