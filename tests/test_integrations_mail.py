"""Emails logged by themselves: an advisor BCCs their logging address, and the email is a touch
on the partner's timeline, received by SMTP, from an MTA's pipe, or from a provider's webhook."""

import asyncio
import datetime as dt
import io
import smtplib
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from reciprocity.integrations.mail.parsing import (
    EMPTY,
    NO_LOGGING_ADDRESS,
    NO_MESSAGE_ID,
    MailRefused,
    mail_parse,
    secret_of,
)
from reciprocity.integrations.models import MailInMessage, MailStatus, PartnerAddress
from reciprocity.integrations.services import (
    UNKNOWN_ADDRESS,
    mail_address_renew,
    mail_dismiss,
    mail_file,
    mail_file_as_new_partner,
    mail_receive,
)
from reciprocity.integrations.views import INBOUND_UNAUTHORIZED
from reciprocity.partners.models import Partner, Touch, TouchKind
from tests.conftest import Cast, client_for
from tests.factories import PartnerFactory
from tests.firm_processes import free_port

pytestmark = pytest.mark.django_db

SENT = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)


def an_email(
    *,
    to: str,
    sender: str = "alice@harbor.example",
    cc: str = "",
    bcc_to: str = "",
    subject: str = "Lunch next week?",
    message_id: str = "<lunch-1@harbor.example>",
    body: str = "Shall we meet on Tuesday?",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    if bcc_to:
        # What an MTA adds when it delivers a BCC copy.
        message["Delivered-To"] = bcc_to
    message["Subject"] = subject
    message["Date"] = format_datetime(SENT)
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


@pytest.fixture
def logged(cast: Cast) -> Any:
    """Alice's logging address, and her private partner with an email."""
    Partner.objects.filter(pk=cast.alice_private.pk).update(email="priya@cpa.example")
    cast.alice_private.refresh_from_db()
    cast.alice.email = "alice@harbor.example"  # her own address is never a partner's
    cast.alice.save(update_fields=["email"])
    return mail_address_renew(by=cast.alice).address


def email_touches(partner: Partner) -> list[Touch]:
    return list(Touch.objects.filter(partner=partner, kind=TouchKind.EMAIL))


# --- Reading a message ----------------------------------------------------------------------


@override_settings(MAIL_IN_DOMAIN="log.harbor.example")
def test_a_logging_address_names_its_secret_and_nothing_else_does() -> None:
    assert secret_of("LOG+abc12345def@log.harbor.example") == "abc12345def"
    assert secret_of("log+abc12345def@elsewhere.example") is None
    assert secret_of("logs+abc12345def@log.harbor.example") is None
    assert secret_of("log+a@log.harbor.example") is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", EMPTY),
        (b"   \r\n", EMPTY),
        (
            an_email(to="priya@cpa.example", bcc_to="log+0123456789ab@localhost", message_id=""),
            NO_MESSAGE_ID,
        ),
        (an_email(to="priya@cpa.example"), NO_LOGGING_ADDRESS),
    ],
)
def test_a_message_that_cannot_be_logged_is_refused_with_its_reason(
    raw: bytes, reason: str
) -> None:
    with pytest.raises(MailRefused, match=reason):
        mail_parse(raw)


@override_settings(MAIL_IN_MAX_BYTES=1000)
def test_a_message_over_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(MailRefused, match="larger than 1000 bytes"):
        mail_parse(an_email(to="x@y.example", body="x" * 2000))


# --- Logging it -----------------------------------------------------------------------------


def test_an_email_bccd_to_the_logging_address_is_a_touch_on_the_partner(
    cast: Cast, logged: str
) -> None:
    result = mail_receive(raw=an_email(to="priya@cpa.example", bcc_to=logged))
    assert (result.touches, result.unmatched) == (1, 0)
    [touch] = email_touches(cast.alice_private)
    assert touch.summary == "Lunch next week?"
    assert touch.occurred_at == SENT
    assert touch.by == cast.alice
    assert touch.history.get().history_source == "email"
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.last_touch_at == SENT  # the cadence counts from it
    assert MailInMessage.objects.get().body == ""  # the firm keeps no bodies by default


def test_the_same_message_twice_logs_nothing_new(cast: Cast, logged: str) -> None:
    raw = an_email(to="priya@cpa.example", bcc_to=logged)
    mail_receive(raw=raw)
    again = mail_receive(raw=raw)
    assert (again.touches, again.duplicates) == (0, 1)
    assert len(email_touches(cast.alice_private)) == 1


