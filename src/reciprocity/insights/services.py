"""Writes of the insights app: dismissing a diagnosis, with the reason."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.insights.diagnoses import DIAGNOSIS_SLUGS, Diagnosis, assess
from reciprocity.insights.models import Dismissal
from reciprocity.partners.models import Partner
from reciprocity.playbook.services.common import ensure_partner_writable
from reciprocity.records import lock

DISMISS_REASON_REQUIRED = "Say why you dismiss this diagnosis."
DISMISS_REASON_TOO_LONG = "Keep the reason to 500 characters."
NOT_DIAGNOSED = "This partner does not have that diagnosis now: there is nothing to dismiss."
UNKNOWN_DIAGNOSIS = "Unknown diagnosis: choose one of " + ", ".join(DIAGNOSIS_SLUGS) + "."


@transaction.atomic
def dismissal_create(*, partner: Partner, by: User, slug: str, reason: str) -> Dismissal:
    """Dismiss the partner's diagnosis ``slug`` as it reads now: it stays hidden until its
    evidence changes. A dismissal of the same diagnosis before is archived, and both are in
    the history."""
    ensure_partner_writable(partner, by)
    reason = (reason or "").strip()
    if slug not in DIAGNOSIS_SLUGS or slug == "too_many_partners":
        raise ValidationError({"slug": UNKNOWN_DIAGNOSIS})
    if not reason:
        raise ValidationError({"reason": DISMISS_REASON_REQUIRED})
    if len(reason) > 500:
        raise ValidationError({"reason": DISMISS_REASON_TOO_LONG})
    # Partner by partner: two dismissals of one partner take turns.
    lock(partner)
    current = _current(partner, by, slug)
    if current is None:
        raise ValidationError({"slug": NOT_DIAGNOSED})
    now = timezone.now()
    for earlier in Dismissal.objects.live().select_for_update().filter(partner=partner, slug=slug):
        earlier.archived_at = now
        attribute(earlier, by).save()
    dismissal = Dismissal(
        partner=partner,
        slug=slug,
        fingerprint=current.fingerprint,
        reason=reason,
        evidence=current.evidence,
        by=by,
        dismissed_at=now,
    )
    attribute(dismissal, by).save()
    return dismissal


def _current(partner: Partner, by: User, slug: str) -> Diagnosis | None:
    found = assess(advisor=by, partner=partner)
    return next((d for d in found.everything if d.slug == slug), None)
