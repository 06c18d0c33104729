"""An agenda item is done once: a key addresses an item that is due now, a second completion
is refused and logs nothing, and parallel completions log exactly one touch."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from reciprocity.partners.agenda import AGENDA_ITEM_DONE, UNKNOWN_AGENDA_ITEM
from reciprocity.partners.models import CommitmentStatus, Partner, Stage, Touch
from reciprocity.partners.services import COMMITMENT_NOT_OPEN
from reciprocity.playbook.selectors.agenda import agenda_for
from tests.api_client import token_client
from tests.conftest import Cast, client_for
from tests.factories import CommitmentFactory
from tests.playbook.helpers import days, ok

PARALLEL = 20


def overdue_cadence(partner: Partner) -> None:
    """Active for 200 days with no touch: its touch-base round is overdue."""
    Partner.objects.filter(pk=partner.pk).update(
        stage=Stage.ACTIVE, stage_changed_at=timezone.now() - dt.timedelta(days=200)
    )


def key_of(cast: Cast, source: str) -> str:
    (item,) = [i for i in agenda_for(cast.alice).items if i.source == source]
    return item.key


def touches(partner: Partner) -> int:
    partner.refresh_from_db()
    assert partner.touch_count == Touch.objects.filter(partner=partner).count()
    return partner.touch_count


@pytest.mark.django_db
def test_a_commitment_completed_twice_is_refused_the_second_time(playbook_cast: Cast) -> None:
    CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    key = key_of(playbook_cast, "commitment")
    api = token_client(playbook_cast.alice)

    ok(api.call("POST", f"agenda/{key}/complete", {"touch_kind": "email"}))
    again = api.call("POST", f"agenda/{key}/complete", {"touch_kind": "email"})

    assert again.status_code == 409, again.json()
    assert again.json()["errors"] == [{"field": "status", "message": COMMITMENT_NOT_OPEN}]
    assert touches(playbook_cast.alice_private) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("again", [True, False], ids=["the same round again", "another round"])
def test_a_cadence_round_no_longer_due_is_refused_and_logs_nothing(
    playbook_cast: Cast, again: bool
) -> None:
    overdue_cadence(playbook_cast.alice_private)
    key = key_of(playbook_cast, "cadence")
    api = token_client(playbook_cast.alice)
    if again:
        ok(api.call("POST", f"agenda/{key}/complete", {}))
    else:
        key = key.rsplit(":", 1)[0] + ":" + days(-30).isoformat()

    answer = api.call("POST", f"agenda/{key}/complete", {})

    assert answer.status_code == 409
    assert answer.json()["errors"] == [{"field": "key", "message": AGENDA_ITEM_DONE}]
    assert touches(playbook_cast.alice_private) == (1 if again else 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reference",
    [
        "touch_base:9999-99-99",
        "newsletter:junk",
        "touch_base:",
        "nosuchkind:2026-01-01",
    ],
)
def test_a_cadence_key_without_a_real_due_date_addresses_nothing(
    playbook_cast: Cast, reference: str
) -> None:
    overdue_cadence(playbook_cast.alice_private)
    key = f"cadence:{playbook_cast.alice_private.pk}:{reference}"
    api = token_client(playbook_cast.alice)

    answer = api.call("POST", f"agenda/{key}/complete", {})

    assert answer.status_code == 404, answer.json()
    assert answer.json() == {"detail": UNKNOWN_AGENDA_ITEM}
    assert touches(playbook_cast.alice_private) == 0


@pytest.mark.django_db
def test_the_web_agenda_says_an_item_is_done_already_and_logs_nothing(
    playbook_cast: Cast,
) -> None:
    overdue_cadence(playbook_cast.alice_private)
    key = key_of(playbook_cast, "cadence")
    web = client_for(playbook_cast.alice)

    for _ in range(2):
        page = web.post("/agenda/complete/", {"key": key, "action": "done"}, follow=True)

    assert AGENDA_ITEM_DONE in page.content.decode()
    assert touches(playbook_cast.alice_private) == 1


def complete_in_parallel(cast: Cast, key: str) -> list[int]:
    """PARALLEL requests completing ``key`` at once, each on its own connection."""
    clients = [token_client(cast.alice) for _ in range(PARALLEL)]
    start = threading.Barrier(PARALLEL)

    def complete(client: Any) -> int:
        try:
            start.wait()
            return int(
                client.call("POST", f"agenda/{key}/complete", {"touch_kind": "call"}).status_code
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(PARALLEL) as pool:
        return sorted(pool.map(complete, clients))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("source", ["commitment", "cadence"])
def test_parallel_completions_of_one_item_log_exactly_one_touch(
    playbook_cast: Cast, source: str
) -> None:
    partner = playbook_cast.alice_private
    if source == "commitment":
        commitment = CommitmentFactory(partner=partner, due=days(-1))
    else:
        overdue_cadence(partner)
    key = key_of(playbook_cast, source)

    statuses = complete_in_parallel(playbook_cast, key)

    assert statuses == [200] + [409] * (PARALLEL - 1)
    assert touches(partner) == 1
    if source == "commitment":
        commitment.refresh_from_db()
        assert commitment.status == CommitmentStatus.DONE


@pytest.mark.django_db
def test_a_done_commitment_patched_done_again_logs_no_second_touch(playbook_cast: Cast) -> None:
    commitment = CommitmentFactory(partner=playbook_cast.alice_private, due=days(-1))
    api = token_client(playbook_cast.alice)
    body = {"status": "done", "log_touch": {"kind": "call"}}

    ok(api.call("PATCH", f"commitments/{commitment.pk}", body))
    again = api.call("PATCH", f"commitments/{commitment.pk}", body)

    assert again.status_code == 409
    assert again.json()["errors"] == [{"field": "status", "message": COMMITMENT_NOT_OPEN}]
    assert touches(playbook_cast.alice_private) == 1
