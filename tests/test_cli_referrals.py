"""``reciprocity referral``: log, list, work the protocol steps and move the status of referrals
from the command line, through the same services as the API; bad input exits non-zero with a
message on stderr and saves nothing."""

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from reciprocity.accounts.cli import BAD_WHEN
from reciprocity.accounts.services import READ_ONLY_ROLE
from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners.models import Profession, Touch
from reciprocity.partners.selectors import NOT_FOUND as PARTNER_NOT_FOUND
from reciprocity.referrals.management.commands.referral import (
    NO_STEPS,
    NO_SUCH_STEP,
    ONLY_WHEN_COMPLETING,
    UNKNOWN_STATE,
)
from reciprocity.referrals.models import Referral, ReferralStatusChange
from reciprocity.referrals.selectors import REFERRAL_NOT_FOUND
from reciprocity.referrals.services.ledger import (
    NEED_REQUIRED,
    REASON_REQUIRED,
    UNKNOWN_DIRECTION,
    referral_create,
)
from tests.conftest import Cast
from tests.factories import PartnerFactory
from tests.test_cli import run, run_as_console_script


def send(cast: Cast, **kwargs: Any) -> Referral:
    return referral_create(
        by=cast.alice,
        partner=kwargs.pop("partner", cast.alice_private),
        direction=kwargs.pop("direction", "sent"),
        need=kwargs.pop("need", "Estate plan"),
        **kwargs,
    )


def saved() -> tuple[Any, ...]:
    return (
        list(Referral.objects.values_list("pk", "status")),
        ReferralStatusChange.objects.count(),
        Touch.objects.filter(archived_at__isnull=True).count(),
    )


# --- log --------------------------------------------------------------------------------------
def test_log_records_a_sent_referral_with_its_steps_and_cli_history(cast: Cast) -> None:
    out = run(
        "referral", "log", str(cast.alice_private.pk), "--user", "alice",
        "--direction", "sent", "--need", "Estate plan for a widow",
    )  # fmt: skip

    referral = Referral.objects.get()
    assert (referral.direction, referral.kind, referral.status, referral.by) == (
        "sent",
        "referral",
        "proposed",
        cast.alice,
    )
    assert referral.steps.count() == 5
    assert f"Logged sent referral #{referral.pk} to Priya Private: Estate plan" in out
    assert "Protocol steps: call, email, escort, thank_you, check_in." in out
    assert referral.history.get().history_source == "cli"


def test_log_prints_json_and_takes_a_kind_a_past_status_and_a_date(cast: Cast) -> None:
    printed = run(
        "referral", "log", str(cast.alice_shared.pk), "--user", "bob", "--direction",
        "received", "--kind", "connection", "--need", "Rotary club", "--status", "meeting_held",
        "--at", "2025-03-14T10:30", "--json",
    )  # fmt: skip

    entry = json.loads(printed)
    referral = Referral.objects.get()
    assert entry == {
        "id": referral.pk,
        "partner_id": cast.alice_shared.pk,
        "partner_name": "Sam Shared",
        "direction": "received",
        "kind": "connection",
        "need": "Rotary club",
        "status": "meeting_held",
        "occurred_at": referral.occurred_at.isoformat(),
        "closed_at": referral.occurred_at.isoformat(),
        "steps": [],
    }
    assert referral.occurred_at == timezone.make_aware(dt.datetime(2025, 3, 14, 10, 30))
    assert referral.by == cast.bob


