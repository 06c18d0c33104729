"""The agenda page: overdue first, then today and the week; complete, set aside or snooze
each item in place."""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from reciprocity.accounts.decorators import write_required
from reciprocity.partners.agenda import (
    DUE_TODAY,
    OVERDUE,
    SOURCES,
    THIS_WEEK,
    AgendaItem,
    Controls,
    source_of,
)
from reciprocity.playbook.forms.agenda import (
    AGENDA_MAX_SHOWN,
    AGENDA_SECTION_LIMIT,
    AgendaCompleteForm,
    AgendaFilterForm,
    AgendaSnoozeForm,
    AgendaUnsnoozeForm,
)
from reciprocity.playbook.selectors.agenda import AgendaFilters, agenda_for, snoozes_of
from reciprocity.playbook.services import agenda as services
from reciprocity.web.forms import add_service_errors
from reciprocity.web.http import (
    AuthedRequest,
    flash_errors,
    htmx_target,
    render_region,
    safe_next,
    vary_on_htmx,
)

# Ids of the page regions htmx swaps (the templates use the same ids).
AGENDA = "agenda"
GROUPS = (
    ("overdue", OVERDUE, "Overdue"),
    ("today", DUE_TODAY, "Today"),
    ("week", THIS_WEEK, "This week"),
)


@dataclass(frozen=True)
class AgendaRow:
    """An agenda item with how its source presents it and lets it be worked on."""

    item: AgendaItem
    group: str
    badge: str
    owner_note: str
    controls: Controls

    @property
    def dom_id(self) -> str:
        return self.item.key.replace(":", "-")


def _agenda_row(item: AgendaItem, group: str, today: dt.date) -> AgendaRow:
    source = SOURCES[item.source]
    return AgendaRow(
        item=item,
        group=group,
        badge=source.badge(item),
        owner_note=source.owner_note(item),
        controls=source.controls(item, today),
    )


@dataclass(frozen=True)
class AgendaGroup:
    key: str
    title: str
    rows: list[AgendaRow]
    count: int  # every item of the section, shown or not

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


def _regrouped(groups: list[AgendaGroup], group_by: str) -> list[AgendaGroup]:
    """The rows shown (in the agenda's order: overdue, today, the week) under other headings:
    by partner (the most pressing partner first) or by kind."""
    regrouped: dict[str, AgendaGroup] = {}
    for row in (row for group in groups for row in group.rows):
        if group_by == "partner":
            key, title = f"partner-{row.item.partner_id}", row.item.partner_name
        else:
            key, title = f"kind-{row.item.source}", SOURCES[row.item.source].label
        regrouped.setdefault(key, AgendaGroup(key, title, [], 0)).rows.append(row)
    return [AgendaGroup(g.key, g.title, g.rows, len(g.rows)) for g in regrouped.values()]


def _agenda_context(
    request: AuthedRequest, snooze_form: AgendaSnoozeForm | None = None
) -> dict[str, Any]:
    today = timezone.localdate()
    # What the page shows is in its address; a write answers with the agenda as it was shown,
    # whose address is the form's ``next``.
    params = request.GET
    if request.method == "POST":
        params = QueryDict(urlsplit(safe_next(request)).query)
    form = AgendaFilterForm(params or None, user=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    shown = data.get("shown") or AGENDA_SECTION_LIMIT
    filters = AgendaFilters(
        partner=data.get("partner"),
        kind=data.get("kind") or "",
        owner=data["owner"].pk if data.get("owner") else None,
    )
    agenda = agenda_for(request.user, today=today, limit=shown, filters=filters)
    groups = [
        AgendaGroup(
            key,
            title,
            [_agenda_row(item, key, today) for item in agenda.section(section)],
            agenda.count(section),
        )
        for key, section, title in GROUPS
    ]
    more = min(shown + AGENDA_SECTION_LIMIT, AGENDA_MAX_SHOWN)
    query = {k: v for k, v in params.items() if k != "shown"}
    group_by = data.get("group") or "when"
    return {
        "groups": groups if group_by == "when" else _regrouped(groups, group_by),
        "filter_form": form,
        "filtered": any((filters.partner, filters.kind, filters.owner)),
        "total": len(agenda),
        "more_url": f"?{urlencode({**query, 'shown': more})}" if more > shown else "",
        "agenda_url": reverse("agenda") + (f"?{params.urlencode()}" if params else ""),
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
    if htmx_target(request) == AGENDA:
        return render_region(request, "playbook/agenda.html#agenda", context)
    return render(request, "playbook/agenda.html", context)


def _after_agenda_write(request: AuthedRequest) -> HttpResponse:
    if request.htmx:
        return _agenda_response(request)
    return redirect(safe_next(request) or reverse("agenda"))


@login_required
@vary_on_htmx
def agenda(request: AuthedRequest) -> HttpResponse:
    return _agenda_response(request)


@login_required
@require_POST
@write_required
def agenda_complete(request: AuthedRequest) -> HttpResponse:
    form = AgendaCompleteForm(request.POST)
    if form.is_valid():
        key, touch_kind = form.cleaned_data["key"], form.cleaned_data["touch_kind"] or None
        try:
            if form.cleaned_data["action"] == "drop":
                aside = services.agenda_set_aside(by=request.user, key=key)
                messages.success(request, source_of(key)[0].describe_set_aside(aside))
            else:
                result = services.agenda_complete(by=request.user, key=key, touch_kind=touch_kind)
                messages.success(request, source_of(key)[0].describe(result))
        except ValidationError as error:
            add_service_errors(form, error)
    flash_errors(request, form)
    return _after_agenda_write(request)


@login_required
@require_POST
@write_required
def agenda_snooze(request: AuthedRequest) -> HttpResponse:
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
@write_required
def agenda_unsnooze(request: AuthedRequest) -> HttpResponse:
    form = AgendaUnsnoozeForm(request.POST)
    if form.is_valid():
        services.agenda_unsnooze(by=request.user, key=form.cleaned_data["key"])
        messages.success(request, "Back on the agenda.")
    return _after_agenda_write(request)
