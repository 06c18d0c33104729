"""A sync can trust what it writes: every record answers an ETag, a write with If-Match changes
nothing when the record moved on (412), a malformed If-Match is refused (400), and a read with
If-None-Match answers 304 while the client's copy is current."""

import threading

import pytest
from django.db import connection

from reciprocity.api.conditional import (
    IF_MATCH_MALFORMED,
    IF_MATCH_NOT_TAKEN,
    IF_NONE_MATCH_MALFORMED,
    PRECONDITION_FAILED,
)
from reciprocity.partners.models import Commitment, Partner, Stage, Touch
from reciprocity.referrals.models import Referral
from tests.api_client import token_client
from tests.conftest import Cast
from tests.factories import CommitmentFactory, PartnerFactory, ReferralFactory, TouchFactory

pytestmark = pytest.mark.django_db


def test_a_partner_answers_a_strong_etag_that_moves_on_with_every_change(cast: Cast) -> None:
    client = token_client(cast.alice)
    first = client.call("GET", f"partners/{cast.alice_private.pk}")
    etag = first["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"] == etag

    changed = client.call("PATCH", f"partners/{cast.alice_private.pk}", {"notes": "Met twice"})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"] == changed["ETag"]


def test_logging_a_touch_moves_the_partner_etag_on(cast: Cast) -> None:
    client = token_client(cast.alice)
    etag = client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"]
    logged = client.call(
        "POST", f"partners/{cast.alice_private.pk}/touches", {"kind": "call", "summary": "Hi"}
    )
    assert logged.status_code == 201
    assert logged["ETag"].startswith('"')
    assert client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"] != etag


def test_a_list_answers_a_weak_etag(cast: Cast) -> None:
    response = token_client(cast.alice).call("GET", "partners")
    assert response["ETag"].startswith('W/"')


