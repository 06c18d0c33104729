"""Every write of the playbook: one transaction each, attributed to the user who acts."""

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from reciprocity.accounts.audit import attribute, current_source
from reciprocity.accounts.models import Firm, Role, User
from reciprocity.partners.models import (
    CanDescribeValue,
    Commitment,
    CommitmentOwner,
    CommitmentStatus,
    ContactMethod,
    OrganizationSize,
    Partner,
    Propensity,
    ReferralProcess,
    Stage,
    Touch,
    TouchKind,
)
from reciprocity.partners.selectors import commitment_get_for, partner_get_for
from reciprocity.partners.services import (
    ARCHIVED_PARTNER,
    IN_THE_FUTURE,
    UNKNOWN_STAGE,
    _not_in_future,
    commitment_create,
    commitment_update,
    ensure_can_write,
    partner_update,
    touch_log,
)
from reciprocity.playbook import defaults
from reciprocity.playbook.agenda import (
    UNKNOWN_AGENDA_ITEM,
    agenda_completer,
    item_key,
    parse_item_key,
    register_agenda_completer,
)
from reciprocity.playbook.models import (
    CADENCE_COMPLETION_TOUCH,
    CADENCE_TOUCH_KINDS,
    OPEN_OPPORTUNITY_STATUSES,
    STRATEGY_OF_CONCERN,
    AdvisorProfile,
    AgendaSnooze,
    Agreement,
    AgreementPromise,
    AgreementStatus,
    Cadence,
    CadenceDefault,
    CadenceKind,
    CalendarFeed,
    CaseQuestion,
    CaseStatus,
    ClientCase,
    ClientConcern,
    ConcernSource,
    ConcernStatus,
    DiagnosticQuestion,
    Meeting,
    MeetingKind,
    MeetingPlan,
    MeetingPlanItem,
    MeetingPoint,
    MeetingStatus,
    MessageCheck,
    Opportunity,
    OpportunityStatus,
    PartnerStrategy,
    ProfileField,
    Solution,
    Strategy,
    Topic,
)
from reciprocity.playbook.selectors.cadences import cadences_of
from reciprocity.playbook.selectors.meetings import meeting_get_for
from reciprocity.playbook.selectors.strategies import opportunity_get_for, strategy_of
from reciprocity.referrals.models import Direction, Kind, Referral, ReferralStep
from reciprocity.referrals.selectors import referral_step_get_for
from reciprocity.referrals.services import referral_step_skip

# User-facing messages; tests reuse them.
FIRM_ADMIN_ONLY = "Only a firm admin can change the firm's playbook."
MESSAGE_REQUIRED = "Write both halves of your message: whom you help, and what is unique about you."
MESSAGE_TOO_LONG = "Keep each half under 300 characters: a partner has to be able to repeat it."
UNKNOWN_CHECK_RESULT = "Say whether they could say it back: yes or no."
UNKNOWN_MEETING_KIND = "Unknown meeting kind. Use one of: " + ", ".join(MeetingKind.values) + "."
MEETING_NOT_PLANNED = "Only a planned meeting can be held, moved or cancelled."
POINT_NOT_IN_MEETING = "That point does not belong to this meeting."
INVALID_PROFILE_ANSWER = "This answer fills the partner's {field}; answer with one of: {choices}."
PROMPT_REQUIRED = "Write the point to cover."
UNKNOWN_PROFILE_FIELD = "Unknown profile field. Use one of: " + ", ".join(ProfileField.values) + "."
AGREEMENT_NEEDS_BOTH_SIDES = (
    "Write what each side will do: at least one promise by the advisor and one by the partner."
)
PROMISE_EMPTY = "Every promise needs a description."
UNKNOWN_OWNER = "A promise is made by the advisor or by the partner."
UNKNOWN_PROCESS = "Choose how referrals will be passed: " + ", ".join(ReferralProcess.values) + "."
REVIEW_NOT_AFTER_AGREEMENT = "The next review must come after the day the agreement is made."
AGREED_IN_FUTURE = "An agreement is recorded once it is made; that date is in the future."
MEETING_OF_ANOTHER_PARTNER = "That meeting was with another partner."
AGREEMENT_NOT_ACTIVE = "Only an active agreement can be ended."
REASON_REQUIRED = "Say why."
UNKNOWN_CADENCE_KIND = "Unknown cadence. Use one of: " + ", ".join(CadenceKind.values) + "."
INTERVAL_REQUIRED = "Say how many months apart: 1 to 36."
INTERVAL_RANGE = "An interval is 1 to 36 months."
CADENCE_TOUCH_MISMATCH = "That touch does not count for this cadence. Use one of: {choices}."
SNOOZE_NEEDS_REASON = "Say why you are putting this off."
SNOOZE_NOT_AFTER_TODAY = "Snooze until a day after today."
SNOOZE_TOO_LONG = "Snooze for a year at most; drop the item if it no longer matters."
UNKNOWN_STRATEGY = "Unknown strategy. Use one of: " + ", ".join(Strategy.values) + "."
SAME_STRATEGY = "The partner is already on that strategy."
STRATEGY_BEFORE_LAST = "A strategy switch cannot be dated before the partner's last switch."
UNKNOWN_TOPIC = "Unknown topic. Use one of: " + ", ".join(Topic.values) + "."
UNKNOWN_CONCERN_SOURCE = "Say where it came from: " + ", ".join(ConcernSource.values) + "."
DESCRIPTION_REQUIRED = "Describe it in a sentence or two."
CONCERN_DISMISSED = "This concern was dismissed; log it again if it comes back."
SOLUTION_NOT_IN_FIRM = "Choose an entry of your firm's library."
ALREADY_MATCHED = "This concern is already matched to that entry."
TITLE_REQUIRED = "Give it a title."
TITLE_TAKEN = "Your firm's library already has an entry with that title."
SOLUTION_NEEDS_TEXT = "Describe the problem and how you solve it."
QUESTION_REQUIRED = "Write the question."
QUESTION_TAKEN = "That question is already in the bank for this topic."
ALIAS_REQUIRED = "Give the client a label (never their name), such as 'Client A'."
CASE_NEEDS_TOPIC = "Choose at least one topic to draw questions from."
CASE_QUESTION_COUNT = "Draw between 8 and 12 questions."
CASE_TOO_MANY_QUESTIONS = "A case takes at most 12 diagnostic questions."
CASE_NEEDS_ANSWERS = "Answer at least 8 diagnostic questions before the case is ready."
CASE_NEEDS_SOLUTION = "Write the solution you will bring before the case is ready."
CASE_IS_READY = "This case is ready and can no longer change."
QUESTION_NOT_IN_FIRM = "Choose questions from your firm's bank."
QUESTION_NOT_IN_CASE = "That question does not belong to this case."
OPPORTUNITY_NOT_OPEN = "The meeting was already requested, or the opportunity is closed."
OPPORTUNITY_CLOSED = "This opportunity is already closed."
UNKNOWN_OUTCOME = "An opportunity ends referred or declined."
ASK_BY_IN_PAST = "Choose a day from today on to ask for the meeting."
REFERRAL_NOT_RECEIVED = "Choose a referral received from the partner, not one you sent."
REFERRAL_IS_CONNECTION = "Choose a referral of a prospect: a connection is not a client."
REFERRAL_OF_ANOTHER_PARTNER = "That referral came from another partner."
REFERRAL_ARCHIVED = "That referral is archived; restore it before linking it."
REFERRAL_TAKEN = "That referral is already linked to another opportunity."
REFERRAL_BEFORE_REQUEST = (
    "That referral came in before you asked for the meeting, so this opportunity did not "
    "produce it."
)
OPPORTUNITY_DECLINED = "This opportunity was declined: it produced no referral to link."
OPPORTUNITY_LINKED = "This opportunity is already linked to a referral."
OPPORTUNITY_NOT_LINKED = "This opportunity is not linked to a referral."
REFERRAL_ONLY_IF_REFERRED = "Only an opportunity closed as referred is linked to a referral."

