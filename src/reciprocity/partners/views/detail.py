"""A partner's page and the writes made from it: the profile, the stage, touches, commitments,
archiving and merging. A write from the board answers with the board re-rendered."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm, model_to_dict
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from reciprocity.accounts.decorators import write_required
from reciprocity.partners import selectors, services
from reciprocity.partners.advised import next_actions
from reciprocity.partners.duplicates import (
    merge_candidates_for,
    merge_candidates_shown,
)
from reciprocity.partners.forms import (
    CommitmentCloseForm,
    CommitmentForm,
    PartnerForm,
    PartnerMergeForm,
    StageForm,
    TouchForm,
)
from reciprocity.partners.merge import MERGE_NOT_ALLOWED, partner_merge
from reciprocity.partners.models import (
    Partner,
    Stage,
    TouchKind,
)
from reciprocity.partners.views.board import board_context, board_owner
from reciprocity.partners.views.regions import BOARD, DETAIL, MOVE_DIALOG
from reciprocity.referrals.selectors import (
    balance_for,
    open_referrals_of,
    stage_suggestion,
    with_balance,
)
from reciprocity.web.forms import add_service_errors, form_saves
from reciprocity.web.http import (
    AuthedRequest,
    flash_errors,
    htmx_target,
    render_region,
    safe_next,
    vary_on_htmx,
)

# A partner's page shows this many timeline entries at first, and this many more on request.
TIMELINE_PAGE = 20
TIMELINE_MAX = 1000


def _shown(request: AuthedRequest, pk: int) -> Partner:
    """The partner as its page shows it: its referral balance read in the same query."""
    return selectors.partner_get_for(advisor=request.user, pk=pk, annotate=with_balance)


def _refetch(request: AuthedRequest, partner: Partner) -> Partner:
    # The services update counters in the database; read the partner again to show them.
    return _shown(request, partner.pk)


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
        context = board_context(request, board_owner(request, request.POST))
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
    return _detail(request, _shown(request, pk))


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
            board_context(request, board_owner(request, request.POST)),
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
