"""A referral's life: created, consented to, moved through its statuses, archived."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone

from reciprocity import events
from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write, record_archive_set
from reciprocity.choices import unknown_choice_message, use_one_of
from reciprocity.dates import happened_at
from reciprocity.partners.models import CommitmentOwner, Partner
from reciprocity.partners.selectors import NOT_FOUND as PARTNER_NOT_FOUND
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.partners.services import (
    ARCHIVED_PARTNER,
    commitment_create,
)
from reciprocity.records import lock, model_update
from reciprocity.referrals.disclosure import check_evidence
from reciprocity.referrals.models import (
    FAILURE_STATUSES,
    HISTORY_AFTER_DAYS,
    Answer,
    ConsentMethod,
    Direction,
    Kind,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
    ReferralStep,
    lifecycle_of,
)
from reciprocity.referrals.services.next_step import referral_next_step_refresh
from reciprocity.referrals.services.protocols import protocol_template_for

# User-facing messages; tests reuse them. Those with {placeholders} are filled in with .format().
NEED_REQUIRED = "Describe the need or topic of the referral."
UNKNOWN_DIRECTION = unknown_choice_message("direction", Direction)
UNKNOWN_KIND = unknown_choice_message("kind", Kind)
STATUS_NOT_IN_LIFECYCLE = "A {direction} {kind} has no status '{status}'. Use one of: {allowed}."
TRANSITION_NOT_ALLOWED = "A referral cannot move from {current} to {status}. Allowed: {allowed}."
SAME_STATUS = "The referral already has that status."
REASON_REQUIRED = "Say why: a declined, lost or not-a-fit referral needs a reason."
STATUS_BEFORE_LAST = "A status change cannot be dated before the referral's last status change."
CONSENT_REQUIRED = (
    "Record the client's consent (when and how) before adding their name or contact details. "
    "Until then, describe the situation without identifying the client."
)
CONSENT_BEFORE_STATUS = "Record the client's consent (when and how) before marking it given."
CONSENT_BEFORE_INTRODUCTION = (
    "A client's identity reaches a partner only after their consent: record the client's consent "
    "(when and how) before moving the referral to {status}."
)
STEP_NEEDS_CONSENT = (
    "Record the client's consent first: this step introduces the client to the partner, and a "
    "client's identity reaches a partner only after their consent."
)
CONSENT_WITHDRAWN = "The client withdrew consent."
CONSENT_KEPT_AFTER_SUCCESS = (
    "The client was introduced and engaged with their consent on record, and that record stays. "
    "To remove their name or contact details, edit the referral."
)
CONSENT_ONLY_SENT = (
    "Consent is recorded for sent referrals; a received one comes with the prospect's details."
)
UNKNOWN_CONSENT_METHOD = "Say how the client consented. " + use_one_of(ConsentMethod)
UNKNOWN_ANSWER = "Answer with one of: " + ", ".join(Answer.values) + "."
NEGATIVE_VALUE = "The estimated value cannot be negative."
NOT_A_NUMBER = "Give the estimated value as a number, or leave it empty."
ARCHIVED_REFERRAL = "This referral is archived; restore it before changing it."
FIELD_NOT_EDITABLE = "This field cannot be changed here."

# Follow-ups prompted by a received referral, and how recent it must be to prompt them.
THANK_YOU_PROMPT = "Send {partner} a thank-you note for the referral: {need}"
REPORT_BACK_PROMPT = "Report back to {partner} on {need}"
THANK_YOU_DUE_DAYS = 2
REPORT_BACK_DUE_DAYS = 14
FOLLOW_UP_RECENT_DAYS = HISTORY_AFTER_DAYS

# What the referrals' writes keep on the partner's row (``referral_marks_refresh``).
REFERRAL_MARKS = ("first_received_at", "latest_received_at", "earliest_sent_at")

# Fields an advisor edits directly; status, consent, steps and archiving have their own services.
EDITABLE_FIELDS = (
    "need",
    "notes",
    "client_name",
    "client_contact",
    "client_has_professional",
    "existing_relationship",
    "consultation_fee",
    "consultation_fee_note",
    "estimated_value",
    "outcome_reason",
)


def _clean_choice(field: str, value: str, choices: list[str], message: str) -> str:
    if value not in choices:
        raise ValidationError({field: message})
    return value


def _clean_value(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({"estimated_value": NOT_A_NUMBER}) from None
    if not number.is_finite():
        raise ValidationError({"estimated_value": NOT_A_NUMBER})
    if number < 0:
        raise ValidationError({"estimated_value": NEGATIVE_VALUE})
    return number


def _check_identity(referral: Referral) -> None:
    """A sent referral holds no name or contact details until the client's consent is recorded."""
    if referral.may_identify_client:
        return
    errors = {
        field: CONSENT_REQUIRED
        for field in ("client_name", "client_contact")
        if getattr(referral, field).strip()
    }
    if errors:
        raise ValidationError(errors)


