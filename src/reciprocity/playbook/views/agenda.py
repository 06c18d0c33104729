"""The agenda page: overdue first, then today and the week; complete, set aside or snooze
each item in place."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from reciprocity.partners import services as partner_services
from reciprocity.partners.forms import add_service_errors
from reciprocity.partners.models import TouchKind
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
from reciprocity.playbook.models import (
    CADENCE_COMPLETION_TOUCH,
    CADENCE_TOUCH_KINDS,
    Meeting,
    Opportunity,
)
from reciprocity.playbook.selectors.agenda import agenda_for, snoozes_of
from reciprocity.playbook.services import agenda as services

# Ids of the page regions htmx swaps (the templates use the same ids).
AGENDA = "agenda"


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
                aside = services.agenda_set_aside(by=request.user, key=key)
                messages.success(
                    request,
                    f"Dropped: {aside.what}" if hasattr(aside, "what") else f"Skipped: {aside}",
                )
            else:
                result = services.agenda_complete(by=request.user, key=key, touch_kind=touch_kind)
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
            snooze = services.agenda_snooze(by=request.user, **form.cleaned_data)
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
        services.agenda_unsnooze(by=request.user, key=form.cleaned_data["key"])
        messages.success(request, "Back on the agenda.")
    return _after_agenda_write(request)
