"""What the compliance officer reads about compensated referrals: every one in a period, or only
those whose disclosure evidence is incomplete, for the firm of whoever asks (a compliance officer
or a firm admin), and the same list as CSV rows."""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from reciprocity.accounts.models import User
from reciprocity.dates import day_start
from reciprocity.referrals.disclosure import (
    EVIDENCE_GATED_STATUSES,
    ReferralDisclosure,
    evidence_incomplete,
)

# User-facing messages; tests reuse them.
NOT_COMPLIANCE_READER = "Only a compliance officer or a firm admin can read the compliance list."

CSV_HEADER = [
    "Referral",
    "Date",
    "Direction",
    "Kind",
    "Partner",
    "Advisor",
    "Need",
    "Status",
    "Past the introduction",
    "Arrangement",
    "Amount or basis",
    "Disclosure",
    "Delivered on",
    "Delivered how",
    "Acknowledged on",
    "Acknowledged how",
    "Missing",
]


@dataclass(frozen=True)
class ComplianceFilters:
    """``missing``: only referrals whose evidence is incomplete; ``start``/``end``: the days
    (inclusive, in the firm's time zone) the referrals were made."""

    missing: bool = False
    start: dt.date | None = None
    end: dt.date | None = None


def compensated_referrals(
    *, reader: User, filters: ComplianceFilters | None = None
) -> QuerySet[ReferralDisclosure]:
    """The disclosures of the firm's compensated referrals (archived ones left out), newest
    referral first, with what a row shows read in the same query. PermissionDenied for anyone
    but a compliance officer or a firm admin."""
    if not reader.reads_audit_log or reader.firm_id is None:
        raise PermissionDenied(NOT_COMPLIANCE_READER)
    filters = filters or ComplianceFilters()
    qs = ReferralDisclosure.objects.filter(
        referral__firm_id=reader.firm_id,
        referral__archived_at__isnull=True,
        compensated=True,
    )
    if filters.missing:
        qs = qs.filter(evidence_incomplete())
    if filters.start is not None:
        qs = qs.filter(referral__occurred_at__gte=day_start(filters.start))
    if filters.end is not None and filters.end < dt.date.max:
        qs = qs.filter(referral__occurred_at__lt=day_start(filters.end + dt.timedelta(days=1)))
    return qs.select_related("referral", "referral__partner", "referral__by").order_by(
        "-referral__occurred_at", "-referral_id"
    )


def past_introduction(disclosure: ReferralDisclosure) -> bool:
    return disclosure.referral.status in EVIDENCE_GATED_STATUSES


def disclosure_given(disclosure: ReferralDisclosure) -> str:
    """How the disclosure was given, in a word or two."""
    if disclosure.has_document and disclosure.disclosure_text.strip():
        return "text and document"
    if disclosure.has_document:
        return "document"
    return "text" if disclosure.disclosure_text.strip() else ""


def csv_rows(disclosures: Iterable[ReferralDisclosure]) -> Iterator[list[object]]:
    for disclosure in disclosures:
        referral = disclosure.referral
        yield [
            referral.pk,
            timezone.localdate(referral.occurred_at).isoformat(),
            referral.direction,
            referral.kind,
            referral.partner.name,
            referral.by.display_name,
            referral.need,
            referral.status,
            "yes" if past_introduction(disclosure) else "no",
            disclosure.arrangement_kind,
            disclosure.arrangement_terms,
            disclosure_given(disclosure),
            disclosure.delivered_on.isoformat() if disclosure.delivered_on else "",
            disclosure.delivery_method,
            disclosure.acknowledged_on.isoformat() if disclosure.acknowledged_on else "",
            disclosure.acknowledgement_method,
            "; ".join(disclosure.missing),
        ]