def _consent_needed(status: str) -> str:
    if status == ReferralStatus.CONSENT_GIVEN:
        return CONSENT_BEFORE_STATUS
    return CONSENT_BEFORE_INTRODUCTION.format(status=ReferralStatus(status).label)


def referral_lock(referral: Referral) -> Referral:
    locked = lock(referral)
    if locked.archived_at is not None:
        raise ValidationError(ARCHIVED_REFERRAL)
    return locked


def status_record(
    referral: Referral, *, by: User, status: str, reason: str, when: dt.datetime
) -> ReferralStatusChange:
    change = ReferralStatusChange(
        referral=referral,
        from_status=referral.status if referral.pk else "",
        to_status=status,
        reason=reason,
        occurred_at=when,
        by=by,
    )
    referral.status = status
    referral.status_changed_at = when
    referral.closed_at = when if status in referral.lifecycle.closed else None
    if status in FAILURE_STATUSES:
        referral.outcome_reason = reason
    events.referral_status_changed(referral, change)
    return change


def _partner_chosen(by: User, partner: Partner | int) -> Partner:
    """The partner a referral is logged with, as given or by its id (as the API names it): one
    ``by`` sees, archived or not; else the field is refused (it is input, not a missing page)."""
    visible = partners_visible_to(advisor=by, include_archived=True)
    if isinstance(partner, int):
        found = visible.filter(pk=partner).first()
    else:
        found = partner if visible.filter(pk=partner.pk).exists() else None
    if found is None:
        raise ValidationError({"partner": PARTNER_NOT_FOUND})
    return found


@transaction.atomic
def referral_create(
    *,
    by: User,
    partner: Partner | int,
    direction: str,
    need: str,
    kind: str = Kind.REFERRAL,
    status: str | None = None,
    occurred_at: dt.datetime | None = None,
    notes: str = "",
    client_name: str = "",
    client_contact: str = "",
    consent_at: dt.datetime | None = None,
    consent_method: str = "",
    client_has_professional: str = Answer.UNKNOWN,
    existing_relationship: str = "",
    consultation_fee: str = Answer.UNKNOWN,
    consultation_fee_note: str = "",
    estimated_value: Any = None,
    reason: str = "",
    follow_up: bool | None = None,
) -> Referral:
    """Log a referral sent to or received from a partner (given, or by its id).

    ``status`` defaults to the first of its lifecycle; another status records history the advisor
    already has (a failure needs ``reason``). A sent referral gets the steps of the firm's protocol
    for the partner's profession. A received one prompts two commitments, a thank-you note and a
    report back to the partner, when ``follow_up`` is true; by default only for a referral of the
    last FOLLOW_UP_RECENT_DAYS days, so entering old history does not flood the agenda.
    """
    ensure_can_write(by)
    _clean_choice("direction", direction, Direction.values, UNKNOWN_DIRECTION)
    _clean_choice("kind", kind, Kind.values, UNKNOWN_KIND)
    partner = _partner_chosen(by, partner)
    if partner.archived_at is not None:
        raise ValidationError({"partner": ARCHIVED_PARTNER})
    lifecycle = lifecycle_of(direction, kind)
    status = status or lifecycle.initial
    if status not in lifecycle.statuses:
        raise ValidationError(
            {
                "status": STATUS_NOT_IN_LIFECYCLE.format(
                    direction=direction,
                    kind=kind,
                    status=status,
                    allowed=", ".join(lifecycle.statuses),
                )
            }
        )
    reason = (reason or "").strip()
    if status in FAILURE_STATUSES and not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if not (need or "").strip():
        raise ValidationError({"need": NEED_REQUIRED})
    when = happened_at(occurred_at)
    if consent_at is not None or consent_method:
        if direction != Direction.SENT:
            raise ValidationError({"consent_method": CONSENT_ONLY_SENT})
        _clean_choice(
            "consent_method", consent_method, ConsentMethod.values, UNKNOWN_CONSENT_METHOD
        )
        consent_at = happened_at(consent_at, "consent_at")
    if status in lifecycle.needs_consent and consent_at is None:
        raise ValidationError({"status": _consent_needed(status)})
    for field, answer in (
        ("client_has_professional", client_has_professional),
        ("consultation_fee", consultation_fee),
    ):
        _clean_choice(field, answer, Answer.values, UNKNOWN_ANSWER)

    referral = Referral(
        firm_id=partner.firm_id,
        partner=partner,
        direction=direction,
        kind=kind,
        need=need.strip(),
        notes=(notes or "").strip(),
        client_name=(client_name or "").strip(),
        client_contact=(client_contact or "").strip(),
        consent_at=consent_at,
        consent_method=consent_method,
        client_has_professional=client_has_professional,
        existing_relationship=(existing_relationship or "").strip(),
        consultation_fee=consultation_fee,
        consultation_fee_note=(consultation_fee_note or "").strip(),
        estimated_value=_clean_value(estimated_value),
        occurred_at=when,
        by=by,
    )
    _check_identity(referral)
    change = status_record(referral, by=by, status=status, reason=reason, when=when)
    referral.full_clean(
        exclude=["firm", "partner", "by", "thank_you_commitment", "report_back_commitment"]
    )
    marked = kind == Kind.REFERRAL
    if marked:
        _lock_partner_of(referral)
    attribute(referral, by).save()
    change.referral = referral
    attribute(change, by).save()
    if marked:
        referral_marks_refresh([partner.pk])
        partner.refresh_from_db(fields=REFERRAL_MARKS)

    if direction == Direction.SENT and kind == Kind.REFERRAL:
        template = protocol_template_for(firm_id=partner.firm_id, profession=partner.profession)
        for position, step in enumerate(template.steps, start=1):
            attribute(
                ReferralStep(
                    referral=referral, slug=step["slug"], label=step["label"], position=position
                ),
                by,
            ).save()
        referral_next_step_refresh(referral=referral)
    if direction == Direction.RECEIVED:
        if follow_up is None:
            follow_up = when >= timezone.now() - dt.timedelta(days=FOLLOW_UP_RECENT_DAYS)
        if follow_up:
            _prompt_follow_ups(referral, by=by)
    events.referral_logged(referral)
    return referral


