"""A referral's compensation and the evidence of its disclosure: recorded, and its document
attached (see referrals.disclosure for what is recorded and the rule it feeds)."""

import datetime as dt
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.choices import use_one_of
from reciprocity.dates import happened_on
from reciprocity.referrals.disclosure import (
    AcknowledgementMethod,
    ArrangementKind,
    DeliveryMethod,
    ReferralDisclosure,
)
from reciprocity.referrals.models import Referral
from reciprocity.referrals.services.ledger import referral_lock

# User-facing messages; tests reuse them.
UNKNOWN_ARRANGEMENT = "Say what kind of arrangement it is. " + use_one_of(ArrangementKind)
UNKNOWN_DELIVERY_METHOD = "Say how the disclosure was delivered. " + use_one_of(DeliveryMethod)
UNKNOWN_ACKNOWLEDGEMENT_METHOD = "Say how the client acknowledged the disclosure. " + use_one_of(
    AcknowledgementMethod
)
DELIVERY_NEEDS_METHOD = "Say how the disclosure was delivered on that date."
ACKNOWLEDGEMENT_NEEDS_METHOD = "Say how the client acknowledged the disclosure on that date."
NO_TEMPLATE = "Your firm has no disclosure template yet: a firm admin adds it in the firm settings."
FILE_EMPTY = "The disclosure document is empty."
FILE_TOO_BIG = "The disclosure document is larger than {limit}: send a smaller file."
FILE_NOT_ALLOWED = (
    "The disclosure document must be a PDF, PNG or JPEG file; this one is not, whatever its name."
)
DISCLOSURE_FIELD_NOT_EDITABLE = "This field cannot be changed here."

# Fields recorded with referral_disclosure_update; the document has its own service.
DISCLOSURE_FIELDS = (
    "compensated",
    "arrangement_kind",
    "arrangement_terms",
    "disclosure_text",
    "delivered_on",
    "delivery_method",
    "acknowledged_on",
    "acknowledgement_method",
)

# A document is what its first bytes say, not what its name says.
SIGNATURES: dict[bytes, tuple[str, str]] = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
}


def document_type(head: bytes) -> tuple[str, str] | None:
    """(extension, content type) of a PDF, PNG or JPEG document by its first bytes; else None."""
    for signature, kind in SIGNATURES.items():
        if head.startswith(signature):
            return kind
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _clean_choice(field: str, value: Any, choices: list[str], message: str) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if value and value not in choices:
        raise ValidationError({field: message})
    return str(value or "")


def _clean_day(field: str, value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise ValidationError({field: "Give a date as YYYY-MM-DD."})
    return happened_on(value, field)


def _disclosure_locked(referral: Referral, by: User) -> ReferralDisclosure:
    """The referral's disclosure, locked, created (not saved) if it has none yet."""
    locked = referral_lock(referral)
    found = ReferralDisclosure.objects.select_for_update().filter(referral=locked).first()
    return found or ReferralDisclosure(referral=locked, by=by)


@transaction.atomic
def referral_disclosure_update(
    *, referral: Referral, by: User, from_template: bool = False, **changes: Any
) -> ReferralDisclosure:
    """Record a referral's compensation and its disclosure evidence: the fields given change,
    the others stay. ``from_template`` puts the firm's disclosure template in as the text.

    A date needs its method (delivered on a day, and how). Whether the evidence is complete is
    not checked here: the status rule (referrals.disclosure.check_evidence) holds the
    introduction until it is.
    """
    ensure_can_write(by)
    unknown = set(changes) - set(DISCLOSURE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), DISCLOSURE_FIELD_NOT_EDITABLE))
    disclosure = _disclosure_locked(referral, by)
    for field, value in changes.items():
        if field == "compensated":
            value = bool(value)
        elif field == "arrangement_kind":
            value = _clean_choice(field, value, ArrangementKind.values, UNKNOWN_ARRANGEMENT)
        elif field == "delivery_method":
            value = _clean_choice(field, value, DeliveryMethod.values, UNKNOWN_DELIVERY_METHOD)
        elif field == "acknowledgement_method":
            value = _clean_choice(
                field, value, AcknowledgementMethod.values, UNKNOWN_ACKNOWLEDGEMENT_METHOD
            )
        elif field in ("delivered_on", "acknowledged_on"):
            value = _clean_day(field, value)
        else:
            value = (value or "").strip()
        setattr(disclosure, field, value)
    if from_template:
        template = disclosure.referral.firm.disclosure_template.strip()
        if not template:
            raise ValidationError({"disclosure_text": NO_TEMPLATE})
        disclosure.disclosure_text = template
    if disclosure.delivered_on and not disclosure.delivery_method:
        raise ValidationError({"delivery_method": DELIVERY_NEEDS_METHOD})
    if disclosure.acknowledged_on and not disclosure.acknowledgement_method:
        raise ValidationError({"acknowledgement_method": ACKNOWLEDGEMENT_NEEDS_METHOD})
    disclosure.by = by
    disclosure.full_clean(exclude=["referral", "by", "disclosure_file"])
    attribute(disclosure, by).save()
    return disclosure


def checked_document(upload: IO[bytes], *, size: int | None) -> str:
    """The extension of an uploaded disclosure document, after checking its size and its
    content; ValidationError (on ``disclosure_file``) naming what is wrong."""
    limit = settings.DISCLOSURE_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationError({"disclosure_file": FILE_TOO_BIG.format(limit=_megabytes(limit))})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head:
        raise ValidationError({"disclosure_file": FILE_EMPTY})
    kind = document_type(head)
    if kind is None:
        raise ValidationError({"disclosure_file": FILE_NOT_ALLOWED})
    return kind[0]


@transaction.atomic
def referral_disclosure_attach(
    *, referral: Referral, by: User, upload: IO[bytes], name: str, size: int | None = None
) -> ReferralDisclosure:
    """Attach the disclosure document given to the client: a PDF, PNG or JPEG (by its content)
    of at most DISCLOSURE_MAX_BYTES, stored with the default storage. A new document replaces
    the one shown; the earlier file stays in storage, named in the disclosure's history."""
    ensure_can_write(by)
    extension = checked_document(upload, size=size)
    disclosure = _disclosure_locked(referral, by)
    original = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    disclosure.disclosure_file.save(
        f"referral-{disclosure.referral_id}.{extension}", File(upload), save=False
    )
    disclosure.disclosure_file_name = original or f"disclosure.{extension}"
    disclosure.by = by
    attribute(disclosure, by).save()
    return disclosure


@transaction.atomic
def referral_disclosure_detach(*, referral: Referral, by: User) -> ReferralDisclosure:
    """The document no longer counts as the disclosure; its file stays in storage, named in
    the disclosure's history."""
    ensure_can_write(by)
    disclosure = _disclosure_locked(referral, by)
    if disclosure.pk is not None and disclosure.disclosure_file:
        disclosure.disclosure_file = ""
        disclosure.disclosure_file_name = ""
        disclosure.by = by
        attribute(disclosure, by).save()
    return disclosure