# The number of diagnostic questions a case may hold, and must have answered to be ready.
CASE_MIN_ANSWERS = 8
CASE_MAX_QUESTIONS = 12
CASE_DEFAULT_QUESTIONS = 10
MESSAGE_MAX_CHARS = 300
# A new opportunity is due on the agenda this many days later, as the meeting request.
OPPORTUNITY_ASK_WITHIN_DAYS = 7
SNOOZE_MAX_DAYS = 366


def _today() -> dt.date:
    return timezone.localdate()


def _ensure_partner_writable(partner: Partner, by: User) -> None:
    ensure_can_write(by)
    if partner.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)


def _ensure_firm_admin(by: User, firm_id: int | None) -> int:
    """Firm templates are edited by the firm's admins; another firm's rows do not exist.
    Returns the firm's id."""
    if firm_id is None or by.firm_id != firm_id:
        raise Http404
    if by.role != Role.FIRM_ADMIN:
        raise PermissionDenied(FIRM_ADMIN_ONLY)
    return firm_id


def _choice(value: str, allowed: Sequence[str], message: str, field: str) -> str:
    if value not in allowed:
        raise ValidationError({field: message})
    return value


def _bulk_create[M: models.Model](objs: list[M], model: type[M], by: User | None) -> list[M]:
    """Insert many rows at once, with their history rows attributed like single saves."""
    return bulk_create_with_history(
        objs,
        model,
        default_user=by,
        custom_historical_attrs={"history_source": current_source()},
    )


# --- Firm defaults --------------------------------------------------------------------------


@transaction.atomic
def firm_defaults_install(*, firm: Firm, by: User | None = None) -> None:
    """Give a firm the starter playbook. Idempotent: a firm that already has a meeting plan of a
    kind, or any cadence default, question or library entry, keeps its own."""
    existing_kinds = set(MeetingPlan.objects.filter(firm=firm).values_list("kind", flat=True))
    for seed in defaults.MEETING_PLANS:
        if seed.kind in existing_kinds:
            continue
        plan = attribute(
            MeetingPlan(
                firm=firm,
                kind=seed.kind,
                name=seed.name,
                purpose=seed.purpose,
                duration_minutes=seed.duration_minutes,
            ),
            by,
        )
        plan.save()
        _bulk_create(
            [
                MeetingPlanItem(
                    plan=plan,
                    position=position,
                    prompt=item.prompt,
                    guidance=item.guidance,
                    profile_field=item.profile_field,
                )
                for position, item in enumerate(seed.items, start=1)
            ],
            MeetingPlanItem,
            by,
        )
    if not CadenceDefault.objects.filter(firm=firm).exists():
        _bulk_create(
            [
                CadenceDefault(
                    firm=firm,
                    stage=seed.stage,
                    kind=seed.kind,
                    interval_months=seed.interval_months,
                )
                for seed in defaults.CADENCE_DEFAULTS
            ],
            CadenceDefault,
            by,
        )
    if not DiagnosticQuestion.objects.filter(firm=firm).exists():
        _bulk_create(
            [
                DiagnosticQuestion(firm=firm, topic=topic, text=text, position=position)
                for topic, texts in defaults.QUESTION_BANK.items()
                for position, text in enumerate(texts, start=1)
            ],
            DiagnosticQuestion,
            by,
        )
    if not Solution.objects.filter(firm=firm).exists():
        _bulk_create(
            [
                Solution(
                    firm=firm,
                    title=seed.title,
                    topic=seed.topic,
                    problem=seed.problem,
                    approach=seed.approach,
                    keywords=seed.keywords,
                )
                for seed in defaults.SOLUTIONS
            ],
            Solution,
            by,
        )


# --- The advisor's message ------------------------------------------------------------------


def _profile_for_update(user: User) -> AdvisorProfile:
    profile, _ = AdvisorProfile.objects.select_for_update().get_or_create(user=user)
    return profile


@transaction.atomic
def advisor_message_set(*, by: User, whom_i_help: str, what_is_unique: str) -> AdvisorProfile:
    """Write the message every partner should be able to say back."""
    whom, unique = (whom_i_help or "").strip(), (what_is_unique or "").strip()
    errors = {}
    for field, value in (("whom_i_help", whom), ("what_is_unique", unique)):
        if not value:
            errors[field] = MESSAGE_REQUIRED
        elif len(value) > MESSAGE_MAX_CHARS:
            errors[field] = MESSAGE_TOO_LONG
    if errors:
        raise ValidationError(errors)
    profile = _profile_for_update(by)
    profile.whom_i_help, profile.what_is_unique = whom, unique
    attribute(profile, by).save()
    return profile


@transaction.atomic
def advisor_digest_set(*, by: User, weekly_digest: bool) -> AdvisorProfile:
    profile = _profile_for_update(by)
    profile.weekly_digest = bool(weekly_digest)
    attribute(profile, by).save()
    return profile


@transaction.atomic
def message_check_record(
    *,
    partner: Partner,
    by: User,
    result: str,
    heard: str = "",
    occurred_at: dt.datetime | None = None,
) -> MessageCheck:
    """Record whether the partner could say the message back; their profile follows."""
    _ensure_partner_writable(partner, by)
    _choice(result, [CanDescribeValue.YES, CanDescribeValue.NO], UNKNOWN_CHECK_RESULT, "result")
    check = MessageCheck(
        partner_id=partner.pk,
        result=result,
        heard=(heard or "").strip(),
        checked_at=_not_in_future(occurred_at),
        by=by,
    )
    attribute(check, by).save()
    if partner.can_describe_value != result:
        partner_update(partner=partner, by=by, can_describe_value=result)
    return check


# --- Meeting plans --------------------------------------------------------------------------


@transaction.atomic
def meeting_plan_update(
    *,
    plan: MeetingPlan,
    by: User,
    name: str | None = None,
    purpose: str | None = None,
    duration_minutes: int | None = None,
) -> MeetingPlan:
    _ensure_firm_admin(by, plan.firm_id)
    # Locked and read afresh, so two admins changing different fields keep both changes.
    locked = MeetingPlan.objects.select_for_update().get(pk=plan.pk)
    if name is not None:
        locked.name = name.strip()
    if purpose is not None:
        locked.purpose = purpose.strip()
    if duration_minutes is not None:
        locked.duration_minutes = duration_minutes
    locked.full_clean(exclude=["firm"])
    attribute(locked, by).save()
    plan.__dict__.update(locked.__dict__)
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
    _ensure_firm_admin(by, plan.firm_id)
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
    _ensure_firm_admin(by, item.plan.firm_id)
    locked = MeetingPlanItem.objects.select_for_update().get(pk=item.pk)
    if prompt is not None:
        locked.prompt = prompt
    if guidance is not None:
        locked.guidance = guidance.strip()
    if profile_field is not None:
        locked.profile_field = profile_field
    if position is not None:
        locked.position = position
    _clean_plan_item(locked)
    attribute(locked, by).save()
    item.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def meeting_plan_item_remove(*, item: MeetingPlanItem, by: User) -> None:
    """Meetings keep their own copy of each point, so removing a template item loses nothing."""
    _ensure_firm_admin(by, item.plan.firm_id)
    attribute(item, by).delete()


# --- Meetings -------------------------------------------------------------------------------


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
    _ensure_partner_writable(partner, by)
    _choice(kind, MeetingKind.values, UNKNOWN_MEETING_KIND, "kind")
    if timezone.is_naive(scheduled_for):
        scheduled_for = timezone.make_aware(scheduled_for)
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
        _bulk_create(
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
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
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
        locked.scheduled_for = (
            timezone.make_aware(scheduled_for)
            if timezone.is_naive(scheduled_for)
            else scheduled_for
        )
        # A snooze was for the old date: the moved meeting comes back on the agenda.
        key = item_key("meeting", locked.partner_id, locked.pk)
        for snooze in AgendaSnooze.objects.filter(key=key):
            attribute(snooze, by).delete()
    if duration_minutes is not None:
        locked.duration_minutes = duration_minutes
    if location is not None:
        locked.location = location.strip()
    locked.full_clean(exclude=["partner", "by", "plan", "touch"])
    attribute(locked, by).save()
    meeting.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User, reason: str = "") -> Meeting:
    ensure_can_write(by)
    locked = _locked_planned(meeting)
    locked.status = MeetingStatus.CANCELLED
    locked.summary = (reason or "").strip()
    attribute(locked, by).save()
    meeting.__dict__.update(locked.__dict__)
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
    when = _not_in_future(held_at)
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
    meeting.__dict__.update(locked.__dict__)
    return locked


# --- Agreements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseInput:
    owner: str  # "advisor" or "partner"
    what: str
    due: dt.date | None = None  # defaults to the next review


def _keep_in_touch_from_cadences(partner: Partner) -> str:
    running = cadences_of(partner=partner)
    return "; ".join(c.description for c in running) or "Agree how to keep in touch."


@transaction.atomic
def agreement_create(
    *,
    partner: Partner,
    by: User,
    promises: Sequence[PromiseInput],
    referral_process: str,
    next_review: dt.date,
    keep_in_touch: str = "",
    agreed_on: dt.date | None = None,
    meeting: Meeting | None = None,
    notes: str = "",
) -> Agreement:
    """Write down the partnership: it replaces any active agreement, each promise becomes a
    commitment, and the review becomes the advisor's commitment on the review date."""
    _ensure_partner_writable(partner, by)
    agreed_on = agreed_on or _today()
    errors: dict[str, str] = {}
    cleaned = [PromiseInput(p.owner, (p.what or "").strip(), p.due) for p in promises]
    if any(p.owner not in CommitmentOwner.values for p in cleaned):
        errors["promises"] = UNKNOWN_OWNER
    elif any(not p.what for p in cleaned):
        errors["promises"] = PROMISE_EMPTY
    elif {p.owner for p in cleaned} != set(CommitmentOwner.values):
        errors["promises"] = AGREEMENT_NEEDS_BOTH_SIDES
    if referral_process not in ReferralProcess.values:
        errors["referral_process"] = UNKNOWN_PROCESS
    if agreed_on > _today():
        errors["agreed_on"] = AGREED_IN_FUTURE
    elif next_review <= agreed_on:
        errors["next_review"] = REVIEW_NOT_AFTER_AGREEMENT
    if meeting is not None and meeting.partner_id != partner.pk:
        errors["meeting"] = MEETING_OF_ANOTHER_PARTNER
    if errors:
        raise ValidationError(errors)
    Partner.objects.select_for_update().only("pk").get(pk=partner.pk)
    for previous in Agreement.objects.select_for_update().filter(
        partner_id=partner.pk, status=AgreementStatus.ACTIVE
    ):
        _close_agreement(previous, by, AgreementStatus.SUPERSEDED, "Replaced by a new agreement.")
    review = commitment_create(
        partner=partner,
        by=by,
        what=f"Review the agreement with {partner.name}",
        owner=CommitmentOwner.ADVISOR,
        due=next_review,
    )
    agreement = Agreement(
        partner_id=partner.pk,
        meeting=meeting,
        referral_process=referral_process,
        keep_in_touch=(keep_in_touch or "").strip() or _keep_in_touch_from_cadences(partner),
        agreed_on=agreed_on,
        next_review=next_review,
        review_commitment=review,
        notes=(notes or "").strip(),
        by=by,
    )
    agreement.full_clean(exclude=["partner", "by", "meeting", "review_commitment"])
    attribute(agreement, by).save()
    for position, promise in enumerate(cleaned, start=1):
        commitment = commitment_create(
            partner=partner,
            by=by,
            what=promise.what,
            owner=promise.owner,
            due=promise.due or next_review,
        )
        attribute(
            AgreementPromise(
                agreement=agreement,
                owner=promise.owner,
                what=promise.what,
                position=position,
                commitment=commitment,
            ),
            by,
        ).save()
    if partner.preferred_referral_process != referral_process:
        partner_update(partner=partner, by=by, preferred_referral_process=referral_process)
    return agreement


