"""Writes of meeting plans (firm admins) and of meetings: schedule, move, cancel, hold."""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.choices import unknown_choice_message
from reciprocity.dates import happened_at, planned_at
from reciprocity.partners.agenda import item_key
from reciprocity.partners.models import (
    CanDescribeValue,
    ContactMethod,
    OrganizationSize,
    Partner,
    Propensity,
    ReferralProcess,
    TouchKind,
)
from reciprocity.partners.services import (
    ARCHIVED_PARTNER,
    partner_update,
    touch_log,
)
from reciprocity.playbook.models import (
    AgendaSnooze,
    Meeting,
    MeetingKind,
    MeetingPlan,
    MeetingPlanItem,
    MeetingPoint,
    MeetingStatus,
    ProfileField,
)
from reciprocity.playbook.services.common import (
    bulk_create_attributed,
    checked_choice,
    ensure_admin_of_firm,
    ensure_partner_writable,
)
from reciprocity.playbook.services.message import message_check_record
from reciprocity.records import lock, model_update

UNKNOWN_MEETING_KIND = unknown_choice_message("meeting kind", MeetingKind)
MEETING_NOT_PLANNED = "Only a planned meeting can be held, moved or cancelled."
POINT_NOT_IN_MEETING = "That point does not belong to this meeting."
INVALID_PROFILE_ANSWER = "This answer fills the partner's {field}; answer with one of: {choices}."
PROMPT_REQUIRED = "Write the point to cover."
UNKNOWN_PROFILE_FIELD = unknown_choice_message("profile field", ProfileField)
MEETING_OF_ANOTHER_PARTNER = "That meeting was with another partner."

# The slug of the agenda source of planned meetings (``playbook.agenda.meetings``), whose keys
# name a meeting without its date.
MEETING_AGENDA_SOURCE = "meeting"


@transaction.atomic
def meeting_plan_update(
    *,
    plan: MeetingPlan,
    by: User,
    name: str | None = None,
    purpose: str | None = None,
    duration_minutes: int | None = None,
) -> MeetingPlan:
    ensure_admin_of_firm(by, plan.firm_id)
    # Locked and read afresh, so two admins changing different fields keep both changes.
    locked = lock(plan)
    model_update(locked, name=name, purpose=purpose, duration_minutes=duration_minutes)
    locked.full_clean(exclude=["firm"])
    attribute(locked, by).save()
    return locked


def _clean_plan_item(item: MeetingPlanItem) -> None:
    item.prompt = item.prompt.strip()
    if not item.prompt:
        raise ValidationError({"prompt": PROMPT_REQUIRED})
    if item.profile_field and item.profile_field not in ProfileField.values:
        raise ValidationError({"profile_field": UNKNOWN_PROFILE_FIELD})
    item.full_clean(exclude=["plan"])


@transaction.atomic
def meeting_plan_item_add(
    *,
    plan: MeetingPlan,
    by: User,
    prompt: str,
    guidance: str = "",
    profile_field: str = "",
    position: int | None = None,
) -> MeetingPlanItem:
    ensure_admin_of_firm(by, plan.firm_id)
    if position is None:
        position = max((item.position for item in plan.items.all()), default=0) + 1
    item = MeetingPlanItem(
        plan=plan,
        prompt=prompt or "",
        guidance=(guidance or "").strip(),
        profile_field=profile_field or "",
        position=position,
    )
    _clean_plan_item(item)
    attribute(item, by).save()
    return item


@transaction.atomic
def meeting_plan_item_update(
    *,
    item: MeetingPlanItem,
    by: User,
    prompt: str | None = None,
    guidance: str | None = None,
    profile_field: str | None = None,
    position: int | None = None,
) -> MeetingPlanItem:
    ensure_admin_of_firm(by, item.plan.firm_id)
    locked = lock(item)
    model_update(locked, prompt=prompt, guidance=guidance, position=position)
    if profile_field is not None:  # a choice, checked as given
        locked.profile_field = profile_field
    _clean_plan_item(locked)
    attribute(locked, by).save()
    return locked


@transaction.atomic
def meeting_plan_item_remove(*, item: MeetingPlanItem, by: User) -> None:
    """Meetings keep their own copy of each point, so removing a template item loses nothing."""
    ensure_admin_of_firm(by, item.plan.firm_id)
    attribute(item, by).delete()


@transaction.atomic
def meeting_schedule(
    *,
    partner: Partner,
    by: User,
    kind: str,
    scheduled_for: dt.datetime,
    duration_minutes: int | None = None,
    location: str = "",
) -> Meeting:
    """Plan a meeting; the firm's plan for its kind is copied in as the points to cover.
    A date in the past is allowed, to log a meeting that already happened."""
    ensure_partner_writable(partner, by)
    checked_choice(kind, MeetingKind.values, UNKNOWN_MEETING_KIND, "kind")
    scheduled_for = planned_at(scheduled_for, "scheduled_for")
    plan = (
        MeetingPlan.objects.filter(firm_id=partner.firm_id, kind=kind)
        .prefetch_related("items")
        .first()
    )
    meeting = Meeting(
        partner_id=partner.pk,
        kind=kind,
        plan=plan,
        scheduled_for=scheduled_for,
        duration_minutes=duration_minutes or (plan.duration_minutes if plan else 45),
        location=(location or "").strip(),
        by=by,
    )
    meeting.full_clean(exclude=["partner", "by", "plan", "touch"])
    attribute(meeting, by).save()
    if plan is not None:
        bulk_create_attributed(
            [
                MeetingPoint(
                    meeting=meeting,
                    plan_item=item,
                    position=item.position,
                    prompt=item.prompt,
                    profile_field=item.profile_field,
                )
                for item in plan.items.all()
            ],
            MeetingPoint,
            by,
        )
    return meeting


