"""The weekly digest: rendered for an advisor from their real agenda, queued, and sent by the
worker."""

import datetime as dt
import signal
from collections.abc import Iterator
from html import unescape
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reciprocity.accounts import services as account_services
from reciprocity.accounts.models import Delivery, User
from reciprocity.ops.models import ScheduledRun
from reciprocity.partners import services as partner_services
from reciprocity.partners.models import Partner
from reciprocity.partners.scope import PartnerScope
from reciprocity.partners.selectors import agenda_items
from reciprocity.playbook.digest import (
    DIGEST_KIND,
    SUBJECT_CLEAR,
    TOP_ITEMS,
    DigestOutcome,
    digest_render,
    digest_send,
    digest_week,
)
from reciprocity.playbook.management.commands import digest as digest_command
from reciprocity.playbook.selectors.digest import digest_for, digest_recipients
from reciprocity.playbook.services import message as services
from reciprocity.playbook.tasks import (
    next_digest_run,
    send_weekly_digest,
    send_weekly_digests,
    weekly_digest_schedule,
)
from reciprocity.site.demo.book import load_demo
from tests.conftest import Cast
from tests.factories import ago

pytestmark = pytest.mark.django_db


def demo_advisor(username: str = "demo") -> tuple[User, Partner]:
    """An advisor built the way the demo data is: through the services, with a history."""
    firm = account_services.firm_create(name=f"{username} Wealth")
    advisor = account_services.advisor_create(
        firm=firm,
        username=username,
        password=None,
        email=f"{username}@example.com",
        first_name="Dana",
    )
    cpa = partner_services.partner_create(
        by=advisor,
        name="Carla Reyes",
        profession="cpa",
        organization="Reyes & Co",
        occurred_at=ago(300),
    )
    partner_services.partner_change_stage(
        partner=cpa, by=advisor, stage="active", occurred_at=ago(250)
    )
    partner_services.touch_log(
        partner=cpa, by=advisor, kind="call", summary="Lunch", occurred_at=ago(200)
    )
    partner_services.commitment_create(
        partner=cpa,
        by=advisor,
        what="Send the estate-planning article",
        owner="advisor",
        due=timezone.localdate() - dt.timedelta(days=5),
    )
    partner_services.commitment_create(
        partner=cpa,
        by=advisor,
        what="Introduce us to the business owners' association",
        owner="partner",
        due=timezone.localdate() + dt.timedelta(days=3),
    )
    return advisor, cpa