def test_the_body_is_kept_only_when_the_firm_keeps_email_bodies(cast: Cast, logged: str) -> None:
    cast.firm.keeps_email_bodies = True
    cast.firm.save()
    mail_receive(raw=an_email(to="priya@cpa.example", bcc_to=logged))
    assert MailInMessage.objects.get().body.strip() == "Shall we meet on Tuesday?"


def test_a_partner_of_another_firm_with_the_same_address_is_not_touched(
    cast: Cast, logged: str
) -> None:
    Partner.objects.filter(pk=cast.mallory_partner.pk).update(email="priya@cpa.example")
    mail_receive(raw=an_email(to="priya@cpa.example", bcc_to=logged))
    assert email_touches(cast.mallory_partner) == []
    assert len(email_touches(cast.alice_private)) == 1


def test_a_wrong_secret_is_refused_and_stores_nothing(cast: Cast, logged: str) -> None:
    with pytest.raises(MailRefused, match=UNKNOWN_ADDRESS):
        mail_receive(raw=an_email(to="priya@cpa.example", bcc_to="log+0000000000000000@localhost"))
    assert not MailInMessage.objects.exists()
    assert email_touches(cast.alice_private) == []


def test_a_renewed_address_stops_the_old_one(cast: Cast, logged: str) -> None:
    new = mail_address_renew(by=cast.alice).address
    assert new != logged
    with pytest.raises(MailRefused, match=UNKNOWN_ADDRESS):
        mail_receive(raw=an_email(to="priya@cpa.example", bcc_to=logged))


# --- Messages from nobody known ------------------------------------------------------------


def test_a_message_from_an_unknown_address_waits_and_filing_it_learns_the_address(
    cast: Cast, logged: str
) -> None:
    mail_receive(raw=an_email(to="p.private@home.example", bcc_to=logged))
    waiting = MailInMessage.objects.get()
    assert waiting.status == MailStatus.UNMATCHED
    assert waiting.unknown_addresses == ["p.private@home.example"]
    assert email_touches(cast.alice_private) == []

    mail_file(
        message=waiting, partner=cast.alice_private, by=cast.alice, address="p.private@home.example"
    )
    assert len(email_touches(cast.alice_private)) == 1
    assert PartnerAddress.objects.get().partner == cast.alice_private
    # The next message from that address is logged by itself.
    mail_receive(raw=an_email(to="p.private@home.example", bcc_to=logged, message_id="<second@x>"))
    assert len(email_touches(cast.alice_private)) == 2


def test_a_waiting_message_can_become_a_new_partner_or_be_dismissed(
    cast: Cast, logged: str
) -> None:
    mail_receive(raw=an_email(to="new@law.example", bcc_to=logged))
    mail_receive(raw=an_email(to="news@letters.example", bcc_to=logged, message_id="<n@x>"))
    first, second = MailInMessage.objects.order_by("pk")
    partner = mail_file_as_new_partner(
        message=first,
        by=cast.alice,
        name="Nora New",
        profession="attorney",
        email="new@law.example",
    )
    assert partner.email == "new@law.example"
    assert len(email_touches(partner)) == 1
    mail_dismiss(message=second, by=cast.alice)
    second.refresh_from_db()
    assert second.status == MailStatus.DISMISSED


# --- The three ways in -----------------------------------------------------------------------


@contextmanager
def smtp_receiver() -> Iterator[int]:
    """The SMTP receiver listening on a free port, which it yields; stopped on the way out."""
    from reciprocity.integrations.smtp import mail_in_controller

    port = free_port()
    controller = mail_in_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_the_smtp_receiver_logs_a_message_sent_with_smtplib(cast: Cast, logged: str) -> None:
    with smtp_receiver() as port, smtplib.SMTP("127.0.0.1", port) as smtp:
        # BCC: the logging address is only in the envelope.
        smtp.sendmail("alice@harbor.example", [logged], an_email(to="priya@cpa.example"))
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail(
                "x@spam.example", ["log+ffffffffffffffff@localhost"], an_email(to="a@b.example")
            )
    assert len(email_touches(cast.alice_private)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_smtp_receiver_closes_its_database_connection_when_it_stops(logged: str) -> None:
    with smtp_receiver() as port, smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.sendmail("alice@harbor.example", [logged], an_email(to="priya@cpa.example"))

    def closed() -> bool:
        return connection.connection is None

    # Asked in the thread the handlers ran in, from a thread of its own: the browser tests
    # keep an event loop running in this one.
    asking = sync_to_async(closed, thread_sensitive=True)()
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, asking).result()


