"""The ``reciprocity`` CLI: tokens and the daily actions, through the same services as the web."""

import datetime as dt
import io
import json
import re
import subprocess
import sys
from typing import Any
from unittest import mock

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from reciprocity.accounts.cli import BAD_WHEN, UNKNOWN_USER, USER_REQUIRED
from reciprocity.accounts.management.commands.token import NO_TOKEN
from reciprocity.accounts.models import ApiToken
from reciprocity.accounts.selectors import token_authenticate
from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.dates import BEFORE_1900, IN_THE_FUTURE
from reciprocity.partners.models import CommitmentOwner, Stage, StageChange, Touch
from reciprocity.partners.selectors import NOT_FOUND
from reciprocity.partners.services import (
    RETIRED_NEEDS_REASON,
    STAGE_BEFORE_LAST,
    UNKNOWN_STAGE,
)
from reciprocity.playbook.services.firm import firm_defaults_install
from reciprocity.site import gunicorn_worker
from reciprocity.site.management.commands.serve import WITH_WORKER_CONFIG
from tests.conftest import Cast
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    PartnerFactory,
    UserFactory,
)
from tests.test_ops_ready import write_manifest


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_as_console_script(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run like the console script does: errors go to stderr and end the process non-zero."""
    code = 0
    # The command closes every connection when it ends, which would end the test's transaction.
    with mock.patch.object(connections, "close_all"):
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
    assert set(listed[0]) == {
        "id", "name", "hint", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"
    }  # fmt: skip


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


# --- who acts -------------------------------------------------------------------------------


def test_user_defaults_to_the_only_advisor(db: None) -> None:
    solo = UserFactory(username="solo")
    PartnerFactory(owner=solo, name="Only Partner")
    assert "Only Partner" in run("partners", "list")


def test_user_is_required_when_there_are_several_advisors(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run_as_console_script(capsys, "agenda")
    assert code != 0
    assert USER_REQUIRED in err


# --- agenda ---------------------------------------------------------------------------------


def test_agenda_json_lists_overdue_today_and_upcoming_steps(cast: Cast) -> None:
    today = timezone.localdate()
    late = CommitmentFactory(
        partner=cast.alice_private, what="Send the article", due=today - dt.timedelta(days=3)
    )
    CommitmentFactory(
        partner=cast.alice_shared,
        what="Introduce us to the association",
        owner=CommitmentOwner.PARTNER,
        due=today,
    )
    CommitmentFactory(partner=cast.alice_shared, what="Far away", due=today + dt.timedelta(30))
    CommitmentFactory(partner=cast.mallory_partner, what="Not alice's", due=today)
    items = json.loads(run("agenda", "--user", "alice", "--json"))
    assert [item["title"] for item in items] == [
        "Send the article",
        "Introduce us to the association",
    ]
    assert items[0] == {
        "key": f"commitment:{cast.alice_private.pk}:{late.pk}",
        "source": "commitment",
        "partner_id": cast.alice_private.pk,
        "partner_name": "Priya Private",
        "title": "Send the article",
        "due": (today - dt.timedelta(days=3)).isoformat(),
        "at": None,
        "owner": "advisor",
        "detail": "",
        "object_id": late.pk,
        "overdue": True,
    }
    assert items[1]["overdue"] is False
    assert items[1]["owner"] == "partner"


def test_agenda_holds_keep_warm_touches_meeting_requests_and_meetings(cast: Cast) -> None:
    firm_defaults_install(firm=cast.firm)
    today = timezone.localdate()
    quiet = PartnerFactory(
        owner=cast.alice,
        name="Quiet Quinn",
        stage=Stage.ACTIVE,
        stage_changed_at=timezone.now() - dt.timedelta(days=200),
    )
    OpportunityFactory(partner=cast.alice_private, title="Worried client", ask_by=today)
    MeetingFactory(partner=cast.alice_shared)
    items = json.loads(run("agenda", "--user", "alice", "--json"))
    assert [(item["source"], item["partner_name"]) for item in items] == [
        ("cadence", "Quiet Quinn"),
        ("opportunity", "Priya Private"),
        ("meeting", "Sam Shared"),
    ]
    assert items[0]["title"] == f"Touch base with {quiet.name}"
    assert items[0]["overdue"] is True
    text = run("agenda", "--user", "alice")
    assert "Touch base with Quiet Quinn" in text
    assert items[0]["key"] in text


def test_agenda_text_groups_overdue_today_and_this_week(cast: Cast) -> None:
    today = timezone.localdate()
    CommitmentFactory(partner=cast.alice_private, what="Late one", due=today - dt.timedelta(1))
    CommitmentFactory(partner=cast.alice_private, what="Today's", due=today)
    CommitmentFactory(partner=cast.alice_private, what="Soon", due=today + dt.timedelta(3))
    text = run("agenda", "--user", "alice")
    assert text.index("Overdue (1)") < text.index("Late one") < text.index("Today (1)")
    assert text.index("Today's") < text.index("This week (1)") < text.index("Soon")


def test_agenda_looks_further_with_days(cast: Cast) -> None:
    CommitmentFactory(
        partner=cast.alice_private, what="Far away", due=timezone.localdate() + dt.timedelta(30)
    )
    assert "Far away" not in run("agenda", "--user", "alice")
    text = run("agenda", "--user", "alice", "--days", "31")
    assert "Next 31 days (1)" in text
    assert "Far away" in text


def test_agenda_says_so_when_nothing_is_due(cast: Cast) -> None:
    assert "Nothing due in the next 7 days." in run("agenda", "--user", "carol")


# --- touch log ------------------------------------------------------------------------------


def test_touch_log_records_a_touch_with_cli_history(cast: Cast) -> None:
    out = run(
        "touch", "log", str(cast.alice_shared.pk), "--user", "bob", "--kind", "call",
        "--summary", "Asked about new clients", "--at", "2025-03-14T10:30",
    )  # fmt: skip
    touch = Touch.objects.get(partner=cast.alice_shared)
    assert (touch.kind, touch.summary, touch.by) == ("call", "Asked about new clients", cast.bob)
    assert touch.occurred_at == timezone.make_aware(dt.datetime(2025, 3, 14, 10, 30))
    assert "Logged call with Sam Shared" in out
    record = touch.history.get()
    assert (record.history_source, record.history_user) == ("cli", cast.bob)
    cast.alice_shared.refresh_from_db()
    assert cast.alice_shared.touch_count == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "telegram", "--summary", "x"], "Unknown kind"),
        (["--kind", "call", "--summary", "x", "--at", "2999-01-01"], IN_THE_FUTURE),
        (["--kind", "call", "--summary", "x", "--at", "0001-01-01"], BEFORE_1900),
        (["--kind", "call", "--summary", "x", "--at", "0001-01-01T00:00+14:00"], BEFORE_1900),
        (["--kind", "call", "--summary", "x", "--at", "last tuesday"], BAD_WHEN),
        (["--kind", "call", "--summary", "   "], "summary: This field cannot be blank."),
    ],
)
def test_touch_log_refuses_bad_input_and_saves_nothing(
    cast: Cast, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    partner = str(cast.alice_private.pk)
    code, _out, err = run_as_console_script(
        capsys, "touch", "log", partner, "--user", "alice", *args
    )
    assert code != 0
    assert message in err
    assert not Touch.objects.exists()


def test_touch_log_on_a_partner_you_cannot_see_is_not_found(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    for user, partner in [("carol", cast.alice_private), ("alice", cast.mallory_partner)]:
        code, _out, err = run_as_console_script(
            capsys, "touch", "log", str(partner.pk), "--user", user, "--kind", "call",
            "--summary", "Hello",
        )  # fmt: skip
        assert code != 0
        assert NOT_FOUND in err
    assert not Touch.objects.exists()


def test_a_compliance_officer_cannot_log_touches(cast: Cast) -> None:
    with pytest.raises(CommandError, match=re.escape(READ_ONLY_ROLE)):
        run(
            "touch", "log", str(cast.alice_private.pk), "--user", "cole", "--kind", "call",
            "--summary", "Hello",
        )  # fmt: skip


# --- stage ----------------------------------------------------------------------------------


def test_stage_moves_a_partner_with_cli_history(cast: Cast) -> None:
    out = run(
        "stage", str(cast.alice_private.pk), "qualified", "--user", "alice",
        "--note", "Growing firm, refers out",
    )  # fmt: skip
    change = StageChange.objects.get(partner=cast.alice_private)
    assert (change.from_stage, change.to_stage, change.note) == (
        "identified",
        "qualified",
        "Growing firm, refers out",
    )
    assert change.history.get().history_source == "cli"
    partner_record = cast.alice_private.history.latest()
    assert (partner_record.stage, partner_record.history_source) == ("qualified", "cli")
    assert "Identified → Qualified" in out


def test_stage_retired_needs_a_reason(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_as_console_script(
        capsys, "stage", str(cast.alice_private.pk), "retired", "--user", "alice"
    )
    assert code != 0
    assert RETIRED_NEEDS_REASON in err
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.stage == "identified"
    assert not StageChange.objects.exists()
    run(
        "stage", str(cast.alice_private.pk), "retired", "--user", "alice",
        "--reason", "wrong_firm",
    )  # fmt: skip
    assert StageChange.objects.get().reason == "wrong_firm"


def test_stage_refuses_an_unknown_stage_and_a_date_before_the_last_change(cast: Cast) -> None:
    with pytest.raises(CommandError, match=re.escape(UNKNOWN_STAGE)):
        run("stage", str(cast.alice_private.pk), "won", "--user", "alice")
    with pytest.raises(CommandError, match=re.escape(STAGE_BEFORE_LAST)):
        run(
            "stage",
            str(cast.alice_private.pk),
            "qualified",
            "--user",
            "alice",
            "--at",
            "2001-01-01",
        )
    assert not StageChange.objects.exists()


# --- partners list --------------------------------------------------------------------------


def test_partners_list_json_shows_what_the_user_sees(cast: Cast) -> None:
    CommitmentFactory(partner=cast.alice_shared, what="Call back", due=dt.date(2030, 1, 2))
    bob_sees = json.loads(run("partners", "list", "--user", "bob", "--json"))
    assert [entry["name"] for entry in bob_sees] == ["Sam Shared"]
    assert bob_sees[0]["next_step"] == {
        "what": "Call back",
        "due": "2030-01-02",
        "owner": "advisor",
    }
    assert bob_sees[0]["stage"] == "identified"
    ada_sees = json.loads(run("partners", "list", "--user", "ada", "--json"))
    assert {entry["name"] for entry in ada_sees} == {"Priya Private", "Sam Shared"}


def test_partners_list_filters_by_stage(cast: Cast) -> None:
    run("stage", str(cast.alice_shared.pk), "qualified", "--user", "alice")
    text = run("partners", "list", "--user", "alice", "--stage", "qualified")
    assert "Sam Shared" in text
    assert "Priya Private" not in text
    with pytest.raises(CommandError, match=re.escape(UNKNOWN_STAGE)):
        run("partners", "list", "--user", "alice", "--stage", "won")


# --- serve ----------------------------------------------------------------------------------


@pytest.fixture
def collected(settings: Any, tmp_path: Any) -> None:
    """Static files collected for this release (a manifest naming every file)."""
    settings.STATIC_ROOT = tmp_path
    settings.DEBUG = False
    write_manifest(tmp_path)


def test_serve_replaces_itself_with_gunicorn(db: None, collected: None) -> None:
    with mock.patch("os.execv") as execv:
        out = run("serve", "--host", "0.0.0.0", "--port", "8123", "--workers", "3")  # noqa: S104
    executable, argv = execv.call_args.args
    assert executable == sys.executable
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "reciprocity.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8123"
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--access-logfile") + 1] == "-"
    assert "Demo login" not in out


def test_serve_defaults_to_two_workers_on_localhost(db: None, collected: None) -> None:
    with mock.patch("os.execv") as execv:
        run("serve")
    argv = execv.call_args.args[1]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8000"
    assert argv[argv.index("--workers") + 1] == "2"


def test_serve_with_worker_has_gunicorn_run_the_background_worker_beside_it(
    db: None, collected: None
) -> None:
    with mock.patch("os.execv") as execv:
        run("serve", "--with-worker")
        alone = run("serve")
    with_worker, without = (call.args[1] for call in execv.call_args_list)
    assert with_worker[with_worker.index("--config") + 1] == WITH_WORKER_CONFIG
    assert "--config" not in without
    assert alone == ""


def test_the_worker_beside_the_server_starts_when_it_is_ready_and_stops_with_it() -> None:
    process = mock.Mock()
    with mock.patch("subprocess.Popen", return_value=process) as popen:
        gunicorn_worker.when_ready(server=None)
        gunicorn_worker.on_exit(server=None)
        gunicorn_worker.on_exit(server=None)
    assert popen.call_args.args[0] == [sys.executable, "-m", "reciprocity", "worker"]
    process.terminate.assert_called_once_with()
    process.wait.assert_called_once_with(timeout=gunicorn_worker.STOP_WAIT)


def test_a_worker_that_does_not_stop_in_time_is_killed() -> None:
    process = mock.Mock()
    process.wait.side_effect = subprocess.TimeoutExpired("reciprocity worker", 30)
    with mock.patch("subprocess.Popen", return_value=process):
        gunicorn_worker.when_ready(server=None)
        gunicorn_worker.on_exit(server=None)
    process.kill.assert_called_once_with()


def test_serve_prints_the_demo_login_at_the_address_it_serves(
    db: None, settings: Any, collected: None
) -> None:
    UserFactory(username="demo", password="demo")
    with mock.patch("os.execv"):
        assert "Demo login: http://127.0.0.1:8001/  user: demo  password: demo" in run(
            "serve", "--port", "8001"
        )
        assert "Demo login: http://10.0.0.5:8002/" in run(
            "serve", "--host", "10.0.0.5", "--port", "8002"
        )
        assert "Demo login: http://[::1]:8003/" in run("serve", "--host", "::1", "--port", "8003")
        settings.PRODUCTION = True
        assert "Demo login" not in run("serve", "--port", "8001")
