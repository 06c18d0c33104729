"""Web pages of the keep-warm cadences: a partner's overrides and the firm's defaults."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from reciprocity.accounts.decorators import posting_requires_write, write_required
from reciprocity.playbook.forms.cadences import (
    CadenceDefaultForm,
    CadenceDefaultRemoveForm,
    CadenceForm,
    CadenceResetForm,
)
from reciprocity.playbook.selectors.cadences import cadence_defaults_of, cadences_of
from reciprocity.playbook.services import cadences as services
from reciprocity.playbook.views.common import (
    firm_entries_page,
    partner_form_posted,
    partner_or_404,
    partner_page,
)
from reciprocity.web.forms import form_posted, form_submitted
from reciprocity.web.http import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def partner_cadences(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_or_404(request, pk)
    form = CadenceForm(request.POST or None)
    if form_submitted(
        request,
        form,
        lambda data: services.cadence_set(partner=partner, by=request.user, **data),
        done="Cadence saved for this partner.",
    ):
        return redirect("partner_cadences", pk=partner.pk)
    return partner_page(
        request,
        partner,
        "playbook/partner_cadences.html",
        {
            "cadences": cadences_of(partner=partner),
            "overrides": list(partner.cadences.order_by("kind")),
            "form": form,
        },
    )


@login_required
@require_POST
@write_required
def partner_cadence_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    partner_form_posted(
        request,
        pk,
        CadenceResetForm,
        services.cadence_reset,
        done="The firm's default applies again.",
    )
    return redirect("partner_cadences", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def cadence_defaults(request: AuthedRequest) -> HttpResponse:
    return firm_entries_page(
        request,
        CadenceDefaultForm(request.POST or None),
        services.cadence_default_set,
        added="Cadence default saved for the firm.",
        template="playbook/cadence_defaults.html",
        entries=lambda: {"defaults": list(cadence_defaults_of(advisor=request.user))},
    )


@login_required
@require_POST
def cadence_default_remove(request: AuthedRequest) -> HttpResponse:
    form = CadenceDefaultRemoveForm(request.POST)
    form_posted(
        request,
        form,
        lambda data: services.cadence_default_remove(by=request.user, **data),
        done="Cadence default removed.",
    )
    return redirect("cadence_defaults")
