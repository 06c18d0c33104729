"""Web pages of the referral ledger and the sending protocol. Forms parse, services write,
selectors read; the same page pattern as the partner pages (see partners.views): every write
answers a plain POST with a redirect and an htmx request with its page region re-rendered.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.models import Role
from reciprocity.partners import services as partner_services
from reciprocity.partners.forms import CommitmentCloseForm
from reciprocity.partners.models import Profession, TouchKind
from reciprocity.partners.selectors import commitment_get_for, partner_get_for
from reciprocity.referrals import link_selectors, selectors
from reciprocity.referrals.disclosure_forms import disclosure_panel
from reciprocity.referrals.drafts import referral_email_draft, referral_memo
from reciprocity.referrals.forms import (
    AdvanceForm,
    CloseForm,
    ConsentForm,
    ProtocolForm,
    ReferralEditForm,
    ReferralForm,
    ReferralListForm,
    ReferralStartForm,
    StepForm,
)
from reciprocity.referrals.link_models import LinkPurpose
from reciprocity.referrals.models import (
    FAILURE_STATUSES,
    Direction,
    Kind,
    ProtocolTemplate,
    Referral,
    ReferralStatus,
    default_protocol,
)
from reciprocity.referrals.services import ledger, protocols, steps
from reciprocity.web.forms import add_service_errors, form_saves
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
DETAIL = "referral-detail"
RESULTS = "results"
PROTOCOL = "protocol-{profession}"


def _detail_url(referral: Referral) -> str:
    return reverse("referral_detail", args=[referral.pk])


# --- Ledger -----------------------------------------------------------------------------------


@login_required
@vary_on_htmx
def referral_list(request: AuthedRequest) -> HttpResponse:
    form = ReferralListForm(request.GET or None, user=request.user)
    form.is_valid()
    # Whatever parsed is applied; a bad value is shown as an error and ignored.
    data = getattr(form, "cleaned_data", {})
    filters = selectors.ReferralFilters(
        partner=data["partner"].pk if data.get("partner") else None,
        direction=data.get("direction") or "",
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        state=data.get("state") or "",
        archived=bool(data.get("archived")),
        search=(data.get("q") or "").strip(),
    )
    referrals = selectors.with_step_progress(
        selectors.referral_list(advisor=request.user, filters=filters)
    )
    page = KeysFirstPaginator(referrals, settings.RECIPROCITY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "filtered": any(
            (
                filters.partner,
                filters.direction,
                filters.kind,
                filters.status,
                filters.state,
                filters.search,
            )
        ),
        "archived": filters.archived,
        "partner": data.get("partner"),
        "can_write": not request.user.is_read_only,
    }
    if htmx_target(request) == RESULTS:
        return render_region(request, "referrals/referral_list.html#results", context)
    return render(request, "referrals/referral_list.html", context)


# --- A new referral ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_htmx
@write_required
def referral_create(request: AuthedRequest) -> HttpResponse:
    """``?partner=<id>&direction=sent|received``; without both, first ask for them."""
    partner_pk = request.GET.get("partner")
    direction = request.GET.get("direction", "")
    partner = partner_get_for(advisor=request.user, pk=partner_pk) if partner_pk else None
    if partner is None or direction not in Direction.values:
        start = ReferralStartForm(
            request.GET if partner_pk and direction else None,
            initial={"partner": partner_pk, "direction": direction},
            user=request.user,
        )
        return render(request, "referrals/referral_start.html", {"form": start})

    form = ReferralForm(request.POST or None, direction=direction)
    memo = None
    # An archived partner takes no new referral: the page says so instead of the form.
    if request.method == "POST" and partner.archived_at is None and form.is_valid():
        if "preview" in request.POST:
            memo = referral_memo(form.unsaved(partner, request.user))
        else:
            try:
                referral = ledger.referral_create(
                    by=request.user,
                    partner=partner,
                    direction=direction,
                    **form.service_kwargs(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _created_message(referral))
                url = _detail_url(referral)
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {
        "form": form,
        "partner": partner,
        "direction": direction,
        "sent": direction == Direction.SENT,
        "memo": memo,
        "archived_message": partner_services.ARCHIVED_PARTNER,
        "action": f"{reverse('referral_create')}?{request.GET.urlencode()}",
        "steps": _protocol_preview(request, partner.profession)
        if direction == Direction.SENT
        else [],
    }
    if request.htmx:
        return render_region(request, "referrals/referral_form.html#form", context)
    return render(request, "referrals/referral_form.html", context)


def _protocol_preview(request: AuthedRequest, profession: str) -> list[dict[str, str]]:
    """The steps a sent referral to this profession will get, shown before it is sent."""
    for template in selectors.protocol_templates_of(advisor=request.user):
        if template.profession == profession:
            return list(template.steps)
    return []


def _created_message(referral: Referral) -> str:
    partner = referral.partner.name
    if referral.direction == Direction.RECEIVED:
        if referral.thank_you_commitment_id:
            return (
                f"Referral from {partner} logged. Two follow-ups are on your agenda: "
                "a thank-you note and a report back."
            )
        return f"Referral from {partner} logged."
    if referral.kind == Kind.REFERRAL:
        return (
            f"Referral to {partner} recorded. Walk its steps below: each one you complete is a "
            "touch on their timeline."
        )
    return f"Connection with {partner} recorded."


# --- Detail and its inline forms --------------------------------------------------------------


def _detail_context(request: AuthedRequest, referral: Referral, **forms: Any) -> dict[str, Any]:
    partner = referral.partner
    can_write = (
        not request.user.is_read_only
        and referral.archived_at is None
        and partner.archived_at is None
    )
    if not can_write:
        for form in forms.values():
            if isinstance(form, BaseForm) and form.is_bound:
                flash_errors(request, form)
    sent = referral.direction == Direction.SENT
    # A sent referral concerns a client: consent, the memo and the email draft. A connection not.
    client_flow = sent and referral.kind == Kind.REFERRAL
    lifecycle = referral.lifecycle
    allowed = lifecycle.allowed_from(referral.status)
    changes = list(selectors.status_changes_of(referral=referral))
    steps = list(selectors.steps_of(referral=referral))
    # Consent comes in through the consent form, which records how it was given; until then
    # nothing that introduces the client is offered (the page says why).
    forward = [
        (status, ReferralStatus(status).label)
        for status in allowed
        if status not in lifecycle.failures
        and (status not in lifecycle.needs_consent or referral.has_consent)
    ]
    return {
        "referral": referral,
        "partner": partner,
        "sent": sent,
        "client_flow": client_flow,
        "path": selectors.status_path(referral, changes),
        "changes": changes,
        "forward": forward,
        "consent_first": not referral.has_consent
        and any(status in lifecycle.needs_consent for status in allowed),
        "can_close": any(status in lifecycle.failures for status in allowed),
        "steps": steps,
        "steps_done": sum(1 for step in steps if step.is_done),
        "next_step": selectors.next_step_of(referral, steps),
        "today": timezone.localdate(),
        "memo": referral_memo(referral) if client_flow else "",
        "draft": referral_email_draft(referral, sender=request.user) if client_flow else None,
        "follow_ups": [
            commitment
            for commitment in (referral.thank_you_commitment, referral.report_back_commitment)
            if commitment is not None
        ],
        "outcome": selectors.referral_outcome(referral),
        "can_write": can_write,
        "can_archive": not request.user.is_read_only,
        "advance_form": forms.get("advance_form") or AdvanceForm(),
        "close_form": forms.get("close_form") or CloseForm(referral=referral),
        "consent_form": forms.get("consent_form") or ConsentForm(),
        "edit_form": forms.get("edit_form"),
        "touch_kinds": TouchKind.choices,
        **_links_context(referral, new_link=forms.get("new_link")),
        **disclosure_panel(referral, form=forms.get("disclosure_form"), can_write=can_write),
    }


def _links_context(referral: Referral, *, new_link: Any) -> dict[str, Any]:
    """The partner's confirmation links of a sent referral, and which may still be asked for."""
    if referral.direction != Direction.SENT:
        return {"links": [], "link_purposes": [], "new_link": None}
    rows = link_selectors.link_rows_of(referral=referral)
    answered = {row.link.purpose for row in rows if row.state == link_selectors.LinkState.ANSWERED}
    return {
        "links": rows,
        "link_purposes": [
            (purpose, label) for purpose, label in LinkPurpose.choices if purpose not in answered
        ],
        "new_link": new_link,
    }


