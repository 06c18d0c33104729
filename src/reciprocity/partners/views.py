"""Web pages of the partner pipeline. Forms parse, services write, selectors read.

Every write answers a plain POST with a redirect, so it works without JavaScript. An htmx request
names the page region it came from (the HX-Target header); the answer is that region re-rendered
in place, with the flash messages swapped in out of band.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm, model_to_dict
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.models import User
from reciprocity.partners import selectors, services
from reciprocity.partners.forms import (
    BoardFilterForm,
    CommitmentCloseForm,
    CommitmentForm,
    PartnerCreateForm,
    PartnerForm,
    PartnerListForm,
    StageForm,
    TouchForm,
)
from reciprocity.partners.models import (
    CORE_STAGES,
    PIPELINE_STAGES,
    Partner,
    Stage,
    TouchKind,
)
from reciprocity.referrals.selectors import (
    balance_for,
    open_referrals_of,
    stage_suggestion,
    with_balance,
)
from reciprocity.web.forms import add_service_errors, form_creates, form_saves
from reciprocity.web.http import (
    AuthedRequest,
    KeysFirstPaginator,
    flash_errors,
    htmx_target,
    render_region,
    safe_next,
    vary_on_htmx,
)

# Ids of the page regions htmx swaps (the templates use the same ids).
BOARD = "board"
MOVE_DIALOG = "move-dialog-body"
DETAIL = "partner-detail"
RESULTS = "results"
# The research default: a handful of core partners get the attention they need.
CORE_FOCUS_LIMIT = 7


def _refetch(request: AuthedRequest, partner: Partner) -> Partner:
    # The services update counters in the database; read the partner again to show them.
    return selectors.partner_get_for(advisor=request.user, pk=partner.pk)


# --- Pipeline board ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    stage: Stage
    cards: list[Partner]
    total: int
    list_url: str

    @property
    def capped(self) -> bool:
        return self.total > len(self.cards)


def _board_owner(request: AuthedRequest, data: Any) -> User | None:
    """Firm admins (and compliance) may narrow the board to one advisor's partners."""
    if not request.user.sees_whole_firm:
        return None
    form = BoardFilterForm(data, user=request.user)
    return form.cleaned_data.get("owner") if form.is_valid() else None


def _board_context(request: AuthedRequest, owner: User | None) -> dict[str, Any]:
    list_url = reverse("partner_list")
    columns = []
    for stage, cards, total in selectors.board_columns(
        advisor=request.user, owner=owner.pk if owner else None, annotate=with_balance
    ):
        query = {
            "stage": stage.value,
            "sort": "next_step",
            **({"owner": owner.pk} if owner else {}),
        }
        columns.append(Column(stage, cards, total, f"{list_url}?{urlencode(query)}"))
    by_stage = {column.stage: column for column in columns}
    shown = [partner for column in columns for partner in column.cards]
    # A retired partner's leftover commitments are not work waiting to be done.
    steps = [selectors.next_step_of(p) for p in shown if p.stage != Stage.RETIRED]
    core = sum(by_stage[stage].total for stage in CORE_STAGES)
    return {
        "pipeline_columns": [by_stage[stage] for stage in PIPELINE_STAGES],
        "side_columns": [column for column in columns if column.stage not in PIPELINE_STAGES],
        "in_pipeline": sum(by_stage[stage].total for stage in PIPELINE_STAGES),
        "core_count": core,
        "too_many_core": core > CORE_FOCUS_LIMIT,
        "overdue_count": sum(1 for step in steps if step and step.is_overdue),
        "dormant_hints": sum(1 for partner in shown if selectors.dormancy_suggested(partner)),
        "empty": not any(column.total for column in columns),
        "owner": owner,
        "can_write": not request.user.is_read_only,
        "board_url": reverse("pipeline") + (f"?{urlencode({'owner': owner.pk})}" if owner else ""),
    }


@login_required
@vary_on_htmx
def pipeline(request: AuthedRequest) -> HttpResponse:
    owner = _board_owner(request, request.GET)
    context = _board_context(request, owner)
    if htmx_target(request) == BOARD:
        return render_region(request, "partners/pipeline.html#board", context)
    if request.user.sees_whole_firm:
        context["filter_form"] = BoardFilterForm(request.GET or None, user=request.user)
    return render(request, "partners/pipeline.html", context)


# --- Partner list and creation ----------------------------------------------------------------


