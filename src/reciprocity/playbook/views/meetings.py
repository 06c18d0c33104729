"""Web pages of meetings (a partner's meetings, one meeting, move, cancel) and of the firm's
meeting plans."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reciprocity.accounts.decorators import posting_requires_write, write_required
from reciprocity.playbook.forms.meetings import (
    MeetingCancelForm,
    MeetingHoldForm,
    MeetingPlanForm,
    MeetingRescheduleForm,
    MeetingScheduleForm,
    PlanItemForm,
)
from reciprocity.playbook.models import Meeting, MeetingKind, MeetingStatus, ProfileField
from reciprocity.playbook.selectors.brief import partner_brief
from reciprocity.playbook.selectors.meetings import (
    PLAN_NOT_FOUND,
    meeting_get_for,
    meeting_plan_for,
    meeting_plan_get_for,
    meeting_plan_item_get_for,
    meeting_plans_of,
    meetings_of,
)
from reciprocity.playbook.services import meetings as services
from reciprocity.playbook.views.common import (
    is_firm_admin,
    partner_or_404,
    partner_page,
)
from reciprocity.web.forms import form_creates, form_posted, form_saves, form_submitted
from reciprocity.web.http import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def partner_meetings(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_or_404(request, pk)
    plan = meeting_plan_for(partner=partner)
    kind = request.GET.get("kind")
    if kind not in MeetingKind.values:
        kind = plan.kind if plan else MeetingKind.FIRST
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    form = MeetingScheduleForm(
        request.POST or None,
        initial={
            "kind": kind,
            "scheduled_for": timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(10))),
        },
    )
    if request.method == "POST":
        meeting = form_creates(
            form,
            lambda data: services.meeting_schedule(partner=partner, by=request.user, **data),
        )
        if meeting is not None:
            messages.success(request, f"{meeting.get_kind_display()} scheduled.")
            return redirect("meeting_detail", partner_id=partner.pk, meeting_id=meeting.pk)
    return partner_page(
        request,
        partner,
        "playbook/partner_meetings.html",
        {
            "meetings": list(meetings_of(partner=partner)),
            "plans": list(meeting_plans_of(advisor=request.user)),
            "form": form,
        },
    )


def _meeting(request: AuthedRequest, partner_id: int, meeting_id: int) -> Meeting:
    return meeting_get_for(advisor=request.user, pk=meeting_id, partner_id=partner_id)


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def meeting_detail(request: AuthedRequest, partner_id: int, meeting_id: int) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    meeting = _meeting(request, partner.pk, meeting_id)
    points = list(meeting.points.all())
    form = MeetingHoldForm(request.POST or None, points=points)
    if form_submitted(
        request,
        form,
        lambda data: services.meeting_hold(
            meeting=meeting,
            by=request.user,
            held_at=data.get("held_at"),
            answers=form.answers(),
            covered=form.covered(),
            summary=data.get("summary") or "",
        ),
        done=f"{meeting.get_kind_display()} held; the profile is updated.",
    ):
        return redirect("partner_detail", pk=partner.pk)
    return partner_page(
        request,
        partner,
        "playbook/meeting_detail.html",
        {
            "meeting": meeting,
            "brief": partner_brief(partner=partner),
            "form": form,
            "cancel_form": MeetingCancelForm(),
            "reschedule_form": MeetingRescheduleForm(
                initial={
                    "scheduled_for": timezone.localtime(meeting.scheduled_for),
                    "duration_minutes": meeting.duration_minutes,
                    "location": meeting.location,
                }
            ),
        },
        writable=meeting.status == MeetingStatus.PLANNED,
    )


@login_required
@require_POST
@write_required
def meeting_cancel(request: AuthedRequest, partner_id: int, meeting_id: int) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    meeting = _meeting(request, partner.pk, meeting_id)
    form = MeetingCancelForm(request.POST)
    if form_posted(
        request,
        form,
        lambda data: services.meeting_cancel(meeting=meeting, by=request.user, **data),
        done=f"{meeting.get_kind_display()} cancelled.",
    ):
        return redirect("partner_meetings", pk=partner.pk)
    return redirect("meeting_detail", partner_id=partner.pk, meeting_id=meeting.pk)


@login_required
@require_POST
@write_required
def meeting_reschedule(request: AuthedRequest, partner_id: int, meeting_id: int) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    meeting = _meeting(request, partner.pk, meeting_id)
    form = MeetingRescheduleForm(request.POST)
    form_posted(
        request,
        form,
        lambda data: services.meeting_update(meeting=meeting, by=request.user, **data),
        done=lambda: (
            f"{meeting.get_kind_display()} moved to "
            f"{timezone.localtime(meeting.scheduled_for):%A, %b %-d, %Y, %-I:%M %p}."
        ),
    )
    return redirect("meeting_detail", partner_id=partner.pk, meeting_id=meeting.pk)


@login_required
@require_GET
def meeting_plans(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "playbook/meeting_plans.html",
        {
            "plans": list(meeting_plans_of(advisor=request.user)),
            "is_admin": is_firm_admin(request),
        },
    )


def _plan_page(
    request: AuthedRequest, plan: Any, form: Any = None, item_form: Any = None
) -> HttpResponse:
    return render(
        request,
        "playbook/meeting_plan.html",
        {
            "plan": plan,
            "items": list(plan.items.all()),
            "form": form
            or MeetingPlanForm(
                initial={
                    "name": plan.name,
                    "purpose": plan.purpose,
                    "duration_minutes": plan.duration_minutes,
                }
            ),
            "item_form": item_form or PlanItemForm(),
            "profile_fields": ProfileField.choices,
            "is_admin": is_firm_admin(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_plan(request: AuthedRequest, plan_id: int) -> HttpResponse:
    plan = meeting_plan_get_for(advisor=request.user, pk=plan_id)
    if request.method == "GET":
        return _plan_page(request, plan)
    form = MeetingPlanForm(request.POST)
    if form_saves(
        form,
        lambda data: services.meeting_plan_update(plan=plan, by=request.user, **data),
    ):
        messages.success(request, "Meeting plan saved.")
        return redirect("meeting_plan", plan_id=plan.pk)
    plan.refresh_from_db()  # the page shows the plan as saved, not the rejected change
    return _plan_page(request, plan, form=form)


@login_required
@require_POST
def plan_item_add(request: AuthedRequest, plan_id: int) -> HttpResponse:
    plan = meeting_plan_get_for(advisor=request.user, pk=plan_id)
    form = PlanItemForm(request.POST)
    if form_saves(
        form,
        lambda data: services.meeting_plan_item_add(plan=plan, by=request.user, **data),
    ):
        messages.success(request, "Point added to the plan.")
        return redirect("meeting_plan", plan_id=plan.pk)
    return _plan_page(request, plan, item_form=form)


def _plan_item(request: AuthedRequest, plan_id: int, item_id: int) -> Any:
    item = meeting_plan_item_get_for(advisor=request.user, pk=item_id)
    if item.plan_id != plan_id:
        raise Http404(PLAN_NOT_FOUND)
    return item


@login_required
@require_POST
def plan_item_update(request: AuthedRequest, plan_id: int, item_id: int) -> HttpResponse:
    item = _plan_item(request, plan_id, item_id)
    form = PlanItemForm(request.POST)
    form_posted(
        request,
        form,
        lambda data: services.meeting_plan_item_update(item=item, by=request.user, **data),
        done="Point saved.",
    )
    return redirect("meeting_plan", plan_id=item.plan_id)


@login_required
@require_POST
def plan_item_remove(request: AuthedRequest, plan_id: int, item_id: int) -> HttpResponse:
    item = _plan_item(request, plan_id, item_id)
    services.meeting_plan_item_remove(item=item, by=request.user)
    messages.success(request, "Point removed; meetings already planned keep it.")
    return redirect("meeting_plan", plan_id=plan_id)