def _detail(request: AuthedRequest, referral: Referral, **forms: Any) -> HttpResponse:
    context = _detail_context(request, referral, **forms)
    if htmx_target(request) == DETAIL:
        return render_region(request, "referrals/referral_detail.html#detail", context)
    return render(request, "referrals/referral_detail.html", context)


def _get(request: AuthedRequest, pk: int) -> Referral:
    return selectors.referral_get_for(advisor=request.user, pk=pk)


def _after_write(request: AuthedRequest, referral: Referral) -> HttpResponse:
    """Plain POST: redirect. htmx: the detail, read again to show what the services saved."""
    if htmx_target(request) is None:
        return redirect(safe_next(request) or _detail_url(referral))
    return _detail(request, _get(request, referral.pk))


@login_required
@vary_on_htmx
def referral_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_htmx
@write_required
def referral_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = _get(request, pk)
    if request.method == "POST":
        form = ReferralEditForm(request.POST, referral=referral)
        if form_saves(
            form,
            lambda _data: ledger.referral_update(
                referral=referral, by=request.user, **form.service_kwargs()
            ),
        ):
            messages.success(request, "Referral saved.")
            return _after_write(request, referral)
    else:
        form = ReferralEditForm(referral=referral)
        form.fields["need"].widget.attrs["autofocus"] = True
    return _detail(request, referral, edit_form=form)


