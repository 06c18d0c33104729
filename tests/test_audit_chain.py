"""The audit trail is tamper-evident: every history row is linked into its firm's hash chain when
it is written, and a verification recomputes the chain and names the first entry that was
changed, deleted or added in the database behind the product's back."""

import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.audit.integrity import (
    ENTRY_CHANGED,
    ENTRY_DELETED,
    LINK_ALTERED,
    LINK_MISSING,
    LINKS_TRUNCATED,
    NOT_IN_CHAIN,
    TOMBSTONE_FORGED,
    chain_check,
)
from reciprocity.audit.management.commands.audit import BAD_RANGE, Command
from reciprocity.audit.models import AuditPurge, ChainHead, ChainLink, ChainVerification
from reciprocity.audit.registry import history_of
from reciprocity.audit.services import chain_backfill, records_purge
from reciprocity.audit.views import VERIFIED
from reciprocity.partners import services
from reciprocity.partners.models import Partner, Tag, Touch
from reciprocity.playbook.services.common import bulk_create_attributed
from reciprocity.transfer.backup import backed_up_models, backup_write, restore_archive
from tests.conftest import Cast, client_for
from tests.factories import FirmFactory, PartnerFactory, UserFactory
from tests.test_audit_purge import archived_long_ago
from tests.web import queries_for, shows

pytestmark = pytest.mark.django_db