@login_required
@vary_on_htmx
def partner_list(request: AuthedRequest) -> HttpResponse:
    form = PartnerListForm(request.GET or None, user=request.user)
    form.is_valid()
    # Whatever parsed is applied; a bad value is shown as an error and ignored.
    data = getattr(form, "cleaned_data", {})
    sort = data.get("sort") or "name"
    filters = selectors.PartnerFilters(
        search=(data.get("q") or "").strip(),
        stage=data.get("stage") or "",
        profession=data.get("profession") or "",
        owner=data["owner"].pk if data.get("owner") else None,
        overdue=bool(data.get("overdue")),
        archived=bool(data.get("archived")),
        sort=sort if sort in selectors.SORTS else "name",
    )
    partners = selectors.partner_list(advisor=request.user, filters=filters).prefetch_related(
        "tags"
    )
    page = KeysFirstPaginator(partners, settings.RECIPROCITY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "sort": filters.sort,
        "filtered": any(
            (filters.search, filters.stage, filters.profession, filters.owner, filters.overdue)
        ),
        "archived": filters.archived,
        "show_owner": request.user.sees_whole_firm or request.user.teams.exists(),
        "can_write": not request.user.is_read_only,
    }
    if htmx_target(request) == RESULTS:
        return render_region(request, "partners/partner_list.html#results", context)
    return render(request, "partners/partner_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_htmx
@write_required
def partner_create(request: AuthedRequest) -> HttpResponse:
    form = PartnerCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and (
        partner := form_creates(
            form, lambda _data: services.partner_create(by=request.user, **form.service_kwargs())
        )
    ):
        messages.success(request, f"{partner.name} added to your pipeline.")
        url = reverse("partner_detail", args=[partner.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return render_region(request, "partners/partner_form.html#form", {"form": form})
    return render(request, "partners/partner_form.html", {"form": form})


# --- Partner detail and its inline forms ------------------------------------------------------


def _following_stage(partner: Partner) -> str | None:
    """The stage a partner most likely moves to next, preselected in the stage form."""
    if partner.stage in PIPELINE_STAGES[:-1]:
        return PIPELINE_STAGES[PIPELINE_STAGES.index(Stage(partner.stage)) + 1].value
    return None


def _detail_context(request: AuthedRequest, partner: Partner, **forms: Any) -> dict[str, Any]:
    can_write = not request.user.is_read_only and partner.archived_at is None
    if not can_write:
        # The forms are hidden (an archived partner): say why the write was refused.
        for form in forms.values():
            if isinstance(form, BaseForm) and form.is_bound:
                flash_errors(request, form)
    balance = balance_for(partner)
    return {
        "partner": partner,
        "balance": balance,
        "suggestion": stage_suggestion(partner, balance),
        "in_flight": open_referrals_of(partner=partner),
        "next_step": selectors.next_step_of(partner),
        "tags": list(partner.tags.all()),
        "commitments": list(selectors.open_commitments(partner=partner)),
        "timeline": selectors.partner_timeline(partner=partner),
        "can_write": can_write,
        "can_archive": not request.user.is_read_only,
        "touch_form": forms.get("touch_form") or TouchForm(),
        "commitment_form": forms.get("commitment_form") or CommitmentForm(),
        "stage_form": forms.get("stage_form")
        or StageForm(initial={"stage": _following_stage(partner)}),
        "edit_form": forms.get("edit_form"),
        "touch_kinds": TouchKind.choices,
        "days_in_stage": (timezone.now() - partner.stage_changed_at).days,
    }


def _detail(request: AuthedRequest, partner: Partner, **forms: Any) -> HttpResponse:
    context = _detail_context(request, partner, **forms)
    if htmx_target(request) == DETAIL:
        return render_region(request, "partners/partner_detail.html#detail", context)
    return render(request, "partners/partner_detail.html", context)


def _after_write(request: AuthedRequest, partner: Partner) -> HttpResponse:
    """Plain POST: redirect. htmx: the region the request came from, re-rendered."""
    target = htmx_target(request)
    if target is None:
        return redirect(safe_next(request) or reverse("partner_detail", args=[partner.pk]))
    if target in (BOARD, MOVE_DIALOG):
        context = _board_context(request, _board_owner(request, request.POST))
        response = render_region(request, "partners/pipeline.html#board", context)
        if target == MOVE_DIALOG:
            response = trigger_client_event(
                reswap(retarget(response, f"#{BOARD}"), "outerHTML"), "move-done", after="settle"
            )
        return response
    return _detail(request, _refetch(request, partner))


@login_required
@vary_on_htmx
def partner_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.partner_get_for(advisor=request.user, pk=pk))


def _profile_initial(partner: Partner) -> dict[str, Any]:
    initial = model_to_dict(partner, fields=services.PROFILE_FIELDS)
    initial["team"] = partner.team_id
    initial["owner"] = partner.owner_id
    initial["tags"] = ", ".join(tag.name for tag in partner.tags.all())
    return initial


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_htmx
@write_required
def partner_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = selectors.partner_get_for(advisor=request.user, pk=pk)
    if request.method == "POST":
        form = PartnerForm(request.POST, user=request.user, partner=partner)
        if form_saves(
            form,
            lambda _data: services.partner_update(
                partner=partner, by=request.user, **form.service_kwargs()
            ),
        ):
            messages.success(request, "Profile saved.")
            return _after_write(request, partner)
    else:
        form = PartnerForm(initial=_profile_initial(partner), user=request.user, partner=partner)
        # The form opens above the page's other panels: start the user in it.
        form.fields["name"].widget.attrs["autofocus"] = True
    return _detail(request, partner, edit_form=form)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_htmx
@write_required
def partner_stage(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = selectors.partner_get_for(advisor=request.user, pk=pk)
    if request.method == "POST":
        form = StageForm(request.POST)
        if form_saves(
            form,
            lambda data: services.partner_change_stage(partner=partner, by=request.user, **data),
        ):
            messages.success(request, f"{partner.name} moved to {partner.get_stage_display()}.")
            return _after_write(request, partner)
    else:
        # A diagnosis links here to walk away, with the stage and the reason chosen.
        form = StageForm(
            initial={
                "stage": request.GET.get("stage") or _following_stage(partner),
                "reason": request.GET.get("reason", ""),
            }
        )
    target = htmx_target(request)
    if target == DETAIL:
        return _detail(request, partner, stage_form=form)
    if target == BOARD:
        # A card dropped on the board: no form to show the refusal in, so flash it.
        flash_errors(request, form)
        return render_region(
            request,
            "partners/pipeline.html#board",
            _board_context(request, _board_owner(request, request.POST)),
        )
    context = {
        "partner": partner,
        "form": form,
        "next": safe_next(request),
        "owner": request.POST.get("owner") or request.GET.get("owner") or "",
        "in_dialog": target == MOVE_DIALOG,
    }
    if target == MOVE_DIALOG:
        return render_region(request, "partners/partner_stage.html#stage-form", context)
    return render(request, "partners/partner_stage.html", context)


@login_required
@require_POST
@write_required
def touch_create(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = selectors.partner_get_for(advisor=request.user, pk=pk)
    form = TouchForm(request.POST)
    if form_saves(form, lambda data: services.touch_log(partner=partner, by=request.user, **data)):
        messages.success(request, "Touch logged.")
        return _after_write(request, partner)
    return _detail(request, partner, touch_form=form)


@login_required
@require_POST
@write_required
def commitment_create(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = selectors.partner_get_for(advisor=request.user, pk=pk)
    form = CommitmentForm(request.POST)
    if form_saves(
        form, lambda data: services.commitment_create(partner=partner, by=request.user, **data)
    ):
        messages.success(request, "Commitment added.")
        return _after_write(request, partner)
    return _detail(request, partner, commitment_form=form)


@login_required
@require_POST
@write_required
def commitment_close(request: AuthedRequest, pk: int, commitment_pk: int) -> HttpResponse:
    partner = selectors.partner_get_for(advisor=request.user, pk=pk)
    commitment = selectors.commitment_of(partner=partner, pk=commitment_pk)
    form = CommitmentCloseForm(request.POST)
    if form.is_valid():
        if commitment.is_open:
            status = form.cleaned_data["status"]
            try:
                services.commitment_update(
                    commitment=commitment,
                    by=request.user,
                    status=status,
                    touch_kind=form.cleaned_data["touch_kind"] or None,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                done = "Done" if status == "done" else "Dropped"
                messages.success(request, f"{done}: {commitment.what}")
                return _after_write(request, partner)
        else:
            form.add_error(None, services.COMMITMENT_NOT_OPEN)
    flash_errors(request, form)
    if request.htmx:
        return _detail(request, partner)
    return redirect(safe_next(request) or reverse("partner_detail", args=[partner.pk]))


@login_required
@require_POST
@write_required
def partner_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = selectors.partner_get_for(advisor=request.user, pk=pk)
    services.partner_archive(partner=partner, by=request.user)
    messages.success(request, f"{partner.name} archived. Restore it any time.")
    return _after_write(request, partner)


@login_required
@require_POST
@write_required
def partner_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = selectors.partner_get_for(advisor=request.user, pk=pk)
    services.partner_restore(partner=partner, by=request.user)
    messages.success(request, f"{partner.name} restored.")
    return _after_write(request, partner)