@login_required
@require_POST
@write_required
def referral_status(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = _get(request, pk)
    failing = request.POST.get("status") in FAILURE_STATUSES
    form: AdvanceForm | CloseForm = (
        CloseForm(request.POST, referral=referral) if failing else AdvanceForm(request.POST)
    )
    if form_saves(
        form,
        lambda data: ledger.referral_change_status(referral=referral, by=request.user, **data),
    ):
        messages.success(request, f"Status: {referral.get_status_display()}.")
        return _after_write(request, referral)
    return _detail(request, referral, **{"close_form" if failing else "advance_form": form})


@login_required
@require_POST
@write_required
def referral_consent(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = _get(request, pk)
    form = ConsentForm(request.POST)
    if form_saves(
        form,
        lambda data: ledger.referral_record_consent(referral=referral, by=request.user, **data),
    ):
        messages.success(request, "Consent recorded. The email draft now names the client.")
        return _after_write(request, referral)
    return _detail(request, referral, consent_form=form)


@login_required
@require_POST
@write_required
def referral_consent_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = _get(request, pk)
    try:
        ledger.referral_consent_withdraw(referral=referral, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, "Consent withdrawn: the client's name and contact details are removed."
        )
    return _after_write(request, referral)


STEP_DONE_MESSAGE = "Done: {label}. Logged as a touch on {partner}'s timeline."


@login_required
@require_POST
@write_required
def referral_step(request: AuthedRequest, pk: int, slug: str) -> HttpResponse:
    referral = _get(request, pk)
    step = selectors.referral_step_get(referral=referral, slug=slug)
    form = StepForm(request.POST)
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            if action == "complete":
                steps.referral_step_complete(step=step, by=request.user)
                message = STEP_DONE_MESSAGE.format(label=step.label, partner=referral.partner.name)
            elif action == "skip":
                steps.referral_step_skip(step=step, by=request.user)
                message = f"Skipped: {step.label}."
            else:
                steps.referral_step_reopen(step=step, by=request.user)
                message = f"Reopened: {step.label}."
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, message)
    else:
        flash_errors(request, form)
    return _after_write(request, referral)


@login_required
@require_POST
@write_required
def referral_follow_up(request: AuthedRequest, pk: int, commitment_pk: int) -> HttpResponse:
    """Complete or drop one of the follow-ups a received referral prompted."""
    referral = _get(request, pk)
    commitment = commitment_get_for(advisor=request.user, pk=commitment_pk)
    if commitment.pk not in (referral.thank_you_commitment_id, referral.report_back_commitment_id):
        raise Http404("This referral has no such follow-up.")
    form = CommitmentCloseForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form)
    elif not commitment.is_open:
        messages.error(request, partner_services.COMMITMENT_NOT_OPEN)
    else:
        status = form.cleaned_data["status"]
        try:
            partner_services.commitment_update(
                commitment=commitment,
                by=request.user,
                status=status,
                touch_kind=form.cleaned_data["touch_kind"] or None,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            done = "Done" if status == "done" else "Dropped"
            messages.success(request, f"{done}: {commitment.what}")
    return _after_write(request, referral)


@login_required
@require_POST
@write_required
def referral_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = _get(request, pk)
    ledger.referral_archive(referral=referral, by=request.user)
    messages.success(request, "Referral archived: it leaves the balance. Restore it any time.")
    return _after_write(request, referral)


@login_required
@require_POST
@write_required
def referral_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = _get(request, pk)
    ledger.referral_restore(referral=referral, by=request.user)
    messages.success(request, "Referral restored.")
    return _after_write(request, referral)


# --- Firm balance -----------------------------------------------------------------------------


@login_required
def referral_balance(request: AuthedRequest) -> HttpResponse:
    """Per advisor, both ways: the rows of firm_balance_table, as the API lists them."""
    rows = selectors.firm_balance_table(advisor=request.user)
    whole_firm = request.user.sees_whole_firm
    names = [
        name + suffix
        for name, _, _ in selectors.BALANCE_COUNTS
        for suffix in ("", selectors.WINDOW_SUFFIX)
    ]
    totals = {name: sum(getattr(row, name) for row in rows) for name in ["partners", *names]}
    return render(
        request,
        "referrals/balance.html",
        {"rows": rows, "whole_firm": whole_firm, "totals": totals},
    )


# --- Protocols --------------------------------------------------------------------------------


def _protocol_items(request: AuthedRequest, **forms: ProtocolForm) -> list[dict[str, Any]]:
    can_edit = request.user.role == Role.FIRM_ADMIN
    items = []
    for template in selectors.protocol_templates_of(advisor=request.user):
        form = forms.get(template.profession)
        if form is None and can_edit:
            form = ProtocolForm(template=template)
        items.append(
            {
                "template": template,
                "form": form,
                "is_default": template.steps == default_protocol(template.profession),
            }
        )
    return items


def _protocol_template(request: AuthedRequest, profession: str) -> ProtocolTemplate:
    if profession not in Profession.values:
        raise Http404("No such profession.")
    for template in selectors.protocol_templates_of(advisor=request.user):
        if template.profession == profession:
            return template
    raise Http404("No such profession.")


def _protocols(
    request: AuthedRequest, profession: str | None = None, **forms: ProtocolForm
) -> HttpResponse:
    items = _protocol_items(request, **forms)
    if profession and htmx_target(request) == PROTOCOL.format(profession=profession):
        item = next(item for item in items if item["template"].profession == profession)
        return render_region(request, "referrals/protocols.html#protocol", {"item": item})
    return render(request, "referrals/protocols.html", {"items": items})


@login_required
@vary_on_htmx
def referral_protocols(request: AuthedRequest) -> HttpResponse:
    return _protocols(request)


@login_required
@require_POST
def referral_protocol_edit(request: AuthedRequest, profession: str) -> HttpResponse:
    template = _protocol_template(request, profession)
    protocols.ensure_can_edit_protocols(request.user)
    form = ProtocolForm(request.POST, template=template)
    if form.is_valid():
        try:
            protocols.protocol_template_update(
                by=request.user, profession=profession, steps=form.steps()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            label = Profession(profession).label
            messages.success(request, f"{label} protocol saved. New referrals use it.")
            return _after_protocol_write(request, profession)
    return _protocols(request, profession, **{profession: form})


@login_required
@require_POST
def referral_protocol_reset(request: AuthedRequest, profession: str) -> HttpResponse:
    _protocol_template(request, profession)
    protocols.protocol_template_reset(by=request.user, profession=profession)
    label = Profession(profession).label
    messages.success(request, f"{label} protocol back to the default steps.")
    return _after_protocol_write(request, profession)


def _after_protocol_write(request: AuthedRequest, profession: str) -> HttpResponse:
    if htmx_target(request) is None:
        return redirect(f"{reverse('referral_protocols')}#{PROTOCOL.format(profession=profession)}")
    return _protocols(request, profession)
