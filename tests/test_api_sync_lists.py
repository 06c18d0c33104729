"""A sync fetches only what changed: lists take updated_since (and include_archived) and answer
in the order things changed, updated_at then id; a bad value is refused with a detail."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from reciprocity.partners.models import Commitment, Partner, Touch
from reciprocity.referrals.models import Referral
from tests.api_client import token_client
from tests.conftest import Cast
from tests.factories import CommitmentFactory, PartnerFactory, ReferralFactory, TouchFactory

pytestmark = pytest.mark.django_db

EARLIER = timezone.now() - dt.timedelta(days=3)


def stamped(model: Any, pk: int, when: dt.datetime) -> None:
    model.objects.filter(pk=pk).update(updated_at=when)


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def iso(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def test_partners_changed_since_a_moment_are_listed_in_the_order_they_changed(
    cast: Cast,
) -> None:
    old = PartnerFactory(owner=cast.alice, name="Aaron Old")
    newer = PartnerFactory(owner=cast.alice, name="Betty Newer")
    newest = PartnerFactory(owner=cast.alice, name="Carl Newest")
    for partner in (cast.alice_private, cast.alice_shared, old):
        stamped(Partner, partner.pk, EARLIER)
    stamped(Partner, newer.pk, EARLIER + dt.timedelta(days=2))
    stamped(Partner, newest.pk, EARLIER + dt.timedelta(days=1))

    since = iso(EARLIER + dt.timedelta(hours=1))
    found = token_client(cast.alice).call("GET", f"partners?updated_since={since}")
    assert ids(found) == [newest.pk, newer.pk]


def test_a_change_through_the_api_shows_up_in_the_next_sync(cast: Cast) -> None:
    client = token_client(cast.alice)
    stamped(Partner, cast.alice_private.pk, EARLIER)
    stamped(Partner, cast.alice_shared.pk, EARLIER)
    since = iso(timezone.now() - dt.timedelta(seconds=1))
    assert ids(client.call("GET", f"partners?updated_since={since}")) == []

    touch = {"kind": "call", "summary": "x"}
    client.call("POST", f"partners/{cast.alice_shared.pk}/touches", touch)
    assert ids(client.call("GET", f"partners?updated_since={since}")) == [cast.alice_shared.pk]


def test_a_new_or_closed_commitment_shows_its_partner_in_the_next_sync(cast: Cast) -> None:
    # The partner's answer carries its next step: its version moves on with it.
    client = token_client(cast.alice)
    partner = cast.alice_shared
    stamped(Partner, cast.alice_private.pk, EARLIER)
    stamped(Partner, partner.pk, EARLIER)
    since = iso(timezone.now() - dt.timedelta(seconds=1))
    promise = {"what": "Send the checklist", "owner": "advisor", "due": "2030-01-15"}

    made = client.call("POST", f"partners/{partner.pk}/commitments", promise)
    assert made.status_code == 201, made.json()
    assert ids(client.call("GET", f"partners?updated_since={since}")) == [partner.pk]
    detail = client.call("GET", f"partners/{partner.pk}").json()
    assert detail["next_step"]["what"] == "Send the checklist"

    stamped(Partner, partner.pk, EARLIER)
    closed = client.call("PATCH", f"commitments/{made.json()['id']}", {"status": "done"})
    assert closed.status_code == 200, closed.json()
    assert ids(client.call("GET", f"partners?updated_since={since}")) == [partner.pk]
    assert client.call("GET", f"partners/{partner.pk}").json()["next_step"] is None


def test_the_same_moment_is_broken_by_id_so_pages_by_keys_never_skip(cast: Cast) -> None:
    partners = [PartnerFactory(owner=cast.alice) for _ in range(4)]
    for partner in (*partners, cast.alice_private, cast.alice_shared):
        stamped(Partner, partner.pk, EARLIER)
    client = token_client(cast.alice)
    first = ids(client.call("GET", f"partners?updated_since={iso(EARLIER)}&limit=3"))
    rest = ids(
        client.call("GET", f"partners?updated_since={iso(EARLIER)}&limit=3&after={first[-1]}")
    )
    assert first + rest == sorted(p.pk for p in (*partners, cast.alice_private, cast.alice_shared))


def test_archived_partners_come_along_only_when_asked(cast: Cast) -> None:
    client = token_client(cast.alice)
    client.call("POST", f"partners/{cast.alice_private.pk}/archive")
    since = iso(timezone.now() - dt.timedelta(minutes=1))
    assert cast.alice_private.pk not in ids(client.call("GET", f"partners?updated_since={since}"))
    with_archived = client.call("GET", f"partners?updated_since={since}&include_archived=true")
    assert cast.alice_private.pk in ids(with_archived)
    item = next(i for i in with_archived.json()["items"] if i["id"] == cast.alice_private.pk)
    assert item["archived_at"] is not None


def test_a_sync_never_sees_another_firms_partners(cast: Cast) -> None:
    found = token_client(cast.alice).call(
        "GET", "partners?updated_since=2000-01-01T00:00:00Z&include_archived=true"
    )
    assert cast.mallory_partner.pk not in ids(found)


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-01T00:00:00", "1", "-9.06e-59", "1E3", "1850-01-01T00:00:00"],
)
def test_an_updated_since_that_is_no_date_time_answers_422_naming_it(
    cast: Cast, value: str
) -> None:
    response = token_client(cast.alice).call("GET", f"partners?updated_since={value}")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("updated_since: ")
    assert [e["field"] for e in body["errors"]] == ["updated_since"]


def test_a_date_time_without_an_offset_is_read_as_utc(cast: Cast) -> None:
    stamped(Partner, cast.alice_private.pk, dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))
    stamped(Partner, cast.alice_shared.pk, dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    found = token_client(cast.alice).call("GET", "partners?updated_since=2026-03-01T11:00:00")
    assert ids(found) == [cast.alice_private.pk]


def test_touches_changed_since_include_archived_ones_when_asked(cast: Cast) -> None:
    partner = cast.alice_private
    kept = TouchFactory(partner=partner, by=cast.alice)
    gone = TouchFactory(partner=partner, by=cast.alice)
    old = TouchFactory(partner=partner, by=cast.alice)
    stamped(Touch, old.pk, EARLIER)
    client = token_client(cast.alice)
    Touch.objects.filter(pk=gone.pk).update(archived_at=timezone.now())
    since = iso(EARLIER + dt.timedelta(hours=1))

    current = ids(client.call("GET", f"partners/{partner.pk}/touches?updated_since={since}"))
    everything = ids(
        client.call(
            "GET", f"partners/{partner.pk}/touches?updated_since={since}&include_archived=true"
        )
    )
    assert current == [kept.pk]
    assert sorted(everything) == sorted([kept.pk, gone.pk])


def test_commitments_changed_since_are_listed_done_or_open(cast: Cast) -> None:
    partner = cast.alice_private
    old = CommitmentFactory(partner=partner, by=cast.alice)
    done = CommitmentFactory(partner=partner, by=cast.alice)
    stamped(Commitment, old.pk, EARLIER)
    stamped(Commitment, done.pk, EARLIER)
    client = token_client(cast.alice)
    since = iso(timezone.now() - dt.timedelta(seconds=1))
    client.call("PATCH", f"commitments/{done.pk}", {"status": "done"})
    found = client.call("GET", f"partners/{partner.pk}/commitments?updated_since={since}")
    assert ids(found) == [done.pk]


def test_referrals_changed_since_are_listed_archived_ones_when_asked(cast: Cast) -> None:
    old = ReferralFactory(partner=cast.alice_private, by=cast.alice)
    archived = ReferralFactory(partner=cast.alice_private, by=cast.alice)
    changed = ReferralFactory(partner=cast.alice_private, by=cast.alice)
    stamped(Referral, old.pk, EARLIER)
    client = token_client(cast.alice)
    client.call("POST", f"referrals/{archived.pk}/archive")
    since = iso(EARLIER + dt.timedelta(hours=1))
    assert ids(client.call("GET", f"referrals?updated_since={since}")) == [changed.pk]
    assert ids(client.call("GET", f"referrals?updated_since={since}&include_archived=true")) == [
        changed.pk,
        archived.pk,
    ]


def test_a_sync_of_partners_costs_a_bounded_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    for _ in range(20):
        PartnerFactory(owner=cast.alice)
    client = token_client(cast.alice)
    client.call("GET", "partners")  # the token's first use is recorded once
    with django_assert_max_num_queries(12):
        response = client.call("GET", "partners?updated_since=2000-01-01T00:00:00Z&limit=50")
    assert len(ids(response)) == 22
