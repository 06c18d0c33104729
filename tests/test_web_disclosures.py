"""The referral page's "Compensation and disclosure" section, the document served back as an
attachment to those who may see the referral only, the status form explaining why a compensated
referral is held, the firm settings that require the evidence, and the compliance page."""

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from reciprocity.referrals.compliance import CSV_HEADER, NOT_COMPLIANCE_READER
from reciprocity.referrals.disclosure import (
    EVIDENCE_REQUIRED,
    MISSING_ACKNOWLEDGED_ON,
    MISSING_DISCLOSURE,
    ReferralDisclosure,
)
from reciprocity.referrals.models import Referral, ReferralStatus
from reciprocity.referrals.services import disclosures
from tests.conftest import Cast, client_for
from tests.test_api_disclosures import compensated_book, consented
from tests.test_referrals_disclosures import PDF, requires_evidence
from tests.web import htmx, is_partial, queries_for, shows

FORM = {
    "compensated": "on",
    "arrangement_kind": "revenue_share",
    "arrangement_terms": "20% of fees, first year",
    "disclosure_text": "",
    "delivered_on": "2025-12-01",
    "delivery_method": "in_person",
    "acknowledged_on": "",
    "acknowledgement_method": "",
}


def post(cast: Cast, referral: Referral, data: dict[str, Any], **headers: Any) -> Any:
    return client_for(cast.alice).post(
        f"/referrals/{referral.pk}/disclosure/", data, headers=headers
    )


def test_the_referral_page_has_the_compensation_and_disclosure_section(cast: Cast) -> None:
    referral = consented(cast)
    page = client_for(cast.alice).get(f"/referrals/{referral.pk}/")
    assert shows(page, "Compensation and disclosure")
    assert shows(page, "No compensation recorded.")
    assert 'enctype="multipart/form-data"' in page.content.decode()


def test_the_form_records_the_disclosure_with_its_document(cast: Cast) -> None:
    referral = consented(cast)
    data = FORM | {"disclosure_file": SimpleUploadedFile("signed.pdf", PDF)}
    response = post(cast, referral, data)
    assert response.status_code == 302
    disclosure = ReferralDisclosure.objects.get(referral=referral)
    assert disclosure.compensated
    assert disclosure.disclosure_file_name == "signed.pdf"
    assert disclosure.delivery_method == "in_person"
    page = client_for(cast.alice).get(f"/referrals/{referral.pk}/")
    assert shows(page, "Missing: " + MISSING_ACKNOWLEDGED_ON)
    assert f"/referrals/{referral.pk}/disclosure/document/" in page.content.decode()


def test_with_htmx_the_detail_region_comes_back(cast: Cast) -> None:
    referral = consented(cast)
    response = post(cast, referral, FORM, **htmx("referral-detail"))
    assert response.status_code == 200
    assert is_partial(response)
    assert shows(response, "Compensation and disclosure saved.") or shows(
        response, "Involves compensation"
    )


def test_a_text_file_named_pdf_is_refused_on_the_form_and_nothing_is_saved(cast: Cast) -> None:
    referral = consented(cast)
    data = FORM | {"disclosure_file": SimpleUploadedFile("disclosure.pdf", b"plain text")}
    response = post(cast, referral, data)
    assert response.status_code == 200
    assert shows(response, disclosures.FILE_NOT_ALLOWED)
    assert not ReferralDisclosure.objects.exists()


def test_the_status_form_explains_what_is_missing(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = consented(cast)
    disclosures.referral_disclosure_update(referral=referral, by=cast.alice, compensated=True)
    page = client_for(cast.alice).get(f"/referrals/{referral.pk}/")
    assert shows(page, "Your firm requires the disclosure evidence before the introduction.")
    response = client_for(cast.alice).post(
        f"/referrals/{referral.pk}/status/", {"status": ReferralStatus.INTRODUCED}
    )
    assert response.status_code == 200
    missing = "; ".join(ReferralDisclosure(compensated=True).missing)
    assert shows(response, EVIDENCE_REQUIRED.format(status="Introduced", missing=missing))
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CONSENT_GIVEN


def test_a_step_that_introduces_is_refused_with_the_reason(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = consented(cast)
    disclosures.referral_disclosure_update(referral=referral, by=cast.alice, compensated=True)
    client = client_for(cast.alice)
    response = client.post(
        f"/referrals/{referral.pk}/steps/escort/", {"action": "complete"}, follow=True
    )
    assert shows(response, MISSING_DISCLOSURE)


def test_the_document_is_an_attachment_for_those_who_see_the_referral_only(cast: Cast) -> None:
    referral = consented(cast)
    disclosures.referral_disclosure_attach(
        referral=referral, by=cast.alice, upload=io.BytesIO(PDF), name="adv.pdf"
    )
    url = f"/referrals/{referral.pk}/disclosure/document/"
    response = client_for(cast.alice).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="adv.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for(cast.cole).get(url).status_code == 200
    for outsider in (cast.bob, cast.carol, cast.mallory):
        assert client_for(outsider).get(url).status_code == 404


def test_the_firm_admin_requires_the_evidence_and_edits_the_template(cast: Cast) -> None:
    client = client_for(cast.ada)
    page = client.get("/firm/settings/")
    assert "requires disclosure evidence" in page.content.decode().lower()
    response = client.post(
        "/firm/settings/",
        {
            "name": cast.firm.name,
            "dormancy_days": cast.firm.dormancy_days,
            "retention_days": cast.firm.retention_days,
            **cast.firm.thresholds,
            "requires_disclosure_evidence": "on",
            "disclosure_template": "We are paid for referring you.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cast.firm.refresh_from_db()
    assert cast.firm.requires_disclosure_evidence
    assert cast.firm.disclosure_template == "We are paid for referring you."


# --- The compliance page ------------------------------------------------------------------------


def test_the_compliance_page_lists_compensated_referrals_missing_evidence(cast: Cast) -> None:
    complete, missing, old = compensated_book(cast)
    page = client_for(cast.cole).get("/compliance/referrals/?missing=on")
    assert page.status_code == 200
    body = page.content.decode()
    assert f"/referrals/{missing.pk}/" in body
    assert f"/referrals/{old.pk}/" in body
    assert f"/referrals/{complete.pk}/" not in body


def test_the_compliance_page_exports_its_list_as_csv(cast: Cast) -> None:
    complete, missing, old = compensated_book(cast)
    response = client_for(cast.ada).get("/compliance/referrals/?format=csv")
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == CSV_HEADER
    assert [int(row[0]) for row in rows[1:]] == [missing.pk, complete.pk, old.pk]


def test_an_advisor_is_refused_the_compliance_page_saying_what_it_is(cast: Cast) -> None:
    response = client_for(cast.alice).get("/compliance/referrals/")
    assert response.status_code == 403
    assert shows(response, NOT_COMPLIANCE_READER)


def test_the_compliance_page_costs_the_same_queries_however_long(cast: Cast) -> None:
    compensated_book(cast)
    client = client_for(cast.cole)
    small = queries_for(lambda: client.get("/compliance/referrals/"))
    for _ in range(6):
        disclosures.referral_disclosure_update(
            referral=consented(cast), by=cast.alice, compensated=True
        )
    assert queries_for(lambda: client.get("/compliance/referrals/")) == small