def execute(sql: str, params: list[Any] | None = None, model: type[Any] = Touch) -> None:
    """Raw SQL, as someone with the database's password would; ``{t}`` is the history table of
    ``model`` (a name of ours, quoted)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{t}", table(model)), params or [])


def table(model: type[Any]) -> str:
    return connection.ops.quote_name(history_of(model)._meta.db_table)


def a_book() -> tuple[User, Partner, Touch]:
    advisor = UserFactory()
    partner = PartnerFactory(owner=advisor, name="Priya")
    touch = services.touch_log(partner=partner, by=advisor, kind="call", summary="First call")
    services.touch_log(partner=partner, by=advisor, kind="email", summary="Follow-up")
    return advisor, partner, touch


def touch_entry(touch: Touch) -> Any:
    return history_of(Touch)._default_manager.filter(id=touch.pk).earliest("history_id")


def verify(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_every_change_is_linked_into_its_firms_chain_in_order() -> None:
    advisor, _partner, touch = a_book()
    links = list(ChainLink.objects.filter(firm=advisor.firm).order_by("seq"))
    assert [link.seq for link in links] == list(range(1, len(links) + 1))
    assert all(a.hash == b.prev_hash for a, b in itertools.pairwise(links))
    entry = touch_entry(touch)
    assert ChainLink.objects.filter(
        firm=advisor.firm, model="partners.Touch", entry_id=entry.history_id
    ).exists()
    head = ChainHead.objects.get(chain=advisor.firm_id)
    assert (head.seq, head.hash) == (links[-1].seq, links[-1].hash)
    assert chain_check(firm_id=advisor.firm_id).ok


def test_each_firm_has_its_own_chain() -> None:
    first, _partner, _touch = a_book()
    second, _partner, _touch = a_book()
    assert ChainLink.objects.filter(firm=first.firm, seq=1).exists()
    assert ChainLink.objects.filter(firm=second.firm, seq=1).exists()
    assert chain_check(firm_id=first.firm_id).ok
    assert chain_check(firm_id=second.firm_id).ok


def test_an_update_of_an_audit_row_in_the_database_makes_verify_fail_and_name_it() -> None:
    advisor, _partner, touch = a_book()
    entry = touch_entry(touch)
    execute("UPDATE {t} SET summary = %s WHERE history_id = %s", ["Nothing", entry.pk])
    report = chain_check(firm_id=advisor.firm_id)
    assert report.first is not None
    assert (report.first.model, report.first.entry_id, report.first.what) == (
        "partners.Touch",
        entry.pk,
        ENTRY_CHANGED,
    )
    with pytest.raises(CommandError):
        verify("--firm", advisor.firm.slug)


def test_a_delete_of_an_audit_row_in_the_database_makes_verify_fail_and_name_it() -> None:
    advisor, _partner, touch = a_book()
    entry = touch_entry(touch)
    execute("DELETE FROM {t} WHERE history_id = %s", [entry.pk])
    report = chain_check(firm_id=advisor.firm_id)
    assert report.first is not None
    assert (report.first.entry_id, report.first.what) == (entry.pk, ENTRY_DELETED)


def test_an_insert_of_an_audit_row_in_the_database_makes_verify_fail_and_name_it() -> None:
    advisor, _partner, touch = a_book()
    entry = touch_entry(touch)
    columns = ", ".join(
        connection.ops.quote_name(field.column)
        for field in history_of(Touch)._meta.concrete_fields
        if not field.primary_key
    )
    execute(
        "INSERT INTO {t} (" + columns + ") SELECT " + columns + " FROM {t} WHERE history_id = %s",  # noqa: S608
        [entry.pk],
    )
    inserted = history_of(Touch)._default_manager.order_by("-history_id")[0].history_id
    report = chain_check(firm_id=advisor.firm_id)
    assert report.first is not None
    assert (report.first.seq, report.first.model, report.first.entry_id, report.first.what) == (
        None,
        "partners.Touch",
        inserted,
        NOT_IN_CHAIN,
    )


def test_a_deleted_link_leaves_a_gap_that_verify_names() -> None:
    advisor, _partner, _touch = a_book()
    execute("DELETE FROM audit_chainlink WHERE firm_id = %s AND seq = 2", [advisor.firm_id])
    report = chain_check(firm_id=advisor.firm_id)
    assert report.first is not None
    assert report.first.seq == 2
    assert report.first.what == LINK_MISSING.format(before=1, after=3)


def test_the_last_links_deleted_are_found_by_the_chains_head() -> None:
    advisor, _partner, _touch = a_book()
    last = ChainHead.objects.get(chain=advisor.firm_id).seq
    execute("DELETE FROM audit_chainlink WHERE firm_id = %s AND seq = %s", [advisor.firm_id, last])
    problems = {problem.what for problem in chain_check(firm_id=advisor.firm_id).problems}
    assert LINKS_TRUNCATED.format(last=last - 1, head=last) in problems


def test_a_row_changed_with_its_link_rehashed_still_breaks_the_chain() -> None:
    advisor, _partner, touch = a_book()
    entry = touch_entry(touch)
    execute("UPDATE {t} SET summary = %s WHERE history_id = %s", ["Nothing", entry.pk])
    execute(
        "UPDATE audit_chainlink SET entry_hash = %s WHERE model = %s AND entry_id = %s",
        ["f" * 64, "partners.Touch", entry.pk],
    )
    report = chain_check(firm_id=advisor.firm_id)
    assert report.first is not None
    assert (report.first.entry_id, report.first.what) == (entry.pk, LINK_ALTERED)


def test_history_written_many_rows_at_a_time_is_linked() -> None:
    advisor = UserFactory()
    bulk_create_attributed(
        [Tag(firm=advisor.firm, name=f"Tag {n}") for n in range(3)], Tag, by=advisor
    )
    assert ChainLink.objects.filter(firm=advisor.firm, model="partners.Tag").count() == 3
    assert chain_check(firm_id=advisor.firm_id).ok


def test_history_from_before_the_chain_is_linked_oldest_first() -> None:
    advisor, _partner, _touch = a_book()
    count = ChainLink.objects.count()
    ChainLink.objects.all().delete()
    ChainHead.objects.all().delete()
    assert not chain_check(firm_id=advisor.firm_id).ok
    assert chain_backfill() == count
    assert chain_check(firm_id=advisor.firm_id).ok
    assert chain_backfill() == 0


# --- Purges leave a signed tombstone --------------------------------------------------------------


def test_a_purge_keeps_the_chain_verifiable_with_a_signed_tombstone(cast: Cast) -> None:
    archived_long_ago(cast)
    before = ChainLink.objects.filter(firm=cast.firm).count()
    purge = records_purge(by=cast.ada, reason="Retention period reached")
    assert purge.purged_links
    assert len(purge.signature) == 64
    assert ChainLink.objects.filter(firm=cast.firm).count() > before  # deletions, tombstone
    report = chain_check(firm_id=cast.firm.pk)
    assert report.ok, report.problems
    out, _err = verify("--firm", "harbor")
    assert "the chain holds" in out


def test_a_forged_tombstone_does_not_cover_a_deleted_row(cast: Cast) -> None:
    touch = services.touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="x")
    entry = touch_entry(touch)
    link = ChainLink.objects.get(model="partners.Touch", entry_id=entry.pk)
    execute("DELETE FROM {t} WHERE history_id = %s", [entry.pk])
    with override_settings(SECRET_KEY="not-this-installations-key-" + "x" * 40):
        from reciprocity.audit import chain

        forged = AuditPurge(
            firm=cast.firm, by=cast.ada, reason="Nothing to see", cutoff=entry.history_date
        )
        forged.purged_links = [[link.seq, link.entry_hash]]
        forged.signature = chain.tombstone_signature(
            {f.attname: chain.plain(f, getattr(forged, f.attname)) for f in AuditPurge._meta.fields}
        )
    forged.save()
    problems = chain_check(firm_id=cast.firm.pk).problems
    assert (problems[0].seq, problems[0].what) == (link.seq, ENTRY_DELETED)
    assert TOMBSTONE_FORGED in {problem.what for problem in problems}


# --- The command ----------------------------------------------------------------------------------


def test_verify_prints_each_chain_and_records_the_verification() -> None:
    advisor, _partner, _touch = a_book()
    out, _err = verify()
    assert f"{advisor.firm.slug}: the chain holds" in out
    verification = ChainVerification.objects.get(firm=advisor.firm)
    assert (verification.ok, verification.source, verification.by) == (True, "cli", None)
    assert verification.head_hash == ChainHead.objects.get(chain=advisor.firm_id).hash


def test_verify_json_names_the_first_broken_entry_and_exits_non_zero() -> None:
    advisor, _partner, touch = a_book()
    entry = touch_entry(touch)
    execute("UPDATE {t} SET kind = %s WHERE history_id = %s", ["meeting", entry.pk])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--firm", advisor.firm.slug, "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["ok"] is False
    (only,) = result["chains"]
    assert set(only) == {"firm", "ok", "entries", "head_hash", "problems", "first_broken"}
    assert only["firm"] == advisor.firm.slug
    assert only["first_broken"]["entry_id"] == entry.pk
    assert only["first_broken"]["model"] == "partners.Touch"
    assert only["first_broken"]["what"] == ENTRY_CHANGED
    assert ChainVerification.objects.get(firm=advisor.firm).first_broken == only["first_broken"]


def test_verify_json_when_the_chain_holds() -> None:
    advisor, _partner, _touch = a_book()
    out, _err = verify("--firm", advisor.firm.slug, "--json")
    result = json.loads(out)
    assert result["ok"] is True
    assert result["chains"][0]["first_broken"] is None


def test_verify_refuses_an_unknown_firm() -> None:
    FirmFactory(slug="known")
    with pytest.raises(CommandError, match="No firm with the slug 'nowhere'"):
        verify("--firm", "nowhere")


def run_from_argv(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    """As the console script runs it: a CommandError becomes exit status 1."""
    # It closes the connections when done; the test's database must stay open.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    Command(stdout=io.StringIO(), stderr=io.StringIO()).run_from_argv(
        ["reciprocity", "audit", *args]
    )


def test_verify_exits_zero_when_the_chain_holds_and_one_when_it_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    advisor, _partner, touch = a_book()
    run_from_argv(monkeypatch, "verify", "--firm", advisor.firm.slug)  # no SystemExit: status 0
    execute(
        "UPDATE {t} SET summary = %s WHERE history_id = %s",
        ["x", touch_entry(touch).pk],
    )
    with pytest.raises(SystemExit) as stopped:
        run_from_argv(monkeypatch, "verify", "--firm", advisor.firm.slug)
    assert stopped.value.code == 1


# --- The audit page -----------------------------------------------------------------------------


def test_the_audit_page_says_the_chain_was_never_checked_then_shows_the_last_check(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    client = client_for(cast.cole)
    assert shows(client.get(reverse("audit_log")), "The chain has not been checked yet.")
    never_checked = queries_for(lambda: client.get(reverse("audit_log")))
    verify("--firm", "harbor")
    assert queries_for(lambda: client.get(reverse("audit_log"))) == never_checked
    with django_assert_max_num_queries(18):
        page = client.get(reverse("audit_log"))
    assert shows(page, "the chain holds")
    assert shows(page, "from the command line")
    assert shows(page, "Check the chain now")  # the compliance officer may run one


def test_a_firm_admin_checks_the_chain_from_the_audit_page(cast: Cast) -> None:
    client = client_for(cast.ada)
    assert shows(client.get(reverse("audit_log")), "Check the chain now")
    response = client.post(reverse("audit_verify"), follow=True)
    count = ChainLink.objects.filter(firm=cast.firm).count()
    assert shows(response, VERIFIED.format(count=count))
    verification = ChainVerification.objects.get(firm=cast.firm)
    assert (verification.by, verification.source, verification.ok) == (cast.ada, "web", True)
    assert shows(response, f"by {cast.ada.display_name}")


def test_the_audit_page_names_the_first_broken_entry(cast: Cast) -> None:
    touch = services.touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="x")
    entry = touch_entry(touch)
    execute("UPDATE {t} SET summary = %s WHERE history_id = %s", ["y", entry.pk])
    response = client_for(cast.ada).post(reverse("audit_verify"), follow=True)
    assert shows(response, "The audit chain does not hold.")
    assert shows(response, f"partners.Touch history row {entry.pk}: {ENTRY_CHANGED}")


def test_the_compliance_officer_runs_a_check_and_an_advisor_may_not(cast: Cast) -> None:
    response = client_for(cast.alice).post(reverse("audit_verify"))
    assert response.status_code == 403
    assert not ChainVerification.objects.exists()
    client_for(cast.cole).post(reverse("audit_verify"))
    verification = ChainVerification.objects.get(firm=cast.firm)
    assert (verification.by, verification.ok) == (cast.cole, True)


def test_a_check_is_a_post(cast: Cast) -> None:
    assert client_for(cast.ada).get(reverse("audit_verify")).status_code == 405
    assert not ChainVerification.objects.exists()


# --- The examiner export ------------------------------------------------------------------------


def export(directory: Path, *args: str) -> dict[str, Any]:
    today = timezone.localdate().isoformat()
    out = io.StringIO()
    call_command(
        "audit",
        "export",
        "--from",
        "2000-01-01",
        "--to",
        today,
        "-o",
        str(directory),
        *args,
        stdout=out,
    )
    manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
    return manifest


def run_script(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our interpreter, the script the export ships)
        [sys.executable, str(directory / "verify_export.py"), str(directory)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", "")},  # no Django, no settings: standard library only
        cwd=directory,
    )


def test_the_export_verifies_offline_with_the_shipped_script(tmp_path: Path) -> None:
    advisor, _partner, _touch = a_book()
    manifest = export(tmp_path / "exam", "--firm", advisor.firm.slug)
    links = ChainLink.objects.filter(firm=advisor.firm).order_by("seq")
    assert manifest["firm"] == advisor.firm.slug
    assert manifest["entries"] == links.count()
    assert manifest["first_hash"] == links.first().hash  # type: ignore[union-attr]
    assert manifest["last_hash"] == links.last().hash  # type: ignore[union-attr]
    assert manifest["software_version"]
    assert {p.name for p in (tmp_path / "exam").iterdir()} == {
        "entries.csv",
        "entries.json",
        "manifest.json",
        "verify_export.py",
    }
    result = run_script(tmp_path / "exam")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The chain holds" in result.stdout


def test_an_edited_line_of_the_export_fails_the_script_naming_the_entry(tmp_path: Path) -> None:
    advisor, _partner, touch = a_book()
    directory = tmp_path / "exam"
    export(directory)
    entry = touch_entry(touch)
    lines = (directory / "entries.csv").read_text().splitlines(keepends=True)
    (number,) = [n for n, line in enumerate(lines) if f",partners.Touch,{entry.pk}," in line]
    lines[number] = lines[number].replace("First call", "No call")
    (directory / "entries.csv").write_text("".join(lines))
    result = run_script(directory)
    assert result.returncode == 1
    assert f"entries.csv: firm {advisor.firm_id} link" in result.stdout
    assert f"(partners.Touch entry {entry.pk}): its content does not match its hash" in (
        result.stdout
    )


def test_an_edited_json_entry_fails_the_script_too(tmp_path: Path) -> None:
    _advisor, _partner, touch = a_book()
    directory = tmp_path / "exam"
    export(directory)
    entries = json.loads((directory / "entries.json").read_text())
    entry = touch_entry(touch)
    (edited,) = [e for e in entries if (e["model"], e["entry_id"]) == ("partners.Touch", entry.pk)]
    edited["content"]["summary"] = "No call"
    (directory / "entries.json").write_text(json.dumps(entries))
    result = run_script(directory)
    assert result.returncode == 1
    assert f"entries.json: firm {touch.partner.firm_id}" in result.stdout


def test_the_export_keeps_purged_entries_as_hashes(cast: Cast, tmp_path: Path) -> None:
    archived_long_ago(cast)
    records_purge(by=cast.ada, reason="Retention period reached")
    manifest = export(tmp_path / "exam", "--firm", "harbor")
    (chain_of_firm,) = manifest["chains"]
    assert chain_of_firm["purged"] > 0
    assert run_script(tmp_path / "exam").returncode == 0


def test_the_export_refuses_a_backwards_range(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=BAD_RANGE):
        call_command(
            "audit", "export", "--from", "2026-02-01", "--to", "2026-01-01", "-o", str(tmp_path)
        )


def test_the_export_refuses_a_bad_date(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not one"):
        call_command(
            "audit", "export", "--from", "someday", "--to", "2026-01-01", "-o", str(tmp_path)
        )


@pytest.mark.slow
def test_the_demo_book_verifies_clean() -> None:
    call_command("demo", stdout=io.StringIO())
    out, _err = verify()
    assert "the chain holds" in out
    assert ChainVerification.objects.filter(ok=False).count() == 0


def test_a_firm_restored_from_its_backup_verifies_and_its_chain_carries_on(cast: Cast) -> None:
    services.touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Call")
    out = io.BytesIO()
    backup_write(out=out, firm_slug="harbor")
    for model in backed_up_models():
        model._base_manager.all()._raw_delete(connection.alias)  # type: ignore[attr-defined]
    restore_archive(source=io.BytesIO(out.getvalue()))
    assert not ChainHead.objects.exists()  # a firm's backup holds its links, not the head
    assert chain_check(firm_id=cast.firm.pk).ok
    alice = User.objects.get(username="alice")
    partner = Partner.objects.get(name="Priya Private")
    services.touch_log(partner=partner, by=alice, kind="email", summary="After the restore")
    report = chain_check(firm_id=cast.firm.pk)
    assert report.ok, report.problems
