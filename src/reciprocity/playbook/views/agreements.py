"""Web pages of a partner's agreement: write it, end it, print it."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reciprocity.accounts.decorators import posting_requires_write, write_required
from reciprocity.partners.models import CommitmentOwner
from reciprocity.playbook.forms.agreements import AgreementEndForm, AgreementForm
from reciprocity.playbook.models import AgreementStatus
from reciprocity.playbook.selectors.agreements import (
    AGREEMENT_NOT_FOUND,
    agreement_active_for,
    agreement_document,
    agreement_get_for,
    agreements_of,
)
from reciprocity.playbook.services import agreements as services
from reciprocity.playbook.views.common import partner_or_404, partner_page
from reciprocity.web.forms import form_posted, form_submitted
from reciprocity.web.http import AuthedRequest


def _review_default() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=365)


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def partner_agreement(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_or_404(request, pk)
    form = AgreementForm(
        request.POST or None,
        initial={
            "referral_process": partner.preferred_referral_process or None,
            "next_review": _review_default(),
        },
    )
    if form_submitted(
        request,
        form,
        lambda _data: services.agreement_create(
            partner=partner, by=request.user, **form.service_kwargs()
        ),
        done="Agreement recorded; each promise is now a commitment on both sides.",
    ):
        return redirect("partner_agreement", pk=partner.pk)
    agreements = list(agreements_of(partner=partner))
    active = next((a for a in agreements if a.status == AgreementStatus.ACTIVE), None)
    return partner_page(
        request,
        partner,
        "playbook/partner_agreement.html",
        {
            "active": active,
            "history": [a for a in agreements if a is not active],
            "sides": [
                (CommitmentOwner.ADVISOR, "What you will do"),
                (CommitmentOwner.PARTNER, f"What {partner.name} will do"),
            ],
            "form": form,
            "end_form": AgreementEndForm(),
            "show_form": request.method == "POST" or active is None or "new" in request.GET,
        },
    )


@login_required
@require_POST
@write_required
def agreement_end(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_or_404(request, pk)
    active = agreement_active_for(partner=partner)
    if active is None:
        raise Http404(AGREEMENT_NOT_FOUND)
    form = AgreementEndForm(request.POST)
    form_posted(
        request,
        form,
        lambda data: services.agreement_end(agreement=active, by=request.user, **data),
        done="Agreement ended; it stays in the history.",
    )
    return redirect("partner_agreement", pk=partner.pk)


@login_required
@require_GET
def agreement_print(request: AuthedRequest, pk: int) -> HttpResponse:
    """The active agreement (or ``?agreement=<id>`` of this partner) laid out for paper."""
    partner = partner_or_404(request, pk)
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
