"""The partner list, its bulk actions and export, and adding a partner."""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from reciprocity.accounts.decorators import write_required
from reciprocity.accounts.services import ensure_can_write
from reciprocity.partners import bulk, services
from reciprocity.partners.duplicates import (
    Duplicate,
    partner_duplicates_for,
)
from reciprocity.partners.forms import (
    BULK_EXPORT,
    PartnerBulkForm,
    PartnerCreateForm,
    partners_listed,
)
from reciprocity.partners.views.regions import RESULTS
from reciprocity.web.forms import form_creates
from reciprocity.web.http import (
    AuthedRequest,
    KeysFirstPaginator,
    flash_errors,
    htmx_target,
    render_region,
    safe_next,
    vary_on_htmx,
)

# A bulk action refused keeps, for the list it goes back to, the rows ticked and the action's
# fields as they were chosen.
BULK_KEPT = "partner_bulk_kept"


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
        **_bulk_kept(request),
    }
    if htmx_target(request) == RESULTS:
        return render_region(request, "partners/partner_list.html#results", context)
    return render(request, "partners/partner_list.html", context)


def _bulk_kept(request: AuthedRequest) -> dict[str, Any]:
    kept = request.session.pop(BULK_KEPT, None)
    return {
        "bulk_form": PartnerBulkForm(initial=kept["fields"] if kept else None, user=request.user),
        "chosen": set(kept["chosen"]) if kept else set(),
    }


def _keep_bulk(request: AuthedRequest, form: PartnerBulkForm) -> None:
    request.session[BULK_KEPT] = {
        "fields": {name: form.data.get(name, "") for name in form.fields},
        "chosen": form.partner_ids(),
    }


@login_required
@require_POST
def partner_bulk(request: AuthedRequest) -> HttpResponseBase:
    """The list's bulk actions on the ticked rows; plain POST, back to the list as it was."""
    form = PartnerBulkForm(request.POST, user=request.user)
    back = safe_next(request) or reverse("partner_list")
    if not form.is_valid():
        flash_errors(request, form)
        _keep_bulk(request, form)
        return redirect(back)
    ids = form.partner_ids()
    if form.cleaned_data["action"] == BULK_EXPORT:
        if not ids:
            messages.error(request, bulk.NONE_SELECTED)
            return redirect(back)
        # The list's own export, of the chosen rows: the same columns as "Export this list".
        query = urlencode({"format": "csv", "partner": ids}, doseq=True)
        return redirect(f"{reverse('partner_export')}?{query}")
    ensure_can_write(request.user)
    action = form.bulk_action()
    try:
        changed = bulk.partner_bulk_apply(partner_ids=ids, by=request.user, action=action)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        _keep_bulk(request, form)
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
