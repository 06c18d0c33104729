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
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm, model_to_dict
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.models import User
from reciprocity.accounts.services import ensure_can_write
from reciprocity.partners import bulk, selectors, services
from reciprocity.partners.advised import next_actions
from reciprocity.partners.duplicates import (
    Duplicate,
    merge_candidates_for,
    merge_candidates_shown,
    partner_duplicates_for,
)
from reciprocity.partners.forms import (
    BULK_EXPORT,
    BoardFilterForm,
    CommitmentCloseForm,
    CommitmentForm,
    PartnerBulkForm,
    PartnerCreateForm,
    PartnerForm,
    PartnerMergeForm,
    StageForm,
    TouchForm,
    partners_listed,
)
from reciprocity.partners.merge import MERGE_NOT_ALLOWED, partner_merge
from reciprocity.partners.models import (
    CORE_STAGES,
    PIPELINE_STAGES,
    Partner,
    Stage,
    TouchKind,
)
from reciprocity.partners.scored import with_scores
from reciprocity.referrals.selectors import (
    balance_for,
    open_referrals_of,
    stage_suggestion,
    with_balance,
)
from reciprocity.spreadsheets import csv_lines
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
# A partner's page shows this many timeline entries at first, and this many more on request.
TIMELINE_PAGE = 20
TIMELINE_MAX = 1000
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

    def annotate(cards: QuerySet[Partner]) -> QuerySet[Partner]:
        # The cards' balance and scores, in the cards' own query.
        return with_scores(with_balance(cards), firm_id=request.user.firm_id)

    for stage, cards, total in selectors.board_columns(
        advisor=request.user, owner=owner.pk if owner else None, annotate=annotate
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
    actions = next_actions(request.user, [partner.pk for partner in shown])
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
        "next_actions": actions,
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
    form, filters, partners = partners_listed(advisor=request.user, params=request.GET)
    page = KeysFirstPaginator(
        partners.prefetch_related("tags"), settings.RECIPROCITY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "sort": filters.sort,
        "filtered": filters.narrowing,
        "archived": filters.archived,
        "show_owner": request.user.sees_whole_firm or request.user.teams.exists(),
        "can_write": not request.user.is_read_only,
        "bulk_form": PartnerBulkForm(user=request.user),
    }
    if htmx_target(request) == RESULTS:
        return render_region(request, "partners/partner_list.html#results", context)
    return render(request, "partners/partner_list.html", context)


EXPORT_HEADER = (
    "id", "name", "organization", "profession", "stage", "owner", "email", "phone", "tags",
    "touches", "last_touch_at", "next_step", "next_step_due",
)  # fmt: skip


def _export_row(partner: Partner) -> list[Any]:
    step = selectors.next_step_of(partner)
    return [
        partner.pk,
        partner.name,
        partner.organization,
        partner.profession_label,
        partner.get_stage_display(),
        partner.owner.display_name,
        partner.email,
        partner.phone,
        ", ".join(tag.name for tag in partner.tags.all()),
        partner.touch_count,
        partner.last_touch_at.isoformat() if partner.last_touch_at else "",
        step.what if step else "",
        step.due.isoformat() if step else "",
    ]


@login_required
@require_POST
def partner_bulk(request: AuthedRequest) -> HttpResponseBase:
    """The list's bulk actions on the ticked rows; plain POST, back to the list as it was."""
    form = PartnerBulkForm(request.POST, user=request.user)
    back = safe_next(request) or reverse("partner_list")
    if not form.is_valid():
        flash_errors(request, form)
        return redirect(back)
    ids = form.partner_ids()
    if form.cleaned_data["action"] == BULK_EXPORT:
        if not ids:
            messages.error(request, bulk.NONE_SELECTED)
            return redirect(back)
        rows = selectors.partners_chosen(advisor=request.user, ids=ids)
        response = StreamingHttpResponse(
            csv_lines(EXPORT_HEADER, (_export_row(p) for p in rows)), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="partners.csv"'
        return response
    ensure_can_write(request.user)
    action = form.bulk_action()
    try:
        changed = bulk.partner_bulk_apply(partner_ids=ids, by=request.user, action=action)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{changed} partner{pluralize(changed)} {action.verb}.")
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_htmx
@write_required
def partner_create(request: AuthedRequest) -> HttpResponse:
    form = PartnerCreateForm(request.POST or None, user=request.user)
    duplicates: list[Duplicate] = []
    if request.method == "POST" and form.is_valid() and not form.cleaned_data["create_anyway"]:
        # Likely duplicates are shown first; "Add anyway" posts the same form again.
        data = form.cleaned_data
        duplicates = partner_duplicates_for(
            advisor=request.user,
            name=data["name"],
            organization=data["organization"],
            email=data["email"],
            phone=data["phone"],
        )
    if (
        request.method == "POST"
        and not duplicates
        and (
            partner := form_creates(
                form,
                lambda _data: services.partner_create(by=request.user, **form.service_kwargs()),
            )
        )
    ):
        messages.success(request, f"{partner.name} added to your pipeline.")
        url = reverse("partner_detail", args=[partner.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {"form": form, "duplicates": duplicates}
    if request.htmx:
        return render_region(request, "partners/partner_form.html#form", context)
    return render(request, "partners/partner_form.html", context)


# --- Partner detail and its inline forms ------------------------------------------------------


def _timeline_shown(request: AuthedRequest) -> int:
    """How many timeline entries the page shows: a page more with each "Show more"."""
    asked = request.GET.get("timeline", "")
    shown = int(asked) if asked.isdigit() else TIMELINE_PAGE
    return min(max(shown, TIMELINE_PAGE), TIMELINE_MAX)


def _detail_context(request: AuthedRequest, partner: Partner, **forms: Any) -> dict[str, Any]:
    shown = _timeline_shown(request)
    # One more than shown tells whether there is more to show.
    timeline = selectors.partner_timeline(partner=partner, limit=shown + 1)
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
        "next_action": next_actions(request.user, [partner.pk]).get(partner.pk),
        "tags": list(partner.tags.all()),
        "commitments": list(selectors.open_commitments(partner=partner)),
        "timeline": timeline[:shown],
        "timeline_shown": shown,
        "timeline_more": shown + TIMELINE_PAGE if len(timeline) > shown else None,
        "can_write": can_write,
        "can_archive": not request.user.is_read_only,
        "can_merge": request.user.manages_firm or partner.owner_id == request.user.pk,
        "touch_form": forms.get("touch_form") or TouchForm(),
        "commitment_form": forms.get("commitment_form") or CommitmentForm(),
        "stage_form": forms.get("stage_form")
        or StageForm(initial={"stage": selectors.following_stage(partner)}, partner=partner),
        "walked_away": selectors.move_into_current_stage(partner)
        if partner.stage == Stage.RETIRED
        else None,
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
        form = StageForm(request.POST, partner=partner)
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
                "stage": request.GET.get("stage") or selectors.following_stage(partner),
                "reason": request.GET.get("reason", ""),
            },
            partner=partner,
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


@login_required
@require_http_methods(["GET", "POST"])
@write_required
def partner_merge_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Merge another partner into this one: its records move here, it is archived."""
    partner = selectors.partner_get_for(advisor=request.user, pk=pk, include_archived=False)
    if not (request.user.manages_firm or partner.owner_id == request.user.pk):
        raise PermissionDenied(MERGE_NOT_ALLOWED)
    candidates = merge_candidates_for(advisor=request.user, partner=partner)
    form = PartnerMergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        other = form.cleaned_data["other"]
        try:
            result = partner_merge(user=request.user, keep=partner, other=other)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"{other.name} merged into {partner.name}: {result.summary} moved."
            )
            return redirect(reverse("partner_detail", args=[partner.pk]))
    search = (request.GET.get("q") or "").strip()[:200]
    context = {
        "partner": partner,
        "form": form,
        "search": search,
        "shown": merge_candidates_shown(advisor=request.user, partner=partner, search=search),
    }
    return render(request, "partners/partner_merge.html", context)
