"""Imports through the API: a multipart upload checked (``dry_run``) or queued for the worker,
and the run read back while it progresses."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from reciprocity.accounts.decorators import write_required
from reciprocity.api.auth import current_user
from reciprocity.api.errors import responses
from reciprocity.api.schemas.common import RecordId
from reciprocity.transfer.imports.mapping import mapping_from_file
from reciprocity.transfer.imports.models import ImportRun
from reciprocity.transfer.imports.selectors import import_run_get_for
from reciprocity.transfer.imports.services import (
    ImportFiles,
    import_check,
    import_run_create,
)
from reciprocity.transfer.imports.tasks import import_run_start

imports = Router(tags=["Imports"])


class RefusedRow(Schema):
    line: int
    column: str
    reason: str


class DryRun(Schema):
    created: int
    updated: int
    unchanged: int
    touches: int
    refused: list[RefusedRow]
    duplicates: list[str]


class Import(Schema):
    id: int
    file_name: str
    status: str
    progress: int
    total: int
    percent: int
    created: int
    updated: int
    unchanged: int
    touches: int
    refused: list[RefusedRow]
    error: str
    started_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_touches(run: ImportRun) -> int:
        return run.touches_created


@imports.post(
    "",
    response=responses({200: DryRun, 202: Import}, not_found=False),
    summary="Import partners from a file",
)
@write_required
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    touches: File[UploadedFile | None] = None,
    preset: Form[str] = "",
    dry_run: Form[bool] = False,
    mapping: Form[str] = "",
) -> Any:
    """A CSV, XLSX or vCard file of partners (``touches``: a second file of partner, date,
    kind, summary). With ``dry_run`` the answer says what the import would do and nothing is
    written; otherwise the import is queued and answered 202: follow it at ``/imports/{id}``.
    ``mapping`` is optional JSON: ``{"columns": {"Column": "field"}, "values": {...}}``."""
    user = current_user(request)
    columns, values = mapping_from_file(mapping) if mapping else (None, None)
    files = ImportFiles(
        data=file.read(),
        file_name=file.name or "",
        preset=preset,
        columns=columns,
        values=values,
        touches=touches.read() if touches else b"",
        touches_name=(touches.name or "") if touches else "",
    )
    if dry_run:
        return import_check(by=user, files=files).as_dict()
    run = import_run_start(run=import_run_create(by=user, files=files), by=user)
    return Status(202, import_run_get_for(user=user, pk=run.pk))


@imports.get("/{id}", response=responses({200: Import}), summary="Follow an import")
def get_import(request: HttpRequest, id: RecordId) -> ImportRun:
    """Its ``status`` (``queued``, ``running``, ``done``, ``refused``, ``failed``), ``progress``
    (rows read; ``percent`` of the file) and, once done, its counts and refused rows."""
    return import_run_get_for(user=current_user(request), pk=id)
