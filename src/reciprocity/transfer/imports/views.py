"""The import page under Partners: upload, mapping, dry run, import with its progress, result.

Every step is a plain form post answered with a page or a redirect, so it works without
JavaScript (a reload shows how far the import got); with htmx the progress bar updates itself.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from reciprocity.accounts.decorators import write_required
from reciprocity.spreadsheets import csv_lines
from reciprocity.transfer.imports.engine import Outcome
from reciprocity.transfer.imports.formats import read_table
from reciprocity.transfer.imports.forms import ImportMappingForm, ImportUploadForm
from reciprocity.transfer.imports.mapping import RECIPROCITY
from reciprocity.transfer.imports.models import ImportRun
from reciprocity.transfer.imports.selectors import import_run_get_for, import_runs_of
from reciprocity.transfer.imports.services import (
    MAX_UPLOAD_MB,
    ImportFiles,
    import_check,
    import_files_of,
    import_run_create,
    import_run_map,
)
from reciprocity.transfer.imports.tasks import import_run_start
from reciprocity.web.forms import add_service_errors
from reciprocity.web.http import AuthedRequest, htmx_target, vary_on_htmx

PROGRESS = "import-progress"
TEMPLATE_EXAMPLE = {
    "Name": "Jane Doe",
    "Organization": "Doe & Associates CPAs",
    "Profession": "cpa",
    "Email": "jane@doecpa.example",
    "Stage": "identified",
}


def _upload_too_large(form: ImportUploadForm, request: AuthedRequest) -> bool:
    for name in ("file", "touches"):
        upload = request.FILES.get(name)
        if upload is not None and upload.size and upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            form.add_error(name, f"The file is larger than {MAX_UPLOAD_MB} MB.")
    return bool(form.errors)


@login_required
@require_http_methods(["GET", "POST"])
@write_required
def import_start(request: AuthedRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and not _upload_too_large(form, request):
        upload, touches = form.cleaned_data["file"], form.cleaned_data["touches"]
        files = ImportFiles(
            data=upload.read(),
            file_name=upload.name or "",
            preset=form.cleaned_data["preset"],
            touches=touches.read() if touches else b"",
            touches_name=(touches.name or "") if touches else "",
        )
        try:
            run = import_run_create(by=request.user, files=files)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("import_run", pk=run.pk)
    runs = import_runs_of(user=request.user)[:10]
    return render(
        request,
        "transfer/import.html",
        {"form": form, "runs": runs, "max_upload_mb": MAX_UPLOAD_MB},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def import_template(request: AuthedRequest) -> StreamingHttpResponse:
    """Reciprocity's own template: every column the import reads, and one example row."""
    header = list(RECIPROCITY.columns)
    example = [TEMPLATE_EXAMPLE.get(column, "") for column in header]
    response = StreamingHttpResponse(csv_lines(header, [example]), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="reciprocity-import-template.csv"'
    return response


def _mapping_form(run: ImportRun, data: Any = None) -> ImportMappingForm:
    header = read_table(bytes(run.data), run.file_name).header
    return ImportMappingForm(data, header=header, mapping=run.mapping, values=run.values)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_htmx
def import_run(request: AuthedRequest, pk: int) -> HttpResponse:
    run = import_run_get_for(user=request.user, pk=pk)
    if htmx_target(request) == PROGRESS:
        return render(request, "transfer/import_run.html#progress", {"run": run})
    form, outcome = None, None
    if run.is_draft:
        form = _mapping_form(run, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form is not None:
        outcome = _map_and_act(request, run, form)
        if outcome is None and not form.errors:
            return redirect("import_run", pk=run.pk)
    return render(
        request,
        "transfer/import_run.html",
        {"run": run, "form": form, "outcome": outcome},
        status=400 if form is not None and form.errors else 200,
    )


def _map_and_act(request: AuthedRequest, run: ImportRun, form: ImportMappingForm) -> Outcome | None:
    """Save the mapping; then the dry run (its outcome) or the import (None)."""
    if not form.is_valid():
        return None
    try:
        run = import_run_map(
            run=run,
            by=request.user,
            columns=form.columns(),
            values=form.cleaned_data["values"],
        )
        if request.POST.get("action") == "import":
            import_run_start(run=run, by=request.user)
            return None
        return import_check(by=request.user, files=import_files_of(run))
    except ValidationError as error:
        add_service_errors(form, error)
        return None
