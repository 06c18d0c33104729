"""The partner's confirmation links of a sent referral: created and revoked by the advisor,
answered by the partner (see referrals.link_models).

The partner has no account. Their answer is written on behalf of the advisor who created the
link: every record it touches (the link, the referral, its status change, the touch) names that
advisor as its ``history_user`` and ``partner`` as its channel (``audit_source("partner")``), so
the audit trail says both who is answerable for the link and that the partner acted.

What an answer does is one class per answer in ``ANSWERS``: a receipt is recorded on the
referral; an outcome moves the status through the ledger where the lifecycle allows (met →
meeting_held, engaged → engaged, not a fit → declined, the failure of a sent referral, with the
partner's reason). Where it does not (a status that needs the client's consent with none on
record, a move backwards, a closed referral) the answer is recorded and the status stays: the
link carries the reason (``held_reason``) and the referral page tells the advisor.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reciprocity.accounts.audit import attribute, audit_source
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.partners.models import Partner, TouchKind
from reciprocity.partners.services import ARCHIVED_PARTNER, touch_log
from reciprocity.records import lock
from reciprocity.referrals.link_models import LinkPurpose, PartnerAnswer, ReferralLink
from reciprocity.referrals.models import Direction, Referral, ReferralStatus
from reciprocity.referrals.services.ledger import referral_change_status, referral_lock

# User-facing messages; tests reuse them.
UNKNOWN_PURPOSE = "Choose what the link is for: receipt or outcome."
ONLY_SENT = "Links for the partner are for referrals you sent."
ALREADY_ANSWERED = "The partner has already answered this: a referral takes one {purpose} answer."
LINK_USED = "The partner has already used this link; it cannot be revoked."
ANSWER_NOT_FOR_PURPOSE = "Choose one of the answers offered."
REASON_NEEDED = "Say in a few words why it was not a fit."
NOTE_TOO_LONG = "Keep the note under {limit} characters."
HELD_NO_CONSENT = (
    "The partner reported '{answer}', but the client's consent is not on record: the status "
    "stays {status}. Record the consent, then move the status."
)
HELD_NO_MOVE = "The partner reported '{answer}'; the status stays {status}: {why}"
WHY_CLOSED = "the referral is closed."
WHY_BEHIND = "the referral has already gone that far or further."
NOT_A_FIT_REASON = "Not a fit, as the partner reported: {note}"
NOTE_LIMIT = 1000

TOUCH_SUMMARY = {
    PartnerAnswer.RECEIVED: "Confirmed receipt of the referral (through their link): {need}",
    PartnerAnswer.MET: "Reported meeting the referred client (through their link): {need}",
    PartnerAnswer.ENGAGED: "Reported the referred client engaged them (through their link): {need}",
    PartnerAnswer.NOT_A_FIT: "Reported the referral was not a fit (through their link): {need}",
}


class LinkGoneError(Exception):
    """The link stopped working (used, revoked, expired, its referral archived) since it was
    read: the partner's page answers as for a link that never existed."""


def token_new() -> str:
    """A fresh secret for a link's URL: 32 URL-safe characters from ``secrets``."""
    return secrets.token_urlsafe(24)


def _clean_purpose(purpose: str) -> str:
    if purpose not in LinkPurpose.values:
        raise ValidationError({"purpose": UNKNOWN_PURPOSE})
    return purpose


def _answered(referral: Referral, purpose: str) -> bool:
    return ReferralLink.objects.filter(
        referral_id=referral.pk, purpose=purpose, used_at__isnull=False
    ).exists()


@transaction.atomic
def referral_link_create(*, referral: Referral, by: User, purpose: str) -> tuple[ReferralLink, str]:
    """A new link for the partner of a sent referral; returns it with its secret (shown once).

    Any earlier link of the same purpose that is still unused stops working: the partner has
    one live link per purpose. It expires after ``PARTNER_LINK_DAYS``.
    """
    ensure_can_write(by)
    _clean_purpose(purpose)
    locked = referral_lock(referral)
    if locked.direction != Direction.SENT:
        raise ValidationError({"purpose": ONLY_SENT})
    if Partner.objects.filter(pk=locked.partner_id, archived_at__isnull=False).exists():
        raise ValidationError(ARCHIVED_PARTNER)
    if _answered(locked, purpose):
        label = LinkPurpose(purpose).value
        raise ValidationError({"purpose": ALREADY_ANSWERED.format(purpose=label)})
    now = timezone.now()
    for earlier in ReferralLink.objects.select_for_update().filter(
        referral_id=locked.pk,
        purpose=purpose,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ):
        earlier.revoked_at = now
        attribute(earlier, by).save(update_fields=["revoked_at"])
    token = token_new()
    link = ReferralLink(
        referral=locked,
        purpose=purpose,
        token_hash=ReferralLink.hash_token(token),
        created_by=by,
        expires_at=now + dt.timedelta(days=settings.PARTNER_LINK_DAYS),
    )
    attribute(link, by).save()
    return link, token


@transaction.atomic
def referral_link_revoke(*, link: ReferralLink, by: User) -> ReferralLink:
    """Stop a link the partner has not used yet; revoking it again changes nothing."""
    ensure_can_write(by)
    locked = lock(link)
    if locked.used_at is not None:
        raise ValidationError({"link": LINK_USED})
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        attribute(locked, by).save(update_fields=["revoked_at"])
    return locked


