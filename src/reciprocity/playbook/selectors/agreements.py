"""Reads of agreements, one partner's or across the partners an advisor may see."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from reciprocity.accounts.models import User
from reciprocity.ids import get_visible_or_404
from reciprocity.partners.models import CommitmentOwner, Partner
from reciprocity.playbook.models import AdvisorProfile, Agreement, AgreementStatus
from reciprocity.playbook.selectors.common import visible_partners

AGREEMENT_NOT_FOUND = "No agreement with that id."


def agreement_active_for(*, partner: Partner) -> Agreement | None:
    return (
        partner.agreements.filter(status=AgreementStatus.ACTIVE)
        .prefetch_related("promises__commitment")
        .first()
    )


def agreements_of(*, partner: Partner) -> QuerySet[Agreement]:
    """Every agreement with the partner, the active one and those it replaced, newest first."""
    return partner.agreements.select_related("by").prefetch_related("promises__commitment")


def agreement_get_for(*, advisor: User, pk: Any) -> Agreement:
    visible = (
        Agreement.objects.select_related("partner", "partner__owner", "by")
        .prefetch_related("promises__commitment")
        .filter(partner__in=visible_partners(advisor))
    )
    return get_visible_or_404(visible, pk, not_found=AGREEMENT_NOT_FOUND)


@dataclass(frozen=True)
class PromiseLine:
    what: str
    due: dt.date | None
    status: str


@dataclass(frozen=True)
class AgreementDocument:
    """An agreement laid out for reading and printing."""

    agreement: Agreement
    partner_name: str
    partner_organization: str
    advisor_name: str
    advisor_will: list[PromiseLine]
    partner_will: list[PromiseLine]
    referral_process: str
    keep_in_touch: str
    agreed_on: dt.date
    next_review: dt.date
    status: str
    message: AdvisorProfile | None


def agreement_document(*, advisor: User, pk: Any) -> AgreementDocument:
    agreement = agreement_get_for(advisor=advisor, pk=pk)
    lines: dict[str, list[PromiseLine]] = {CommitmentOwner.ADVISOR: [], CommitmentOwner.PARTNER: []}
    for promise in agreement.promises.all():
        commitment = promise.commitment
        lines[promise.owner].append(
            PromiseLine(
                what=promise.what,
                due=commitment.due if commitment else None,
                status=commitment.get_status_display() if commitment else "",
            )
        )
    partner = agreement.partner
    return AgreementDocument(
        agreement=agreement,
        partner_name=partner.name,
        partner_organization=partner.organization,
        advisor_name=partner.owner.display_name,
        advisor_will=lines[CommitmentOwner.ADVISOR],
        partner_will=lines[CommitmentOwner.PARTNER],
        referral_process=agreement.get_referral_process_display(),
        keep_in_touch=agreement.keep_in_touch,
        agreed_on=agreement.agreed_on,
        next_review=agreement.next_review,
        status=agreement.get_status_display(),
        message=AdvisorProfile.objects.filter(user_id=partner.owner_id).first(),
    )


def agreements_for(
    *, advisor: User, partner_id: int | None = None, status: str | None = None
) -> QuerySet[Agreement]:
    """Agreements with the partners ``advisor`` may see, newest first."""
    qs = Agreement.objects.filter(partner__in=visible_partners(advisor))
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("partner", "by").prefetch_related("promises__commitment")