def _prompt_follow_ups(referral: Referral, *, by: User) -> None:
    partner, today = referral.partner, timezone.localdate()
    referral.thank_you_commitment = commitment_create(
        partner=partner,
        by=by,
        what=THANK_YOU_PROMPT.format(partner=partner.name, need=referral.need)[:300],
        owner=CommitmentOwner.ADVISOR,
        due=today + dt.timedelta(days=THANK_YOU_DUE_DAYS),
    )
    referral.report_back_commitment = commitment_create(
        partner=partner,
        by=by,
        what=REPORT_BACK_PROMPT.format(partner=partner.name, need=referral.need)[:300],
        owner=CommitmentOwner.ADVISOR,
        due=today + dt.timedelta(days=REPORT_BACK_DUE_DAYS),
    )
    attribute(referral, by).save(
        update_fields=["thank_you_commitment", "report_back_commitment", "updated_at"]
    )


@transaction.atomic
def referral_update(*, referral: Referral, by: User, **changes: Any) -> Referral:
    """Edit the description, the pre-send answers, the estimate or (with consent) the identity."""
    ensure_can_write(by)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), FIELD_NOT_EDITABLE))
    locked = referral_lock(referral)
    for field, value in changes.items():
        if field == "estimated_value":
            value = _clean_value(value)
        elif field in ("client_has_professional", "consultation_fee"):
            _clean_choice(field, value, Answer.values, UNKNOWN_ANSWER)
        elif isinstance(value, str) or value is None:
            value = (value or "").strip()
        setattr(locked, field, value)
    if not locked.need:
        raise ValidationError({"need": NEED_REQUIRED})
    if locked.status in FAILURE_STATUSES and not locked.outcome_reason:
        raise ValidationError({"outcome_reason": REASON_REQUIRED})
    _check_identity(locked)
    locked.full_clean(
        exclude=["firm", "partner", "by", "thank_you_commitment", "report_back_commitment"]
    )
    attribute(locked, by).save()
    return locked


@transaction.atomic
def referral_record_consent(
    *,
    referral: Referral,
    by: User,
    method: str,
    consent_at: dt.datetime | None = None,
    client_name: str | None = None,
    client_contact: str | None = None,
) -> Referral:
    """Record the client's consent to share their identity, and optionally that identity.

    A proposed referral moves to ``consent_given`` (dated with the consent, or with its last
    status change if the consent is older).
    """
    ensure_can_write(by)
    locked = referral_lock(referral)
    if locked.direction != Direction.SENT:
        raise ValidationError({"method": CONSENT_ONLY_SENT})
    _clean_choice("method", method, ConsentMethod.values, UNKNOWN_CONSENT_METHOD)
    when = happened_at(consent_at, "consent_at")
    locked.consent_at, locked.consent_method = when, method
    model_update(locked, client_name=client_name, client_contact=client_contact)
    change = None
    if ReferralStatus.CONSENT_GIVEN in locked.lifecycle.allowed_from(locked.status):
        change = status_record(
            locked,
            by=by,
            status=ReferralStatus.CONSENT_GIVEN,
            reason="",
            when=max(when, locked.status_changed_at),
        )
    locked.full_clean(
        exclude=["firm", "partner", "by", "thank_you_commitment", "report_back_commitment"]
    )
    attribute(locked, by).save()
    if change is not None:
        attribute(change, by).save()
    return locked