# --- The partner's answers -------------------------------------------------------------------


class AnswerKind:
    """What one answer of the partner does to the referral (see the module docs)."""

    slug: str
    purpose: str
    # The status an outcome moves the referral to; None when it moves nothing.
    target: str | None = None
    needs_note = False

    def target_for(self, referral: Referral) -> str | None:
        return self.target

    def reason(self, note: str) -> str:
        return ""

    def apply(
        self, referral: Referral, *, by: User, note: str, when: dt.datetime
    ) -> tuple[str, str]:
        """Do it; returns the status moved to (or "") and why it stayed (or "")."""
        target = self.target_for(referral)
        if target is None:
            return "", ""
        label = PartnerAnswer(self.slug).label
        current = ReferralStatus(referral.status).label
        lifecycle = referral.lifecycle
        if target in lifecycle.needs_consent and not referral.has_consent:
            return "", HELD_NO_CONSENT.format(answer=label, status=current)
        if target not in lifecycle.allowed_from(referral.status):
            why = WHY_CLOSED if referral.status in lifecycle.closed else WHY_BEHIND
            return "", HELD_NO_MOVE.format(answer=label, status=current, why=why)
        try:
            referral_change_status(
                referral=referral, by=by, status=target, reason=self.reason(note)
            )
        except (ValidationError, PermissionDenied) as error:
            messages = getattr(error, "messages", None) or [str(error)]
            return "", HELD_NO_MOVE.format(answer=label, status=current, why=" ".join(messages))
        return target, ""


class Received(AnswerKind):
    slug = PartnerAnswer.RECEIVED
    purpose = LinkPurpose.RECEIPT

    def apply(
        self, referral: Referral, *, by: User, note: str, when: dt.datetime
    ) -> tuple[str, str]:
        referral.receipt_confirmed_at = when
        attribute(referral, by).save(update_fields=["receipt_confirmed_at", "updated_at"])
        return "", ""


class Met(AnswerKind):
    slug = PartnerAnswer.MET
    purpose = LinkPurpose.OUTCOME
    target = ReferralStatus.MEETING_HELD


class Engaged(AnswerKind):
    slug = PartnerAnswer.ENGAGED
    purpose = LinkPurpose.OUTCOME
    target = ReferralStatus.ENGAGED


class NotAFit(AnswerKind):
    slug = PartnerAnswer.NOT_A_FIT
    purpose = LinkPurpose.OUTCOME
    needs_note = True

    def target_for(self, referral: Referral) -> str | None:
        """The failure a sent referral's lifecycle has for it: declined."""
        return ReferralStatus.DECLINED

    def reason(self, note: str) -> str:
        return NOT_A_FIT_REASON.format(note=note)


ANSWERS: dict[str, AnswerKind] = {
    answer.slug: answer for answer in (Received(), Met(), Engaged(), NotAFit())
}


def answers_for(purpose: str) -> list[tuple[str, str]]:
    """The answers a link of ``purpose`` offers, as (slug, label)."""
    return [
        (slug, PartnerAnswer(slug).label)
        for slug, answer in ANSWERS.items()
        if answer.purpose == purpose
    ]


def _clean_answer(link: ReferralLink, answer: str, note: str) -> tuple[AnswerKind, str]:
    kind = ANSWERS.get(answer)
    if kind is None or kind.purpose != link.purpose:
        raise ValidationError({"answer": ANSWER_NOT_FOR_PURPOSE})
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"note": NOTE_TOO_LONG.format(limit=NOTE_LIMIT)})
    if kind.needs_note and not note:
        raise ValidationError({"note": REASON_NEEDED})
    return kind, note


def referral_link_answer(*, link: ReferralLink, answer: str, note: str = "") -> ReferralLink:
    """The partner answers through their link: once, before it expires, unless revoked.

    Recorded on behalf of the advisor who created the link: ``history_user`` of every change is
    ``link.created_by`` (the partner has no account), the channel is ``partner``. Raises
    ValidationError for an answer the link does not offer, and LinkGoneError when the link
    stopped working since it was read.
    """
    kind, note = _clean_answer(link, answer, note)
    with audit_source("partner"), transaction.atomic():
        # The referral first, then the link: the order referral_link_create locks them in.
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("partner")
            .get(pk=link.referral_id)
        )
        locked = lock(link)
        now = timezone.now()
        if (
            locked.used_at is not None
            or locked.revoked_at is not None
            or locked.expires_at <= now
            or referral.archived_at is not None
            or referral.partner.archived_at is not None
            or _answered(referral, locked.purpose)
        ):
            raise LinkGoneError
        by = locked.created_by
        moved_to, held = kind.apply(referral, by=by, note=note, when=now)
        summary = TOUCH_SUMMARY[PartnerAnswer(kind.slug)].format(need=referral.need)
        if note:
            summary = f"{summary}. Their note: {note}"
        locked.touch = touch_log(
            partner=referral.partner, by=by, kind=TouchKind.NOTE, summary=summary[:500]
        )
        locked.used_at, locked.answer, locked.note = now, kind.slug, note
        locked.moved_to, locked.held_reason = moved_to, held
        attribute(locked, by).save()
    return locked
