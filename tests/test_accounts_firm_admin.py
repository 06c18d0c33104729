"""A firm admin invites people, changes roles, deactivates (never deletes), manages teams and
the firm's settings; nobody else can, and nothing of another firm is within reach."""

import re

import pytest
from django.core import mail
from django.test import Client

from reciprocity.accounts import services
from reciprocity.accounts.decorators import NOT_AUDIT_READER
from reciprocity.accounts.models import DEFAULT_RETENTION_DAYS, Firm, Role, Team, User
from reciprocity.accounts.services import token_create
from tests.api_client import token_client
from tests.conftest import PASSWORD, Cast, client_for
from tests.factories import UserFactory
from tests.web import queries_for, shows

pytestmark = pytest.mark.django_db


def invite(cast: Cast, **data: object) -> object:
    return client_for(cast.ada).post(
        "/firm/people/", {"email": "dana@example.com", "role": Role.ADVISOR, **data}
    )


def invitation_link() -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_an_invited_advisor_cannot_sign_in_until_they_choose_a_password(cast: Cast) -> None:
    response = invite(cast, first_name="Dana", teams=[cast.north.pk])
    assert response.status_code == 302  # type: ignore[attr-defined]
    dana = User.objects.get(email="dana@example.com")
    assert (dana.firm, dana.role, dana.username) == (cast.firm, Role.ADVISOR, "dana")
    assert dana.is_invited
    assert not dana.has_usable_password()
    assert list(dana.teams.all()) == [cast.north]
    assert mail.outbox[-1].to == ["dana@example.com"]
    assert "Harbor Wealth" in mail.outbox[-1].subject
    client = Client()
    assert client.post("/accounts/login/", {"login": "dana", "password": ""}).status_code == 200

    link = client.get(invitation_link())
    form_url = link["Location"] if link.status_code == 302 else invitation_link()
    assert "Choose a password" in client.get(form_url).content.decode()
    chosen = "tidewater ledger morning"
    assert client.post(form_url, {"password1": chosen, "password2": chosen}).status_code == 302
    assert (
        client.post("/accounts/login/", {"login": "dana@example.com", "password": chosen})[
            "Location"
        ]
        == "/pipeline/"
    )
    dana.refresh_from_db()
    assert not dana.is_invited


def test_an_invitation_link_works_once(cast: Cast) -> None:
    invite(cast)
    link = invitation_link()
    client = Client()
    form_url = client.get(link)["Location"]
    chosen = "tidewater ledger morning"
    client.post(form_url, {"password1": chosen, "password2": chosen})
    again = Client().get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_an_address_already_in_use_is_refused(cast: Cast) -> None:
    response = invite(cast, email="ALICE@example.com")
    assert shows(response, services.EMAIL_TAKEN)  # type: ignore[arg-type]
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert mail.outbox == []


def test_usernames_of_invited_people_never_collide(cast: Cast) -> None:
    invite(cast, email="alice@elsewhere.example")
    assert User.objects.get(email="alice@elsewhere.example").username == "alice2"


def test_the_invitation_can_be_sent_again_until_it_is_used(cast: Cast) -> None:
    invite(cast)
    dana = User.objects.get(email="dana@example.com")
    client_for(cast.ada).post(f"/firm/people/{dana.pk}/invite/")
    assert len(mail.outbox) == 2
    response = client_for(cast.ada).post(f"/firm/people/{cast.alice.pk}/invite/", follow=True)
    assert shows(response, services.NOT_INVITED)
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("who", ["alice", "cole"])
def test_only_a_firm_admin_reaches_the_firm_pages(cast: Cast, who: str) -> None:
    client = client_for(getattr(cast, who))
    for url in ("/firm/people/", "/firm/teams/", "/firm/settings/"):
        assert client.get(url).status_code == 403
    assert (
        client.post("/firm/people/", {"email": "x@example.com", "role": "advisor"}).status_code
        == 403
    )
    assert not User.objects.filter(email="x@example.com").exists()
    assert client.get(f"/firm/people/{cast.bob.pk}/").status_code == 404


def test_an_admin_of_another_firm_cannot_reach_these_people(cast: Cast) -> None:
    other_admin = UserFactory(firm=cast.other_firm, role=Role.FIRM_ADMIN)
    client = client_for(other_admin)
    assert client.get(f"/firm/people/{cast.alice.pk}/").status_code == 404
    assert client.post(f"/firm/people/{cast.alice.pk}/deactivate/").status_code == 404
    assert client.get(f"/firm/teams/{cast.north.pk}/").status_code == 404
    assert cast.alice.username not in client.get("/firm/people/").content.decode()


def test_deactivating_someone_ends_their_sessions_and_tokens_and_keeps_them(cast: Cast) -> None:
    bob_client = client_for(cast.bob)
    _token, key = token_create(user=cast.bob)
    assert client_for(cast.ada).post(f"/firm/people/{cast.bob.pk}/deactivate/").status_code == 302
    cast.bob.refresh_from_db()
    assert not cast.bob.is_active
    assert bob_client.get("/pipeline/").status_code == 302
    assert token_client(cast.bob).get("/api/v1/partners").status_code == 401
    assert User.objects.filter(pk=cast.bob.pk).exists()
    record = User.history.filter(id=cast.bob.pk).latest("history_date")  # type: ignore[attr-defined]
    assert (record.is_active, record.history_user, record.history_source) == (
        False,
        cast.ada,
        "web",
    )
    assert key  # the token itself is not revoked: reactivation restores it


