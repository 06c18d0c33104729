"""Web pages of a referral's compensation and disclosure: the section of the referral page that
records them (with the document's upload), the document served back as an attachment to those
who may see the referral, and the compliance list of compensated referrals (page and CSV)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from reciprocity.accounts.decorators import write_required
from reciprocity.referrals import compliance, selectors
from reciprocity.referrals.disclosure import ReferralDisclosure
from reciprocity.referrals.disclosure_forms import ComplianceFilterForm, DisclosureForm
from reciprocity.referrals.services import disclosures
from reciprocity.referrals.views import _after_write, _detail, _get
from reciprocity.spreadsheets import csv_lines
from reciprocity.web.forms import add_service_errors
from reciprocity.web.http import AuthedRequest, vary_on_htmx

COMPLIANCE_PAGE_SIZE = 50
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


def document_response(disclosure: ReferralDisclosure) -> FileResponse:
    """The disclosure document as an attachment (never shown inline), under its uploaded name."""
    extension = (disclosure.disclosure_file.name or "").rsplit(".", 1)[-1].lower()
    response = FileResponse(
        disclosure.disclosure_file.open("rb"),
        as_attachment=True,
        filename=disclosure.disclosure_file_name or f"disclosure.{extension}",
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
@vary_on_htmx
@write_required
def referral_disclosure(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = _get(request, pk)
    form = DisclosureForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["disclosure_file"]
        try:
            with transaction.atomic():
                disclosures.referral_disclosure_update(
                    referral=referral, by=request.user, **form.service_kwargs()
                )
                if upload is not None:
                    disclosures.referral_disclosure_attach(
                        referral=referral,
                        by=request.user,
                        upload=upload,
                        name=upload.name or "",
                        size=upload.size,
                    )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Compensation and disclosure saved.")
            return _after_write(request, referral)
    return _detail(request, referral, disclosure_form=form)


@login_required
@require_GET
def referral_disclosure_document(request: AuthedRequest, pk: int) -> FileResponse:
    disclosure = selectors.referral_disclosure_document(advisor=request.user, pk=pk)
    return document_response(disclosure)


def _compliance_filters(form: ComplianceFilterForm) -> compliance.ComplianceFilters:
    form.is_valid()
    # Whatever parsed is applied; a bad value is shown as an error and ignored.
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    return compliance.ComplianceFilters(
        missing=bool(data.get("missing")), start=data.get("from"), end=data.get("to")
    )


# The selector refuses anyone but a compliance officer or a firm admin, saying what they may not
# read.
@login_required
@require_GET
def compliance_referrals(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    form = ComplianceFilterForm(request.GET or None)
    filters = _compliance_filters(form)
    rows = compliance.compensated_referrals(reader=request.user, filters=filters)
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            csv_lines(compliance.CSV_HEADER, compliance.csv_rows(rows.iterator())),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="compensated-referrals-{stamp}.csv"'
        )
        return response
    page = Paginator(rows, COMPLIANCE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    firm = request.user.firm
    return render(
        request,
        "referrals/compliance.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filters": filters,
            "requires_evidence": bool(firm and firm.requires_disclosure_evidence),
            "page_size": settings.RECIPROCITY_PAGE_SIZE,
        },
    )
