"""Meetings through the API: a partner's meetings, hold, cancel, move; and the firm's meeting
plans (firm admins)."""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from reciprocity.accounts.models import User
from reciprocity.api.auth import current_user
from reciprocity.api.common import ListOperations, RecordOperations, created_for_partner
from reciprocity.api.errors import fields_renamed, responses
from reciprocity.api.pagination import Pagination
from reciprocity.api.playbook.common import changes_of, partner_or_404
from reciprocity.api.playbook.schemas import meetings as schemas
from reciprocity.api.schemas.common import RecordId
from reciprocity.playbook import models
from reciprocity.playbook.selectors.meetings import (
    PLAN_NOT_FOUND,
    meeting_get_for,
    meeting_plan_get_for,
    meeting_plan_item_get_for,
    meeting_plans_of,
    meetings_of,
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

partner_meetings = Router(tags=["Meetings"])
MEETINGS = ListOperations(partner_meetings, "/{id}/meetings", schemas.Meeting)

# The firm's playbook: everyone in the firm reads it; only its firm admins change it (the
# services refuse anyone else with 403, as the web pages do).
# Nothing is deleted but a plan's point, whose removal stays in its history and in the
# meetings that copied it.
firm_meeting_plans = Router(tags=["Firm playbook"])

meetings = Router(tags=["Meetings"])


MEETING = RecordOperations(meetings, schemas.Meeting, get=meeting_get_for, record="meeting")
MEETING_PLAN = RecordOperations(
    firm_meeting_plans,
    schemas.MeetingPlan,
    get=meeting_plan_get_for,
    record="plan",
    path="/meeting-plans/{id}",
)


@MEETINGS.listing("List a partner's meetings")
def list_meetings(request: HttpRequest, id: RecordId) -> QuerySet[models.Meeting]:
    """Planned, held and cancelled, latest first, with their points."""
    return meetings_of(partner=partner_or_404(current_user(request), id))


@MEETINGS.adding("Schedule a meeting")
def schedule_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingCreate
) -> Status[models.Meeting]:
    """The firm's plan for the meeting's kind is copied in as the points to cover."""
    return created_for_partner(
        request,
        id,
        meeting_schedule,
        answer=meeting_get_for,
        **payload.model_dump(),
    )


@MEETING.read("Get a meeting")
def get_meeting(request: HttpRequest, id: RecordId) -> models.Meeting:
    return meeting_get_for(advisor=current_user(request), pk=id)


@MEETING.action("/hold", "Record a meeting as held")
def hold_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingHold
) -> models.Meeting:
    """What was covered and answered; answers to points that name a profile field fill the
    partner's profile, and the meeting is a touch on the timeline."""
    with fields_renamed({f"point_{p.point}": "points" for p in payload.points}):
        return MEETING.changed(
            request,
            id,
            meeting_hold,
            held_at=payload.held_at,
            answers={p.point: p.answer for p in payload.points if p.answer},
            covered=[p.point for p in payload.points if p.covered],
            summary=payload.summary,
        )


@MEETING.action("/cancel", "Cancel a meeting")
def cancel_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingCancel
) -> models.Meeting:
    return MEETING.changed(request, id, meeting_cancel, reason=payload.reason)


@MEETING.action("/reschedule", "Reschedule a meeting")
def reschedule_meeting(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingReschedule
) -> models.Meeting:
    """Only a planned meeting moves; the agenda and the calendar feed follow."""
    return MEETING.changed(
        request,
        id,
        meeting_update,
        **payload.model_dump(),
    )


@firm_meeting_plans.get(
    "/meeting-plans",
    response=responses({200: list[schemas.MeetingPlan]}, not_found=False),
    summary="List the meeting plans",
)
@paginate(Pagination)
def list_meeting_plans(request: HttpRequest) -> QuerySet[models.MeetingPlan]:
    return meeting_plans_of(advisor=current_user(request))


@MEETING_PLAN.read("Get a meeting plan")
def get_meeting_plan(request: HttpRequest, id: RecordId) -> models.MeetingPlan:
    return meeting_plan_get_for(advisor=current_user(request), pk=id)


@MEETING_PLAN.update("Update a meeting plan")
def update_meeting_plan(
    request: HttpRequest, id: RecordId, payload: schemas.MeetingPlanUpdate
) -> models.MeetingPlan:
    """Firm admins only. Meetings already scheduled keep what they copied."""
    user = current_user(request)
    plan = meeting_plan_get_for(advisor=user, pk=id)
    meeting_plan_update(plan=plan, by=user, **changes_of(payload, clearable=("purpose",)))
    return meeting_plan_get_for(advisor=user, pk=id)


def _plan_item(user: User, plan_id: int, item_id: int) -> models.MeetingPlanItem:
    item = meeting_plan_item_get_for(advisor=user, pk=item_id)
    if item.plan_id != plan_id:
        raise Http404(PLAN_NOT_FOUND)
    return item


@firm_meeting_plans.post(
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


@firm_meeting_plans.patch(
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
    changes = changes_of(payload, clearable=("guidance", "profile_field"))
    return meeting_plan_item_update(item=item, by=user, **changes)


@MEETING_PLAN.action("/items/{item_id}/remove", "Remove a point from a meeting plan")
def remove_meeting_plan_item(
    request: HttpRequest, id: RecordId, item_id: RecordId
) -> models.MeetingPlan:
    """Firm admins only. Meetings already scheduled keep the point, and the plan's history
    keeps the removal."""
    user = current_user(request)
    meeting_plan_item_remove(item=_plan_item(user, id, item_id), by=user)
    return meeting_plan_get_for(advisor=user, pk=id)
