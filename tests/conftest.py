"""The standing cast for access tests: two firms, an advisor team, a loner, an admin, a
compliance officer, and an outsider with an advisor of their own."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from reciprocity.accounts.models import Firm, Role, Team, User
from reciprocity.partners.models import Partner
from reciprocity.playbook.services.firm import firm_defaults_install
from tests.factories import FirmFactory, PartnerFactory, TeamFactory, UserFactory
from tests.web import QueryCount

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


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """Two query counts that differ say by which statements (- left only, + right only)."""
    if op == "==" and isinstance(left, QueryCount) and isinstance(right, QueryCount):
        return [f"{int(left)} == {int(right)} queries", *left.differences(right)]
    return None


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


@pytest.fixture(autouse=True, scope="session")
def _test_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with override_settings(
        # Uploaded files (disclosure documents) go to a directory of the test run.
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        # Tests render templates without running collectstatic first.
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        # A slow password hash is a feature in production and minutes of waiting in tests.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Throttling counters live in the cache; in memory each test can start without any.
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        # Webhook receivers of the tests listen on loopback.
        WEBHOOKS_ALLOW_PRIVATE=True,
        # Whole-API tests send thousands of requests from one address; the limits' own tests
        # set small ones.
        API_RATE_LIMIT="0",
        API_ADDRESS_RATE_LIMIT="0",
    ):
        yield


@pytest.fixture(autouse=True)
def _no_throttling_left_over() -> None:
    # Dozens of test sign-ins from one address would otherwise trip the per-address limit.
    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """On SQLite, test in a file rather than in memory, so other processes (the concurrency
    test's writers) can open the same database. Each parallel worker has a database of its own
    (pytest-django's suffix, kept by asking for its fixture)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )
