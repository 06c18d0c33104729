"""Conditional requests, so that a sync can trust what it writes.

Every JSON answer carries an ``ETag``. A record (a body with an ``id`` and an ``updated_at``)
gets a strong one made from its version: its id and the moment it last changed, so it moves on
with every change to the record. Any other answer (a list, a record that keeps no version) gets
a weak one made from its bytes.

A write may send ``If-Match``: the operation then honours it with ``if_match`` inside its
transaction (the record's row is locked, its version compared, and only then changed), or
refuses the header; either way nothing changes unless the precondition held. ``If-None-Match``
on a read answers 304 when the client's copy is current.

``install`` puts this on every operation of the API, so an operation added later has it by
design: its answers carry ETags, and a write that does not call ``if_match`` refuses If-Match
rather than ignoring it.
"""

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from ninja import NinjaAPI
from ninja.errors import HttpError

# User-facing messages; tests reuse them.
IF_MATCH_MALFORMED = (
    "If-Match must be * or entity tags in double quotes, as an ETag header gives them: "
    'If-Match: "12-5f3a…".'
)
IF_NONE_MATCH_MALFORMED = (
    "If-None-Match must be * or entity tags in double quotes, as an ETag header gives them."
)
PRECONDITION_FAILED = (
    "This record has changed since you read it: If-Match is not its current ETag. Nothing was "
    "changed; read it again and send the ETag it answers."
)
IF_MATCH_NOT_TAKEN = (
    "This operation does not take If-Match; nothing was changed. Send it without the header."
)

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
READS = {"GET", "HEAD"}
# A request attribute: the operation compared If-Match with the record it changes.
CHECKED = "_if_match_checked"

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TAG = r'(?:W/)?"[\x21\x23-\x7e]*"'
_TAGS = re.compile(rf"\s*{_TAG}(?:\s*,\s*{_TAG})*\s*")
_ONE_TAG = re.compile(_TAG)


def parse_tags(value: str) -> list[str] | None:
    """The entity tags of an If-Match or If-None-Match header (``["*"]`` for any); None when it
    is not in the format HTTP gives them."""
    if value.strip() == "*":
        return ["*"]
    if not _TAGS.fullmatch(value):
        return None
    return _ONE_TAG.findall(value)


def version_tag(pk: Any, updated_at: dt.datetime) -> str:
    """The strong ETag of a record: its id and the microsecond it last changed."""
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=dt.UTC)
    micros = (updated_at - _EPOCH) // dt.timedelta(microseconds=1)
    return f'"{pk}-{micros:x}"'


def body_tag(data: Any, content: bytes) -> str:
    """The ETag of an answer: strong for a record that keeps a version, weak otherwise."""
    if isinstance(data, dict) and data.get("id") is not None:
        updated_at = data.get("updated_at")
        if isinstance(updated_at, str):
            try:
                updated_at = dt.datetime.fromisoformat(updated_at)
            except ValueError:
                updated_at = None
        if isinstance(updated_at, dt.datetime):
            return version_tag(data["id"], updated_at)
    return f'W/"{hashlib.sha256(content).hexdigest()[:32]}"'


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def if_match(request: HttpRequest, record: models.Model) -> None:
    """Honour the request's If-Match for a change to ``record``: call it inside the service's
    transaction, before the change. The record's row is locked (so no other writer can change it
    until this transaction ends) and its version compared; 412 when it moved on. ``*`` matches
    any record that exists. Without the header, it only takes the lock."""
    setattr(request, CHECKED, True)
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = parse_tags(header) or []
    model = type(record)
    keeps_version = any(f.name == "updated_at" for f in model._meta.concrete_fields)
    locked = model._default_manager.select_for_update().filter(pk=record.pk)
    if not keeps_version:
        exists = locked.exists()
        if exists and tags == ["*"]:
            return
        raise HttpError(412, PRECONDITION_FAILED)
    updated_at = locked.values_list("updated_at", flat=True).first()
    if updated_at is None:
        raise HttpError(412, PRECONDITION_FAILED)
    if tags == ["*"]:
        return
    current = version_tag(record.pk, updated_at)
    # If-Match compares strongly: a weak tag never matches.
    if current not in [tag for tag in tags if not tag.startswith("W/")]:
        raise HttpError(412, PRECONDITION_FAILED)


@contextmanager
def guarded(request: HttpRequest, record: models.Model) -> Iterator[None]:
    """One transaction in which If-Match is compared with ``record`` and the change is made."""
    with transaction.atomic():
        if_match(request, record)
        yield


def _not_modified(request: HttpRequest, response: HttpResponseBase) -> bool:
    header = request.headers.get("If-None-Match")
    etag = response.get("ETag") if response.status_code == 200 else None
    if header is None or etag is None:
        return False
    tags = parse_tags(header) or []
    # If-None-Match compares weakly.
    return tags == ["*"] or _opaque(etag) in {_opaque(tag) for tag in tags}


def install(api: NinjaAPI, error: Callable[[HttpRequest, int, str], HttpResponse]) -> None:
    """Put conditional requests on every operation of ``api``; ``error`` answers the JSON
    error shape."""

    def conditional(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(run)
        def operation(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            header = request.headers.get("If-Match")
            if header is not None and parse_tags(header) is None:
                return error(request, 400, IF_MATCH_MALFORMED)
            wanted = request.headers.get("If-None-Match")
            if wanted is not None and parse_tags(wanted) is None:
                return error(request, 400, IF_NONE_MATCH_MALFORMED)
            if header is not None and request.method in WRITES:
                with transaction.atomic():
                    response = run(request, *args, **kwargs)
                    if response.status_code >= 400:
                        transaction.set_rollback(True)
                    elif not getattr(request, CHECKED, False):
                        transaction.set_rollback(True)
                        return error(request, 400, IF_MATCH_NOT_TAKEN)
                    return response
            response = run(request, *args, **kwargs)
            if request.method in READS and _not_modified(request, response):
                not_modified = HttpResponseNotModified()
                not_modified["ETag"] = response["ETag"]
                return not_modified
            return response

        return operation

    # "view": around the whole operation (authentication, validation, the answer).
    api.add_decorator(conditional, mode="view")


def describe(document: dict[str, Any]) -> None:
    """Say in the OpenAPI document what every operation does with these headers, so generated
    clients offer them: reads take If-None-Match (304), writes take If-Match (412), and
    answers carry an ETag."""
    etag = {
        "description": "The version of what was answered: strong for a record, weak otherwise.",
        "schema": {"type": "string"},
    }
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            parameters = operation.setdefault("parameters", [])
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if str(status).startswith("2"):
                    response.setdefault("headers", {})["ETag"] = etag
            if method.upper() in READS:
                parameters.append(_header("If-None-Match", "Answer 304 if this is still the ETag."))
                responses["304"] = {"description": "Not modified: your copy is current."}
            elif method.upper() in WRITES:
                parameters.append(
                    _header(
                        "If-Match",
                        "Change the record only if this is still its ETag (or *); else 412 and "
                        "nothing is changed.",
                    )
                )
                responses["412"] = {
                    "description": "The record changed since you read it; nothing was changed.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }


def _header(name: str, description: str) -> dict[str, Any]:
    return {
        "in": "header",
        "name": name,
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }
