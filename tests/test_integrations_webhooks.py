"""Signed webhooks: a firm's endpoint hears of what happens in its book, from a real HTTP server
on loopback that checks each signature with standardwebhooks' own Webhook.verify."""

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.tasks import TaskResultStatus
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks.webhooks import Webhook

from reciprocity import events
from reciprocity.accounts.models import Role
from reciprocity.integrations.webhooks.addresses import URL_NOT_HTTP, URL_PRIVATE
from reciprocity.integrations.webhooks.delivery import (
    FAILING_LIMIT,
    RETRY_AFTER,
    webhooks_send_due,
)
from reciprocity.integrations.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from reciprocity.integrations.webhooks.overdue import commitments_overdue_tell
from reciprocity.integrations.webhooks.services import (
    NO_EVENTS,
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from reciprocity.integrations.webhooks.tasks import send_webhooks, webhooks_schedule, webhooks_tick
from reciprocity.partners.models import Stage
from reciprocity.partners.services import partner_change_stage, partner_create, touch_log
from reciprocity.referrals.services.ledger import referral_change_status, referral_create
from tests.conftest import Cast
from tests.factories import CommitmentFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def type(self) -> str:
        return str(json.loads(self.body)["type"])

    @property
    def data(self) -> dict[str, Any]:
        return dict(json.loads(self.body)["data"])


@dataclass
class Receiver:
    """An HTTP server on loopback: answers each POST with the next of ``answers`` (200 once
    they run out) and keeps what it received."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def endpoint_of(cast: Cast, url: str, wanted: list[str] | None = None) -> WebhookEndpoint:
    return webhook_endpoint_create(
        by=cast.ada, url=url, events=wanted or list(events.TYPES), description="CRM"
    )


def verified(endpoint: WebhookEndpoint, message: Received) -> dict[str, Any]:
    return dict(Webhook(endpoint.secret).verify(message.body, message.headers))


def test_a_touch_logged_reaches_the_endpoint_signed_after_the_commit(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint = endpoint_of(cast, receiver.url)
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Caught up")
    queued = DBTaskResult.objects.filter(
        task_path=send_webhooks.module_path, status=TaskResultStatus.READY
    )
    assert queued.exists()

    assert webhooks_send_due() == 1

    [message] = receiver.received
    body = verified(endpoint, message)
    assert body["type"] == events.TOUCH_LOGGED
    assert body["data"]["partner"]["id"] == cast.alice_private.pk
    assert body["data"]["touch"]["summary"] == "Caught up"
    assert message.headers["webhook-id"].startswith("msg_")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    attempt = delivery.attempt_log.get()
    assert attempt.status_code == 200
    assert attempt.response_ms is not None
    assert attempt.error == ""


def test_the_worker_sends_what_was_committed(cast: Cast, receiver: Receiver) -> None:
    endpoint = endpoint_of(cast, receiver.url)
    partner_change_stage(partner=cast.alice_private, by=cast.alice, stage=Stage.QUALIFIED)
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    [message] = receiver.received
    assert verified(endpoint, message)["data"]["to_stage"] == Stage.QUALIFIED
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_long_running_worker_keeps_the_periodic_check_queued(cast: Cast) -> None:
    assert webhooks_schedule()
    assert not webhooks_schedule()  # once, whoever asks
    assert webhooks_tick.call() == 0


def test_nothing_is_kept_or_sent_when_the_change_is_rolled_back(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint_of(cast, receiver.url)

    def undone() -> None:
        with transaction.atomic():
            touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Undone")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        undone()
    assert not WebhookEvent.objects.exists()
    assert webhooks_send_due() == 0
    assert receiver.received == []


def test_each_event_of_the_contract_is_sent_with_its_own_type(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint = endpoint_of(cast, receiver.url)
    partner = partner_create(by=cast.alice, name="Nina Notary", profession="attorney")
    partner_change_stage(partner=partner, by=cast.alice, stage=Stage.QUALIFIED)
    sent = referral_create(by=cast.alice, partner=partner, direction="sent", need="Estate plan")
    referral_create(by=cast.alice, partner=partner, direction="received", need="A prospect")
    referral_change_status(referral=sent, by=cast.alice, status="declined", reason="Not now")
    webhooks_send_due()
    types = [verified(endpoint, message)["type"] for message in receiver.received]
    assert types[:3] == [
        events.PARTNER_CREATED,
        events.PARTNER_STAGE_CHANGED,
        events.REFERRAL_SENT,
    ]
    assert events.REFERRAL_RECEIVED in types
    assert types[-1] == events.REFERRAL_STATUS_CHANGED
    last = receiver.received[-1].data
    assert (last["from_status"], last["to_status"]) == ("proposed", "declined")
    # Client names and contacts stay in the book.
    assert all("client_name" not in message.body.decode() for message in receiver.received)


def test_only_the_events_an_endpoint_chose_are_kept_for_it(cast: Cast, receiver: Receiver) -> None:
    endpoint_of(cast, receiver.url, [events.PARTNER_CREATED])
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Not wanted")
    assert not WebhookEvent.objects.exists()


def test_a_failed_delivery_is_tried_again_with_backoff_until_it_is_delivered(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint = endpoint_of(cast, receiver.url)
    receiver.answers = [500, 503]
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Retry me")
    now = timezone.now()

    webhooks_send_due(now=now)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at == now + RETRY_AFTER[0]
    assert webhooks_send_due(now=now + dt.timedelta(seconds=1)) == 0  # not due yet

    webhooks_send_due(now=now + RETRY_AFTER[0])
    delivery.refresh_from_db()
    assert delivery.last_status_code == 503
    assert delivery.next_attempt_at == now + RETRY_AFTER[0] + RETRY_AFTER[1]

    webhooks_send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [a.status_code for a in delivery.attempt_log.order_by("at")] == [500, 503, 200]
    # The same message each time: one id, each signature valid.
    assert len({message.headers["webhook-id"] for message in receiver.received}) == 1
    for message in receiver.received:
        verified(endpoint, message)


def test_a_delivery_failing_every_try_is_given_up_after_its_last_retry(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint_of(cast, receiver.url)
    receiver.answers = [500] * (len(RETRY_AFTER) + 1)
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Doomed")
    moment = timezone.now()
    for wait in (dt.timedelta(0), *RETRY_AFTER):
        moment += wait
        assert webhooks_send_due(now=moment) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == len(RETRY_AFTER) + 1
    assert sum(RETRY_AFTER, dt.timedelta()) < FAILING_LIMIT  # given up within the day


def test_a_partners_events_arrive_in_order_even_when_one_must_be_retried(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint_of(cast, receiver.url)
    receiver.answers = [500]
    partner_change_stage(partner=cast.alice_private, by=cast.alice, stage=Stage.QUALIFIED)
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="After the move")
    touch_log(partner=cast.alice_shared, by=cast.alice, kind="call", summary="Someone else")
    now = timezone.now()

    # The stage change fails; the touch after it waits; another partner's event goes on.
    assert webhooks_send_due(now=now) == 2
    assert [m.type for m in receiver.received] == [
        events.PARTNER_STAGE_CHANGED,
        events.TOUCH_LOGGED,
    ]
    assert receiver.received[1].data["partner"]["id"] == cast.alice_shared.pk

    assert webhooks_send_due(now=now + RETRY_AFTER[0]) == 2
    later = [(m.type, m.data["partner"]["id"]) for m in receiver.received[2:]]
    assert later == [
        (events.PARTNER_STAGE_CHANGED, cast.alice_private.pk),
        (events.TOUCH_LOGGED, cast.alice_private.pk),
    ]


def test_a_firms_endpoint_never_hears_of_another_firms_events(
    cast: Cast, receiver: Receiver
) -> None:
    ours = endpoint_of(cast, receiver.url + "/harbor")
    other_admin = UserFactory(firm=cast.other_firm, role=Role.FIRM_ADMIN)
    theirs = webhook_endpoint_create(
        by=other_admin, url=receiver.url + "/elsewhere", events=list(events.TYPES)
    )
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Harbor's call")
    touch_log(partner=cast.mallory_partner, by=cast.mallory, kind="call", summary="Their call")
    webhooks_send_due()
    by_path = {message.path: message for message in receiver.received}
    assert set(by_path) == {"/hooks/harbor", "/hooks/elsewhere"}
    assert verified(ours, by_path["/hooks/harbor"])["data"]["touch"]["summary"] == "Harbor's call"
    assert verified(theirs, by_path["/hooks/elsewhere"])["data"]["touch"]["summary"] == "Their call"
    assert WebhookDelivery.objects.filter(endpoint=ours).count() == 1


def test_a_url_that_is_not_http_is_refused_with_a_clear_message(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_create(by=cast.ada, url="ftp://example.com/hooks", events=["touch.logged"])
    assert refused.value.message_dict == {"url": [URL_NOT_HTTP]}
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_create(by=cast.ada, url="https://example.com/hooks", events=[])
    assert refused.value.message_dict == {"events": [NO_EVENTS]}
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8000/hooks", "127.0.0.1"),
        ("http://10.1.2.3/hooks", "10.1.2.3"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]/hooks", "::1"),
        ("http://localhost/hooks", None),
    ],
)
def test_a_private_address_is_refused_unless_the_setting_allows_it(
    cast: Cast, url: str, address: str | None
) -> None:
    with override_settings(WEBHOOKS_ALLOW_PRIVATE=False), pytest.raises(ValidationError) as refused:
        webhook_endpoint_create(by=cast.ada, url=url, events=["touch.logged"])
    [message] = refused.value.message_dict["url"]
    if address is not None:
        assert message == URL_PRIVATE.format(address=address)
    assert "private, loopback or link-local" in message
    assert not WebhookEndpoint.objects.exists()


def test_the_address_is_checked_again_when_a_delivery_is_sent(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint_of(cast, receiver.url)
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Sneaky")
    with override_settings(WEBHOOKS_ALLOW_PRIVATE=False):
        webhooks_send_due()
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error == URL_PRIVATE.format(address="127.0.0.1")
    assert delivery.status == DeliveryStatus.PENDING


def test_an_endpoint_failing_for_a_day_is_switched_off_and_its_admins_told(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint = endpoint_of(cast, receiver.url)
    receiver.answers = [500] * 10
    for n in range(3):
        touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary=f"Call {n}")
    start = timezone.now()
    webhooks_send_due(now=start)
    endpoint.refresh_from_db()
    assert endpoint.active
    assert endpoint.failing_since == start

    WebhookDelivery.objects.update(next_attempt_at=start)
    webhooks_send_due(now=start + FAILING_LIMIT)
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert "every delivery failed for a day" in endpoint.disabled_reason
    assert [message.to for message in mail.outbox] == [[cast.ada.email]]
    assert receiver.url in mail.outbox[0].body
    # Switched off, it is sent nothing more; switched on again, it starts over.
    assert webhooks_send_due(now=start + FAILING_LIMIT * 2) == 0
    webhook_endpoint_update(endpoint=endpoint, by=cast.ada, active=True)
    endpoint.refresh_from_db()
    assert endpoint.active
    assert endpoint.disabled_reason == ""
    assert endpoint.failing_since is None


def test_a_rotated_secret_signs_with_both_secrets_for_a_while(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint = endpoint_of(cast, receiver.url)
    old = endpoint.secret
    rotated = webhook_endpoint_rotate_secret(endpoint=endpoint, by=cast.ada)
    assert rotated.secret != old
    assert rotated.secret.startswith("whsec_")
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Rotated")
    webhooks_send_due()
    [message] = receiver.received
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(message.body, message.headers)
    Webhook(rotated.secret).verify(message.body, message.headers)


def test_a_delivery_can_be_sent_again_by_hand_with_the_same_message_id(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint_of(cast, receiver.url)
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Again")
    webhooks_send_due()
    delivery = WebhookDelivery.objects.get()
    webhook_delivery_resend(delivery=delivery, by=cast.ada)
    webhooks_send_due()
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert delivery.attempt_log.order_by("at", "pk").last().by == cast.ada  # type: ignore[union-attr]


def test_a_commitment_overdue_is_told_once(cast: Cast, receiver: Receiver) -> None:
    endpoint_of(cast, receiver.url, [events.COMMITMENT_OVERDUE])
    today = timezone.localdate()
    late = CommitmentFactory(partner=cast.alice_private, due=today - dt.timedelta(days=1))
    CommitmentFactory(partner=cast.alice_private, due=today)  # due today: not overdue yet
    CommitmentFactory(partner=cast.alice_private, due=today - dt.timedelta(days=30))  # long ago
    CommitmentFactory(partner=cast.mallory_partner, due=today - dt.timedelta(days=1))
    assert commitments_overdue_tell() == 1
    assert commitments_overdue_tell() == 0
    webhooks_send_due()
    [message] = receiver.received
    assert message.type == events.COMMITMENT_OVERDUE
    assert message.data["commitment"]["id"] == late.pk


def test_a_partner_of_a_firm_without_endpoints_keeps_nothing(cast: Cast) -> None:
    PartnerFactory(owner=cast.alice)
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="No one listens")
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_that_cannot_be_reached_is_logged_with_the_reason(
    cast: Cast, receiver: Receiver
) -> None:
    # TLS to a server that speaks plain HTTP: the handshake fails, the try is logged.
    endpoint_of(cast, receiver.url.replace("http://", "https://"))
    touch_log(partner=cast.alice_private, by=cast.alice, kind="call", summary="Over TLS")
    assert webhooks_send_due() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error.startswith("Could not connect:")
    assert delivery.last_status_code is None
    assert delivery.status == DeliveryStatus.PENDING
