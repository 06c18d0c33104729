"""``diagnosis.raised``: told once when a partner newly has a diagnosis, by a periodic check of
the worker, for the firms with an endpoint that wants it.

The diagnoses are computed when asked, not stored, so the check runs them for the firm's
partners (each as its owner reads them) and compares with what was told (``DiagnosisNotice``):
a diagnosis standing and not told yet is told, one told that no longer stands is marked cleared
so that, if it comes back, it is told again. A dismissed diagnosis does not stand while its
evidence reads as it did; ``too_early`` is a reassurance, not a problem, and the book's own
(``too_many_partners``) is about no partner: neither is told.

The first check after an endpoint starts wanting the event tells the diagnoses standing then,
one event each: a receiver starts from the whole picture, not only from what changes after.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from reciprocity import events
from reciprocity.accounts.models import Firm
from reciprocity.insights.diagnoses import Diagnosis, diagnoses_of_firm
from reciprocity.integrations.webhooks.models import DiagnosisNotice, WebhookEndpoint


def _listening_firms() -> list[Firm]:
    """The firms with a live endpoint that wants ``diagnosis.raised``."""
    endpoints = WebhookEndpoint.objects.live().filter(active=True).only("firm_id", "events")
    firm_ids = {
        endpoint.firm_id for endpoint in endpoints if events.DIAGNOSIS_RAISED in endpoint.events
    }
    return list(Firm.objects.filter(pk__in=firm_ids).order_by("pk"))


def _firm_tell(firm: Firm, *, today: dt.date | None) -> int:
    standing: dict[tuple[int, str], Diagnosis] = {}
    for diagnosis in diagnoses_of_firm(firm=firm, today=today):
        if diagnosis.partner_id is not None:
            standing[diagnosis.partner_id, diagnosis.slug] = diagnosis
    told = {
        (notice.partner_id, notice.slug): notice.pk
        for notice in DiagnosisNotice.objects.filter(firm_id=firm.pk, cleared_at__isnull=True).only(
            "pk", "partner_id", "slug"
        )
    }
    now = timezone.now()
    gone = [pk for key, pk in told.items() if key not in standing]
    new = [(key, diagnosis) for key, diagnosis in standing.items() if key not in told]
    if not gone and not new:
        return 0
    try:
        with transaction.atomic():
            DiagnosisNotice.objects.filter(pk__in=gone, cleared_at__isnull=True).update(
                cleared_at=now
            )
            DiagnosisNotice.objects.bulk_create(
                DiagnosisNotice(
                    firm_id=firm.pk,
                    partner_id=partner_id,
                    slug=slug,
                    fingerprint=diagnosis.fingerprint,
                    raised_at=now,
                )
                for (partner_id, slug), diagnosis in new
            )
            events.emit_all(
                events.diagnosis_raised(firm_id=firm.pk, diagnosis=diagnosis, raised_at=now)
                for _key, diagnosis in new
            )
    except IntegrityError:
        return 0  # another check told them meanwhile
    return len(new)


def diagnoses_tell(*, today: dt.date | None = None) -> int:
    """Emit ``diagnosis.raised`` for each partner's diagnosis newly standing, and mark those
    no longer standing as cleared; how many were told."""
    return sum(_firm_tell(firm, today=today) for firm in _listening_firms())