def test_mail_in_read_logs_one_message_from_standard_input(
    cast: Cast, logged: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = an_email(to="priya@cpa.example", bcc_to=logged)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("mail-in", "read", stdout=out)
    assert "1 touch logged" in out.getvalue()
    assert len(email_touches(cast.alice_private)) == 1


def test_mail_in_read_exits_65_on_a_refused_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("mail-in", "read", stderr=err)
    assert exit_.value.code == 65
    assert EMPTY in err.getvalue()


@override_settings(MAIL_IN_SECRET="s3cret-inbound")
def test_the_inbound_webhook_takes_a_raw_message_with_the_shared_secret(
    cast: Cast, logged: str, client: Any
) -> None:
    url = "/mail-in/inbound/"
    raw = an_email(to="priya@cpa.example", bcc_to=logged)
    wrong = client.post(url, raw, content_type="message/rfc822", HTTP_AUTHORIZATION="Bearer no")
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": INBOUND_UNAUTHORIZED}
    auth = {"HTTP_AUTHORIZATION": "Bearer s3cret-inbound"}
    ok = client.post(url, raw, content_type="message/rfc822", **auth)
    assert ok.status_code == 202
    assert ok.json()["touches"] == 1
    bad = client.post(url, b"\r\n", content_type="message/rfc822", **auth)
    assert bad.status_code == 422
    as_field = client.post(url, {"email": raw.decode()}, **auth)
    assert as_field.json()["duplicates"] == 1
    with override_settings(MAIL_IN_MAX_BYTES=100):
        assert client.post(url, raw, content_type="message/rfc822", **auth).status_code == 413
    assert len(email_touches(cast.alice_private)) == 1


def test_the_inbound_webhook_is_off_without_a_secret(client: Any) -> None:
    assert client.post("/mail-in/inbound/", b"x", content_type="message/rfc822").status_code == 404


# --- The page -------------------------------------------------------------------------------


def test_the_page_shows_the_address_and_files_a_waiting_message(cast: Cast, logged: str) -> None:
    mail_receive(raw=an_email(to="p.private@home.example", bcc_to=logged))
    waiting = MailInMessage.objects.get()
    client = client_for(cast.alice)
    page = client.get("/mail-in/").content.decode()
    assert logged in page
    assert "Lunch next week?" in page
    response = client.post(
        f"/mail-in/{waiting.pk}/file/",
        {"partner": cast.alice_private.pk, "address": "p.private@home.example"},
    )
    assert response.status_code == 302
    assert len(email_touches(cast.alice_private)) == 1


def test_nobody_else_files_or_sees_an_advisors_message(cast: Cast, logged: str) -> None:
    mail_receive(raw=an_email(to="p.private@home.example", bcc_to=logged))
    waiting = MailInMessage.objects.get()
    for other in (cast.bob, cast.mallory):
        client = client_for(other)
        assert "Lunch next week?" not in client.get("/mail-in/").content.decode()
        post = client.post(f"/mail-in/{waiting.pk}/file/", {"partner": cast.alice_shared.pk})
        assert post.status_code == 404


def test_a_date_in_the_future_is_logged_as_received_now(cast: Cast, logged: str) -> None:
    raw = an_email(to="priya@cpa.example", bcc_to=logged).replace(
        format_datetime(SENT).encode(), b"Fri, 01 Jan 2100 00:00:00 +0000"
    )
    mail_receive(raw=raw)
    [touch] = email_touches(cast.alice_private)
    assert abs(touch.occurred_at - timezone.now()) < dt.timedelta(minutes=1)


def test_a_merge_moves_the_addresses_a_partner_wrote_from(cast: Cast, logged: str) -> None:
    from reciprocity.partners.merge import partner_merge

    mail_receive(raw=an_email(to="p.private@home.example", bcc_to=logged))
    mail_file(
        message=MailInMessage.objects.get(),
        partner=cast.alice_private,
        by=cast.alice,
        address="p.private@home.example",
    )
    keep = PartnerFactory(owner=cast.alice, name="Priya P.")
    partner_merge(user=cast.alice, keep=keep, other=cast.alice_private)
    assert PartnerAddress.objects.get().partner == keep