def test_a_deactivated_person_can_be_reactivated(cast: Cast) -> None:
    services.person_deactivate(person=cast.bob, by=cast.ada)
    client_for(cast.ada).post(f"/firm/people/{cast.bob.pk}/reactivate/")
    cast.bob.refresh_from_db()
    assert cast.bob.is_active


def test_an_admin_cannot_deactivate_themselves_or_change_their_own_role(cast: Cast) -> None:
    client = client_for(cast.ada)
    page = client.post(f"/firm/people/{cast.ada.pk}/deactivate/", follow=True)
    assert shows(page, services.NOT_YOURSELF)
    page = client.post(f"/firm/people/{cast.ada.pk}/", {"role": Role.ADVISOR})
    assert page.status_code == 200
    cast.ada.refresh_from_db()
    assert (cast.ada.is_active, cast.ada.role) == (True, Role.FIRM_ADMIN)


def test_a_role_change_takes_effect_at_once(cast: Cast) -> None:
    client_for(cast.ada).post(f"/firm/people/{cast.carol.pk}/", {"role": Role.COMPLIANCE})
    cast.carol.refresh_from_db()
    assert cast.carol.role == Role.COMPLIANCE
    carol = client_for(cast.carol)
    assert carol.get("/audit/").status_code == 200
    assert carol.get("/partners/new/").status_code == 403


def test_an_advisor_cannot_read_the_audit_log(cast: Cast) -> None:
    response = client_for(cast.alice).get("/audit/")
    assert response.status_code == 403
    assert shows(response, NOT_AUDIT_READER)


def test_a_firm_admin_creates_a_team_and_changes_its_members(cast: Cast) -> None:
    client = client_for(cast.ada)
    client.post("/firm/teams/", {"name": "South", "members": [cast.carol.pk]})
    south = Team.objects.get(firm=cast.firm, name="South")
    assert list(south.members.all()) == [cast.carol]
    client.post(
        f"/firm/teams/{south.pk}/", {"name": "South", "members": [cast.bob.pk, cast.carol.pk]}
    )
    assert set(south.members.all()) == {cast.bob, cast.carol}
    assert south.history.latest("history_date").history_user == cast.ada  # type: ignore[attr-defined]


def test_a_team_name_is_unique_in_the_firm(cast: Cast) -> None:
    response = client_for(cast.ada).post("/firm/teams/", {"name": "North"})
    assert response.status_code == 200
    assert Team.objects.filter(firm=cast.firm, name="North").count() == 1


def test_someone_of_another_firm_cannot_join_a_team(cast: Cast) -> None:
    response = client_for(cast.ada).post(
        f"/firm/teams/{cast.north.pk}/", {"name": "North", "members": [cast.mallory.pk]}
    )
    assert response.status_code == 200
    assert cast.mallory not in cast.north.members.all()


def test_the_firm_settings_are_saved_with_their_limits(cast: Cast) -> None:
    client = client_for(cast.ada)
    settings = {
        "name": "Harbor Wealth Partners",
        "dormancy_days": 90,
        "retention_days": 2555,
        **cast.firm.thresholds,
    }
    client.post("/firm/settings/", settings)
    firm = Firm.objects.get(pk=cast.firm.pk)
    assert (firm.name, firm.dormancy_days, firm.retention_days, firm.requires_mfa) == (
        "Harbor Wealth Partners",
        90,
        2555,
        False,
    )
    response = client.post("/firm/settings/", {**settings, "retention_days": 30})
    assert "greater than or equal to 365" in response.content.decode()
    assert Firm.objects.get(pk=cast.firm.pk).retention_days == 2555
    client.post("/firm/settings/", {**settings, "requires_mfa": "on"})
    assert Firm.objects.get(pk=cast.firm.pk).requires_mfa
    record = Firm.history.filter(id=cast.firm.pk).latest("history_date")  # type: ignore[attr-defined]
    assert (record.requires_mfa, record.history_user) == (True, cast.ada)


def test_a_new_firm_keeps_archived_records_six_years(db: None) -> None:
    assert Firm(name="New").retention_days == DEFAULT_RETENTION_DAYS == 6 * 365


def test_the_people_page_reads_a_constant_number_of_queries(cast: Cast) -> None:
    client = client_for(cast.ada)
    before = queries_for(lambda: client.get("/firm/people/"))
    for n in range(5):
        UserFactory(firm=cast.firm, username=f"extra{n}")
    assert queries_for(lambda: client.get("/firm/people/")) == before


def test_the_invitation_password_is_checked_like_any_other(cast: Cast) -> None:
    invite(cast)
    client = Client()
    form_url = client.get(invitation_link())["Location"]
    response = client.post(form_url, {"password1": "12345678", "password2": "12345678"})
    assert "This password is entirely numeric." in response.content.decode()
    assert not User.objects.get(email="dana@example.com").has_usable_password()
    assert PASSWORD  # the cast's own password is unaffected
