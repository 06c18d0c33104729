"""Web pages of the strategy switch and of a partner's opportunities."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from reciprocity.accounts.decorators import posting_requires_write, write_required
from reciprocity.partners.models import TouchKind
from reciprocity.playbook.forms.strategies import (
    OpportunityCloseForm,
    OpportunityForm,
    OpportunityLinkForm,
    OpportunityRequestForm,
    StrategyForm,
)
from reciprocity.playbook.models import (
    OPEN_OPPORTUNITY_STATUSES,
    Opportunity,
    OpportunityStatus,
    Strategy,
)
from reciprocity.playbook.selectors.strategies import (
    opportunities_of,
    opportunity_of,
    referrals_to_link,
    strategy_yield,
)
from reciprocity.playbook.services import strategies as services
from reciprocity.playbook.views.common import partner_form_posted, partner_or_404, partner_page
from reciprocity.playbook.views.overview import PLAYBOOK, panel_or_redirect
from reciprocity.web.forms import form_posted, form_saves, form_submitted
from reciprocity.web.http import AuthedRequest, action_taken, flash_errors, htmx_target


@login_required
@require_POST
@write_required
def strategy_switch(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_form_posted(
        request,
        pk,
        StrategyForm,
        services.strategy_set,
        done=lambda partner, data: (
            f"Strategy with {partner.name}: {Strategy(data['strategy']).label}."
        ),
    )
    return panel_or_redirect(request, partner)


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
    return partner_page(
        request,
        partner,
        "playbook/partner_opportunities.html",
        {
            "rows": [
                OpportunityRow(o, refused_form if o.pk == refused_pk else None)
                for o in opportunities_of(partner=partner)
            ],
            "referrals": list(referrals_to_link(partner=partner)),
            "yields": strategy_yield(advisor=request.user, partner=partner),
            "form": form or OpportunityForm(),
            "touch_kinds": TouchKind.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@posting_requires_write
def partner_opportunities(request: AuthedRequest, pk: int) -> HttpResponse:
    partner = partner_or_404(request, pk)
    form = OpportunityForm(request.POST or None)
    if form_submitted(
        request,
        form,
        lambda data: services.opportunity_create(
            partner=partner,
            by=request.user,
            title=data["title"],
            strategy=data.get("strategy") or None,
            proposal=data.get("proposal") or "",
            ask_by=data.get("ask_by"),
        ),
        done="Opportunity added; it is on your agenda by its date.",
    ):
        return redirect("partner_opportunities", pk=partner.pk)
    return _opportunities_page(request, partner, form=form)


def _opportunity(request: AuthedRequest, partner: Any, opportunity_id: int) -> Opportunity:
    return opportunity_of(partner=partner, pk=opportunity_id)


def _opportunity_refused(
    request: AuthedRequest, partner: Any, opportunity: Opportunity, form: Any
) -> HttpResponse:
    """The panel (htmx) flashes the refusal; without JavaScript the opportunities page shows
    it on the opportunity's form."""
    if htmx_target(request) == PLAYBOOK:
        flash_errors(request, form)
        return panel_or_redirect(request, partner)
    return _opportunities_page(request, partner, refused=(opportunity.pk, form))


def _linked_message(opportunity: Opportunity) -> str:
    referral = opportunity.referral
    assert referral is not None
    return f"Referred: {opportunity.title}, linked to the referral “{referral.need}”."


@login_required
@require_POST
@write_required
def opportunity_request(
    request: AuthedRequest, partner_id: int, opportunity_id: int
) -> HttpResponse:
    partner = partner_or_404(request, partner_id)
    opportunity = _opportunity(request, partner, opportunity_id)
    form = OpportunityRequestForm(request.POST)
    form_posted(
        request,
        form,
        lambda data: services.opportunity_request_meeting(
            opportunity=opportunity, by=request.user, **data
        ),
        done=f"Meeting requested: {opportunity.title}",
    )
    return panel_or_redirect(request, partner)


def _opportunity_changed(
    request: AuthedRequest,
    ids: tuple[int, int],
    form: type[OpportunityCloseForm | OpportunityLinkForm],
    change: Callable[..., object],
    *,
    done: Callable[[Opportunity], str],
    fallback: str = "",
) -> HttpResponse:
    """A form about an opportunity (``ids``: its partner's and its own) that names a referral
    of the user's: the service ``change`` runs (opportunity=, by=, **the form's data) and
    ``done`` is said, back to the panel or ``fallback``; or the refusal is shown."""
    partner = partner_or_404(request, ids[0])
    opportunity = _opportunity(request, partner, ids[1])
    posted = form(request.POST, user=request.user)
    if not form_saves(
        posted, lambda data: change(opportunity=opportunity, by=request.user, **data)
    ):
        return _opportunity_refused(request, partner, opportunity, posted)
    messages.success(request, done(opportunity))
    return panel_or_redirect(request, partner, fallback)


def _closed_message(opportunity: Opportunity) -> str:
    if opportunity.referral_id is not None:
        return _linked_message(opportunity)
    return f"{opportunity.get_status_display()}: {opportunity.title}"


@login_required
@require_POST
@write_required
def opportunity_close(request: AuthedRequest, partner_id: int, opportunity_id: int) -> HttpResponse:
    return _opportunity_changed(
        request,
        (partner_id, opportunity_id),
        OpportunityCloseForm,
        services.opportunity_close,
        done=_closed_message,
    )


@login_required
@require_POST
@write_required
def opportunity_link(request: AuthedRequest, partner_id: int, opportunity_id: int) -> HttpResponse:
    """Link the referral received that a referred (or still open) opportunity produced."""
    return _opportunity_changed(
        request,
        (partner_id, opportunity_id),
        OpportunityLinkForm,
        services.opportunity_link_referral,
        done=_linked_message,
        fallback=reverse("partner_opportunities", args=[partner_id]),
    )


@login_required
@require_POST
@write_required
def opportunity_unlink(
    request: AuthedRequest, partner_id: int, opportunity_id: int
) -> HttpResponse:
    """Undo a link made by mistake; the opportunity stays referred."""
    partner = partner_or_404(request, partner_id)
    opportunity = _opportunity(request, partner, opportunity_id)

    def unlink() -> str:
        services.opportunity_unlink_referral(opportunity=opportunity, by=request.user)
        return f"Unlinked the referral from {opportunity.title}."

    action_taken(request, unlink)
    return panel_or_redirect(request, partner, reverse("partner_opportunities", args=[partner.pk]))