def _close_agreement(agreement: Agreement, by: User, status: str, reason: str) -> None:
    agreement.status = status
    agreement.ended_at = timezone.now()
    agreement.end_reason = reason
    attribute(agreement, by).save()
    review = agreement.review_commitment
    if review is not None and review.status == CommitmentStatus.OPEN:
        commitment_update(commitment=review, by=by, status=CommitmentStatus.DROPPED)


@transaction.atomic
def agreement_end(*, agreement: Agreement, by: User, reason: str) -> Agreement:
    """End the partnership on paper; the record stays, with its history."""
    ensure_can_write(by)
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status != AgreementStatus.ACTIVE:
        raise ValidationError(AGREEMENT_NOT_ACTIVE)
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    _close_agreement(locked, by, AgreementStatus.ENDED, reason.strip()[:300])
    return locked


# --- Cadences -------------------------------------------------------------------------------


def _clean_interval(kind: str, interval_months: int | None) -> int | None:
    if interval_months is None:
        if kind != CadenceKind.NEWSLETTER:
            raise ValidationError({"interval_months": INTERVAL_REQUIRED})
        return None
    if not 1 <= int(interval_months) <= 36:
        raise ValidationError({"interval_months": INTERVAL_RANGE})
    return int(interval_months)


@transaction.atomic
def cadence_default_set(
    *, by: User, stage: str, kind: str, interval_months: int | None
) -> CadenceDefault:
    """Set the firm's rhythm of one kind for partners in one stage."""
    firm_id = _ensure_firm_admin(by, by.firm_id)
    _choice(stage, Stage.values, UNKNOWN_STAGE, "stage")
    _choice(kind, CadenceKind.values, UNKNOWN_CADENCE_KIND, "kind")
    interval = _clean_interval(kind, interval_months)
    row = CadenceDefault.objects.select_for_update().filter(
        firm_id=firm_id, stage=stage, kind=kind
    ).first() or CadenceDefault(firm_id=firm_id, stage=stage, kind=kind)
    row.interval_months = interval
    attribute(row, by).save()
    return row


@transaction.atomic
def cadence_default_remove(*, by: User, stage: str, kind: str) -> None:
    firm_id = _ensure_firm_admin(by, by.firm_id)
    for row in CadenceDefault.objects.filter(firm_id=firm_id, stage=stage, kind=kind):
        attribute(row, by).delete()


@transaction.atomic
def cadence_set(
    *,
    partner: Partner,
    by: User,
    kind: str,
    enabled: bool = True,
    interval_months: int | None = None,
) -> Cadence:
    """Override the firm's default for this partner: another interval, or off."""
    _ensure_partner_writable(partner, by)
    _choice(kind, CadenceKind.values, UNKNOWN_CADENCE_KIND, "kind")
    interval = _clean_interval(kind, interval_months) if enabled else None
    row = Cadence.objects.select_for_update().filter(
        partner_id=partner.pk, kind=kind
    ).first() or Cadence(partner_id=partner.pk, kind=kind, by=by)
    row.enabled, row.interval_months, row.by = bool(enabled), interval, by
    attribute(row, by).save()
    return row


@transaction.atomic
def cadence_reset(*, partner: Partner, by: User, kind: str) -> None:
    """Drop the override: the firm's default for the partner's stage applies again."""
    _ensure_partner_writable(partner, by)
    for row in Cadence.objects.filter(partner_id=partner.pk, kind=kind):
        attribute(row, by).delete()


@transaction.atomic
def cadence_complete(
    *,
    partner: Partner,
    by: User,
    kind: str,
    touch_kind: str | None = None,
    summary: str = "",
    occurred_at: dt.datetime | None = None,
) -> Touch:
    """Complete a cadence item by logging the touch it asks for; the next one is due an
    interval later."""
    _choice(kind, CadenceKind.values, UNKNOWN_CADENCE_KIND, "kind")
    touch_kind = touch_kind or CADENCE_COMPLETION_TOUCH[kind]
    if touch_kind not in CADENCE_TOUCH_KINDS[kind]:
        raise ValidationError(
            {
                "touch_kind": CADENCE_TOUCH_MISMATCH.format(
                    choices=", ".join(CADENCE_TOUCH_KINDS[kind])
                )
            }
        )
    default_summary = {
        CadenceKind.TOUCH_BASE: "Touched base",
        CadenceKind.ANNUAL_REVIEW: "Annual review of the clients referred",
        CadenceKind.NEWSLETTER: "Newsletter sent",
    }[CadenceKind(kind)]
    return touch_log(
        partner=partner,
        by=by,
        kind=touch_kind,
        summary=(summary or "").strip() or default_summary,
        occurred_at=occurred_at,
    )


# --- The agenda -----------------------------------------------------------------------------


def _agenda_partner(by: User, key: str) -> tuple[Partner, str, str]:
    parsed = parse_item_key(key)
    if parsed is None:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    partner = partner_get_for(advisor=by, pk=parsed.partner_id, include_archived=False)
    return partner, parsed.source, parsed.reference


@transaction.atomic
def agenda_snooze(
    *, by: User, key: str, until: dt.date, reason: str, today: dt.date | None = None
) -> AgendaSnooze:
    """Put an agenda item off until a day, with the reason; it comes back on that day."""
    ensure_can_write(by)
    partner, _, _ = _agenda_partner(by, key)
    today = today or _today()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": SNOOZE_NEEDS_REASON})
    if until <= today:
        raise ValidationError({"until": SNOOZE_NOT_AFTER_TODAY})
    if (until - today).days > SNOOZE_MAX_DAYS:
        raise ValidationError({"until": SNOOZE_TOO_LONG})
    snooze = AgendaSnooze.objects.select_for_update().filter(
        advisor_id=by.pk, key=key
    ).first() or AgendaSnooze(advisor=by, key=key, partner=partner)
    snooze.until, snooze.reason = until, reason[:300]
    attribute(snooze, by).save()
    return snooze


@transaction.atomic
def agenda_unsnooze(*, by: User, key: str) -> None:
    ensure_can_write(by)
    for snooze in AgendaSnooze.objects.filter(advisor_id=by.pk, key=key):
        attribute(snooze, by).delete()


