"""Reads of meeting plans and meetings."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from reciprocity.accounts.models import User
from reciprocity.ids import get_visible_or_404
from reciprocity.partners.models import Partner
from reciprocity.playbook.models import MEETING_FOR_STAGE, Meeting, MeetingPlan, MeetingPlanItem
from reciprocity.playbook.selectors.common import pk_or_404, visible_partners

MEETING_NOT_FOUND = "No meeting with that id."
PLAN_NOT_FOUND = "No meeting plan with that id."


def meeting_plans_of(*, advisor: User) -> QuerySet[MeetingPlan]:
    if advisor.firm_id is None:
        return MeetingPlan.objects.none()
    return MeetingPlan.objects.filter(firm_id=advisor.firm_id).prefetch_related("items")


def meeting_plan_get_for(*, advisor: User, pk: Any) -> MeetingPlan:
    plan = meeting_plans_of(advisor=advisor).filter(pk=pk_or_404(pk, PLAN_NOT_FOUND)).first()
    if plan is None:
        raise Http404(PLAN_NOT_FOUND)
    return plan


def meeting_plan_item_get_for(*, advisor: User, pk: Any) -> MeetingPlanItem:
    visible = MeetingPlanItem.objects.select_related("plan").filter(
        plan__in=meeting_plans_of(advisor=advisor)
    )
    return get_visible_or_404(visible, pk, not_found=PLAN_NOT_FOUND)


def meeting_plan_for(*, partner: Partner, kind: str | None = None) -> MeetingPlan | None:
    """The firm's plan for ``kind``, or for the meeting the partner's stage works towards."""
    kind = kind or MEETING_FOR_STAGE.get(partner.stage)
    if not kind:
        return None
    return (
        MeetingPlan.objects.filter(firm_id=partner.firm_id, kind=kind)
        .prefetch_related("items")
        .first()
    )


def meetings_of(*, partner: Partner) -> QuerySet[Meeting]:
    return (
        partner.meetings.select_related("plan", "by")
        .prefetch_related("points")
        .order_by("-scheduled_for", "-pk")
    )


def meeting_get_for(*, advisor: User, pk: Any, partner_id: Any = None) -> Meeting:
    qs = Meeting.objects.select_related("partner", "plan").prefetch_related("points")
    qs = qs.filter(pk=pk_or_404(pk, MEETING_NOT_FOUND), partner__in=visible_partners(advisor))
    if partner_id is not None:
        qs = qs.filter(partner_id=pk_or_404(partner_id, MEETING_NOT_FOUND))
    meeting = qs.first()
    if meeting is None:
        raise Http404(MEETING_NOT_FOUND)
    return meeting
