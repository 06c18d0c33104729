"""The API of a referral's compensation and disclosure: the referral carries it, PATCH records it,
a multipart upload attaches the document (type and size checked), the download is an attachment
for those who may see the referral only, a compensated referral is refused the introduction with
a 422 naming what is missing, and the compliance list (JSON and CSV) of compensated referrals."""

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from reciprocity.accounts.models import User
from reciprocity.referrals.compliance import CSV_HEADER, NOT_COMPLIANCE_READER
from reciprocity.referrals.disclosure import (
    MISSING_ACKNOWLEDGED_ON,
    MISSING_DISCLOSURE,
)
from reciprocity.referrals.models import ConsentMethod, Direction, Referral
from reciprocity.referrals.services import disclosures, ledger
from tests.api_client import API, refused, token_client
from tests.conftest import Cast
from tests.factories import ago
from tests.test_referrals_disclosures import EVIDENCE, PDF, requires_evidence

pytestmark = pytest.mark.django_db


def consented(cast: Cast, by: User | None = None, **kwargs: Any) -> Referral:
    by = by or cast.alice
    referral = ledger.referral_create(
        by=by,
        partner=cast.alice_private if by == cast.alice else cast.mallory_partner,
        direction=Direction.SENT,
        need="Estate plan for a widowed client",
        **kwargs,
    )
    return ledger.referral_record_consent(referral=referral, by=by, method=ConsentMethod.VERBAL)


def upload(client: Client, referral: Referral, name: str, content: bytes) -> Any:
    return client.post(
        f"{API}/referrals/{referral.pk}/disclosure/document",
        {"file": SimpleUploadedFile(name, content)},
    )


def test_a_referral_carries_its_disclosure_empty_until_recorded(cast: Cast) -> None:
    referral = consented(cast)
    body = token_client(cast.alice).call("GET", f"referrals/{referral.pk}").json()
    assert body["disclosure"]["compensated"] is False
    assert body["disclosure"]["missing"] == []
    assert body["disclosure"]["document"] is None


