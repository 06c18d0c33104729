"""Compensation and disclosure on a referral: what is recorded, the firm's rule that holds the
introduction of a compensated referral until its evidence is recorded (naming what is missing),
the document's type and size checks, and the CLI."""

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from reciprocity.accounts.models import Firm
from reciprocity.referrals.disclosure import (
    EVIDENCE_REQUIRED,
    MISSING_ACKNOWLEDGED_ON,
    MISSING_ACKNOWLEDGEMENT_METHOD,
    MISSING_DELIVERED_ON,
    MISSING_DELIVERY_METHOD,
    MISSING_DISCLOSURE,
    STEP_EVIDENCE_REQUIRED,
    ReferralDisclosure,
)
from reciprocity.referrals.models import ConsentMethod, Direction, Referral, ReferralStatus
from reciprocity.referrals.selectors import steps_of
from reciprocity.referrals.services import disclosures, ledger, steps
from tests.conftest import Cast

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TODAY = dt.date(2026, 1, 1)

EVIDENCE: dict[str, Any] = {
    "disclosure_text": "We receive 25% of the first year's fee for this referral.",
    "delivered_on": dt.date(2025, 12, 1),
    "delivery_method": "email",
    "acknowledged_on": dt.date(2025, 12, 2),
    "acknowledgement_method": "signed",
}


def requires_evidence(firm: Firm, required: bool = True) -> None:
    firm.requires_disclosure_evidence = required
    firm.disclosure_template = "Our firm pays a fee for referrals. Ask us for the terms."
    firm.save()


def consented(cast: Cast) -> Referral:
    referral = ledger.referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction=Direction.SENT,
        need="Estate plan for a widowed client",
    )
    return ledger.referral_record_consent(
        referral=referral, by=cast.alice, method=ConsentMethod.VERBAL
    )


def compensated(cast: Cast, **evidence: Any) -> Referral:
    referral = consented(cast)
    disclosures.referral_disclosure_update(
        referral=referral,
        by=cast.alice,
        compensated=True,
        arrangement_kind="revenue_share",
        arrangement_terms="25% of the first year's fee",
        **evidence,
    )
    return Referral.objects.get(pk=referral.pk)


