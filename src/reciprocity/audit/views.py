"""The audit trail's pages: a partner's History tab, the firm's audit log and its CSV export,
the firm admin's purge of records past the retention period and check of the firm's chain."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reciprocity.accounts.decorators import audit_reader_required, firm_admin_required
from reciprocity.accounts.models import User
from reciprocity.audit import selectors, services
from reciprocity.audit.forms import AuditFilterForm, PurgeForm
from reciprocity.audit.registry import model_by_label
from reciprocity.ops.routers import replica_stream
from reciprocity.partners.selectors import partner_get_for
from reciprocity.spreadsheets import csv_lines
from reciprocity.web.forms import add_service_errors

AUDIT_PAGE_SIZE = 50
EXPORT_CHUNK = 500
VERIFIED = "The audit chain holds: {count} entries recomputed, none altered, missing or added."
NOT_VERIFIED = "The audit chain does not hold. First problem: {first}."
CSV_HEADER = ["When", "Who", "From", "Action", "Record", "Id", "Name", "Changes"]


class ReaderRequest(HttpRequest):
    user: User


@login_required
@require_GET
def partner_history(request: ReaderRequest, pk: int) -> HttpResponse:
    partner = partner_get_for(advisor=request.user, pk=pk, include_archived=True)
    entries = selectors.partner_history(partner=partner)
    page = Paginator(entries, settings.RECIPROCITY_PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(request, "audit/partner_history.html", {"partner": partner, "page": page})


def _filtered(request: ReaderRequest) -> tuple[AuditFilterForm, selectors.AuditFilters]:
    form = AuditFilterForm(request.GET or None, reader=request.user)
    form.is_valid()
    return form, form.filters()


@audit_reader_required
@require_GET
def audit_log(request: ReaderRequest) -> HttpResponse:
    form, filters = _filtered(request)
    rows = selectors.audit_log(reader=request.user, filters=filters)
    page = Paginator(rows, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render(
        request,
        "audit/audit_log.html",
        {
            "form": form,
            "page": page,
            "entries": selectors.audit_entries(page.object_list),
            "query": urlencode(query),
            "purges": selectors.purges_of(reader=request.user)[:5],
            "can_purge": request.user.manages_firm,
            "can_verify": request.user.reads_audit_log,
            "verification": selectors.last_verification(reader=request.user),
        },
    )


def _export_rows(rows: QuerySet[Any]) -> Iterator[list[object]]:
    paginator: Paginator[Any] = Paginator(rows, EXPORT_CHUNK)
    for number in paginator.page_range:
        for entry in selectors.audit_entries(paginator.page(number).object_list):
            kind = model_by_label(entry.model)
            yield [
                timezone.localtime(entry.when).isoformat(timespec="seconds"),
                entry.who,
                entry.source_label,
                entry.action,
                kind._meta.verbose_name if kind else entry.model,
                entry.object_id,
                entry.object_label,
                entry.changes_text,
            ]


@audit_reader_required
@require_GET
def audit_export(request: ReaderRequest) -> StreamingHttpResponse:
    _form, filters = _filtered(request)
    rows = selectors.audit_log(reader=request.user, filters=filters)
    response = StreamingHttpResponse(
        csv_lines(CSV_HEADER, replica_stream(_export_rows(rows))),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response


@firm_admin_required
@require_http_methods(["GET", "POST"])
def audit_purge(request: ReaderRequest) -> HttpResponse:
    form = PurgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            purge = services.records_purge(by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Purged {purge.total} archived records.")
            return redirect("audit_log")
    cutoff, counts = services.purge_preview(by=request.user)
    kinds = dict(selectors.audit_kinds())
    return render(
        request,
        "audit/purge.html",
        {
            "form": form,
            "cutoff": cutoff,
            "retention_days": request.user.firm.retention_days if request.user.firm else None,
            "counts": [(kinds.get(label, label), count) for label, count in counts.items()],
            "total": sum(counts.values()),
        },
    )


@audit_reader_required
@require_POST
def audit_verify(request: ReaderRequest) -> HttpResponse:
    """Check the firm's chain now: the compliance officer or a firm admin. The work is done in
    the request: it reads every audit entry of the firm once, so it takes as long as the firm's
    history is long."""
    report = services.chain_verify(firm=request.user.firm, by=request.user)
    if report.ok:
        messages.success(request, VERIFIED.format(count=report.entries))
    else:
        messages.error(request, NOT_VERIFIED.format(first=report.first))
    return redirect("audit_log")