def test_log_of_a_recent_received_referral_puts_follow_ups_on_the_agenda(cast: Cast) -> None:
    out = run(
        "referral", "log", str(cast.alice_private.pk), "--user", "alice",
        "--direction", "received", "--need", "Retirement income",
    )  # fmt: skip
    assert "thank-you note and a report back" in out
    assert Referral.objects.get().thank_you_commitment is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--direction", "both", "--need", "x"], UNKNOWN_DIRECTION),
        (["--direction", "sent", "--kind", "favour", "--need", "x"], "Unknown kind"),
        (["--direction", "sent", "--need", "   "], NEED_REQUIRED),
        (["--direction", "sent", "--need", "x", "--status", "received"], "has no status"),
        (["--direction", "sent", "--need", "x", "--status", "lost"], REASON_REQUIRED),
        (["--direction", "sent", "--need", "x", "--at", "2999-01-01"], IN_THE_FUTURE),
        (["--direction", "sent", "--need", "x", "--at", "last spring"], BAD_WHEN),
    ],
)
def test_log_refuses_bad_input_on_stderr_and_saves_nothing(
    cast: Cast, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_as_console_script(
        capsys, "referral", "log", str(cast.alice_private.pk), "--user", "alice", *args
    )
    assert code != 0
    assert out == ""
    assert message in err
    assert saved() == ([], 0, 0)


def test_log_needs_a_direction_and_a_need(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_as_console_script(
        capsys, "referral", "log", str(cast.alice_private.pk), "--user", "alice"
    )
    assert code != 0
    assert "--direction" in err
    assert not Referral.objects.exists()


def test_log_with_a_partner_one_cannot_see_is_not_found(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    for user, partner in [("carol", cast.alice_private), ("alice", cast.mallory_partner)]:
        code, _out, err = run_as_console_script(
            capsys, "referral", "log", str(partner.pk), "--user", user,
            "--direction", "sent", "--need", "x",
        )  # fmt: skip
        assert code != 0
        assert PARTNER_NOT_FOUND in err
    assert not Referral.objects.exists()


def test_a_compliance_officer_cannot_log_referrals(cast: Cast) -> None:
    with pytest.raises(CommandError, match=re.escape(READ_ONLY_ROLE)):
        run(
            "referral", "log", str(cast.alice_private.pk), "--user", "cole",
            "--direction", "sent", "--need", "x",
        )  # fmt: skip
    assert not Referral.objects.exists()


# --- list -------------------------------------------------------------------------------------
def test_list_shows_what_the_user_sees_filtered(cast: Cast) -> None:
    now = timezone.now()
    send(cast, need="Private estate plan", occurred_at=now - dt.timedelta(days=3))
    send(
        cast,
        partner=cast.alice_shared,
        direction="received",
        need="Shared prospect",
        occurred_at=now - dt.timedelta(days=2),
        status="not_a_fit",
        reason="Too small",
    )
    referral_create(by=cast.mallory, partner=cast.mallory_partner, direction="sent", need="Other")

    def listed(*args: str) -> list[str]:
        entries = json.loads(run("referral", "list", "--json", *args))
        return [entry["need"] for entry in entries]

    assert listed("--user", "alice") == ["Shared prospect", "Private estate plan"]
    assert listed("--user", "bob") == ["Shared prospect"]
    assert listed("--user", "ada") == ["Shared prospect", "Private estate plan"]
    assert listed("--user", "alice", "--direction", "sent") == ["Private estate plan"]
    assert listed("--user", "alice", "--state", "closed") == ["Shared prospect"]
    assert listed("--user", "alice", "--state", "open") == ["Private estate plan"]
    assert listed("--user", "alice", "--partner", str(cast.alice_shared.pk)) == ["Shared prospect"]
    assert listed("--user", "mallory") == ["Other"]


def test_list_prints_one_line_per_referral(cast: Cast) -> None:
    referral = send(cast, need="Estate plan for a widow")
    text = run("referral", "list", "--user", "alice")
    assert str(referral.pk) in text
    assert "sent" in text
    assert "Priya Private" in text
    assert "Estate plan for a widow" in text
    assert run("referral", "list", "--user", "carol").strip() == "No referrals."


def test_list_json_shows_the_steps_and_never_the_client(cast: Cast) -> None:
    send(cast, consent_method="verbal", client_name="Ann Lee")
    (entry,) = json.loads(run("referral", "list", "--user", "alice", "--json"))
    assert [step["state"] for step in entry["steps"]] == ["open"] * 5
    assert "Ann Lee" not in json.dumps(entry)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--direction", "both"], UNKNOWN_DIRECTION),
        (["--state", "pending"], UNKNOWN_STATE),
        (["--partner", "987654"], PARTNER_NOT_FOUND),
    ],
)
def test_list_refuses_bad_filters(
    cast: Cast, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _out, err = run_as_console_script(capsys, "referral", "list", "--user", "alice", *args)
    assert code != 0
    assert message in err


def test_list_runs_a_constant_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    for index in range(20):
        partner = PartnerFactory(owner=cast.alice, name=f"Book {index:02}")
        send(cast, partner=partner)
    with django_assert_max_num_queries(4):  # user, referrals, steps
        entries = json.loads(run("referral", "list", "--user", "alice", "--json"))
    assert len(entries) == 20


# --- step -------------------------------------------------------------------------------------
def test_step_completes_skips_and_reopens_a_protocol_step(cast: Cast) -> None:
    referral = send(cast)
    pk = str(referral.pk)

    out = run("referral", "step", pk, "call", "--user", "alice", "--summary", "Told her about Ann")
    touch = Touch.objects.get()
    assert (touch.kind, touch.summary, touch.by) == ("call", "Told her about Ann", cast.alice)
    assert f"Done: Call the partner about the client (touch #{touch.pk} with Priya Private)" in out
    assert "1 of 5 steps done." in out

    assert "Skipped: Escort" in run("referral", "step", pk, "escort", "--user", "alice", "--skip")
    assert referral.steps.get(slug="escort").is_skipped

    out = run("referral", "step", pk, "call", "--user", "alice", "--reopen")
    assert "Reopened: Call the partner about the client." in out
    assert "0 of 5 steps done." in out
    assert not Touch.objects.filter(archived_at__isnull=True).exists()


def test_all_five_cpa_steps_from_the_cli_put_five_touches_on_the_timeline(cast: Cast) -> None:
    referral = send(cast, consent_method="verbal")
    for slug in ("call", "email", "escort", "thank_you", "check_in"):
        out = run("referral", "step", str(referral.pk), slug, "--user", "alice")
    assert "5 of 5 steps done." in out
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.touch_count == 5


def test_step_names_the_steps_a_referral_has(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    attorney = PartnerFactory(owner=cast.alice, profession=Profession.ATTORNEY)
    referral = send(cast, partner=attorney)
    code, _out, err = run_as_console_script(
        capsys, "referral", "step", str(referral.pk), "escort", "--user", "alice"
    )
    assert code != 0
    assert NO_SUCH_STEP.format(steps="call, email, conference_call, thank_you, check_in") in err

    received = send(cast, direction="received", follow_up=False)
    with pytest.raises(CommandError, match=re.escape(NO_STEPS)):
        run("referral", "step", str(received.pk), "call", "--user", "alice")
    assert not Touch.objects.exists()


def test_step_refuses_a_date_with_skip_and_skip_with_reopen(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    referral = send(cast)
    with pytest.raises(CommandError, match=re.escape(ONLY_WHEN_COMPLETING)):
        run("referral", "step", str(referral.pk), "call", "--user", "alice", "--skip",
            "--at", "2025-01-01")  # fmt: skip
    code, _out, err = run_as_console_script(
        capsys, "referral", "step", str(referral.pk), "call", "--user", "alice", "--skip",
        "--reopen",
    )  # fmt: skip
    assert code != 0
    assert "not allowed with argument" in err
    assert not referral.steps.exclude(done_at=None, skipped_at=None).exists()


# --- status -----------------------------------------------------------------------------------
def test_status_moves_a_referral_with_cli_history(cast: Cast) -> None:
    referral = send(cast, direction="received", follow_up=False)
    out = run("referral", "status", str(referral.pk), "contacted", "--user", "alice")
    assert f"Referral #{referral.pk} (Priya Private): received → contacted" in out
    change = referral.status_changes.last()
    assert (change.to_status, change.history.get().history_source) == ("contacted", "cli")


def test_status_failure_needs_a_reason(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    referral = send(cast)
    code, _out, err = run_as_console_script(
        capsys, "referral", "status", str(referral.pk), "declined", "--user", "alice"
    )
    assert code != 0
    assert REASON_REQUIRED in err
    assert referral.status_changes.count() == 1
    run("referral", "status", str(referral.pk), "declined", "--user", "alice",
        "--reason", "Client chose a relative")  # fmt: skip
    referral.refresh_from_db()
    assert (referral.status, referral.outcome_reason) == ("declined", "Client chose a relative")


def test_status_refuses_a_move_backwards_and_an_unknown_status(cast: Cast) -> None:
    referral = send(cast, status="introduced", consent_method="verbal")
    with pytest.raises(CommandError, match="cannot move from introduced to proposed"):
        run("referral", "status", str(referral.pk), "proposed", "--user", "alice")
    with pytest.raises(CommandError, match="has no status 'won'"):
        run("referral", "status", str(referral.pk), "won", "--user", "alice")
    assert referral.status_changes.count() == 1


def test_a_referral_one_cannot_see_is_not_found_and_untouched(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    referral = send(cast)
    before = saved()
    for user in ("carol", "mallory"):
        for args in (
            ["status", str(referral.pk), "introduced"],
            ["step", str(referral.pk), "call"],
        ):
            code, _out, err = run_as_console_script(capsys, "referral", *args, "--user", user)
            assert code != 0
            assert REFERRAL_NOT_FOUND in err
    assert saved() == before