def message_of(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


# --- Recorded -----------------------------------------------------------------------------------


def test_a_referral_records_its_compensation_and_the_evidence_of_its_disclosure(
    cast: Cast,
) -> None:
    referral = compensated(cast, **EVIDENCE)
    disclosure = referral.disclosure
    assert disclosure.compensated
    assert disclosure.arrangement_kind == "revenue_share"
    assert disclosure.arrangement_terms == "25% of the first year's fee"
    assert disclosure.delivered_on == dt.date(2025, 12, 1)
    assert disclosure.missing == []
    assert disclosure.history.count() == 1
    assert disclosure.history.first().history_user == cast.alice


def test_the_firm_template_becomes_the_disclosure_text(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = consented(cast)
    disclosure = disclosures.referral_disclosure_update(
        referral=referral, by=cast.alice, compensated=True, from_template=True
    )
    assert disclosure.disclosure_text == cast.firm.disclosure_template


def test_a_firm_without_a_template_is_told_so(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        disclosures.referral_disclosure_update(
            referral=consented(cast), by=cast.alice, from_template=True
        )
    assert disclosures.NO_TEMPLATE in message_of(error)


def test_a_delivery_date_needs_how_it_was_delivered(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        disclosures.referral_disclosure_update(
            referral=consented(cast), by=cast.alice, delivered_on=TODAY
        )
    assert error.value.message_dict == {"delivery_method": [disclosures.DELIVERY_NEEDS_METHOD]}
    assert not ReferralDisclosure.objects.exists()


def test_an_unknown_arrangement_or_a_future_date_is_refused(cast: Cast) -> None:
    referral = consented(cast)
    with pytest.raises(ValidationError) as error:
        disclosures.referral_disclosure_update(
            referral=referral, by=cast.alice, arrangement_kind="bribe"
        )
    assert error.value.message_dict == {"arrangement_kind": [disclosures.UNKNOWN_ARRANGEMENT]}
    with pytest.raises(ValidationError) as error:
        disclosures.referral_disclosure_update(
            referral=referral,
            by=cast.alice,
            delivered_on=timezone.localdate() + dt.timedelta(days=3),
            delivery_method="email",
        )
    assert "delivered_on" in error.value.message_dict


def test_a_compliance_officer_records_nothing(cast: Cast) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        disclosures.referral_disclosure_update(
            referral=consented(cast), by=cast.cole, compensated=True
        )


# --- The rule -----------------------------------------------------------------------------------


def test_when_not_required_a_compensated_referral_is_introduced_without_evidence(
    cast: Cast,
) -> None:
    requires_evidence(cast.firm, required=False)
    referral = compensated(cast)
    ledger.referral_change_status(
        referral=referral, by=cast.alice, status=ReferralStatus.INTRODUCED
    )
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.INTRODUCED


def test_when_required_a_referral_without_compensation_moves_freely(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = consented(cast)
    ledger.referral_change_status(referral=referral, by=cast.alice, status=ReferralStatus.ENGAGED)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ENGAGED


def test_when_required_a_compensated_referral_is_held_and_told_everything_missing(
    cast: Cast,
) -> None:
    requires_evidence(cast.firm)
    referral = compensated(cast)
    with pytest.raises(ValidationError) as error:
        ledger.referral_change_status(
            referral=referral, by=cast.alice, status=ReferralStatus.MEETING_HELD
        )
    missing = "; ".join(
        [
            MISSING_DISCLOSURE,
            MISSING_DELIVERED_ON,
            MISSING_DELIVERY_METHOD,
            MISSING_ACKNOWLEDGED_ON,
            MISSING_ACKNOWLEDGEMENT_METHOD,
        ]
    )
    assert error.value.message_dict == {
        "status": [EVIDENCE_REQUIRED.format(status="Introduced", missing=missing)]
    }
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CONSENT_GIVEN


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        (("disclosure_text",), MISSING_DISCLOSURE),
        (("delivered_on", "delivery_method"), MISSING_DELIVERED_ON),
        (("acknowledged_on", "acknowledgement_method"), MISSING_ACKNOWLEDGED_ON),
    ],
)
def test_each_missing_piece_is_named(cast: Cast, left_out: tuple[str, ...], named: str) -> None:
    requires_evidence(cast.firm)
    evidence = {key: value for key, value in EVIDENCE.items() if key not in left_out}
    referral = compensated(cast, **evidence)
    with pytest.raises(ValidationError) as error:
        ledger.referral_change_status(
            referral=referral, by=cast.alice, status=ReferralStatus.INTRODUCED
        )
    message = message_of(error)
    assert named in message
    others = {MISSING_DISCLOSURE, MISSING_DELIVERED_ON, MISSING_ACKNOWLEDGED_ON} - {named}
    assert not any(other in message for other in others)


def test_an_uploaded_document_counts_as_the_disclosure(cast: Cast) -> None:
    requires_evidence(cast.firm)
    evidence = {key: value for key, value in EVIDENCE.items() if key != "disclosure_text"}
    referral = compensated(cast, **evidence)
    disclosures.referral_disclosure_attach(
        referral=referral, by=cast.alice, upload=io.BytesIO(PDF), name="form-adv.pdf"
    )
    ledger.referral_change_status(
        referral=referral, by=cast.alice, status=ReferralStatus.INTRODUCED
    )
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.INTRODUCED


def test_with_the_evidence_recorded_the_referral_moves_on(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = compensated(cast, **EVIDENCE)
    ledger.referral_change_status(referral=referral, by=cast.alice, status=ReferralStatus.ENGAGED)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ENGAGED


def test_a_step_that_implies_the_introduction_is_held_too(cast: Cast) -> None:
    requires_evidence(cast.firm)
    referral = compensated(cast)
    escort = next(s for s in steps_of(referral=referral) if s.slug == "escort")
    with pytest.raises(ValidationError) as error:
        steps.referral_step_complete(step=escort, by=cast.alice)
    missing = "; ".join(ReferralDisclosure(compensated=True).missing)
    assert error.value.message_dict == {
        "step": [STEP_EVIDENCE_REQUIRED.format(status="Introduced", missing=missing)]
    }
    escort.refresh_from_db()
    assert escort.done_at is None
    assert escort.touch is None
    # The steps before the introduction are not held.
    call = next(s for s in steps_of(referral=referral) if s.slug == "call")
    assert steps.referral_step_complete(step=call, by=cast.alice).done_at is not None


# --- The document -------------------------------------------------------------------------------


def test_a_pdf_or_png_document_is_stored_under_the_media_root(cast: Cast) -> None:
    referral = consented(cast)
    disclosure = disclosures.referral_disclosure_attach(
        referral=referral, by=cast.alice, upload=io.BytesIO(PNG), name="C:\\scans\\signed.png"
    )
    assert disclosure.disclosure_file_name == "signed.png"
    assert disclosure.disclosure_file.name.endswith(".png")
    assert Path(disclosure.disclosure_file.path).read_bytes() == PNG


def test_a_pdf_that_is_really_text_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        disclosures.referral_disclosure_attach(
            referral=consented(cast),
            by=cast.alice,
            upload=io.BytesIO(b"just some text, not a PDF"),
            name="disclosure.pdf",
        )
    assert error.value.message_dict == {"disclosure_file": [disclosures.FILE_NOT_ALLOWED]}
    assert not ReferralDisclosure.objects.exists()


def test_a_document_over_the_limit_is_refused(cast: Cast, settings: Any) -> None:
    settings.DISCLOSURE_MAX_BYTES = 100
    big = PDF + b"0" * 200
    with pytest.raises(ValidationError) as error:
        disclosures.referral_disclosure_attach(
            referral=consented(cast),
            by=cast.alice,
            upload=io.BytesIO(big),
            name="big.pdf",
            size=len(big),
        )
    limit = f"{100 / (1024 * 1024):g} MB"
    assert error.value.message_dict == {
        "disclosure_file": [disclosures.FILE_TOO_BIG.format(limit=limit)]
    }


# --- The CLI ------------------------------------------------------------------------------------


def test_the_cli_records_the_disclosure_and_refuses_the_introduction_naming_what_is_missing(
    cast: Cast, tmp_path: Path
) -> None:
    requires_evidence(cast.firm)
    referral = consented(cast)
    out = io.StringIO()
    call_command(
        "referral",
        "disclosure",
        str(referral.pk),
        "--user",
        "alice",
        "--compensated",
        "--arrangement",
        "flat_fee",
        "--terms",
        "$500 per referral",
        "--from-template",
        stdout=out,
    )
    assert "Missing:" in out.getvalue()
    with pytest.raises(CommandError) as error:
        call_command("referral", "status", str(referral.pk), "introduced", "--user", "alice")
    assert MISSING_DELIVERED_ON in str(error.value)
    document = tmp_path / "disclosure.pdf"
    document.write_bytes(PDF)
    call_command(
        "referral",
        "disclosure",
        str(referral.pk),
        "--user",
        "alice",
        "--file",
        str(document),
        "--delivered-on",
        "2025-12-01",
        "--delivered-how",
        "in_person",
        "--acknowledged-on",
        "2025-12-01",
        "--acknowledged-how",
        "signed",
        stdout=io.StringIO(),
    )
    call_command(
        "referral", "status", str(referral.pk), "introduced", "--user", "alice", stdout=out
    )
    disclosure = ReferralDisclosure.objects.get(referral=referral)
    assert disclosure.arrangement_kind == "flat_fee"
    assert disclosure.has_document
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.INTRODUCED


def test_the_cli_refuses_a_text_file_named_pdf(cast: Cast, tmp_path: Path) -> None:
    document = tmp_path / "disclosure.pdf"
    document.write_text("not a pdf")
    with pytest.raises(CommandError) as error:
        call_command(
            "referral",
            "disclosure",
            str(consented(cast).pk),
            "--user",
            "alice",
            "--file",
            str(document),
        )
    assert disclosures.FILE_NOT_ALLOWED in str(error.value)