@transaction.atomic
def referral_consent_withdraw(*, referral: Referral, by: User) -> Referral:
    """The client withdrew consent: forget the consent and the identity it allowed.

    A referral whose status rests on the consent moves with it: back to the first status when
    only the consent was given, lost once the client was introduced. An engaged one keeps its
    consent on record: the introduction it allowed is done.
    """
    ensure_can_write(by)
    locked = referral_lock(referral)
    if locked.direction != Direction.SENT:
        raise ValidationError({"method": CONSENT_ONLY_SENT})
    lifecycle = locked.lifecycle
    change = None
    if locked.status in lifecycle.needs_consent:
        if locked.status == lifecycle.success:
            raise ValidationError({"consent": CONSENT_KEPT_AFTER_SUCCESS})
        back = (
            lifecycle.initial
            if locked.status == lifecycle.needs_consent[0]
            else ReferralStatus.LOST
        )
        change = status_record(
            locked,
            by=by,
            status=back,
            reason=CONSENT_WITHDRAWN,
            when=max(timezone.now(), locked.status_changed_at),
        )
    locked.consent_at, locked.consent_method = None, ""
    locked.client_name, locked.client_contact = "", ""
    attribute(locked, by).save()
    if change is not None:
        attribute(change, by).save()
    return locked


@transaction.atomic
def referral_change_status(
    *,
    referral: Referral,
    by: User,
    status: str,
    reason: str = "",
    occurred_at: dt.datetime | None = None,
) -> ReferralStatusChange:
    """Move a referral along its lifecycle (see the models' docs) and record the dated move."""
    ensure_can_write(by)
    locked = referral_lock(referral)
    lifecycle = locked.lifecycle
    if status not in lifecycle.statuses:
        raise ValidationError(
            {
                "status": STATUS_NOT_IN_LIFECYCLE.format(
                    direction=locked.direction,
                    kind=locked.kind,
                    status=status,
                    allowed=", ".join(lifecycle.statuses),
                )
            }
        )
    if status == locked.status:
        raise ValidationError({"status": SAME_STATUS})
    allowed = lifecycle.allowed_from(locked.status)
    if status not in allowed:
        raise ValidationError(
            {
                "status": TRANSITION_NOT_ALLOWED.format(
                    current=locked.status,
                    status=status,
                    allowed=", ".join(allowed) or "nothing, it is closed",
                )
            }
        )
    reason = (reason or "").strip()
    if status in FAILURE_STATUSES and not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if status in lifecycle.needs_consent and not locked.has_consent:
        raise ValidationError({"status": _consent_needed(status)})
    check_evidence(locked, lifecycle.way_to(locked.status, status))
    when = happened_at(occurred_at)
    if when < locked.status_changed_at:
        raise ValidationError({"occurred_at": STATUS_BEFORE_LAST})
    change = status_record(locked, by=by, status=status, reason=reason, when=when)
    attribute(change, by).save()
    attribute(locked, by).save()
    return change


def referral_marks_refresh(partner_ids: list[int]) -> None:
    """Recompute the partners' first and latest live referral received and earliest sent
    (``REFERRAL_MARKS``) from their referrals; the caller holds the partners' row locks, so
    that every writer's referral is counted."""

    def moment(direction: str, fn: type[Min] | type[Max]) -> Subquery:
        return Subquery(
            Referral.objects.live()
            .filter(partner_id=OuterRef("pk"), direction=direction, kind=Kind.REFERRAL)
            .order_by()
            .values("partner_id")
            .annotate(m=fn("occurred_at"))
            .values("m")
        )

    Partner.objects.filter(pk__in=partner_ids).update(
        first_received_at=moment(Direction.RECEIVED, Min),
        latest_received_at=moment(Direction.RECEIVED, Max),
        earliest_sent_at=moment(Direction.SENT, Min),
    )


def _lock_partner_of(referral: Referral) -> None:
    """Serialise the writers of one partner's referrals (see ``referral_marks_refresh``)."""
    Partner.objects.select_for_update().only("pk").get(pk=referral.partner_id)


@transaction.atomic
def referral_archive(*, referral: Referral, by: User) -> Referral:
    """Archive, never delete: an archived referral leaves the balance but stays on the books."""
    lock(referral)  # before its partner, in the order the writers of its steps take them
    _lock_partner_of(referral)
    archived = record_archive_set(record=referral, by=by, archived=True)
    referral_marks_refresh([referral.partner_id])
    return archived


@transaction.atomic
def referral_restore(*, referral: Referral, by: User) -> Referral:
    lock(referral)  # before its partner, as in referral_archive
    _lock_partner_of(referral)
    restored = record_archive_set(record=referral, by=by, archived=False)
    referral_marks_refresh([referral.partner_id])
    return restored