@transaction.atomic
def agenda_complete(*, by: User, key: str, **options: Any) -> Any:
    """Complete any agenda item in place. Options: ``touch_kind``, ``summary``, ``occurred_at``
    (each source uses what applies). Returns what recorded the completion."""
    ensure_can_write(by)
    partner, source, reference = _agenda_partner(by, key)
    completer = agenda_completer(source)
    if completer is None:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    result = completer(by, partner, reference, options)
    for snooze in AgendaSnooze.objects.filter(advisor_id=by.pk, key=key):
        attribute(snooze, by).delete()
    return result


@transaction.atomic
def agenda_set_aside(*, by: User, key: str) -> Commitment | ReferralStep:
    """Take an item off the agenda undone: drop a commitment, or skip a referral's step (it
    stays on the referral's checklist, marked skipped). Returns the record it changed."""
    parsed = parse_item_key(key)
    if parsed is not None and parsed.source == "referral_step":
        step = referral_step_get_for(advisor=by, pk=parsed.reference)
        if step.referral.partner_id != parsed.partner_id:
            raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
        return referral_step_skip(step=step, by=by)
    if parsed is None or parsed.source != "commitment":
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    commitment = commitment_get_for(advisor=by, pk=parsed.reference)
    if commitment.partner_id != parsed.partner_id:
        raise Http404("No commitment with that id.")
    return commitment_update(commitment=commitment, by=by, status=CommitmentStatus.DROPPED)


def _complete_commitment(
    by: User, partner: Partner, reference: str, options: dict[str, Any]
) -> Commitment:
    commitment = commitment_get_for(advisor=by, pk=reference)
    if commitment.partner_id != partner.pk:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    return commitment_update(
        commitment=commitment,
        by=by,
        status=CommitmentStatus.DONE,
        touch_kind=options.get("touch_kind"),
        touch_summary=options.get("summary", ""),
        occurred_at=options.get("occurred_at"),
    )


def _complete_cadence(by: User, partner: Partner, reference: str, options: dict[str, Any]) -> Touch:
    kind = reference.split(":", 1)[0]
    if kind not in CadenceKind.values:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    return cadence_complete(
        partner=partner,
        by=by,
        kind=kind,
        touch_kind=options.get("touch_kind"),
        summary=options.get("summary", ""),
        occurred_at=options.get("occurred_at"),
    )


def _complete_opportunity(
    by: User, partner: Partner, reference: str, options: dict[str, Any]
) -> Opportunity:
    opportunity = opportunity_get_for(advisor=by, pk=reference)
    if opportunity.partner_id != partner.pk:
        raise ValidationError({"key": UNKNOWN_AGENDA_ITEM})
    return opportunity_request_meeting(
        opportunity=opportunity,
        by=by,
        touch_kind=options.get("touch_kind") or TouchKind.CALL,
        note=options.get("summary", ""),
        occurred_at=options.get("occurred_at"),
    )


def _complete_meeting(
    by: User, partner: Partner, reference: str, options: dict[str, Any]
) -> Meeting:
    meeting = meeting_get_for(advisor=by, pk=reference, partner_id=partner.pk)
    return meeting_hold(
        meeting=meeting,
        by=by,
        held_at=options.get("occurred_at"),
        summary=options.get("summary", ""),
    )


register_agenda_completer("commitment", _complete_commitment)
register_agenda_completer("cadence", _complete_cadence)
register_agenda_completer("opportunity", _complete_opportunity)
register_agenda_completer("meeting", _complete_meeting)


# --- Strategies -----------------------------------------------------------------------------


@transaction.atomic
def strategy_set(
    *,
    partner: Partner,
    by: User,
    strategy: str,
    note: str = "",
    occurred_at: dt.datetime | None = None,
) -> PartnerStrategy:
    """Switch the referral strategy run with a partner; the history of switches stays."""
    _ensure_partner_writable(partner, by)
    _choice(strategy, Strategy.values, UNKNOWN_STRATEGY, "strategy")
    # Lock the partner so two switches at once cannot both pass the checks below.
    Partner.objects.select_for_update().only("pk").get(pk=partner.pk)
    current = PartnerStrategy.objects.filter(partner_id=partner.pk).order_by("-started_at", "-pk")
    latest = current.first()
    if (latest.strategy if latest else Strategy.CLIENT_REQUESTED) == strategy:
        raise ValidationError({"strategy": SAME_STRATEGY})
    when = _not_in_future(occurred_at)
    if latest is not None and when < latest.started_at:
        raise ValidationError({"occurred_at": STRATEGY_BEFORE_LAST})
    change = PartnerStrategy(
        partner_id=partner.pk,
        strategy=strategy,
        started_at=when,
        note=(note or "").strip(),
        by=by,
    )
    attribute(change, by).save()
    return change


# --- The "what we solve" library ------------------------------------------------------------

SOLUTION_FIELDS = ("title", "topic", "problem", "approach", "keywords")


def _clean_solution(solution: Solution) -> None:
    solution.title = solution.title.strip()
    solution.problem, solution.approach = solution.problem.strip(), solution.approach.strip()
    solution.keywords = ", ".join(solution.keyword_list)
    if not solution.title:
        raise ValidationError({"title": TITLE_REQUIRED})
    if not solution.problem or not solution.approach:
        raise ValidationError({"problem": SOLUTION_NEEDS_TEXT})
    if solution.topic and solution.topic not in Topic.values:
        raise ValidationError({"topic": UNKNOWN_TOPIC})
    clash = Solution.objects.filter(firm_id=solution.firm_id, title__iexact=solution.title)
    if clash.exclude(pk=solution.pk).exists():
        raise ValidationError({"title": TITLE_TAKEN})
    solution.full_clean(exclude=["firm"])


@transaction.atomic
def solution_create(
    *, by: User, title: str, problem: str, approach: str, topic: str = "", keywords: str = ""
) -> Solution:
    firm_id = _ensure_firm_admin(by, by.firm_id)
    solution = Solution(
        firm_id=firm_id,
        title=title or "",
        topic=topic or "",
        problem=problem or "",
        approach=approach or "",
        keywords=keywords or "",
    )
    _clean_solution(solution)
    attribute(solution, by).save()
    return solution