def test_a_patch_with_the_current_etag_changes_the_partner(cast: Cast) -> None:
    client = token_client(cast.alice)
    etag = client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"]
    response = client.call(
        "PATCH", f"partners/{cast.alice_private.pk}", {"notes": "Fresh"}, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.json()
    assert Partner.objects.get(pk=cast.alice_private.pk).notes == "Fresh"


def test_a_patch_with_a_stale_etag_answers_412_and_changes_nothing(cast: Cast) -> None:
    client = token_client(cast.alice)
    stale = client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"]
    client.call("PATCH", f"partners/{cast.alice_private.pk}", {"notes": "A colleague's"})

    response = client.call(
        "PATCH", f"partners/{cast.alice_private.pk}", {"notes": "Mine"}, HTTP_IF_MATCH=stale
    )
    assert response.status_code == 412
    assert response.json() == {"detail": PRECONDITION_FAILED}
    assert Partner.objects.get(pk=cast.alice_private.pk).notes == "A colleague's"


def test_a_stale_etag_logs_no_touch_and_moves_no_stage(cast: Cast) -> None:
    client = token_client(cast.alice)
    partner = cast.alice_private
    stale = client.call("GET", f"partners/{partner.pk}")["ETag"]
    client.call("PATCH", f"partners/{partner.pk}", {"notes": "moved on"})

    touch = client.call(
        "POST", f"partners/{partner.pk}/touches", {"kind": "call", "summary": "x"},
        HTTP_IF_MATCH=stale,
    )  # fmt: skip
    stage = client.call(
        "POST", f"partners/{partner.pk}/stage", {"stage": "qualified"}, HTTP_IF_MATCH=stale
    )
    assert (touch.status_code, stage.status_code) == (412, 412)
    assert not Touch.objects.filter(partner=partner).exists()
    assert Partner.objects.get(pk=partner.pk).stage == Stage.IDENTIFIED


def test_if_match_star_matches_any_existing_record(cast: Cast) -> None:
    response = token_client(cast.alice).call(
        "PATCH", f"partners/{cast.alice_private.pk}", {"notes": "Any"}, HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200


def test_a_weak_etag_never_matches_if_match(cast: Cast) -> None:
    client = token_client(cast.alice)
    etag = client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"]
    response = client.call(
        "PATCH", f"partners/{cast.alice_private.pk}", {"notes": "x"}, HTTP_IF_MATCH=f"W/{etag}"
    )
    assert response.status_code == 412


@pytest.mark.parametrize("header", ["12-abc", '"unterminated', '"a" "b"', "W/", '"a",,"b"'])
def test_an_if_match_in_the_wrong_format_answers_400_and_changes_nothing(
    cast: Cast, header: str
) -> None:
    response = token_client(cast.alice).call(
        "PATCH", f"partners/{cast.alice_private.pk}", {"notes": "Lost?"}, HTTP_IF_MATCH=header
    )
    assert response.status_code == 400
    assert response.json() == {"detail": IF_MATCH_MALFORMED}
    assert Partner.objects.get(pk=cast.alice_private.pk).notes == ""


def test_if_match_with_several_tags_matches_any_of_them(cast: Cast) -> None:
    client = token_client(cast.alice)
    etag = client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"]
    response = client.call(
        "PATCH", f"partners/{cast.alice_private.pk}", {"notes": "x"},
        HTTP_IF_MATCH=f'"0-0", {etag}',
    )  # fmt: skip
    assert response.status_code == 200


def test_an_operation_that_cannot_honour_if_match_refuses_it_and_changes_nothing(
    cast: Cast,
) -> None:
    before = Partner.objects.count()
    response = token_client(cast.alice).call(
        "POST", "partners", {"name": "New", "profession": "cpa"}, HTTP_IF_MATCH='"1-1"'
    )
    assert response.status_code == 400
    assert response.json() == {"detail": IF_MATCH_NOT_TAKEN}
    assert Partner.objects.count() == before


def test_a_record_that_is_not_yours_is_still_a_404_with_if_match(cast: Cast) -> None:
    response = token_client(cast.alice).call(
        "PATCH", f"partners/{cast.mallory_partner.pk}", {"notes": "x"}, HTTP_IF_MATCH="*"
    )
    assert response.status_code == 404


def test_if_none_match_answers_304_while_the_copy_is_current(cast: Cast) -> None:
    client = token_client(cast.alice)
    etag = client.call("GET", f"partners/{cast.alice_private.pk}")["ETag"]
    current = client.call("GET", f"partners/{cast.alice_private.pk}", HTTP_IF_NONE_MATCH=etag)
    assert current.status_code == 304
    assert current["ETag"] == etag
    assert current.content == b""

    client.call("PATCH", f"partners/{cast.alice_private.pk}", {"notes": "new"})
    fresh = client.call("GET", f"partners/{cast.alice_private.pk}", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200


def test_if_none_match_works_on_lists_too(cast: Cast) -> None:
    client = token_client(cast.alice)
    etag = client.call("GET", "partners")["ETag"]
    assert client.call("GET", "partners", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_malformed_if_none_match_answers_400(cast: Cast) -> None:
    response = token_client(cast.alice).call(
        "GET", f"partners/{cast.alice_private.pk}", HTTP_IF_NONE_MATCH="nope"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": IF_NONE_MATCH_MALFORMED}


def test_a_commitment_honours_if_match(cast: Cast) -> None:
    commitment = CommitmentFactory(partner=cast.alice_private, by=cast.alice)
    client = token_client(cast.alice)
    etag = client.call("GET", f"commitments/{commitment.pk}")["ETag"]
    assert (
        client.call(
            "PATCH", f"commitments/{commitment.pk}", {"what": "First"}, HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )
    stale = client.call(
        "PATCH", f"commitments/{commitment.pk}", {"what": "Second"}, HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert Commitment.objects.get(pk=commitment.pk).what == "First"


def test_a_referral_honours_if_match(cast: Cast) -> None:
    referral = ReferralFactory(partner=cast.alice_private, by=cast.alice)
    client = token_client(cast.alice)
    etag = client.call("GET", f"referrals/{referral.pk}")["ETag"]
    assert etag.startswith('"')
    client.call("PATCH", f"referrals/{referral.pk}", {"need": "Estate plan"})
    stale = client.call("POST", f"referrals/{referral.pk}/archive", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Referral.objects.get(pk=referral.pk).archived_at is None


def test_a_touch_answers_a_strong_etag(cast: Cast) -> None:
    TouchFactory(partner=cast.alice_private, by=cast.alice)
    response = token_client(cast.alice).call(
        "POST", f"partners/{cast.alice_private.pk}/touches", {"kind": "email", "summary": "Hi"}
    )
    assert (
        response["ETag"]
        != token_client(cast.alice).call("GET", f"partners/{cast.alice_private.pk}")["ETag"]
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_etag_one_wins_and_the_other_gets_412(cast: Cast) -> None:
    partner = PartnerFactory(owner=cast.alice)
    client = token_client(cast.alice)
    etag = client.call("GET", f"partners/{partner.pk}")["ETag"]
    statuses: list[int] = []

    def write(notes: str) -> None:
        try:
            response = token_client(cast.alice).call(
                "PATCH", f"partners/{partner.pk}", {"notes": notes}, HTTP_IF_MATCH=etag
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(f"writer {n}",)) for n in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert sorted(statuses) == [200, 412]
