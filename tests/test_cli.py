"""The ``reciprocity`` CLI: tokens and the daily actions, through the same services as the web."""

import io
import json
import re

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from reciprocity.accounts.cli import UNKNOWN_USER
from reciprocity.accounts.management.commands.token import NO_TOKEN
from reciprocity.accounts.models import ApiToken
from reciprocity.accounts.selectors import token_authenticate
from tests.conftest import Cast


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    # The cast's users get real password hashes; the slow default hasher is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_as_console_script(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run like the console script does: errors go to stderr and end the process non-zero."""
    code = 0
    try:
        ManagementUtility(["reciprocity", *args]).execute()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- token ----------------------------------------------------------------------------------


def test_token_create_prints_only_a_token_that_authenticates(cast: Cast) -> None:
    printed = run("token", "create", "alice", "--name", "laptop").strip()
    token = token_authenticate(key=printed)
    assert token is not None
    assert token.user == cast.alice
    assert token.name == "laptop"
    assert "\n" not in printed


def test_token_create_for_an_unknown_user_fails_on_stderr(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_as_console_script(capsys, "token", "create", "nobody")
    assert code != 0
    assert out == ""
    assert UNKNOWN_USER.format(username="nobody") in err
    assert not ApiToken.objects.exists()


def test_token_list_shows_the_users_tokens_as_json(cast: Cast) -> None:
    run("token", "create", "alice", "--name", "laptop")
    run("token", "create", "bob")
    listed = json.loads(run("token", "list", "alice", "--json"))
    assert [token["name"] for token in listed] == ["laptop"]
    assert set(listed[0]) == {"id", "name", "hint", "created_at", "last_used_at", "revoked_at"}


def test_token_revoke_stops_the_token_from_authenticating(cast: Cast) -> None:
    key = run("token", "create", "alice").strip()
    token = token_authenticate(key=key)
    assert token is not None
    assert "Revoked" in run("token", "revoke", str(token.pk))
    assert token_authenticate(key=key) is None
    assert "revoked" in run("token", "list", "alice")


def test_token_revoke_of_an_unknown_id_fails(cast: Cast) -> None:
    with pytest.raises(CommandError, match=re.escape(NO_TOKEN)):
        run("token", "revoke", "999999")


def test_token_history_is_recorded_as_coming_from_the_cli(cast: Cast) -> None:
    run("token", "create", "alice")
    assert ApiToken.history.get().history_source == "cli"