@transaction.atomic
def solution_update(*, solution: Solution, by: User, **changes: Any) -> Solution:
    _ensure_firm_admin(by, solution.firm_id)
    unknown = set(changes) - set(SOLUTION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    locked = Solution.objects.select_for_update().get(pk=solution.pk)
    for field, value in changes.items():
        setattr(locked, field, value or "")
    _clean_solution(locked)
    attribute(locked, by).save()
    solution.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def solution_archive(*, solution: Solution, by: User) -> Solution:
    """Archived entries stop matching; the opportunities they produced keep them."""
    _ensure_firm_admin(by, solution.firm_id)
    if solution.archived_at is None:
        solution.archived_at = timezone.now()
        attribute(solution, by).save(update_fields=["archived_at"])
    return solution


# --- Client concerns ------------------------------------------------------------------------


@transaction.atomic
def concern_log(
    *,
    partner: Partner,
    by: User,
    source: str,
    description: str,
    topic: str = "",
    heard_on: dt.date | None = None,
) -> ClientConcern:
    """Add to the partner's inventory a concern one of their clients voiced
    (``client_complaint``) or a problem the partner sees (``identified_problem``)."""
    _ensure_partner_writable(partner, by)
    _choice(source, ConcernSource.values, UNKNOWN_CONCERN_SOURCE, "source")
    if topic:
        _choice(topic, Topic.values, UNKNOWN_TOPIC, "topic")
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": DESCRIPTION_REQUIRED})
    heard_on = heard_on or _today()
    if heard_on > _today():
        raise ValidationError({"heard_on": IN_THE_FUTURE})
    concern = ClientConcern(
        partner_id=partner.pk,
        source=source,
        description=description,
        topic=topic or "",
        heard_on=heard_on,
        by=by,
    )
    attribute(concern, by).save()
    return concern


@transaction.atomic
def concern_dismiss(*, concern: ClientConcern, by: User) -> ClientConcern:
    ensure_can_write(by)
    if concern.status != ConcernStatus.DISMISSED:
        concern.status = ConcernStatus.DISMISSED
        attribute(concern, by).save(update_fields=["status"])
    return concern


def _ask_by(ask_by: dt.date | None) -> dt.date:
    if ask_by is None:
        return _today() + dt.timedelta(days=OPPORTUNITY_ASK_WITHIN_DAYS)
    if ask_by < _today():
        raise ValidationError({"ask_by": ASK_BY_IN_PAST})
    return ask_by


@transaction.atomic
def concern_match(
    *,
    concern: ClientConcern,
    solution: Solution,
    by: User,
    proposal: str = "",
    ask_by: dt.date | None = None,
) -> Opportunity:
    """Match a concern with a library entry: an opportunity to bring the solution to the
    partner and ask for a meeting with the client."""
    partner = Partner.objects.get(pk=concern.partner_id)
    _ensure_partner_writable(partner, by)
    locked = ClientConcern.objects.select_for_update().get(pk=concern.pk)
    if locked.status == ConcernStatus.DISMISSED:
        raise ValidationError(CONCERN_DISMISSED)
    if solution.firm_id != partner.firm_id or solution.archived_at is not None:
        raise ValidationError({"solution": SOLUTION_NOT_IN_FIRM})
    if Opportunity.objects.filter(concern=locked, solution=solution).exists():
        raise ValidationError({"solution": ALREADY_MATCHED})
    opportunity = Opportunity(
        partner=partner,
        strategy=STRATEGY_OF_CONCERN[ConcernSource(locked.source)],
        title=f"{solution.title}: {locked.description[:120]}"[:200],
        proposal=(proposal or "").strip() or solution.approach,
        concern=locked,
        solution=solution,
        ask_by=_ask_by(ask_by),
        by=by,
    )
    attribute(opportunity, by).save()
    if locked.status != ConcernStatus.MATCHED:
        locked.status = ConcernStatus.MATCHED
        attribute(locked, by).save(update_fields=["status"])
    concern.status = locked.status
    return opportunity


# --- The question bank ----------------------------------------------------------------------


def _clean_question(question: DiagnosticQuestion) -> None:
    question.text = question.text.strip()
    if not question.text:
        raise ValidationError({"text": QUESTION_REQUIRED})
    _choice(question.topic, Topic.values, UNKNOWN_TOPIC, "topic")
    clash = DiagnosticQuestion.objects.filter(
        firm_id=question.firm_id, topic=question.topic, text__iexact=question.text
    )
    if clash.exclude(pk=question.pk).exists():
        raise ValidationError({"text": QUESTION_TAKEN})
    question.full_clean(exclude=["firm"])


def _save_question(question: DiagnosticQuestion, by: User) -> None:
    try:
        with transaction.atomic():
            attribute(question, by).save()
    except IntegrityError:
        # Another admin saved the same question in the same topic a moment ago.
        raise ValidationError({"text": QUESTION_TAKEN}) from None


@transaction.atomic
def question_create(
    *, by: User, topic: str, text: str, position: int | None = None
) -> DiagnosticQuestion:
    firm_id = _ensure_firm_admin(by, by.firm_id)
    if position is None:
        last = (
            DiagnosticQuestion.objects.filter(firm_id=firm_id, topic=topic)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        position = (last or 0) + 1
    question = DiagnosticQuestion(firm_id=firm_id, topic=topic, text=text or "", position=position)
    _clean_question(question)
    _save_question(question, by)
    return question


@transaction.atomic
def question_update(
    *,
    question: DiagnosticQuestion,
    by: User,
    text: str | None = None,
    topic: str | None = None,
    position: int | None = None,
) -> DiagnosticQuestion:
    """Reword or move a question; cases that already asked it keep their copy."""
    _ensure_firm_admin(by, question.firm_id)
    locked = DiagnosticQuestion.objects.select_for_update().get(pk=question.pk)
    if text is not None:
        locked.text = text
    if topic is not None:
        locked.topic = topic
    if position is not None:
        locked.position = position
    _clean_question(locked)
    _save_question(locked, by)
    question.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def question_archive(*, question: DiagnosticQuestion, by: User) -> DiagnosticQuestion:
    """Archived questions are no longer drawn; cases keep their copy."""
    _ensure_firm_admin(by, question.firm_id)
    if question.archived_at is None:
        question.archived_at = timezone.now()
        attribute(question, by).save(update_fields=["archived_at"])
    return question


# --- Client cases ("talk clients, not concepts") --------------------------------------------


def _draw(firm_id: int, topics: Sequence[str], count: int) -> list[DiagnosticQuestion]:
    """Take questions from each topic in turn, in the bank's order, until ``count``."""
    by_topic: dict[str, list[DiagnosticQuestion]] = {topic: [] for topic in topics}
    for question in DiagnosticQuestion.objects.filter(
        firm_id=firm_id, topic__in=topics, archived_at__isnull=True
    ):
        by_topic[question.topic].append(question)
    drawn: list[DiagnosticQuestion] = []
    depth = 0
    while len(drawn) < count and any(len(qs) > depth for qs in by_topic.values()):
        for topic in topics:
            if depth < len(by_topic[topic]) and len(drawn) < count:
                drawn.append(by_topic[topic][depth])
        depth += 1
    return drawn


def _add_questions(case: ClientCase, questions: Iterable[DiagnosticQuestion], by: User) -> None:
    start = max((q.position for q in case.questions.all()), default=0)
    _bulk_create(
        [
            CaseQuestion(case=case, question=q, topic=q.topic, text=q.text, position=start + i)
            for i, q in enumerate(questions, start=1)
        ],
        CaseQuestion,
        by,
    )


@transaction.atomic
def case_create(
    *,
    partner: Partner,
    by: User,
    alias: str,
    description: str,
    topics: Sequence[str],
    question_count: int = CASE_DEFAULT_QUESTIONS,
) -> ClientCase:
    """Start an anonymous client case, with diagnostic questions drawn from the bank by topic."""
    _ensure_partner_writable(partner, by)
    errors = {}
    alias, description = (alias or "").strip(), (description or "").strip()
    if not alias:
        errors["alias"] = ALIAS_REQUIRED
    if not description:
        errors["description"] = DESCRIPTION_REQUIRED
    if not topics:
        errors["topics"] = CASE_NEEDS_TOPIC
    elif any(topic not in Topic.values for topic in topics):
        errors["topics"] = UNKNOWN_TOPIC
    if not CASE_MIN_ANSWERS <= question_count <= CASE_MAX_QUESTIONS:
        errors["question_count"] = CASE_QUESTION_COUNT
    if errors:
        raise ValidationError(errors)
    case = ClientCase(partner_id=partner.pk, alias=alias, description=description, by=by)
    case.full_clean(exclude=["partner", "by"])
    attribute(case, by).save()
    _add_questions(case, _draw(partner.firm_id, list(dict.fromkeys(topics)), question_count), by)
    return case


def _locked_draft(case: ClientCase) -> ClientCase:
    locked = ClientCase.objects.select_for_update().select_related("partner").get(pk=case.pk)
    if locked.status != CaseStatus.DRAFT:
        raise ValidationError(CASE_IS_READY)
    return locked


@transaction.atomic
def case_questions_add(
    *, case: ClientCase, by: User, questions: Sequence[DiagnosticQuestion]
) -> ClientCase:
    ensure_can_write(by)
    locked = _locked_draft(case)
    if any(q.firm_id != locked.partner.firm_id or q.archived_at for q in questions):
        raise ValidationError({"questions": QUESTION_NOT_IN_FIRM})
    present = set(locked.questions.values_list("question_id", flat=True))
    new = [q for q in dict.fromkeys(questions) if q.pk not in present]
    if len(present) + len(new) > CASE_MAX_QUESTIONS:
        raise ValidationError({"questions": CASE_TOO_MANY_QUESTIONS})
    _add_questions(locked, new, by)
    return locked


@transaction.atomic
def case_question_remove(*, case: ClientCase, by: User, case_question_id: int) -> None:
    ensure_can_write(by)
    locked = _locked_draft(case)
    question = locked.questions.filter(pk=case_question_id).first()
    if question is None:
        raise ValidationError({"question": QUESTION_NOT_IN_CASE})
    attribute(question, by).delete()


@transaction.atomic
def case_update(
    *,
    case: ClientCase,
    by: User,
    alias: str | None = None,
    description: str | None = None,
    solution: str | None = None,
    answers: Mapping[int, str] | None = None,
) -> ClientCase:
    """Edit a draft case: its label, description, prepared solution, and answers keyed by
    case question id."""
    ensure_can_write(by)
    locked = _locked_draft(case)
    questions = {q.pk: q for q in locked.questions.all()}
    answers = {int(pk): (text or "").strip() for pk, text in (answers or {}).items()}
    if set(answers) - set(questions):
        raise ValidationError({"answers": QUESTION_NOT_IN_CASE})
    if alias is not None:
        if not alias.strip():
            raise ValidationError({"alias": ALIAS_REQUIRED})
        locked.alias = alias.strip()
    if description is not None:
        if not description.strip():
            raise ValidationError({"description": DESCRIPTION_REQUIRED})
        locked.description = description.strip()
    if solution is not None:
        locked.solution = solution.strip()
    locked.full_clean(exclude=["partner", "by"])
    attribute(locked, by).save()
    for pk, text in answers.items():
        question = questions[pk]
        if question.answer != text:
            question.answer = text
            attribute(question, by).save(update_fields=["answer"])
    return locked


@transaction.atomic
def case_mark_ready(*, case: ClientCase, by: User, ask_by: dt.date | None = None) -> Opportunity:
    """A case is ready once at least eight questions are answered and the solution is written;
    it becomes an opportunity awaiting the meeting request."""
    ensure_can_write(by)
    locked = _locked_draft(case)
    partner = locked.partner
    if partner.archived_at is not None:
        raise ValidationError(ARCHIVED_PARTNER)
    answered = sum(1 for q in locked.questions.all() if q.answer.strip())
    if answered < CASE_MIN_ANSWERS:
        raise ValidationError({"answers": CASE_NEEDS_ANSWERS})
    if not locked.solution.strip():
        raise ValidationError({"solution": CASE_NEEDS_SOLUTION})
    locked.status = CaseStatus.READY
    locked.ready_at = timezone.now()
    attribute(locked, by).save()
    opportunity = Opportunity(
        partner=partner,
        strategy=Strategy.TALK_CLIENTS,
        title=f"{locked.alias}: {locked.description[:120]}"[:200],
        proposal=locked.solution,
        case=locked,
        ask_by=_ask_by(ask_by),
        by=by,
    )
    attribute(opportunity, by).save()
    case.status, case.ready_at = locked.status, locked.ready_at
    return opportunity


# --- Opportunities --------------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    partner: Partner,
    by: User,
    title: str,
    strategy: str | None = None,
    proposal: str = "",
    meeting: Meeting | None = None,
    ask_by: dt.date | None = None,
) -> Opportunity:
    """An opportunity that needs no working tool: a client who asked the partner for an
    advisor, or a client met at a co-hosted event or joint review (pass the meeting)."""
    _ensure_partner_writable(partner, by)
    if meeting is not None and meeting.partner_id != partner.pk:
        raise ValidationError({"meeting": MEETING_OF_ANOTHER_PARTNER})
    if strategy is None:
        strategy = (
            Strategy.JOINT_CLIENT_WORK
            if meeting is not None
            and meeting.kind in (MeetingKind.CLIENT_EVENT, MeetingKind.JOINT_REVIEW)
            else strategy_of(partner=partner)
        )
    _choice(strategy, Strategy.values, UNKNOWN_STRATEGY, "strategy")
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": TITLE_REQUIRED})
    opportunity = Opportunity(
        partner_id=partner.pk,
        strategy=strategy,
        title=title,
        proposal=(proposal or "").strip(),
        meeting=meeting,
        ask_by=_ask_by(ask_by),
        by=by,
    )
    opportunity.full_clean(exclude=["partner", "by", "meeting", "concern", "solution", "case"])
    attribute(opportunity, by).save()
    return opportunity


@transaction.atomic
def opportunity_request_meeting(
    *,
    opportunity: Opportunity,
    by: User,
    touch_kind: str = TouchKind.CALL,
    note: str = "",
    occurred_at: dt.datetime | None = None,
) -> Opportunity:
    """Ask the partner to arrange a meeting with their client; the ask is a touch."""
    ensure_can_write(by)
    locked = (
        Opportunity.objects.select_for_update().select_related("partner").get(pk=opportunity.pk)
    )
    if locked.status != OpportunityStatus.OPEN:
        raise ValidationError(OPPORTUNITY_NOT_OPEN)
    touch = touch_log(
        partner=locked.partner,
        by=by,
        kind=touch_kind,
        summary=(note or "").strip()
        or f"Asked for a meeting with the client: {locked.title}"[:500],
        occurred_at=occurred_at,
    )
    locked.status = OpportunityStatus.MEETING_REQUESTED
    locked.meeting_requested_at = touch.occurred_at
    locked.request_touch = touch
    attribute(locked, by).save()
    opportunity.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def opportunity_close(
    *,
    opportunity: Opportunity,
    by: User,
    outcome: str,
    note: str = "",
    occurred_at: dt.datetime | None = None,
    referral: Referral | None = None,
) -> Opportunity:
    """End an opportunity: ``referred`` when the client was introduced, ``declined`` otherwise.

    Referred with the ``referral`` received from the partner links it (see
    ``opportunity_link_referral``): the opportunity then closes when the referral came in, and
    ``occurred_at`` is not used. Without one, the referral can be linked later."""
    ensure_can_write(by)
    _choice(
        outcome,
        [OpportunityStatus.REFERRED, OpportunityStatus.DECLINED],
        UNKNOWN_OUTCOME,
        "outcome",
    )
    if referral is not None and outcome != OpportunityStatus.REFERRED:
        raise ValidationError({"referral": REFERRAL_ONLY_IF_REFERRED})
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if locked.status not in OPEN_OPPORTUNITY_STATUSES:
        raise ValidationError(OPPORTUNITY_CLOSED)
    if referral is not None:
        return opportunity_link_referral(
            opportunity=opportunity, referral=referral, by=by, note=note
        )
    locked.status = outcome
    locked.closed_at = _not_in_future(occurred_at)
    locked.outcome_note = (note or "").strip()
    attribute(locked, by).save()
    opportunity.__dict__.update(locked.__dict__)
    return locked


def _check_linkable(referral: Referral, opportunity: Opportunity) -> None:
    """A received referral of a prospect from the opportunity's partner, live and unlinked."""
    if referral.partner_id != opportunity.partner_id:
        raise ValidationError({"referral": REFERRAL_OF_ANOTHER_PARTNER})
    if referral.direction != Direction.RECEIVED:
        raise ValidationError({"referral": REFERRAL_NOT_RECEIVED})
    if referral.kind != Kind.REFERRAL:
        raise ValidationError({"referral": REFERRAL_IS_CONNECTION})
    if referral.archived_at is not None:
        raise ValidationError({"referral": REFERRAL_ARCHIVED})
    if Opportunity.objects.filter(referral_id=referral.pk).exists():
        raise ValidationError({"referral": REFERRAL_TAKEN})
    asked = opportunity.meeting_requested_at
    if asked is not None and referral.occurred_at < asked:
        raise ValidationError({"referral": REFERRAL_BEFORE_REQUEST})


@transaction.atomic
def opportunity_link_referral(
    *, opportunity: Opportunity, referral: Referral, by: User, note: str = ""
) -> Opportunity:
    """Link the referral an opportunity produced, so its strategy's yield counts it.

    The referral is one of kind ``referral`` received from the opportunity's partner, not
    archived and not linked elsewhere. An open opportunity (or one whose meeting was asked for)
    becomes referred, closed when the referral came in; a referred one just gets the link."""
    ensure_can_write(by)
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if locked.status == OpportunityStatus.DECLINED:
        raise ValidationError(OPPORTUNITY_DECLINED)
    if locked.referral_id is not None:
        raise ValidationError(OPPORTUNITY_LINKED)
    _ensure_partner_writable(Partner.objects.get(pk=locked.partner_id), by)
    # Locked so that two opportunities cannot both take the same referral.
    linked = Referral.objects.select_for_update().get(pk=referral.pk)
    _check_linkable(linked, locked)
    locked.referral = linked
    if locked.status in OPEN_OPPORTUNITY_STATUSES:
        locked.status = OpportunityStatus.REFERRED
        locked.closed_at = min(linked.occurred_at, timezone.now())
        locked.outcome_note = (note or "").strip()
    elif note and note.strip():
        locked.outcome_note = note.strip()
    attribute(locked, by).save()
    opportunity.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def opportunity_unlink_referral(*, opportunity: Opportunity, by: User) -> Opportunity:
    """Undo a link made by mistake: the opportunity stays referred, and the history keeps who
    linked and unlinked what."""
    ensure_can_write(by)
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if locked.referral_id is None:
        raise ValidationError(OPPORTUNITY_NOT_LINKED)
    _ensure_partner_writable(Partner.objects.get(pk=locked.partner_id), by)
    locked.referral = None
    attribute(locked, by).save()
    opportunity.__dict__.update(locked.__dict__)
    return locked


# --- Calendar feed --------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_create(*, by: User) -> tuple[CalendarFeed, str]:
    """A new private feed URL secret; any earlier feed of the user stops working."""
    calendar_feed_revoke(by=by)
    key = CalendarFeed.PREFIX + secrets.token_urlsafe(32)
    feed = attribute(CalendarFeed(user=by, key_hash=CalendarFeed.hash_key(key), hint=key[:10]), by)
    feed.save()
    return feed, key


@transaction.atomic
def calendar_feed_revoke(*, by: User) -> int:
    """Stop every live feed of the user; returns how many were stopped."""
    now = timezone.now()
    live = list(
        CalendarFeed.objects.select_for_update().filter(user_id=by.pk, revoked_at__isnull=True)
    )
    for feed in live:
        feed.revoked_at = now
        attribute(feed, by).save(update_fields=["revoked_at"])
    return len(live)
