"""The standing cast for access tests: two firms, an advisor team, a loner, an admin, a
compliance officer, and an outsider with an advisor of their own."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from reciprocity.accounts.models import Firm, Role, Team, User
from reciprocity.partners.models import Partner
from reciprocity.playbook.services import firm_defaults_install
from tests.factories import FirmFactory, PartnerFactory, TeamFactory, UserFactory

PASSWORD = "correct horse battery staple"


@dataclass
class Cast:
    firm: Firm
    other_firm: Firm
    alice: User  # advisor, in team North with bob
    bob: User  # advisor, alice's teammate
    carol: User  # advisor of the same firm, in no team
    ada: User  # firm admin
    cole: User  # compliance officer
    mallory: User  # advisor of the other firm
    north: Team
    alice_private: Partner  # owned by alice, not shared
    alice_shared: Partner  # owned by alice, shared with North
    mallory_partner: Partner


@pytest.fixture
def cast(db: None) -> Cast:
    firm = FirmFactory(name="Harbor Wealth", slug="harbor")
    other = FirmFactory(name="Elsewhere Advisors", slug="elsewhere")
    alice = UserFactory(firm=firm, username="alice")
    bob = UserFactory(firm=firm, username="bob")
    carol = UserFactory(firm=firm, username="carol")
    ada = UserFactory(firm=firm, username="ada", role=Role.FIRM_ADMIN)
    cole = UserFactory(firm=firm, username="cole", role=Role.COMPLIANCE)
    mallory = UserFactory(firm=other, username="mallory")
    north = TeamFactory(firm=firm, name="North", members=[alice, bob])
    return Cast(
        firm=firm,
        other_firm=other,
        alice=alice,
        bob=bob,
        carol=carol,
        ada=ada,
        cole=cole,
        mallory=mallory,
        north=north,
        alice_private=PartnerFactory(owner=alice, name="Priya Private"),
        alice_shared=PartnerFactory(owner=alice, team=north, name="Sam Shared"),
        mallory_partner=PartnerFactory(owner=mallory, name="Other Firm Partner"),
    )


@pytest.fixture
def playbook_cast(cast: Cast) -> Cast:
    """The cast, with both firms given the starter playbook (a new firm gets it on creation)."""
    firm_defaults_install(firm=cast.firm)
    firm_defaults_install(firm=cast.other_firm)
    return cast


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # A slow password hash is a feature in production and minutes of waiting in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
