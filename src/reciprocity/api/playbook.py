"""The playbook through the API: the agenda, agreements, and per partner the cadences, strategy,
meetings, concerns, client cases and opportunities; the advisor's message, whether each partner
can say it back, and the calendar feed; the firm's playbook, which its admins edit.

Views stay thin: selectors read (404 for what the caller may not see), services write (403 for a
read-only role, ValidationError for bad input).
"""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from reciprocity.accounts.models import User
from reciprocity.api import playbook_schemas as schemas
from reciprocity.api.auth import current_user
from reciprocity.api.errors import fields_renamed, responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.schemas import RecordId, WholeNumber
from reciprocity.partners.models import Commitment, Partner, Touch
from reciprocity.partners.selectors import partner_get_for
from reciprocity.partners.services import ensure_can_write
from reciprocity.playbook import models
from reciprocity.playbook.agenda import AgendaItem
from reciprocity.playbook.selectors.agenda import agenda_for
from reciprocity.playbook.selectors.agreements import agreement_get_for, agreements_for
from reciprocity.playbook.selectors.cadences import cadence_defaults_of, cadences_of
from reciprocity.playbook.selectors.calendar import calendar_feed_of
from reciprocity.playbook.selectors.library import (
    case_get_for,
    cases_of,
    concern_get_for,
    concerns_of,
    question_bank,
    question_get_for,
    solution_get_for,
    solutions_of,
)
from reciprocity.playbook.selectors.meetings import (
    PLAN_NOT_FOUND,
    meeting_get_for,
    meeting_plan_get_for,
    meeting_plan_item_get_for,
    meeting_plans_of,
    meetings_of,
)
from reciprocity.playbook.selectors.message import advisor_profile_of, message_checks_of
from reciprocity.playbook.selectors.strategies import (
    opportunities_of,
    opportunity_get_for,
    strategy_history,
    strategy_of,
    strategy_yield,
)
from reciprocity.playbook.services.agenda import agenda_complete, agenda_snooze
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create, agreement_end
from reciprocity.playbook.services.cadences import (
    cadence_default_remove,
    cadence_default_set,
    cadence_reset,
    cadence_set,
)
from reciprocity.playbook.services.calendar import calendar_feed_create, calendar_feed_revoke
from reciprocity.playbook.services.library import (
    QUESTION_NOT_IN_FIRM,
    SOLUTION_NOT_IN_FIRM,
    case_create,
    case_mark_ready,
    case_questions_add,
    case_update,
    concern_dismiss,
    concern_log,
    concern_match,
    question_archive,
    question_create,
    question_update,
    solution_archive,
    solution_create,
    solution_update,
)
from reciprocity.playbook.services.meetings import (
    meeting_cancel,
    meeting_hold,
    meeting_plan_item_add,
    meeting_plan_item_remove,
    meeting_plan_item_update,
    meeting_plan_update,
    meeting_schedule,
    meeting_update,
)
from reciprocity.playbook.services.message import (
    advisor_digest_set,
    advisor_message_set,
    message_check_record,
)
from reciprocity.playbook.services.strategies import (
    opportunity_close,
    opportunity_create,
    opportunity_link_referral,
    opportunity_request_meeting,
    opportunity_unlink_referral,
    strategy_set,
)
from reciprocity.referrals.models import Referral
from reciprocity.referrals.selectors import referral_get_for

agenda = Router(tags=["Agenda"])
agreements = Router(tags=["Agreements"])
partner_playbook = Router()
meetings = Router(tags=["Meetings"])
opportunities = Router(tags=["Opportunities"])
concerns = Router(tags=["Concerns"])
cases = Router(tags=["Client cases"])
me = Router(tags=["Your message"])
calendar_feed = Router(tags=["Calendar feed"])
firm_playbook = Router(tags=["Firm playbook"])

# How the case questions' ids are named in the request body.
CASE_FIELDS = {"answers": "answers", "questions": "add_questions"}


def _partner(user: User, pk: int) -> Partner:
    return partner_get_for(advisor=user, pk=pk)


# --- The agenda -----------------------------------------------------------------------------


class AgendaFilters(Schema):
    days: Annotated[int, WholeNumber] = Field(
        7, ge=0, le=366, description="How far ahead to look, in days."
    )


def _item(item: AgendaItem, today: Any) -> dict[str, Any]:
    return {
        "key": item.key,
        "source": item.source,
        "partner": {"id": item.partner_id, "name": item.partner_name},
        "title": item.title,
        "due": item.due,
        "at": item.at,
        "owner": item.owner,
        "detail": item.detail,
        "object_id": item.object_id,
        "overdue": item.due < today,
    }


@agenda.get("", response=responses({200: schemas.Agenda}, not_found=False), summary="Your agenda")
def get_agenda(request: HttpRequest, filters: Query[AgendaFilters]) -> dict[str, Any]:
    """Everything due up to ``days`` ahead on your own partners, from every source: open
    commitments, keep-warm cadences, the next protocol step of each referral in flight, meeting
    requests to make and planned meetings. Overdue first, then today, then the rest. Snoozed
    items are left out until their day."""
    today = timezone.localdate()
    found = agenda_for(current_user(request), today=today, horizon_days=filters.days)
    return {
        "today": today,
        "overdue": [_item(i, today) for i in found.overdue],
        "due_today": [_item(i, today) for i in found.due_today],
        "this_week": [_item(i, today) for i in found.this_week],
        "snoozed": found.snoozed,
        "count": len(found),
    }


def _completion(key: str, result: Any) -> dict[str, Any]:
    source = key.split(":", 1)[0]
    if isinstance(result, Touch):
        return {"key": key, "source": source, "detail": result.summary, "touch_id": result.pk}
    if isinstance(result, Commitment):
        return {"key": key, "source": source, "detail": result.what, "touch_id": result.touch_id}
    if isinstance(result, models.Opportunity):
        detail = f"Meeting requested: {result.title}"
        return {"key": key, "source": source, "detail": detail, "touch_id": result.request_touch_id}
    if isinstance(result, models.Meeting):
        return {
            "key": key,
            "source": source,
            "detail": f"Held: {result}",
            "touch_id": result.touch_id,
        }
    # Another source's record (a referral step): its name, and its touch when it logged one.
    return {
        "key": key,
        "source": source,
        "detail": str(result or "Done."),
        "touch_id": getattr(result, "touch_id", None),
    }


@agenda.post(
    "/{key}/complete",
    response=responses({200: schemas.AgendaCompletion}),
    summary="Complete an agenda item",
)
def complete_agenda_item(
    request: HttpRequest, key: schemas.AgendaKey, payload: schemas.AgendaComplete
) -> dict[str, Any]:
    """A commitment is done, a cadence gets its touch, a referral step is done with its touch,
    a meeting request is made, a meeting is held: whatever the item asks, recorded in place."""
    result = agenda_complete(
        by=current_user(request),
        key=key,
        touch_kind=payload.touch_kind,
        summary=payload.summary,
        occurred_at=payload.occurred_at,
    )
    return _completion(key, result)


@agenda.post(
    "/{key}/snooze",
    response=responses({200: schemas.AgendaSnooze}),
    summary="Snooze an agenda item",
)
def snooze_agenda_item(
    request: HttpRequest, key: schemas.AgendaKey, payload: schemas.AgendaSnoozeCreate
) -> models.AgendaSnooze:
    """Put it off until a later day (within a year), saying why; it comes back on that day."""
    snooze = agenda_snooze(
        by=current_user(request), key=key, until=payload.until, reason=payload.reason
    )
    return models.AgendaSnooze.objects.select_related("partner").get(pk=snooze.pk)


# --- Agreements -----------------------------------------------------------------------------


@agreements.get(
    "",
    response=responses({200: list[schemas.Agreement]}, not_found=False),
    summary="List agreements",
)
@paginate(Pagination)
def list_agreements(
    request: HttpRequest, filters: Query[schemas.AgreementFilters]
) -> QuerySet[models.Agreement]:
    """Agreements with the partners you can see, newest first, the ended and replaced ones too."""
    return agreements_for(
        advisor=current_user(request), partner_id=filters.partner, status=filters.status
    )


@agreements.post(
    "",
    response=responses({201: schemas.Agreement}),
    summary="Record an agreement",
)
def create_agreement(
    request: HttpRequest, payload: schemas.AgreementCreate
) -> Status[models.Agreement]:
    """The written partnership: it replaces the partner's active agreement, each promise becomes
    a commitment of its side, and the review becomes your commitment on its date."""
    user = current_user(request)
    partner = _partner(user, payload.partner)
    meeting = meeting_get_for(advisor=user, pk=payload.meeting) if payload.meeting else None
    agreement = agreement_create(
        partner=partner,
        by=user,
        promises=[PromiseInput(p.owner, p.what, p.due) for p in payload.promises],
        referral_process=payload.referral_process,
        next_review=payload.next_review,
        keep_in_touch=payload.keep_in_touch,
        agreed_on=payload.agreed_on,
        meeting=meeting,
        notes=payload.notes,
    )
    return Status(201, agreement_get_for(advisor=user, pk=agreement.pk))


@agreements.get("/{id}", response=responses({200: schemas.Agreement}), summary="Get an agreement")
def get_agreement(request: HttpRequest, id: RecordId) -> models.Agreement:
    return agreement_get_for(advisor=current_user(request), pk=id)


@agreements.post(
    "/{id}/end",
    response=responses({200: schemas.Agreement}),
    summary="End an agreement",
)
def end_agreement(
    request: HttpRequest, id: RecordId, payload: schemas.ReasonBody
) -> models.Agreement:
    """The record stays, with its history; its open review is dropped."""
    user = current_user(request)
    agreement = agreement_get_for(advisor=user, pk=id)
    agreement_end(agreement=agreement, by=user, reason=payload.reason)
    return agreement_get_for(advisor=user, pk=id)


# --- Cadences -------------------------------------------------------------------------------


def _cadences(partner: Partner) -> dict[str, Any]:
    today = timezone.localdate()
    items = [
        {
            "kind": c.kind,
            "interval_months": c.interval_months,
            "source": c.source,
            "description": c.description,
            "last_touch_at": c.last_touch_at,
            "due": c.due,
            "overdue": c.due is not None and c.due < today,
        }
        for c in cadences_of(partner=partner)
    ]
    return {"items": items, "count": len(items)}


@partner_playbook.get(
    "/{id}/cadences",
    response=responses({200: schemas.CadenceList}),
    summary="List a partner's cadences",
    tags=["Cadences"],
)
def list_cadences(request: HttpRequest, id: RecordId) -> dict[str, Any]:
    """The keep-warm rhythm running for the partner: its overrides, else the firm's default for
    its stage, each with its next due date."""
    return _cadences(_partner(current_user(request), id))


@partner_playbook.put(
    "/{id}/cadences",
    response=responses({200: schemas.CadenceList}),
    summary="Override a cadence for a partner",
    tags=["Cadences"],
)
def set_cadence(request: HttpRequest, id: RecordId, payload: schemas.CadenceSet) -> dict[str, Any]:
    """Another interval or off for this partner; ``use_default`` drops the override."""
    user = current_user(request)
    partner = _partner(user, id)
    if payload.use_default:
        cadence_reset(partner=partner, by=user, kind=payload.kind)
    else:
        cadence_set(
            partner=partner,
            by=user,
            kind=payload.kind,
            enabled=payload.enabled,
            interval_months=payload.interval_months,
        )
    return _cadences(partner)


# --- Strategies -----------------------------------------------------------------------------


@partner_playbook.get(
    "/{id}/strategy",
    response=responses({200: schemas.PartnerStrategy}),
    summary="Get a partner's referral strategy",
    tags=["Strategies"],
)
def get_strategy(request: HttpRequest, id: RecordId) -> dict[str, Any]:
    """The rung of the influencer referral spectrum run with the partner, and its history."""
    partner = _partner(current_user(request), id)
    strategy = models.Strategy(strategy_of(partner=partner))
    return {
        "strategy": strategy,
        "label": strategy.label,
        "rung": models.STRATEGY_RUNGS[strategy],
        "history": list(strategy_history(partner=partner)),
    }


@partner_playbook.post(
    "/{id}/strategy",
    response=responses({201: schemas.StrategySwitch}),
    summary="Switch a partner's referral strategy",
    tags=["Strategies"],
)
def switch_strategy(
    request: HttpRequest, id: RecordId, payload: schemas.StrategySwitchCreate
) -> Status[models.PartnerStrategy]:
    user = current_user(request)
    switch = strategy_set(
        partner=_partner(user, id),
        by=user,
        strategy=payload.strategy,
        note=payload.note,
        occurred_at=payload.occurred_at,
    )
    return Status(201, switch)


# --- Meetings -------------------------------------------------------------------------------


@partner_playbook.get(
    "/{id}/meetings",
    response=responses({200: list[schemas.Meeting]}),
    summary="List a partner's meetings",
    tags=["Meetings"],
)
@paginate(Pagination)
def list_meetings(request: HttpRequest, id: RecordId) -> QuerySet[models.Meeting]:
    """Planned, held and cancelled, latest first, with their points."""
    return meetings_of(partner=_partner(current_user(request), id))


@partner_playbook.post(
    "/{id}/meetings",
    response=responses({201: schemas.Meeting}),
    summary="Schedule a meeting",
    tags=["Meetings"],
)
def schedule_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingCreate
) -> Status[models.Meeting]:
    """The firm's plan for the meeting's kind is copied in as the points to cover."""
    user = current_user(request)
    meeting = meeting_schedule(
        partner=_partner(user, id),
        by=user,
        kind=payload.kind,
        scheduled_for=payload.scheduled_for,
        duration_minutes=payload.duration_minutes,
        location=payload.location,
    )
    return Status(201, meeting_get_for(advisor=user, pk=meeting.pk))


@meetings.get("/{id}", response=responses({200: schemas.Meeting}), summary="Get a meeting")
def get_meeting(request: HttpRequest, id: RecordId) -> models.Meeting:
    return meeting_get_for(advisor=current_user(request), pk=id)


@meetings.post(
    "/{id}/hold",
    response=responses({200: schemas.Meeting}),
    summary="Record a meeting as held",
)
def hold_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingHold
) -> models.Meeting:
    """What was covered and answered; answers to points that name a profile field fill the
    partner's profile, and the meeting is a touch on the timeline."""
    user = current_user(request)
    meeting = meeting_get_for(advisor=user, pk=id)
    with fields_renamed({f"point_{p.point}": "points" for p in payload.points}):
        meeting_hold(
            meeting=meeting,
            by=user,
            held_at=payload.held_at,
            answers={p.point: p.answer for p in payload.points if p.answer},
            covered=[p.point for p in payload.points if p.covered],
            summary=payload.summary,
        )
    return meeting_get_for(advisor=user, pk=id)


@meetings.post(
    "/{id}/cancel",
    response=responses({200: schemas.Meeting}),
    summary="Cancel a meeting",
)
def cancel_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingCancel
) -> models.Meeting:
    user = current_user(request)
    meeting = meeting_get_for(advisor=user, pk=id)
    meeting_cancel(meeting=meeting, by=user, reason=payload.reason)
    return meeting_get_for(advisor=user, pk=id)


@meetings.post(
    "/{id}/reschedule",
    response=responses({200: schemas.Meeting}),
    summary="Reschedule a meeting",
)
def reschedule_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingReschedule
) -> models.Meeting:
    """Only a planned meeting moves; the agenda and the calendar feed follow."""
    user = current_user(request)
    meeting = meeting_get_for(advisor=user, pk=id)
    meeting_update(
        meeting=meeting,
        by=user,
        scheduled_for=payload.scheduled_for,
        duration_minutes=payload.duration_minutes,
        location=payload.location,
    )
    return meeting_get_for(advisor=user, pk=id)


# --- Opportunities --------------------------------------------------------------------------


@partner_playbook.get(
    "/{id}/opportunities",
    response=responses({200: list[schemas.Opportunity]}),
    summary="List a partner's opportunities",
    tags=["Opportunities"],
)
@paginate(Pagination)
def list_opportunities(request: HttpRequest, id: RecordId) -> QuerySet[models.Opportunity]:
    """Chances to be introduced to the partner's clients, by the date to ask for the meeting."""
    return opportunities_of(partner=_partner(current_user(request), id))


@partner_playbook.post(
    "/{id}/opportunities",
    response=responses({201: schemas.Opportunity}),
    summary="Add an opportunity",
    tags=["Opportunities"],
)
def create_opportunity(
    request: HttpRequest, id: RecordId, payload: schemas.OpportunityCreate
) -> Status[models.Opportunity]:
    """One that needs no working tool: a client who asked the partner for an advisor, or one met
    at a co-hosted event or joint review (``meeting``)."""
    user = current_user(request)
    partner = _partner(user, id)
    meeting = meeting_get_for(advisor=user, pk=payload.meeting) if payload.meeting else None
    opportunity = opportunity_create(
        partner=partner,
        by=user,
        title=payload.title,
        strategy=payload.strategy,
        proposal=payload.proposal,
        meeting=meeting,
        ask_by=payload.ask_by,
    )
    return Status(201, opportunity_get_for(advisor=user, pk=opportunity.pk))


@opportunities.get(
    "/yield",
    response=responses({200: list[schemas.StrategyYield]}),
    summary="What each strategy produced",
)
def get_strategy_yield(
    request: HttpRequest, filters: Query[schemas.YieldFilters]
) -> list[dict[str, Any]]:
    """Per rung of the referral spectrum, over the partners you can see (or one of them): the
    partners on it, the opportunities it produced, the meetings asked for, those closed as
    referred, the received referrals linked to them and the clients those became."""
    user = current_user(request)
    partner = _partner(user, filters.partner) if filters.partner is not None else None
    return [
        {
            "strategy": row.strategy,
            "label": row.label,
            "rung": row.rung,
            "partners": row.partners,
            "opportunities": row.opportunities,
            "meetings_requested": row.meetings_requested,
            "referred": row.referred,
            "referrals": row.referrals,
            "clients": row.clients,
        }
        for row in strategy_yield(advisor=user, partner=partner)
    ]


@opportunities.get(
    "/{id}", response=responses({200: schemas.Opportunity}), summary="Get an opportunity"
)
def get_opportunity(request: HttpRequest, id: RecordId) -> models.Opportunity:
    return opportunity_get_for(advisor=current_user(request), pk=id)


@opportunities.post(
    "/{id}/request",
    response=responses({200: schemas.Opportunity}),
    summary="Ask the partner for a meeting with the client",
)
def request_opportunity_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.OpportunityRequest
) -> models.Opportunity:
    """The ask is a touch with the partner."""
    user = current_user(request)
    opportunity_request_meeting(
        opportunity=opportunity_get_for(advisor=user, pk=id),
        by=user,
        touch_kind=payload.touch_kind,
        note=payload.note,
        occurred_at=payload.occurred_at,
    )
    return opportunity_get_for(advisor=user, pk=id)


@opportunities.post(
    "/{id}/close",
    response=responses({200: schemas.Opportunity}),
    summary="Close an opportunity",
)
def close_opportunity(
    request: HttpRequest, id: RecordId, payload: schemas.OpportunityClose
) -> models.Opportunity:
    """``referred`` when the client was introduced, ``declined`` otherwise. Referred may name
    the ``referral`` received from the partner that it produced (see the link operation)."""
    user = current_user(request)
    opportunity = opportunity_get_for(advisor=user, pk=id)
    opportunity_close(
        opportunity=opportunity,
        by=user,
        outcome=payload.outcome,
        note=payload.note,
        occurred_at=payload.occurred_at,
        referral=_referral(user, payload.referral) if payload.referral is not None else None,
    )
    return opportunity_get_for(advisor=user, pk=id)


def _referral(user: User, pk: int) -> Referral:
    return referral_get_for(advisor=user, pk=pk)


@opportunities.post(
    "/{id}/referral",
    response=responses({200: schemas.Opportunity}),
    summary="Link the referral an opportunity produced",
)
def link_opportunity_referral(
    request: HttpRequest, id: RecordId, payload: schemas.OpportunityLink
) -> models.Opportunity:
    """The referral received from the partner that this opportunity produced: one of kind
    ``referral``, not archived, not linked to another opportunity. An open opportunity becomes
    referred, closed when the referral was received; a referred one just gets the link. A
    declined one cannot be linked. The strategy's yield then counts the referral, and the
    client if it becomes one."""
    user = current_user(request)
    opportunity = opportunity_get_for(advisor=user, pk=id)
    opportunity_link_referral(
        opportunity=opportunity,
        referral=_referral(user, payload.referral),
        by=user,
        note=payload.note,
    )
    return opportunity_get_for(advisor=user, pk=id)


@opportunities.post(
    "/{id}/referral/unlink",
    response=responses({200: schemas.Opportunity}),
    summary="Unlink an opportunity's referral",
)
def unlink_opportunity_referral(request: HttpRequest, id: RecordId) -> models.Opportunity:
    """For a link made by mistake: the opportunity stays referred; the history keeps both."""
    user = current_user(request)
    opportunity_unlink_referral(opportunity=opportunity_get_for(advisor=user, pk=id), by=user)
    return opportunity_get_for(advisor=user, pk=id)


# --- Concerns -------------------------------------------------------------------------------


@partner_playbook.get(
    "/{id}/concerns",
    response=responses({200: list[schemas.Concern]}),
    summary="List a partner's client concerns",
    tags=["Concerns"],
)
@paginate(Pagination)
def list_concerns(request: HttpRequest, id: RecordId) -> QuerySet[models.ClientConcern]:
    """The inventory of what the partner's clients worry about and the problems the partner
    sees, newest first."""
    return concerns_of(partner=_partner(current_user(request), id))


@partner_playbook.post(
    "/{id}/concerns",
    response=responses({201: schemas.Concern}),
    summary="Log a client concern",
    tags=["Concerns"],
)
def log_concern(
    request: HttpRequest, id: RecordId, payload: schemas.ConcernCreate
) -> Status[models.ClientConcern]:
    user = current_user(request)
    concern = concern_log(
        partner=_partner(user, id),
        by=user,
        source=payload.source,
        description=payload.description,
        topic=payload.topic or "",
        heard_on=payload.heard_on,
    )
    return Status(201, concern_get_for(advisor=user, pk=concern.pk))


@concerns.get("/{id}", response=responses({200: schemas.Concern}), summary="Get a concern")
def get_concern(request: HttpRequest, id: RecordId) -> models.ClientConcern:
    return concern_get_for(advisor=current_user(request), pk=id)


@concerns.post(
    "/{id}/match",
    response=responses({201: schemas.Opportunity}),
    summary="Match a concern with what you solve",
)
def match_concern(
    request: HttpRequest, id: RecordId, payload: schemas.ConcernMatch
) -> Status[models.Opportunity]:
    """An entry of the firm's library answers the concern: an opportunity to bring the solution
    to the partner and ask for a meeting with the client."""
    user = current_user(request)
    concern = concern_get_for(advisor=user, pk=id)
    solution = solutions_of(advisor=user).filter(pk=payload.solution).first()
    if solution is None:
        raise ValidationError({"solution": SOLUTION_NOT_IN_FIRM})
    opportunity = concern_match(
        concern=concern,
        solution=solution,
        by=user,
        proposal=payload.proposal,
        ask_by=payload.ask_by,
    )
    return Status(201, opportunity_get_for(advisor=user, pk=opportunity.pk))


@concerns.post(
    "/{id}/dismiss",
    response=responses({200: schemas.Concern}),
    summary="Dismiss a concern",
)
def dismiss_concern(request: HttpRequest, id: RecordId) -> models.ClientConcern:
    user = current_user(request)
    concern_dismiss(concern=concern_get_for(advisor=user, pk=id), by=user)
    return concern_get_for(advisor=user, pk=id)


# --- Client cases ---------------------------------------------------------------------------


@partner_playbook.get(
    "/{id}/cases",
    response=responses({200: list[schemas.Case]}),
    summary="List a partner's client cases",
    tags=["Client cases"],
)
@paginate(Pagination)
def list_cases(request: HttpRequest, id: RecordId) -> QuerySet[models.ClientCase]:
    return cases_of(partner=_partner(current_user(request), id))


@partner_playbook.post(
    "/{id}/cases",
    response=responses({201: schemas.Case}),
    summary="Start a client case",
    tags=["Client cases"],
)
def create_case(
    request: HttpRequest, id: RecordId, payload: schemas.CaseCreate
) -> Status[models.ClientCase]:
    """Talk clients, not concepts: one of the partner's top clients, without a name, with 8 to
    12 diagnostic questions drawn from the firm's bank by topic."""
    user = current_user(request)
    case = case_create(
        partner=_partner(user, id),
        by=user,
        alias=payload.alias,
        description=payload.description,
        topics=[str(topic) for topic in payload.topics],
        question_count=payload.question_count,
    )
    return Status(201, case_get_for(advisor=user, pk=case.pk))


@cases.get("/{id}", response=responses({200: schemas.Case}), summary="Get a client case")
def get_case(request: HttpRequest, id: RecordId) -> models.ClientCase:
    return case_get_for(advisor=current_user(request), pk=id)


@cases.patch(
    "/{id}",
    response=responses({200: schemas.Case}),
    summary="Update a client case",
)
@transaction.atomic
def update_case(request: HttpRequest, id: RecordId, payload: schemas.CaseUpdate) -> Any:
    """Answer its questions, write the solution, add questions from the bank; all or nothing."""
    user = current_user(request)
    case = case_get_for(advisor=user, pk=id)
    changes = payload.model_dump(exclude_unset=True)
    with fields_renamed(CASE_FIELDS):
        if payload.add_questions:
            wanted = set(payload.add_questions)
            bank = list(question_bank(advisor=user).filter(pk__in=wanted))
            if len(bank) != len(wanted):
                raise ValidationError({"questions": QUESTION_NOT_IN_FIRM})
            case_questions_add(case=case, by=user, questions=bank)
        case_update(
            case=case,
            by=user,
            alias=changes.get("alias"),
            description=changes.get("description"),
            solution=changes.get("solution"),
            answers={a.question: a.answer for a in payload.answers},
        )
    return case_get_for(advisor=user, pk=id)


@cases.post(
    "/{id}/ready",
    response=responses({201: schemas.Opportunity}),
    summary="Mark a client case ready",
)
def mark_case_ready(
    request: HttpRequest, id: RecordId, payload: schemas.CaseReady
) -> Status[models.Opportunity]:
    """Refused below eight answers or without a solution; once ready, the case is an
    opportunity awaiting the meeting request."""
    user = current_user(request)
    opportunity = case_mark_ready(
        case=case_get_for(advisor=user, pk=id), by=user, ask_by=payload.ask_by
    )
    return Status(201, opportunity_get_for(advisor=user, pk=opportunity.pk))


# --- The advisor's message and the calendar feed --------------------------------------------


def _message(user: User) -> dict[str, Any]:
    profile = advisor_profile_of(advisor=user)
    return {
        "whom_i_help": profile.whom_i_help if profile else "",
        "what_is_unique": profile.what_is_unique if profile else "",
        "has_message": bool(profile and profile.has_message),
        "weekly_digest": profile.weekly_digest if profile else True,
    }


@me.get(
    "/message",
    response=responses({200: schemas.AdvisorMessage}, not_found=False),
    summary="Get your message",
)
def get_my_message(request: HttpRequest) -> dict[str, Any]:
    """Whom you help and what is unique about you: what every partner should be able to say
    back. It opens every meeting brief."""
    return _message(current_user(request))


@me.put(
    "/message",
    response=responses({200: schemas.AdvisorMessage}, not_found=False),
    summary="Set your message",
)
@transaction.atomic
def set_my_message(request: HttpRequest, payload: schemas.AdvisorMessageSet) -> dict[str, Any]:
    user = current_user(request)
    ensure_can_write(user)
    advisor_message_set(
        by=user, whom_i_help=payload.whom_i_help, what_is_unique=payload.what_is_unique
    )
    if payload.weekly_digest is not None:
        advisor_digest_set(by=user, weekly_digest=payload.weekly_digest)
    return _message(user)


@partner_playbook.get(
    "/{id}/message-checks",
    response=responses({200: list[schemas.MessageCheck]}),
    summary="List a partner's message checks",
    tags=["Message checks"],
)
@paginate(Pagination)
def list_message_checks(request: HttpRequest, id: RecordId) -> QuerySet[models.MessageCheck]:
    """Each time you tested whether the partner can say your message back, newest first."""
    return message_checks_of(partner=_partner(current_user(request), id))


@partner_playbook.post(
    "/{id}/message-checks",
    response=responses({201: schemas.MessageCheck}),
    summary="Record whether a partner can say your message back",
    tags=["Message checks"],
)
def record_message_check(
    request: HttpRequest, id: RecordId, payload: schemas.MessageCheckCreate
) -> Status[models.MessageCheck]:
    """Can they say whom you help and what is unique about you? Their profile's
    ``can_describe_value`` follows the answer."""
    user = current_user(request)
    partner = _partner(user, id)
    with fields_renamed({"occurred_at": "checked_at"}):
        check = message_check_record(
            partner=partner,
            by=user,
            result=payload.result,
            heard=payload.heard,
            occurred_at=payload.checked_at,
        )
    return Status(201, message_checks_of(partner=partner).get(pk=check.pk))


@calendar_feed.get(
    "",
    response=responses({200: schemas.CalendarFeed}, not_found=False),
    summary="Get your calendar feed",
)
def get_calendar_feed(request: HttpRequest) -> dict[str, Any]:
    feed = calendar_feed_of(advisor=current_user(request))
    return {
        "live": feed is not None,
        "hint": feed.hint if feed else "",
        "created_at": feed.created_at if feed else None,
    }


@calendar_feed.post(
    "",
    response=responses({201: schemas.CalendarFeedCreated}, not_found=False),
    summary="Create a calendar feed",
)
def create_calendar_feed(request: HttpRequest) -> Status[dict[str, Any]]:
    """A private address for your calendar to subscribe to, shown only in this answer; any
    earlier address stops working."""
    user = current_user(request)
    ensure_can_write(user)
    feed, key = calendar_feed_create(by=user)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[key]))
    return Status(201, {"url": url, "hint": feed.hint, "created_at": feed.created_at})


@calendar_feed.post(
    "/revoke",
    response=responses({200: schemas.CalendarFeedRevoked}, not_found=False),
    summary="Stop your calendar feed",
)
def revoke_calendar_feed(request: HttpRequest) -> dict[str, int]:
    user = current_user(request)
    ensure_can_write(user)
    return {"revoked": calendar_feed_revoke(by=user)}


# --- The firm's playbook -------------------------------------------------------------------
# Everyone in the firm reads it; only its firm admins change it (the services refuse anyone
# else with 403, as the web pages do). Nothing is deleted but a plan's point, whose removal
# stays in its history and in the meetings that copied it.


def _changes(payload: Schema, *, clearable: tuple[str, ...]) -> dict[str, Any]:
    """The fields sent; null blanks a field that may be empty and leaves the others be."""
    return {
        field: "" if value is None else value
        for field, value in payload.model_dump(exclude_unset=True).items()
        if value is not None or field in clearable
    }


@firm_playbook.get(
    "/solutions",
    response=responses({200: list[schemas.Solution]}, not_found=False),
    summary="List what the firm solves",
)
@paginate(Pagination)
def list_solutions(request: HttpRequest) -> QuerySet[models.Solution]:
    """The "what we solve" library that concerns are matched against."""
    return solutions_of(advisor=current_user(request))


@firm_playbook.post(
    "/solutions",
    response=responses({201: schemas.Solution}, not_found=False),
    summary="Add to what the firm solves",
)
def create_solution(
    request: HttpRequest, payload: schemas.SolutionCreate
) -> Status[models.Solution]:
    """Firm admins only. Its keywords are what concerns are matched on."""
    solution = solution_create(
        by=current_user(request),
        title=payload.title,
        topic=payload.topic or "",
        problem=payload.problem,
        approach=payload.approach,
        keywords=", ".join(payload.keywords),
    )
    return Status(201, solution)


@firm_playbook.get(
    "/solutions/{id}",
    response=responses({200: schemas.Solution}),
    summary="Get a library entry",
)
def get_solution(request: HttpRequest, id: RecordId) -> models.Solution:
    """Archived entries too."""
    return solution_get_for(advisor=current_user(request), pk=id)


@firm_playbook.patch(
    "/solutions/{id}",
    response=responses({200: schemas.Solution}),
    summary="Update a library entry",
)
def update_solution(
    request: HttpRequest, id: RecordId, payload: schemas.SolutionUpdate
) -> models.Solution:
    """Firm admins only. Opportunities already matched keep their text."""
    user = current_user(request)
    solution = solution_get_for(advisor=user, pk=id)
    changes = _changes(payload, clearable=("topic", "keywords"))
    if "keywords" in changes:
        changes["keywords"] = ", ".join(changes["keywords"])
    solution_update(solution=solution, by=user, **changes)
    return solution_get_for(advisor=user, pk=id)


@firm_playbook.post(
    "/solutions/{id}/archive",
    response=responses({200: schemas.Solution}),
    summary="Archive a library entry",
)
def archive_solution(request: HttpRequest, id: RecordId) -> models.Solution:
    """Firm admins only. It no longer matches concerns; the opportunities it produced keep it."""
    user = current_user(request)
    solution_archive(solution=solution_get_for(advisor=user, pk=id), by=user)
    return solution_get_for(advisor=user, pk=id)


@firm_playbook.get(
    "/questions",
    response=responses({200: list[schemas.Question]}, not_found=False),
    summary="List the diagnostic question bank",
)
@paginate(Pagination)
def list_questions(request: HttpRequest) -> QuerySet[models.DiagnosticQuestion]:
    return question_bank(advisor=current_user(request))


@firm_playbook.post(
    "/questions",
    response=responses({201: schemas.Question}, not_found=False),
    summary="Add a diagnostic question",
)
def create_question(
    request: HttpRequest, payload: schemas.QuestionCreate
) -> Status[models.DiagnosticQuestion]:
    """Firm admins only. It comes last in its topic, and new client cases can draw it."""
    question = question_create(by=current_user(request), topic=payload.topic, text=payload.text)
    return Status(201, question)


@firm_playbook.get(
    "/questions/{id}",
    response=responses({200: schemas.Question}),
    summary="Get a diagnostic question",
)
def get_question(request: HttpRequest, id: RecordId) -> models.DiagnosticQuestion:
    """Archived questions too."""
    return question_get_for(advisor=current_user(request), pk=id)


@firm_playbook.patch(
    "/questions/{id}",
    response=responses({200: schemas.Question}),
    summary="Reword or move a diagnostic question",
)
def update_question(
    request: HttpRequest, id: RecordId, payload: schemas.QuestionUpdate
) -> models.DiagnosticQuestion:
    """Firm admins only. Cases that already asked it keep their wording."""
    user = current_user(request)
    question = question_get_for(advisor=user, pk=id)
    question_update(question=question, by=user, **_changes(payload, clearable=()))
    return question_get_for(advisor=user, pk=id)


@firm_playbook.post(
    "/questions/{id}/archive",
    response=responses({200: schemas.Question}),
    summary="Archive a diagnostic question",
)
def archive_question(request: HttpRequest, id: RecordId) -> models.DiagnosticQuestion:
    """Firm admins only. It is no longer drawn; the cases that asked it keep it."""
    user = current_user(request)
    question_archive(question=question_get_for(advisor=user, pk=id), by=user)
    return question_get_for(advisor=user, pk=id)


@firm_playbook.get(
    "/meeting-plans",
    response=responses({200: list[schemas.MeetingPlan]}, not_found=False),
    summary="List the meeting plans",
)
@paginate(Pagination)
def list_meeting_plans(request: HttpRequest) -> QuerySet[models.MeetingPlan]:
    return meeting_plans_of(advisor=current_user(request))


@firm_playbook.get(
    "/meeting-plans/{id}",
    response=responses({200: schemas.MeetingPlan}),
    summary="Get a meeting plan",
)
def get_meeting_plan(request: HttpRequest, id: RecordId) -> models.MeetingPlan:
    return meeting_plan_get_for(advisor=current_user(request), pk=id)


@firm_playbook.patch(
    "/meeting-plans/{id}",
    response=responses({200: schemas.MeetingPlan}),
    summary="Update a meeting plan",
)
def update_meeting_plan(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingPlanUpdate
) -> models.MeetingPlan:
    """Firm admins only. Meetings already scheduled keep what they copied."""
    user = current_user(request)
    plan = meeting_plan_get_for(advisor=user, pk=id)
    meeting_plan_update(plan=plan, by=user, **_changes(payload, clearable=("purpose",)))
    return meeting_plan_get_for(advisor=user, pk=id)


def _plan_item(user: User, plan_id: int, item_id: int) -> models.MeetingPlanItem:
    item = meeting_plan_item_get_for(advisor=user, pk=item_id)
    if item.plan_id != plan_id:
        raise Http404(PLAN_NOT_FOUND)
    return item


@firm_playbook.post(
    "/meeting-plans/{id}/items",
    response=responses({201: schemas.MeetingPlanItem}),
    summary="Add a point to a meeting plan",
)
def add_meeting_plan_item(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingPlanItemCreate
) -> Status[models.MeetingPlanItem]:
    """Firm admins only. Meetings scheduled from now on cover it."""
    user = current_user(request)
    item = meeting_plan_item_add(
        plan=meeting_plan_get_for(advisor=user, pk=id),
        by=user,
        prompt=payload.prompt,
        guidance=payload.guidance,
        profile_field=payload.profile_field or "",
        position=payload.position,
    )
    return Status(201, item)


@firm_playbook.patch(
    "/meeting-plans/{id}/items/{item_id}",
    response=responses({200: schemas.MeetingPlanItem}),
    summary="Update a point of a meeting plan",
)
def update_meeting_plan_item(
    request: HttpRequest, id: RecordId, item_id: RecordId, payload: schemas.MeetingPlanItemUpdate
) -> models.MeetingPlanItem:
    """Firm admins only. Meetings already scheduled keep their copy of the point."""
    user = current_user(request)
    item = _plan_item(user, id, item_id)
    changes = _changes(payload, clearable=("guidance", "profile_field"))
    return meeting_plan_item_update(item=item, by=user, **changes)


@firm_playbook.post(
    "/meeting-plans/{id}/items/{item_id}/remove",
    response=responses({200: schemas.MeetingPlan}),
    summary="Remove a point from a meeting plan",
)
def remove_meeting_plan_item(
    request: HttpRequest, id: RecordId, item_id: RecordId
) -> models.MeetingPlan:
    """Firm admins only. Meetings already scheduled keep the point, and the plan's history
    keeps the removal."""
    user = current_user(request)
    meeting_plan_item_remove(item=_plan_item(user, id, item_id), by=user)
    return meeting_plan_get_for(advisor=user, pk=id)


@firm_playbook.get(
    "/cadence-defaults",
    response=responses({200: list[schemas.CadenceDefault]}, not_found=False),
    summary="List the cadence defaults",
)
@paginate(Pagination)
def list_cadence_defaults(request: HttpRequest) -> QuerySet[models.CadenceDefault]:
    return cadence_defaults_of(advisor=current_user(request))


@firm_playbook.put(
    "/cadence-defaults",
    response=responses({200: schemas.CadenceDefaultList}, not_found=False),
    summary="Set a cadence default",
)
def set_cadence_default(request: HttpRequest, payload: schemas.CadenceDefaultSet) -> dict[str, Any]:
    """Firm admins only. The keep-warm rhythm of one kind for partners in one stage, or none
    (``enabled: false``); a partner's own override still wins. Answers all the defaults."""
    user = current_user(request)
    if payload.enabled:
        cadence_default_set(
            by=user, stage=payload.stage, kind=payload.kind, interval_months=payload.interval_months
        )
    else:
        cadence_default_remove(by=user, stage=payload.stage, kind=payload.kind)
    items = list(cadence_defaults_of(advisor=user))
    return {"items": items, "count": len(items)}