def _locked_planned(meeting: Meeting) -> Meeting:
    locked = lock(meeting)
    if locked.status != MeetingStatus.PLANNED:
        raise ValidationError(MEETING_NOT_PLANNED)
    return locked


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    by: User,
    scheduled_for: dt.datetime | None = None,
    duration_minutes: int | None = None,
    location: str | None = None,
) -> Meeting:
    """Move a planned meeting, or change its length or place."""
    ensure_can_write(by)
    locked = _locked_planned(meeting)
    if Partner.objects.filter(pk=locked.partner_id, archived_at__isnull=False).exists():
        raise ValidationError(ARCHIVED_PARTNER)
    if scheduled_for is not None:
        locked.scheduled_for = planned_at(scheduled_for, "scheduled_for")
        # A snooze was for the old date: the moved meeting comes back on the agenda.
        key = item_key(MEETING_AGENDA_SOURCE, locked.partner_id, locked.pk)
        for snooze in AgendaSnooze.objects.filter(key=key):
            attribute(snooze, by).delete()
    model_update(locked, duration_minutes=duration_minutes, location=location)
    locked.full_clean(exclude=["partner", "by", "plan", "touch"])
    attribute(locked, by).save()
    return locked


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User, reason: str = "") -> Meeting:
    ensure_can_write(by)
    locked = _locked_planned(meeting)
    locked.status = MeetingStatus.CANCELLED
    locked.summary = (reason or "").strip()
    attribute(locked, by).save()
    return locked


TEXT_PROFILE_FIELDS = (ProfileField.NICHE, ProfileField.SPECIALTIES, ProfileField.VALUES)
YES_NO = {"yes": True, "true": True, "no": False, "false": False}
CHOICE_PROFILE_FIELDS: dict[str, type[models.TextChoices]] = {
    ProfileField.ORGANIZATION_SIZE: OrganizationSize,
    ProfileField.PROPENSITY_TO_REFER: Propensity,
    ProfileField.PREFERRED_REFERRAL_PROCESS: ReferralProcess,
    ProfileField.PREFERRED_CONTACT_METHOD: ContactMethod,
    ProfileField.CAN_DESCRIBE_VALUE: CanDescribeValue,
}


def _profile_value(field: str, answer: str) -> Any:
    """The profile value an answer stands for, or None when it stands for none."""
    text = answer.strip()
    if field in TEXT_PROFILE_FIELDS:
        return text
    word = text.lower().replace("-", "_").replace(" ", "_")
    if field == ProfileField.GROWTH_MODE:
        return YES_NO.get(word)
    return word if word in CHOICE_PROFILE_FIELDS[field].values else None


def _profile_choices(field: str) -> str:
    if field == ProfileField.GROWTH_MODE:
        return "yes, no"
    return ", ".join(CHOICE_PROFILE_FIELDS[field].values)


def profile_answer_choices(field: str) -> str:
    """The answers a point filling ``field`` accepts ("" for free text), to show beside it."""
    return "" if field in TEXT_PROFILE_FIELDS else _profile_choices(field)


@transaction.atomic
def meeting_hold(
    *,
    meeting: Meeting,
    by: User,
    held_at: dt.datetime | None = None,
    answers: Mapping[int, str] | None = None,
    covered: Iterable[int] = (),
    summary: str = "",
) -> Meeting:
    """Record a meeting as held: what was covered and answered (keyed by point id), the summary,
    and a touch on the timeline. Answers to points that name a profile field fill the profile."""
    ensure_can_write(by)
    locked = _locked_planned(meeting)
    partner = Partner.objects.get(pk=locked.partner_id)
    if partner.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)
    points = {point.pk: point for point in locked.points.all()}
    answers = {int(pk): (text or "").strip() for pk, text in (answers or {}).items()}
    covered_ids = {int(pk) for pk in covered}
    unknown = (set(answers) | covered_ids) - set(points)
    if unknown:
        raise ValidationError({f"point_{min(unknown)}": POINT_NOT_IN_MEETING})
    profile: dict[str, Any] = {}
    errors = {}
    for pk, point in points.items():
        answer = answers.get(pk, "")
        if answer and point.profile_field:
            value = _profile_value(point.profile_field, answer)
            if value is None:
                errors[f"point_{pk}"] = INVALID_PROFILE_ANSWER.format(
                    field=ProfileField(point.profile_field).label.lower(),
                    choices=_profile_choices(point.profile_field),
                )
            else:
                profile[point.profile_field] = value
    if errors:
        raise ValidationError(errors)
    when = happened_at(held_at)
    for pk, point in points.items():
        answer = answers.get(pk, point.answer)
        is_covered = bool(answer) or pk in covered_ids or point.covered
        if (answer, is_covered) != (point.answer, point.covered):
            point.answer, point.covered = answer, is_covered
            attribute(point, by).save(update_fields=["answer", "covered"])
    check = profile.pop(ProfileField.CAN_DESCRIBE_VALUE, None)
    if profile:
        partner_update(partner=partner, by=by, **profile)
    if check in (CanDescribeValue.YES, CanDescribeValue.NO):
        message_check_record(partner=partner, by=by, result=check, occurred_at=when)
    elif check is not None:
        partner_update(partner=partner, by=by, can_describe_value=check)
    locked.touch = touch_log(
        partner=partner,
        by=by,
        kind=TouchKind.EVENT if locked.kind == MeetingKind.CLIENT_EVENT else TouchKind.MEETING,
        summary=(summary or "").strip()[:500] or f"{locked.get_kind_display()} held",
        occurred_at=when,
    )
    locked.status = MeetingStatus.HELD
    locked.held_at = when
    locked.summary = (summary or "").strip()
    attribute(locked, by).save()
    return locked
