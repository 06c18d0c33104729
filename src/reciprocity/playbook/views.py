"""Web pages of the playbook: the agenda, a partner's playbook (brief, strategy, cadences,
meetings, agreement, concerns, cases, opportunities), the playbook's settings, and the two
calendar URLs. Forms parse, services write, selectors read.

Every write answers a plain POST with a redirect, so it works without JavaScript; an htmx request
gets the region it came from (HX-Target) re-rendered in place, with the flash messages out of band.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reciprocity.accounts.models import Role
from reciprocity.partners import selectors as partner_selectors
from reciprocity.partners import services as partner_services
from reciprocity.partners.forms import add_service_errors
from reciprocity.partners.models import CommitmentOwner, TouchKind
from reciprocity.partners.views import (
    AuthedRequest,
    _flash_errors,
    _partial,
    _safe_next,
    _target,
    vary_on_htmx,
)
from reciprocity.playbook.agenda import AgendaItem
from reciprocity.playbook.forms.agenda import (
    AgendaCompleteForm,
    AgendaSnoozeForm,
    AgendaUnsnoozeForm,
)
from reciprocity.playbook.forms.agreements import AgreementEndForm, AgreementForm
from reciprocity.playbook.forms.cadences import (
    CadenceDefaultForm,
    CadenceDefaultRemoveForm,
    CadenceForm,
    CadenceResetForm,
)
from reciprocity.playbook.forms.library import (
    CaseCreateForm,
    CaseForm,
    CaseQuestionsForm,
    ConcernForm,
    ConcernMatchForm,
    QuestionForm,
    SolutionForm,
)
from reciprocity.playbook.forms.meetings import (
    MeetingCancelForm,
    MeetingHoldForm,
    MeetingPlanForm,
    MeetingRescheduleForm,
    MeetingScheduleForm,
    PlanItemForm,
)
from reciprocity.playbook.forms.message import DigestForm, MessageCheckForm, MessageForm
from reciprocity.playbook.forms.strategies import (
    OpportunityCloseForm,
    OpportunityForm,
    OpportunityLinkForm,
    OpportunityRequestForm,
    StrategyForm,
)
from reciprocity.playbook.models import (
    CADENCE_COMPLETION_TOUCH,
    CADENCE_TOUCH_KINDS,
    OPEN_OPPORTUNITY_STATUSES,
    STRATEGY_RUNGS,
    AgreementStatus,
    CaseStatus,
    ConcernStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Opportunity,
    OpportunityStatus,
    ProfileField,
    Strategy,
    Topic,
)
from reciprocity.playbook.selectors import library as library_selectors
from reciprocity.playbook.selectors.agenda import agenda_for, snoozes_of
from reciprocity.playbook.selectors.agreements import (
    AGREEMENT_NOT_FOUND,
    agreement_active_for,
    agreement_document,
    agreement_get_for,
    agreements_of,
)
from reciprocity.playbook.selectors.brief import PartnerBrief, partner_brief
from reciprocity.playbook.selectors.cadences import (
    EffectiveCadence,
    cadence_defaults_of,
    cadences_of,
)
from reciprocity.playbook.selectors.calendar import (
    calendar_feed_for_token,
    calendar_feed_of,
    meeting_ics,
)
from reciprocity.playbook.selectors.meetings import (
    PLAN_NOT_FOUND,
    meeting_get_for,
    meeting_plan_for,
    meeting_plan_get_for,
    meeting_plan_item_get_for,
    meeting_plans_of,
    meetings_of,
)
from reciprocity.playbook.selectors.message import advisor_profile_of
from reciprocity.playbook.selectors.strategies import (
    OPPORTUNITY_NOT_FOUND,
    opportunities_of,
    opportunity_get_for,
    referrals_to_link,
    strategy_yield,
)
from reciprocity.playbook.services import agenda as agenda_services
from reciprocity.playbook.services import agreements as agreements_services
from reciprocity.playbook.services import cadences as cadences_services
from reciprocity.playbook.services import library as library_services
from reciprocity.playbook.services import meetings as meetings_services
from reciprocity.playbook.services import strategies as strategies_services
from reciprocity.playbook.services.calendar import calendar_feed_create, calendar_feed_revoke
from reciprocity.playbook.services.message import (
    advisor_digest_set,
    advisor_message_set,
    message_check_record,
)

ICS_TYPE = "text/calendar; charset=utf-8"
# Ids of the page regions htmx swaps (the templates use the same ids).
AGENDA = "agenda"


# --- The calendar ---------------------------------------------------------------------------


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed calendars subscribe to; the secret in the URL is the only credential."""
    response = HttpResponse(calendar_feed_for_token(token), content_type=ICS_TYPE)
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = 'inline; filename="reciprocity.ics"'
    return response


@require_GET
@login_required
def meeting_download(request: HttpRequest, partner_id: int, meeting_id: int) -> HttpResponse:
    body, filename = meeting_ics(
        advisor=request.user,  # type: ignore[arg-type]
        partner_id=partner_id,
        meeting_id=meeting_id,
    )
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The agenda -----------------------------------------------------------------------------

GROUPS = (("overdue", "Overdue"), ("today", "Today"), ("week", "This week"))


@dataclass(frozen=True)
class AgendaRow:
    """An agenda item with how the page lets it be completed."""

    item: AgendaItem
    group: str
    # The touch logged on completion: choices, the preselected one, and whether "no touch" is one.
    touch_choices: list[tuple[str, str]]
    touch_initial: str
    set_aside: str  # how it leaves the agenda undone: "Drop" a commitment, "Skip" a step
    can_complete: bool
    done_label: str
    link: str
    link_label: str

    @property
    def dom_id(self) -> str:
        return self.item.key.replace(":", "-")


def _agenda_row(item: AgendaItem, group: str, today: dt.date) -> AgendaRow:
    partner_url = reverse("partner_detail", args=[item.partner_id])
    all_kinds = list(TouchKind.choices)
    if item.source == "commitment":
        return AgendaRow(
            item, group, [("", "No touch"), *all_kinds], "", "Drop", True, "Done", partner_url, ""
        )
    if item.source == "cadence":
        kind = item.key.split(":")[2]
        kinds = [(k, TouchKind(k).label) for k in CADENCE_TOUCH_KINDS.get(kind, ())]
        initial = CADENCE_COMPLETION_TOUCH.get(kind, "")
        return AgendaRow(item, group, kinds, initial, "", True, "Done", partner_url, "")
    if item.source == "opportunity":
        return AgendaRow(item, group, all_kinds, TouchKind.CALL, "", True, "Asked", partner_url, "")
    if item.source == "meeting":
        url = reverse("meeting_detail", args=[item.partner_id, item.object_id])
        label = "Record" if item.due < today else "Prepare"
        return AgendaRow(item, group, [], "", "", item.due <= today, "Held", url, label)
    if item.source == "referral_step":
        # The step logs the touch of its own kind; the referral's page has the whole protocol.
        url = item.url or partner_url
        return AgendaRow(item, group, [], "", "Skip", True, "Done", url, "Referral")
    return AgendaRow(item, group, [], "", "", True, "Done", partner_url, "")


def _agenda_context(
    request: AuthedRequest, snooze_form: AgendaSnoozeForm | None = None
) -> dict[str, Any]:
    today = timezone.localdate()
    agenda = agenda_for(request.user, today=today)
    lists = {"overdue": agenda.overdue, "today": agenda.due_today, "week": agenda.this_week}
    groups = [
        (key, title, [_agenda_row(item, key, today) for item in lists[key]])
        for key, title in GROUPS
    ]
    return {
        "groups": groups,
        "total": len(agenda),
        "today": today,
        "week_end": today + dt.timedelta(days=7),
        "snoozes": list(snoozes_of(advisor=request.user, today=today)),
        "snooze_form": snooze_form,
        "snooze_default": today + dt.timedelta(days=7),
        "can_write": not request.user.is_read_only,
    }


def _agenda_response(
    request: AuthedRequest, snooze_form: AgendaSnoozeForm | None = None
) -> HttpResponse:
    context = _agenda_context(request, snooze_form)
    if _target(request) == AGENDA:
        return _partial(request, "playbook/agenda.html#agenda", context)
    return render(request, "playbook/agenda.html", context)


def _after_agenda_write(request: AuthedRequest) -> HttpResponse:
    if request.htmx:
        return _agenda_response(request)
    return redirect(_safe_next(request) or reverse("agenda"))


@login_required
@vary_on_htmx
def agenda(request: AuthedRequest) -> HttpResponse:
    return _agenda_response(request)


def _completed(result: Any) -> str:
    """What the confirmation says, from the record that completed the item."""
    if isinstance(result, Opportunity):
        return f"Meeting requested: {result.title}"
    if isinstance(result, Meeting):
        return f"Held: {result}"
    if hasattr(result, "what"):
        return f"Done: {result.what}"
    if hasattr(result, "label") and getattr(result, "touch", None) is not None:
        # A referral's protocol step, logged as a touch of its kind.
        touch = result.touch
        return f"Done: {result.label}. Logged: {touch.get_kind_display()} with {touch.partner.name}"
    if hasattr(result, "get_kind_display"):
        return f"Logged: {result.get_kind_display()} with {result.partner.name}"
    return "Done."


@login_required
@require_POST
def agenda_complete(request: AuthedRequest) -> HttpResponse:
    partner_services.ensure_can_write(request.user)
    form = AgendaCompleteForm(request.POST)
    if form.is_valid():
        key, touch_kind = form.cleaned_data["key"], form.cleaned_data["touch_kind"] or None
        try:
            if form.cleaned_data["action"] == "drop":
                aside = agenda_services.agenda_set_aside(by=request.user, key=key)
                messages.success(
                    request,
                    f"Dropped: {aside.what}" if hasattr(aside, "what") else f"Skipped: {aside}",
                )
            else:
                result = agenda_services.agenda_complete(
                    by=request.user, key=key, touch_kind=touch_kind
                )
                messages.success(request, _completed(result))
        except ValidationError as error:
            add_service_errors(form, error)
    _flash_errors(request, form)
    return _after_agenda_write(request)


@login_required
@require_POST
def agenda_snooze(request: AuthedRequest) -> HttpResponse:
    partner_services.ensure_can_write(request.user)
    form = AgendaSnoozeForm(request.POST)
    if form.is_valid():
        try:
            snooze = agenda_services.agenda_snooze(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Snoozed until {snooze.until:%a, %b %-d}: {snooze.reason}")
            return _after_agenda_write(request)
    return _agenda_response(request, snooze_form=form)


@login_required
@require_POST
def agenda_unsnooze(request: AuthedRequest) -> HttpResponse:
    partner_services.ensure_can_write(request.user)
    form = AgendaUnsnoozeForm(request.POST)
    if form.is_valid():
        agenda_services.agenda_unsnooze(by=request.user, key=form.cleaned_data["key"])
        messages.success(request, "Back on the agenda.")
    return _after_agenda_write(request)


# --- A partner's playbook -------------------------------------------------------------------

PLAYBOOK = "playbook"


@dataclass(frozen=True)
class PartnerPlaybook:
    """What the playbook panel of a partner page shows."""

    brief: PartnerBrief
    cadences: list[EffectiveCadence]
    meetings: list[Meeting]
    opportunities: list[Opportunity]
    referrals: list[Any]  # received referrals an opportunity closed as referred may link
    concerns: list[Any]
    cases: list[Any]
    strategies: list[tuple[str, str]]
    rung: int

    @property
    def partner(self) -> Any:
        return self.brief.partner


def partner_playbook(user: Any, partner: Any) -> PartnerPlaybook:
    """The panel's data in a fixed number of queries, whatever the partner's history."""
    brief = partner_brief(advisor=user, partner=partner)
    return PartnerPlaybook(
        brief=brief,
        cadences=cadences_of(partner=brief.partner),
        meetings=list(
            brief.partner.meetings.filter(status=MeetingStatus.PLANNED)
            .select_related("plan")
            .order_by("scheduled_for", "pk")[:PANEL_LIMIT]
        ),
        opportunities=list(
            opportunities_of(partner=brief.partner).filter(status__in=OPEN_OPPORTUNITY_STATUSES)[
                :PANEL_LIMIT
            ]
        ),
        referrals=list(referrals_to_link(partner=brief.partner)),
        concerns=list(
            library_selectors.concerns_of(partner=brief.partner).filter(status=ConcernStatus.OPEN)[
                :PANEL_LIMIT
            ]
        ),
        cases=list(library_selectors.cases_of(partner=brief.partner)[:PANEL_LIMIT]),
        strategies=[(s.value, s.label) for s in Strategy if s.value != brief.strategy],
        rung=STRATEGY_RUNGS[Strategy(brief.strategy)],
    )


# How many of each kind of record the panel lists; the partner's own pages list them all.
PANEL_LIMIT = 5


def panel_context(request: AuthedRequest, partner: Any) -> dict[str, Any]:
    return {
        "playbook": partner_playbook(request.user, partner),
        "partner": partner,
        "is_owner": partner.owner_id == request.user.pk,
        "can_write": _can_write(request, partner),
        "touch_kinds": TouchKind.choices,
    }


def _partner(request: AuthedRequest, pk: int) -> Any:
    return partner_selectors.partner_get_for(advisor=request.user, pk=pk)


def _panel_or_redirect(request: AuthedRequest, partner: Any, fallback: str = "") -> HttpResponse:
    """After a write from the panel: the panel again (htmx), else back to where it came from."""
    if _target(request) == PLAYBOOK:
        partner = _partner(request, partner.pk)
        return _partial(
            request, "playbook/includes/partner_panel.html", panel_context(request, partner)
        )
    default = fallback or reverse("partner_detail", args=[partner.pk]) + "#playbook"
    return redirect(_safe_next(request) or default)


def _attempt(request: AuthedRequest, form: Any, write: Any) -> bool:
    """Run a write with a valid form's data; a refusal lands on the form. True when saved."""
    if not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True


def _created(request: AuthedRequest, form: Any, create: Any) -> Any:
    """Like ``_attempt`` for a write that creates a record: the record, or None when refused."""
    created: list[Any] = []
    if _attempt(request, form, lambda data: created.append(create(data))):
        return created[0]
    return None


@login_required
@require_POST
def strategy_switch(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    partner_services.ensure_can_write(request.user)
    form = StrategyForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: strategies_services.strategy_set(partner=partner, by=request.user, **data),
    ):
        label = Strategy(form.cleaned_data["strategy"]).label
        messages.success(request, f"Strategy with {partner.name}: {label}.")
    _flash_errors(request, form)
    return _panel_or_redirect(request, partner)


@login_required
@require_POST
def message_check(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    partner_services.ensure_can_write(request.user)
    form = MessageCheckForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: message_check_record(partner=partner, by=request.user, **data),
    ):
        messages.success(request, "Recorded whether they could say your message back.")
    _flash_errors(request, form)
    return _panel_or_redirect(request, partner)


# --- Cadences ---


@login_required
@require_http_methods(["GET", "POST"])
def partner_cadences(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    form = CadenceForm(request.POST or None)
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        if _attempt(
            request,
            form,
            lambda data: cadences_services.cadence_set(partner=partner, by=request.user, **data),
        ):
            messages.success(request, "Cadence saved for this partner.")
            return redirect("partner_cadences", pk=partner.pk)
    return render(
        request,
        "playbook/partner_cadences.html",
        {
            "partner": partner,
            "cadences": cadences_of(partner=partner),
            "overrides": list(partner.cadences.order_by("kind")),
            "form": form,
            "can_write": _can_write(request, partner),
        },
    )


@login_required
@require_POST
def partner_cadence_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    partner_services.ensure_can_write(request.user)
    form = CadenceResetForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: cadences_services.cadence_reset(partner=partner, by=request.user, **data),
    ):
        messages.success(request, "The firm's default applies again.")
    _flash_errors(request, form)
    return redirect("partner_cadences", pk=partner.pk)


def _can_write(request: AuthedRequest, partner: Any) -> bool:
    return not request.user.is_read_only and partner.archived_at is None


# --- Meetings ---


@login_required
@require_http_methods(["GET", "POST"])
def partner_meetings(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
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
        partner_services.ensure_can_write(request.user)
        meeting = _created(
            request,
            form,
            lambda data: meetings_services.meeting_schedule(
                partner=partner, by=request.user, **data
            ),
        )
        if meeting is not None:
            messages.success(request, f"{meeting.get_kind_display()} scheduled.")
            return redirect("meeting_detail", partner_id=partner.pk, meeting_id=meeting.pk)
    return render(
        request,
        "playbook/partner_meetings.html",
        {
            "partner": partner,
            "meetings": list(meetings_of(partner=partner)),
            "plans": list(meeting_plans_of(advisor=request.user)),
            "form": form,
            "can_write": _can_write(request, partner),
        },
    )


def _meeting(request: AuthedRequest, partner_id: int, meeting_id: int) -> Meeting:
    return meeting_get_for(advisor=request.user, pk=meeting_id, partner_id=partner_id)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_detail(request: AuthedRequest, partner_id: int, meeting_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    meeting = _meeting(request, partner.pk, meeting_id)
    points = list(meeting.points.all())
    form = MeetingHoldForm(request.POST or None, points=points)
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        if _attempt(
            request,
            form,
            lambda data: meetings_services.meeting_hold(
                meeting=meeting,
                by=request.user,
                held_at=data.get("held_at"),
                answers=form.answers(),
                covered=form.covered(),
                summary=data.get("summary") or "",
            ),
        ):
            messages.success(request, f"{meeting.get_kind_display()} held; the profile is updated.")
            return redirect("partner_detail", pk=partner.pk)
    return render(
        request,
        "playbook/meeting_detail.html",
        {
            "partner": partner,
            "meeting": meeting,
            "brief": partner_brief(advisor=request.user, partner=partner),
            "form": form,
            "cancel_form": MeetingCancelForm(),
            "reschedule_form": MeetingRescheduleForm(
                initial={
                    "scheduled_for": timezone.localtime(meeting.scheduled_for),
                    "duration_minutes": meeting.duration_minutes,
                    "location": meeting.location,
                }
            ),
            "can_write": _can_write(request, partner) and meeting.status == MeetingStatus.PLANNED,
        },
    )


@login_required
@require_POST
def meeting_cancel(request: AuthedRequest, partner_id: int, meeting_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    meeting = _meeting(request, partner.pk, meeting_id)
    partner_services.ensure_can_write(request.user)
    form = MeetingCancelForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: meetings_services.meeting_cancel(meeting=meeting, by=request.user, **data),
    ):
        messages.success(request, f"{meeting.get_kind_display()} cancelled.")
        return redirect("partner_meetings", pk=partner.pk)
    _flash_errors(request, form)
    return redirect("meeting_detail", partner_id=partner.pk, meeting_id=meeting.pk)


@login_required
@require_POST
def meeting_reschedule(request: AuthedRequest, partner_id: int, meeting_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    meeting = _meeting(request, partner.pk, meeting_id)
    partner_services.ensure_can_write(request.user)
    form = MeetingRescheduleForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: meetings_services.meeting_update(meeting=meeting, by=request.user, **data),
    ):
        when = timezone.localtime(meeting.scheduled_for)
        messages.success(
            request, f"{meeting.get_kind_display()} moved to {when:%A, %b %-d, %Y, %-I:%M %p}."
        )
    _flash_errors(request, form)
    return redirect("meeting_detail", partner_id=partner.pk, meeting_id=meeting.pk)


# --- Agreements ---


def _review_default() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=365)


@login_required
@require_http_methods(["GET", "POST"])
def partner_agreement(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    form = AgreementForm(
        request.POST or None,
        initial={
            "referral_process": partner.preferred_referral_process or None,
            "next_review": _review_default(),
        },
    )
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        if _attempt(
            request,
            form,
            lambda _data: agreements_services.agreement_create(
                partner=partner, by=request.user, **form.service_kwargs()
            ),
        ):
            messages.success(
                request, "Agreement recorded; each promise is now a commitment on both sides."
            )
            return redirect("partner_agreement", pk=partner.pk)
    agreements = list(agreements_of(partner=partner))
    active = next((a for a in agreements if a.status == AgreementStatus.ACTIVE), None)
    return render(
        request,
        "playbook/partner_agreement.html",
        {
            "partner": partner,
            "active": active,
            "history": [a for a in agreements if a is not active],
            "sides": [
                (CommitmentOwner.ADVISOR, "What you will do"),
                (CommitmentOwner.PARTNER, f"What {partner.name} will do"),
            ],
            "form": form,
            "end_form": AgreementEndForm(),
            "can_write": _can_write(request, partner),
            "show_form": request.method == "POST" or active is None or "new" in request.GET,
        },
    )


@login_required
@require_POST
def agreement_end(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    partner_services.ensure_can_write(request.user)
    active = agreement_active_for(partner=partner)
    if active is None:
        raise Http404(AGREEMENT_NOT_FOUND)
    form = AgreementEndForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: agreements_services.agreement_end(agreement=active, by=request.user, **data),
    ):
        messages.success(request, "Agreement ended; it stays in the history.")
    _flash_errors(request, form)
    return redirect("partner_agreement", pk=partner.pk)


@login_required
@require_GET
def agreement_print(request: AuthedRequest, pk: int) -> HttpResponse:
    """The active agreement (or ``?agreement=<id>`` of this partner) laid out for paper."""
    partner = _partner(request, pk)
    wanted = request.GET.get("agreement")
    agreement = (
        agreement_get_for(advisor=request.user, pk=wanted)
        if wanted
        else agreement_active_for(partner=partner)
    )
    if agreement is None or agreement.partner_id != partner.pk:
        raise Http404(AGREEMENT_NOT_FOUND)
    document = agreement_document(advisor=request.user, pk=agreement.pk)
    return render(request, "playbook/agreement_print.html", {"doc": document, "partner": partner})


# --- Concerns and opportunities ---


@login_required
@require_http_methods(["GET", "POST"])
def partner_concerns(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    form = ConcernForm(request.POST or None)
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        concern = _created(
            request,
            form,
            lambda data: library_services.concern_log(partner=partner, by=request.user, **data),
        )
        if concern is not None:
            messages.success(request, "Concern logged. Match it with what you solve.")
            return redirect("concern_detail", partner_id=partner.pk, concern_id=concern.pk)
    return render(
        request,
        "playbook/partner_concerns.html",
        {
            "partner": partner,
            "concerns": list(library_selectors.concerns_of(partner=partner)),
            "form": form,
            "can_write": _can_write(request, partner),
        },
    )


def _concern(request: AuthedRequest, partner: Any, concern_id: int) -> Any:
    concern = library_selectors.concern_get_for(advisor=request.user, pk=concern_id)
    if concern.partner_id != partner.pk:
        raise Http404(library_selectors.CONCERN_NOT_FOUND)
    return concern


@login_required
@require_http_methods(["GET", "POST"])
def concern_detail(request: AuthedRequest, partner_id: int, concern_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    concern = _concern(request, partner, concern_id)
    solutions = library_selectors.solutions_of(advisor=request.user)
    matches = library_selectors.solutions_matching(concern=concern)
    initial = {"solution": matches[0].solution.pk} if matches else {}
    form = ConcernMatchForm(request.POST or None, solutions=solutions, initial=initial)
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        if _attempt(
            request,
            form,
            lambda data: library_services.concern_match(concern=concern, by=request.user, **data),
        ):
            messages.success(
                request, "Matched: an opportunity to bring the solution and ask for a meeting."
            )
            return redirect("partner_detail", pk=partner.pk)
    return render(
        request,
        "playbook/concern_detail.html",
        {
            "partner": partner,
            "concern": concern,
            "matches": matches,
            "form": form,
            "opportunities": list(concern.opportunities.select_related("solution")),
            "can_write": _can_write(request, partner) and concern.status != ConcernStatus.DISMISSED,
        },
    )


@login_required
@require_POST
def concern_dismiss(request: AuthedRequest, partner_id: int, concern_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    concern = _concern(request, partner, concern_id)
    library_services.concern_dismiss(concern=concern, by=request.user)
    messages.success(request, "Concern dismissed.")
    return _panel_or_redirect(request, partner, reverse("partner_concerns", args=[partner.pk]))


@dataclass(frozen=True)
class OpportunityRow:
    """An opportunity on its page, with the form refused for it (shown with its errors)."""

    opportunity: Opportunity
    refused: Any = None

    @property
    def can_close(self) -> bool:
        return self.opportunity.status in OPEN_OPPORTUNITY_STATUSES

    @property
    def can_link(self) -> bool:
        return (
            self.opportunity.status == OpportunityStatus.REFERRED
            and self.opportunity.referral_id is None
        )

    @property
    def errors(self) -> list[str]:
        """What the refused form says, about the referral or the opportunity."""
        if self.refused is None:
            return []
        return [str(error) for errors in self.refused.errors.values() for error in errors]

    @property
    def selected(self) -> str:
        """The referral chosen in the refused form, chosen again."""
        return str(self.refused.data.get("referral", "")) if self.refused is not None else ""


def _opportunities_page(
    request: AuthedRequest,
    partner: Any,
    form: OpportunityForm | None = None,
    refused: tuple[int, Any] | None = None,
) -> HttpResponse:
    refused_pk, refused_form = refused or (None, None)
    return render(
        request,
        "playbook/partner_opportunities.html",
        {
            "partner": partner,
            "rows": [
                OpportunityRow(o, refused_form if o.pk == refused_pk else None)
                for o in opportunities_of(partner=partner)
            ],
            "referrals": list(referrals_to_link(partner=partner)),
            "yields": strategy_yield(advisor=request.user, partner=partner),
            "form": form or OpportunityForm(),
            "touch_kinds": TouchKind.choices,
            "can_write": _can_write(request, partner),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_opportunities(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    form = OpportunityForm(request.POST or None)
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        if _attempt(
            request,
            form,
            lambda data: strategies_services.opportunity_create(
                partner=partner,
                by=request.user,
                title=data["title"],
                strategy=data.get("strategy") or None,
                proposal=data.get("proposal") or "",
                ask_by=data.get("ask_by"),
            ),
        ):
            messages.success(request, "Opportunity added; it is on your agenda by its date.")
            return redirect("partner_opportunities", pk=partner.pk)
    return _opportunities_page(request, partner, form=form)


def _opportunity(request: AuthedRequest, partner: Any, opportunity_id: int) -> Opportunity:
    opportunity = opportunity_get_for(advisor=request.user, pk=opportunity_id)
    if opportunity.partner_id != partner.pk:
        raise Http404(OPPORTUNITY_NOT_FOUND)
    return opportunity


def _opportunity_refused(
    request: AuthedRequest, partner: Any, opportunity: Opportunity, form: Any
) -> HttpResponse:
    """The panel (htmx) flashes the refusal; without JavaScript the opportunities page shows
    it on the opportunity's form."""
    if _target(request) == PLAYBOOK:
        _flash_errors(request, form)
        return _panel_or_redirect(request, partner)
    return _opportunities_page(request, partner, refused=(opportunity.pk, form))


def _linked_message(opportunity: Opportunity) -> str:
    referral = opportunity.referral
    assert referral is not None
    return f"Referred: {opportunity.title}, linked to the referral “{referral.need}”."


@login_required
@require_POST
def opportunity_request(
    request: AuthedRequest, partner_id: int, opportunity_id: int
) -> HttpResponse:
    partner = _partner(request, partner_id)
    opportunity = _opportunity(request, partner, opportunity_id)
    partner_services.ensure_can_write(request.user)
    form = OpportunityRequestForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: strategies_services.opportunity_request_meeting(
            opportunity=opportunity, by=request.user, **data
        ),
    ):
        messages.success(request, f"Meeting requested: {opportunity.title}")
    _flash_errors(request, form)
    return _panel_or_redirect(request, partner)


@login_required
@require_POST
def opportunity_close(request: AuthedRequest, partner_id: int, opportunity_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    opportunity = _opportunity(request, partner, opportunity_id)
    partner_services.ensure_can_write(request.user)
    form = OpportunityCloseForm(request.POST, user=request.user)
    if not _attempt(
        request,
        form,
        lambda data: strategies_services.opportunity_close(
            opportunity=opportunity,
            by=request.user,
            outcome=data["outcome"],
            referral=data.get("referral"),
        ),
    ):
        return _opportunity_refused(request, partner, opportunity, form)
    if opportunity.referral_id is not None:
        messages.success(request, _linked_message(opportunity))
    else:
        messages.success(request, f"{opportunity.get_status_display()}: {opportunity.title}")
    return _panel_or_redirect(request, partner)


@login_required
@require_POST
def opportunity_link(request: AuthedRequest, partner_id: int, opportunity_id: int) -> HttpResponse:
    """Link the referral received that a referred (or still open) opportunity produced."""
    partner = _partner(request, partner_id)
    opportunity = _opportunity(request, partner, opportunity_id)
    partner_services.ensure_can_write(request.user)
    form = OpportunityLinkForm(request.POST, user=request.user)
    if not _attempt(
        request,
        form,
        lambda data: strategies_services.opportunity_link_referral(
            opportunity=opportunity, referral=data["referral"], by=request.user
        ),
    ):
        return _opportunity_refused(request, partner, opportunity, form)
    messages.success(request, _linked_message(opportunity))
    return _panel_or_redirect(request, partner, reverse("partner_opportunities", args=[partner.pk]))


@login_required
@require_POST
def opportunity_unlink(
    request: AuthedRequest, partner_id: int, opportunity_id: int
) -> HttpResponse:
    """Undo a link made by mistake; the opportunity stays referred."""
    partner = _partner(request, partner_id)
    opportunity = _opportunity(request, partner, opportunity_id)
    partner_services.ensure_can_write(request.user)
    try:
        strategies_services.opportunity_unlink_referral(opportunity=opportunity, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Unlinked the referral from {opportunity.title}.")
    return _panel_or_redirect(request, partner, reverse("partner_opportunities", args=[partner.pk]))


# --- Client cases ---


@login_required
@require_http_methods(["GET", "POST"])
def partner_cases(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    form = CaseCreateForm(request.POST or None)
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        case = _created(
            request,
            form,
            lambda data: library_services.case_create(partner=partner, by=request.user, **data),
        )
        if case is not None:
            messages.success(request, "Case started: ask the partner these questions.")
            return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)
    return render(
        request,
        "playbook/partner_cases.html",
        {
            "partner": partner,
            "cases": list(library_selectors.cases_of(partner=partner)),
            "form": form,
            "can_write": _can_write(request, partner),
        },
    )


def _case(request: AuthedRequest, partner: Any, case_id: int) -> Any:
    case = library_selectors.case_get_for(advisor=request.user, pk=case_id)
    if case.partner_id != partner.pk:
        raise Http404(library_selectors.CASE_NOT_FOUND)
    return case


def _case_page(
    request: AuthedRequest, partner: Any, case: Any, form: CaseForm | None = None, **extra: Any
) -> HttpResponse:
    questions = list(case.questions.all())
    form = form or CaseForm(
        initial={"alias": case.alias, "description": case.description, "solution": case.solution},
        questions=questions,
    )
    present = {q.question_id for q in questions}
    bank = library_selectors.question_bank(advisor=request.user).exclude(pk__in=present)
    return render(
        request,
        "playbook/case_detail.html",
        {
            "partner": partner,
            "case": case,
            "form": form,
            "answered": library_selectors.answered_count(case),
            "minimum": library_services.CASE_MIN_ANSWERS,
            "maximum": library_services.CASE_MAX_QUESTIONS,
            "questions_form": extra.get("questions_form") or CaseQuestionsForm(bank=bank),
            "ready_errors": extra.get("ready_errors", []),
            "can_write": _can_write(request, partner) and case.status == CaseStatus.DRAFT,
            "opportunity": getattr(case, "opportunity", None)
            if case.status == CaseStatus.READY
            else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request: AuthedRequest, partner_id: int, case_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    case = _case(request, partner, case_id)
    if request.method == "GET":
        return _case_page(request, partner, case)
    partner_services.ensure_can_write(request.user)
    form = CaseForm(request.POST, questions=list(case.questions.all()))
    if _attempt(
        request,
        form,
        lambda data: library_services.case_update(
            case=case,
            by=request.user,
            alias=data["alias"],
            description=data["description"],
            solution=data.get("solution") or "",
            answers=form.answers(),
        ),
    ):
        messages.success(request, "Case saved.")
        return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)
    return _case_page(request, partner, case, form)


@login_required
@require_POST
def case_ready(request: AuthedRequest, partner_id: int, case_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    case = _case(request, partner, case_id)
    partner_services.ensure_can_write(request.user)
    try:
        library_services.case_mark_ready(case=case, by=request.user)
    except ValidationError as error:
        return _case_page(request, partner, case, ready_errors=error.messages)
    messages.success(request, "Case ready: ask the partner for a meeting with the client.")
    return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)


@login_required
@require_POST
def case_questions_add(request: AuthedRequest, partner_id: int, case_id: int) -> HttpResponse:
    partner = _partner(request, partner_id)
    case = _case(request, partner, case_id)
    partner_services.ensure_can_write(request.user)
    form = CaseQuestionsForm(
        request.POST, bank=library_selectors.question_bank(advisor=request.user)
    )
    if _attempt(
        request,
        form,
        lambda data: library_services.case_questions_add(
            case=case, by=request.user, questions=list(data["questions"])
        ),
    ):
        messages.success(request, "Questions added.")
        return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)
    return _case_page(request, partner, _case(request, partner, case_id), questions_form=form)


@login_required
@require_POST
def case_question_remove(
    request: AuthedRequest, partner_id: int, case_id: int, question_id: int
) -> HttpResponse:
    partner = _partner(request, partner_id)
    case = _case(request, partner, case_id)
    partner_services.ensure_can_write(request.user)
    try:
        library_services.case_question_remove(
            case=case, by=request.user, case_question_id=question_id
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Question removed.")
    return redirect("case_detail", partner_id=partner.pk, case_id=case.pk)


# --- The playbook's settings ----------------------------------------------------------------


def _is_admin(request: AuthedRequest) -> bool:
    return request.user.role == Role.FIRM_ADMIN


@login_required
@require_GET
def playbook_home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "playbook/home.html",
        {
            "profile": advisor_profile_of(advisor=user),
            "feed": calendar_feed_of(advisor=user),
            "plans": list(meeting_plans_of(advisor=user)),
            "yields": strategy_yield(advisor=user),
            "defaults": list(cadence_defaults_of(advisor=user)),
            "questions": library_selectors.question_bank(advisor=user).count(),
            "solutions": library_selectors.solutions_of(advisor=user).count(),
            "is_admin": _is_admin(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def playbook_message(request: AuthedRequest) -> HttpResponse:
    profile = advisor_profile_of(advisor=request.user)
    form = MessageForm(
        request.POST or None,
        initial={
            "whom_i_help": profile.whom_i_help if profile else "",
            "what_is_unique": profile.what_is_unique if profile else "",
        },
    )
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        if _attempt(
            request,
            form,
            lambda data: advisor_message_set(by=request.user, **data),
        ):
            messages.success(request, "Your message is saved; it opens every meeting brief.")
            return redirect("playbook_message")
    return render(
        request,
        "playbook/message.html",
        {
            "form": form,
            "digest_form": DigestForm(
                initial={"weekly_digest": profile.weekly_digest if profile else True}
            ),
            "can_write": not request.user.is_read_only,
        },
    )


@login_required
@require_POST
def playbook_digest(request: AuthedRequest) -> HttpResponse:
    partner_services.ensure_can_write(request.user)
    form = DigestForm(request.POST)
    if form.is_valid():
        advisor_digest_set(by=request.user, **form.cleaned_data)
        on = form.cleaned_data["weekly_digest"]
        messages.success(request, "Weekly digest on." if on else "Weekly digest off.")
    return redirect("playbook_message")


@login_required
@require_http_methods(["GET", "POST"])
def playbook_calendar(request: AuthedRequest) -> HttpResponse:
    """The private calendar feed. Its secret URL is shown once, right after it is made."""
    secret_url = ""
    if request.method == "POST":
        partner_services.ensure_can_write(request.user)
        _feed, key = calendar_feed_create(by=request.user)
        secret_url = request.build_absolute_uri(reverse("calendar_feed", args=[key]))
        messages.success(request, "New calendar feed: copy its address now.")
    return render(
        request,
        "playbook/calendar.html",
        {
            "feed": calendar_feed_of(advisor=request.user),
            "secret_url": secret_url,
            "can_write": not request.user.is_read_only,
        },
    )


@login_required
@require_POST
def playbook_calendar_revoke(request: AuthedRequest) -> HttpResponse:
    partner_services.ensure_can_write(request.user)
    stopped = calendar_feed_revoke(by=request.user)
    messages.success(
        request, "Calendar feed stopped." if stopped else "There was no calendar feed to stop."
    )
    return redirect("playbook_calendar")


# --- Meeting plans ---


@login_required
@require_GET
def meeting_plans(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "playbook/meeting_plans.html",
        {
            "plans": list(meeting_plans_of(advisor=request.user)),
            "is_admin": _is_admin(request),
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
            "is_admin": _is_admin(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_plan(request: AuthedRequest, plan_id: int) -> HttpResponse:
    plan = meeting_plan_get_for(advisor=request.user, pk=plan_id)
    if request.method == "GET":
        return _plan_page(request, plan)
    form = MeetingPlanForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: meetings_services.meeting_plan_update(plan=plan, by=request.user, **data),
    ):
        messages.success(request, "Meeting plan saved.")
        return redirect("meeting_plan", plan_id=plan.pk)
    return _plan_page(request, plan, form=form)


@login_required
@require_POST
def plan_item_add(request: AuthedRequest, plan_id: int) -> HttpResponse:
    plan = meeting_plan_get_for(advisor=request.user, pk=plan_id)
    form = PlanItemForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: meetings_services.meeting_plan_item_add(plan=plan, by=request.user, **data),
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
    if _attempt(
        request,
        form,
        lambda data: meetings_services.meeting_plan_item_update(item=item, by=request.user, **data),
    ):
        messages.success(request, "Point saved.")
    _flash_errors(request, form)
    return redirect("meeting_plan", plan_id=item.plan_id)


@login_required
@require_POST
def plan_item_remove(request: AuthedRequest, plan_id: int, item_id: int) -> HttpResponse:
    item = _plan_item(request, plan_id, item_id)
    meetings_services.meeting_plan_item_remove(item=item, by=request.user)
    messages.success(request, "Point removed; meetings already planned keep it.")
    return redirect("meeting_plan", plan_id=plan_id)


# --- Cadence defaults ---


@login_required
@require_http_methods(["GET", "POST"])
def cadence_defaults(request: AuthedRequest) -> HttpResponse:
    form = CadenceDefaultForm(request.POST or None)
    if request.method == "POST" and _attempt(
        request, form, lambda data: cadences_services.cadence_default_set(by=request.user, **data)
    ):
        messages.success(request, "Cadence default saved for the firm.")
        return redirect("cadence_defaults")
    return render(
        request,
        "playbook/cadence_defaults.html",
        {
            "defaults": list(cadence_defaults_of(advisor=request.user)),
            "form": form,
            "is_admin": _is_admin(request),
        },
    )


@login_required
@require_POST
def cadence_default_remove(request: AuthedRequest) -> HttpResponse:
    form = CadenceDefaultRemoveForm(request.POST)
    if _attempt(
        request,
        form,
        lambda data: cadences_services.cadence_default_remove(by=request.user, **data),
    ):
        messages.success(request, "Cadence default removed.")
    _flash_errors(request, form)
    return redirect("cadence_defaults")


# --- The question bank ---


@login_required
@require_http_methods(["GET", "POST"])
def question_bank(request: AuthedRequest) -> HttpResponse:
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and _attempt(
        request, form, lambda data: library_services.question_create(by=request.user, **data)
    ):
        messages.success(request, "Question added to the bank.")
        return redirect("question_bank")
    questions = list(library_selectors.question_bank(advisor=request.user))
    by_topic = [(topic, [q for q in questions if q.topic == topic.value]) for topic in Topic]
    return render(
        request,
        "playbook/question_bank.html",
        {"by_topic": by_topic, "form": form, "is_admin": _is_admin(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_detail(request: AuthedRequest, question_id: int) -> HttpResponse:
    question = library_selectors.question_get_for(advisor=request.user, pk=question_id)
    form = QuestionForm(
        request.POST or None, initial={"topic": question.topic, "text": question.text}
    )
    if request.method == "POST" and _attempt(
        request,
        form,
        lambda data: library_services.question_update(question=question, by=request.user, **data),
    ):
        messages.success(request, "Question saved; cases that asked it keep their wording.")
        return redirect("question_bank")
    return render(
        request,
        "playbook/question_detail.html",
        {"question": question, "form": form, "is_admin": _is_admin(request)},
    )


@login_required
@require_POST
def question_archive(request: AuthedRequest, question_id: int) -> HttpResponse:
    question = library_selectors.question_get_for(advisor=request.user, pk=question_id)
    library_services.question_archive(question=question, by=request.user)
    messages.success(request, "Question archived; cases that asked it keep it.")
    return redirect("question_bank")


# --- The "what we solve" library ---


@login_required
@require_http_methods(["GET", "POST"])
def solution_library(request: AuthedRequest) -> HttpResponse:
    form = SolutionForm(request.POST or None)
    if request.method == "POST" and _attempt(
        request, form, lambda data: library_services.solution_create(by=request.user, **data)
    ):
        messages.success(request, "Added to what you solve.")
        return redirect("solution_library")
    return render(
        request,
        "playbook/solution_library.html",
        {
            "solutions": list(library_selectors.solutions_of(advisor=request.user)),
            "form": form,
            "is_admin": _is_admin(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def solution_detail(request: AuthedRequest, solution_id: int) -> HttpResponse:
    solution = library_selectors.solution_get_for(advisor=request.user, pk=solution_id)
    form = SolutionForm(
        request.POST or None,
        initial={field: getattr(solution, field) for field in library_services.SOLUTION_FIELDS},
    )
    if request.method == "POST" and _attempt(
        request,
        form,
        lambda data: library_services.solution_update(solution=solution, by=request.user, **data),
    ):
        messages.success(request, "Library entry saved.")
        return redirect("solution_library")
    return render(
        request,
        "playbook/solution_detail.html",
        {"solution": solution, "form": form, "is_admin": _is_admin(request)},
    )


@login_required
@require_POST
def solution_archive(request: AuthedRequest, solution_id: int) -> HttpResponse:
    solution = library_selectors.solution_get_for(advisor=request.user, pk=solution_id)
    library_services.solution_archive(solution=solution, by=request.user)
    messages.success(request, f"Archived: {solution.title}. It no longer matches concerns.")
    return redirect("solution_library")