@pytest.fixture
def restore_signals() -> Iterator[None]:
    """The worker installs its own signal handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_digest_renders_for_the_demo_advisor_with_their_real_overdue_items(
    db: None,
) -> None:
    load_demo()
    demo = User.objects.get(username="demo")
    today = timezone.localdate()
    own = PartnerScope(reader=demo, owner=demo.pk)
    overdue = [c for c in agenda_items(scope=own, until=today) if c.due < today]
    assert overdue  # the demo book has work left undone on both sides

    rendered = digest_render(advisor=demo)

    listed = [i for i in rendered.digest.agenda.overdue if i.source == "commitment"]
    assert {i.object_id for i in listed} == {c.pk for c in overdue}
    dues = [i.due for i in rendered.digest.agenda.overdue]
    assert dues == sorted(dues)  # oldest first
    overdue_count = len(rendered.digest.agenda.overdue)
    assert rendered.subject.startswith(f"Your week: {overdue_count} overdue")
    # Short: the count, the five that come first (each naming its partner), the agenda's link.
    assert f"{overdue_count} overdue" in rendered.text
    first = rendered.digest.agenda.items[:TOP_ITEMS]
    for item in first:
        assert f"- {item.title}\n  {item.partner_name}" in rendered.text
        assert item.title in unescape(rendered.html)
    assert rendered.text.count("\n- ") == TOP_ITEMS
    assert f"And {len(rendered.digest.agenda) - TOP_ITEMS} more on your agenda." in rendered.text


def test_the_digest_lists_overdue_work_first_then_the_week(db: None) -> None:
    advisor, _ = demo_advisor()

    rendered = digest_render(advisor=advisor)

    assert rendered.subject == "Your week: 2 overdue, 1 due this week"
    overdue = [item.title for item in rendered.digest.agenda.overdue]
    assert overdue == ["Touch base with Carla Reyes", "Send the estate-planning article"]
    text = rendered.text
    assert "2 overdue, 1 due this week." in text
    assert text.index("Touch base with Carla Reyes") < text.index("Send the estate-planning")
    assert text.index("Send the estate-planning article") < text.index("Introduce us")
    assert "Carla Reyes promised it" in text
    assert rendered.digest.suggestions[0].text in text
    assert "http://127.0.0.1:8000/agenda/" in text
    assert "Send the estate-planning article" in rendered.html
    assert (
        f'href="http://127.0.0.1:8000/partners/{rendered.digest.agenda.overdue[0].partner_id}/"'
        in (rendered.html)
    )


def test_the_html_part_has_its_styles_inline_and_the_text_part_says_the_same(db: None) -> None:
    advisor, _ = demo_advisor()

    rendered = digest_render(advisor=advisor)

    assert "<style" not in rendered.html
    assert 'style="' in rendered.html
    assert "font-family" in rendered.html  # not the mail client's default Times
    for item in rendered.digest.agenda.items:
        assert item.title in unescape(rendered.html)
        assert item.title in rendered.text
    for part in (rendered.text, rendered.html):
        assert "http://127.0.0.1:8000/agenda/" in part
        assert "http://127.0.0.1:8000/playbook/message/#digest" in part


def test_the_links_use_the_site_url(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RECIPROCITY_SITE_URL = "https://coi.example.com"
    advisor, _ = demo_advisor()

    rendered = digest_render(advisor=advisor)

    assert ":8000" not in rendered.html + rendered.text
    assert 'href="https://coi.example.com/agenda/"' in rendered.html


def test_the_digest_shows_no_one_elses_work(db: None) -> None:
    advisor, _ = demo_advisor()
    demo_advisor("other")

    titles = [item.title for item in digest_for(advisor=advisor).agenda.items]

    assert len(titles) == 3
    assert all("Carla Reyes" in t or "article" in t or "association" in t for t in titles)


def test_sending_the_digest_emails_text_and_html(db: None) -> None:
    advisor, _ = demo_advisor()

    assert digest_send(advisor=advisor) == DigestOutcome.SENT

    (message,) = mail.outbox
    assert message.to == ["demo@example.com"]
    assert message.subject == "Your week: 2 overdue, 1 due this week"
    assert "Send the estate-planning article" in message.body
    assert message.alternatives[0].mimetype == "text/html"


def test_an_empty_week_or_a_missing_address_sends_nothing(playbook_cast: Cast) -> None:
    assert digest_render(advisor=playbook_cast.carol).subject == SUBJECT_CLEAR
    assert digest_send(advisor=playbook_cast.carol) == DigestOutcome.NOTHING_DUE
    advisor, _ = demo_advisor()
    advisor.email = ""
    advisor.save()
    assert digest_send(advisor=advisor) == DigestOutcome.NO_ADDRESS
    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_a_digest_is_sent_once_per_advisor_and_week(db: None) -> None:
    advisor, _ = demo_advisor()
    monday = digest_week()

    assert digest_send(advisor=advisor) == DigestOutcome.SENT
    assert digest_send(advisor=advisor) == DigestOutcome.ALREADY_SENT
    assert digest_send(advisor=advisor, today=monday + dt.timedelta(days=6)) == (
        DigestOutcome.ALREADY_SENT
    )
    assert len(mail.outbox) == 1
    (delivery,) = Delivery.objects.all()
    assert (delivery.kind, delivery.recipient, delivery.period) == (DIGEST_KIND, advisor, monday)
    # The firm's audit log keeps what was sent to whom.
    (record,) = Delivery.history.all()  # type: ignore[attr-defined]
    assert (record.history_type, record.history_source) == ("+", "system")

    # The next week is a new digest.
    assert digest_send(advisor=advisor, today=monday + dt.timedelta(days=7)) == DigestOutcome.SENT
    assert len(mail.outbox) == 2


def test_a_digest_that_fails_to_send_is_not_recorded_so_a_retry_sends_it(db: None) -> None:
    advisor, _ = demo_advisor()
    with (
        mock.patch.object(EmailMultiAlternatives, "send", side_effect=OSError("SMTP down")),
        pytest.raises(OSError, match="SMTP down"),
    ):
        digest_send(advisor=advisor)

    assert not Delivery.objects.exists()
    assert digest_send(advisor=advisor) == DigestOutcome.SENT
    assert len(mail.outbox) == 1


# The worker closes stale connections between jobs, as in production: it needs real commits.
def test_the_worker_sends_the_digest_from_the_queue(
    transactional_db: None, restore_signals: None
) -> None:
    advisor, _ = demo_advisor()
    result = send_weekly_digest.enqueue(advisor.pk)
    assert mail.outbox == []

    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    (message,) = mail.outbox
    assert message.to == [advisor.email]
    stored = DBTaskResult.objects.get(pk=result.id)
    assert stored.status == "SUCCESSFUL"
    assert stored.return_value == "sent"


def test_the_digest_task_run_twice_sends_once(
    transactional_db: None, restore_signals: None
) -> None:
    """A task may run again after its worker was lost: the second run says so."""
    advisor, _ = demo_advisor()
    first = send_weekly_digest.enqueue(advisor.pk)
    second = send_weekly_digest.enqueue(advisor.pk)

    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert len(mail.outbox) == 1
    results = {DBTaskResult.objects.get(pk=r.id).return_value for r in (first, second)}
    assert results == {"sent", "already_sent"}


def test_the_weekly_run_queues_every_recipients_digest_and_the_next_run(
    transactional_db: None, restore_signals: None
) -> None:
    demo_advisor("first")
    quiet, _ = demo_advisor("second")
    services.advisor_digest_set(by=quiet, weekly_digest=False)
    send_weekly_digests.enqueue()

    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert [m.to for m in mail.outbox] == [["first@example.com"]]
    waiting = DBTaskResult.objects.filter(status="READY")
    assert [r.task_path for r in waiting] == [send_weekly_digests.module_path]
    assert waiting[0].run_after == next_digest_run()


def test_a_long_running_worker_keeps_the_weekly_run_queued(
    transactional_db: None, restore_signals: None
) -> None:
    advisor, _ = demo_advisor()
    send_weekly_digest.enqueue(advisor.pk)

    call_command("worker", "--max-tasks", "1", "--no-startup-delay", "--no-reload", verbosity=0)

    assert len(mail.outbox) == 1
    # The worker queues other apps' periodic runs too (the webhooks' checks).
    (waiting,) = DBTaskResult.objects.filter(
        status="READY", task_path=send_weekly_digests.module_path
    )
    assert waiting.run_after == next_digest_run()


def test_the_weekly_run_is_queued_once(db: None) -> None:
    assert weekly_digest_schedule() is True
    assert weekly_digest_schedule() is False
    assert DBTaskResult.objects.count() == 1


def test_the_weekly_run_is_queued_once_even_when_no_run_is_seen_waiting(db: None) -> None:
    """Two workers starting together both find no waiting run: the marker of the run time
    lets one of them queue it."""
    assert weekly_digest_schedule() is True
    with mock.patch.object(QuerySet, "exists", return_value=False):
        assert weekly_digest_schedule() is False
    assert DBTaskResult.objects.count() == 1
    (marker,) = ScheduledRun.objects.all()
    assert (marker.task_path, marker.run_after) == (
        send_weekly_digests.module_path,
        next_digest_run(),
    )


def test_the_weekly_run_run_twice_sends_each_digest_once(
    transactional_db: None, restore_signals: None
) -> None:
    demo_advisor("first")
    demo_advisor("second")
    send_weekly_digests.enqueue()
    send_weekly_digests.enqueue()

    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert sorted(m.to[0] for m in mail.outbox) == ["first@example.com", "second@example.com"]
    waiting = DBTaskResult.objects.filter(status="READY")
    assert [r.task_path for r in waiting] == [send_weekly_digests.module_path]


def test_the_next_run_is_the_coming_monday_morning() -> None:
    tz = timezone.get_current_timezone()
    wednesday = dt.datetime(2026, 3, 4, 12, 0, tzinfo=tz)
    monday_early = dt.datetime(2026, 3, 9, 6, 0, tzinfo=tz)
    monday_late = dt.datetime(2026, 3, 9, 8, 0, tzinfo=tz)

    assert next_digest_run(wednesday) == dt.datetime(2026, 3, 9, 7, 0, tzinfo=tz)
    assert next_digest_run(monday_early) == dt.datetime(2026, 3, 9, 7, 0, tzinfo=tz)
    assert next_digest_run(monday_late) == dt.datetime(2026, 3, 16, 7, 0, tzinfo=tz)


def test_the_next_run_is_monday_morning_in_the_firms_time_zone(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "America/New_York"
    with timezone.override("America/New_York"):
        # Sunday 23:30 in New York is already Monday in UTC: the run is still the coming Monday
        # at seven, New York time (12:00 UTC in March, before daylight saving time).
        sunday_night = dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC)
        run = next_digest_run(sunday_night)
    assert run == dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_recipients_are_active_advisors_with_an_address_who_did_not_opt_out(
    playbook_cast: Cast,
) -> None:
    services.advisor_digest_set(by=playbook_cast.bob, weekly_digest=False)
    playbook_cast.carol.email = ""
    playbook_cast.carol.save()

    assert [u.username for u in digest_recipients()] == ["alice", "ada", "mallory"]


def test_the_digest_costs_the_same_queries_for_a_small_and_a_large_book(db: None) -> None:
    advisor, _ = demo_advisor()
    with CaptureQueriesContext(connection) as small:
        digest_render(advisor=advisor)
    for n in range(6):
        partner = partner_services.partner_create(
            by=advisor, name=f"Partner {n}", profession="attorney", occurred_at=ago(300)
        )
        partner_services.partner_change_stage(
            partner=partner, by=advisor, stage="champion", occurred_at=ago(200)
        )
    with CaptureQueriesContext(connection) as large:
        rendered = digest_render(advisor=advisor)

    assert len(rendered.digest.agenda.overdue) > 2
    assert len(large) == len(small)


# --- The command ----------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("digest", *args, stdout=out)
    return out.getvalue()


def test_the_command_renders_without_sending(db: None) -> None:
    demo_advisor()

    output = run("--user", "demo")

    assert "Subject: Your week: 2 overdue, 1 due this week" in output
    assert "Send the estate-planning article" in output
    assert mail.outbox == []
    assert not DBTaskResult.objects.exists()
    assert "2</strong>overdue" in run("--user", "demo", "--html")


def test_the_command_renders_a_given_week(db: None) -> None:
    demo_advisor()

    output = run("--user", "demo", "--date", (timezone.localdate() - dt.timedelta(30)).isoformat())

    assert "Send the estate-planning article" not in output


def test_the_command_queues_the_emails_with_send(db: None) -> None:
    demo_advisor("first")
    demo_advisor("second")

    output = run("--send")

    assert output.strip() == digest_command.QUEUED.format(count=2)
    assert DBTaskResult.objects.filter(task_path=send_weekly_digest.module_path).count() == 2
    assert mail.outbox == []


def test_send_run_again_the_same_week_sends_nothing_twice_and_says_so(
    transactional_db: None, restore_signals: None
) -> None:
    demo_advisor("first")
    demo_advisor("second")
    run("--send")
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert len(mail.outbox) == 2

    output = run("--send")
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    week = digest_week().isoformat()
    assert output.strip() == digest_command.ALREADY_SENT.format(count=2, week=week)
    assert len(mail.outbox) == 2
    # Another week is another digest.
    next_week = (digest_week() + dt.timedelta(days=7)).isoformat()
    assert run("--send", "--date", next_week).strip() == digest_command.QUEUED.format(count=2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--user", "nobody"), digest_command.UNKNOWN_USER.format(username="nobody")),
        (("--date", "next tuesday"), digest_command.BAD_DATE),
        ((), digest_command.NOBODY),
    ],
)
def test_the_command_says_what_is_wrong(db: None, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert str(excinfo.value) == message