def test_patch_records_the_disclosure_and_the_referral_shows_it(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = consented(cast)
    client = token_client(cast.alice)
    response = client.call(
        "PATCH",
        f"referrals/{referral.pk}/disclosure",
        {"compensated": True, "arrangement_kind": "solicitation_fee", "from_template": True},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["disclosure_text"] == cast.firm.disclosure_template
    assert MISSING_DISCLOSURE not in response.json()["missing"]
    body = client.call("GET", f"referrals/{referral.pk}").json()
    assert body["disclosure"]["arrangement_kind"] == "solicitation_fee"


def test_patch_refuses_an_unknown_method_and_a_misspelt_field(cast: Cast) -> None:
    referral = consented(cast)
    client = token_client(cast.alice)
    refused(
        client.call("PATCH", f"referrals/{referral.pk}/disclosure", {"delivery_method": "owl"}),
        "delivery_method",
    )
    refused(
        client.call("PATCH", f"referrals/{referral.pk}/disclosure", {"compensation": True}),
        "compensation",
    )


def test_the_introduction_is_refused_with_a_detail_naming_what_is_missing(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = consented(cast)
    client = token_client(cast.alice)
    client.call(
        "PATCH",
        f"referrals/{referral.pk}/disclosure",
        {"compensated": True, "disclosure_text": "We are paid a fee.", "delivered_on": "2025-12-01"}
        | {"delivery_method": "email"},
    )
    response = client.call("POST", f"referrals/{referral.pk}/status", {"status": "introduced"})
    assert response.status_code == 422
    assert MISSING_ACKNOWLEDGED_ON in response.json()["detail"]
    assert MISSING_DISCLOSURE not in response.json()["detail"]
    client.call(
        "PATCH",
        f"referrals/{referral.pk}/disclosure",
        {"acknowledged_on": "2025-12-02", "acknowledgement_method": "signed"},
    )
    response = client.call("POST", f"referrals/{referral.pk}/status", {"status": "introduced"})
    assert response.status_code == 201, response.json()


def test_a_step_implying_the_introduction_is_refused_too(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = consented(cast)
    disclosures.referral_disclosure_update(referral=referral, by=cast.alice, compensated=True)
    response = token_client(cast.alice).call(
        "POST", f"referrals/{referral.pk}/steps/escort", {"action": "complete"}
    )
    assert response.status_code == 422
    assert MISSING_DISCLOSURE in response.json()["detail"]


def test_an_uploaded_pdf_is_downloaded_as_an_attachment(cast: Cast) -> None:
    referral = consented(cast)
    client = token_client(cast.alice)
    response = upload(client, referral, "adv-part-2.pdf", PDF)
    assert response.status_code == 200, response.json()
    document = response.json()["document"]
    assert document["name"] == "adv-part-2.pdf"
    download = client.get(document["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="adv-part-2.pdf"' in download["Content-Disposition"]
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_a_pdf_that_is_really_text_or_too_big_is_refused(cast: Cast, settings: Any) -> None:
    referral = consented(cast)
    client = token_client(cast.alice)
    refused(
        upload(client, referral, "disclosure.pdf", b"<html>not a pdf</html>"),
        "disclosure_file",
        disclosures.FILE_NOT_ALLOWED,
    )
    settings.DISCLOSURE_MAX_BYTES = 64
    response = upload(client, referral, "big.pdf", PDF + b"x" * 100)
    refused(response, "disclosure_file")
    assert response.json()["detail"].startswith("disclosure_file") or "larger" in str(
        response.json()
    )


def test_the_document_is_not_found_for_those_who_may_not_see_the_referral(cast: Cast) -> None:
    referral = consented(cast)
    assert upload(token_client(cast.alice), referral, "d.pdf", PDF).status_code == 200
    path = f"referrals/{referral.pk}/disclosure/document"
    for outsider in (cast.carol, cast.mallory):
        assert token_client(outsider).call("GET", path).status_code == 404
        assert upload(token_client(outsider), referral, "x.pdf", PDF).status_code == 404
    assert token_client(cast.ada).call("GET", path).status_code == 200


def test_a_referral_without_a_document_has_none_to_download(cast: Cast) -> None:
    referral = consented(cast)
    path = f"referrals/{referral.pk}/disclosure/document"
    assert token_client(cast.alice).call("GET", path).status_code == 404


# --- The compliance list ------------------------------------------------------------------------


def compensated_book(cast: Cast) -> tuple[Referral, Referral, Referral]:
    """A complete one, one missing evidence, one long ago; and one without compensation."""
    complete = consented(cast)
    disclosures.referral_disclosure_update(
        referral=complete, by=cast.alice, compensated=True, **EVIDENCE
    )
    missing = consented(cast)
    disclosures.referral_disclosure_update(referral=missing, by=cast.alice, compensated=True)
    old = consented(cast, occurred_at=ago(400))
    disclosures.referral_disclosure_update(referral=old, by=cast.alice, compensated=True)
    consented(cast)
    other = consented(cast, by=cast.mallory)
    disclosures.referral_disclosure_update(referral=other, by=cast.mallory, compensated=True)
    return complete, missing, old


def test_the_compliance_list_has_every_compensated_referral_of_the_firm(cast: Cast) -> None:
    complete, missing, old = compensated_book(cast)
    client = token_client(cast.cole)
    body = client.call("GET", "compliance/referrals").json()
    assert [item["id"] for item in body["items"]] == [missing.pk, complete.pk, old.pk]
    assert body["count"] == 3
    missing_only = client.call("GET", "compliance/referrals?missing=true").json()
    assert [item["id"] for item in missing_only["items"]] == [missing.pk, old.pk]
    assert missing_only["items"][0]["disclosure"]["missing"]
    since = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    recent = client.call("GET", f"compliance/referrals?from={since}").json()
    assert {item["id"] for item in recent["items"]} == {missing.pk, complete.pk}
    until = (dt.date.today() - dt.timedelta(days=300)).isoformat()
    early = client.call("GET", f"compliance/referrals?to={until}").json()
    assert [item["id"] for item in early["items"]] == [old.pk]


def test_the_compliance_list_exports_as_csv(cast: Cast) -> None:
    complete, missing, _old = compensated_book(cast)
    response = token_client(cast.ada).call("GET", "compliance/referrals?format=csv&missing=true")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == CSV_HEADER
    assert int(rows[1][0]) == missing.pk
    assert complete.pk not in [int(row[0]) for row in rows[1:]]


def test_an_advisor_may_not_read_the_compliance_list(cast: Cast) -> None:
    response = token_client(cast.alice).call("GET", "compliance/referrals")
    assert response.status_code == 403
    assert response.json()["detail"] == NOT_COMPLIANCE_READER


def test_the_compliance_list_costs_the_same_queries_however_long(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    compensated_book(cast)
    client = token_client(cast.cole)
    client.call("GET", "compliance/referrals")
    with django_assert_max_num_queries(8):
        assert client.call("GET", "compliance/referrals").status_code == 200
    for _ in range(5):
        disclosures.referral_disclosure_update(
            referral=consented(cast), by=cast.alice, compensated=True
        )
    with django_assert_max_num_queries(8):
        body = client.call("GET", "compliance/referrals").json()
    assert body["count"] == 8
