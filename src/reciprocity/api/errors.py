"""One shape for every error: ``{"detail": "what is wrong"}``, plus ``errors`` (one entry per
field) when the input was refused. Handlers for all of them are installed on the API by
``install``; ``responses`` documents them on each operation."""

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError

from reciprocity.api.auth import NOT_AUTHENTICATED
from reciprocity.records import Conflict
from reciprocity.web.middleware import OUT_OF_RANGE, OUT_OF_RANGE_ERRORS

logger = logging.getLogger(__name__)

# User-facing messages; tests reuse them.
NOT_FOUND = "Not found."
BODY_NOT_JSON = "The request body is not valid JSON."
SERVER_ERROR = "Something went wrong on our side; the error has been logged."
FIELD_REQUIRED = "This field is required."
FIELD_UNKNOWN = "This field is not accepted here."
NOT_UNDERSTOOD = "The request was not understood."
BODY_TOO_BIG = "The request body is over the limit of {limit:,} bytes."


class Error(Schema):
    detail: str


class FieldError(Schema):
    field: str | None
    message: str


class ValidationFailed(Schema):
    detail: str
    errors: list[FieldError]


def responses(
    ok: Mapping[int, Any], *, not_found: bool = True, conflict: bool = False
) -> dict[int, Any]:
    """The success schema(s) with the errors an operation can answer, for the OpenAPI document.

    Every operation can answer 400 (a malformed request), 401, 403 (the firm requires
    two-factor authentication and the user has not set it up; for writes also a read-only role,
    or a session request without its CSRF token) and 422 (bad query or body); those about one
    record 404."""
    documented: dict[int, Any] = {**ok, 400: Error, 401: Error, 403: Error, 422: ValidationFailed}
    if not_found:
        documented[404] = Error
    if conflict:  # the record's state no longer allows it (done already)
        documented[409] = ValidationFailed
    return documented


def _field_errors(exc: DjangoValidationError) -> list[FieldError]:
    if hasattr(exc, "error_dict"):
        return [
            FieldError(field=None if field == NON_FIELD_ERRORS else field, message=message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [FieldError(field=None, message=message) for message in exc.messages]


def _request_errors(exc: RequestValidationError) -> list[FieldError]:
    """Pydantic's errors about the query or body, with the field named as the client sent it."""
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "due") → "due"; ("query", "stage") → "stage"
        if loc[:1] == ["body"]:
            loc = loc[2:]
        elif loc[:1] in (["query"], ["path"]):
            loc = loc[1:]
        kind = error.get("type")
        if kind == "missing":
            message = FIELD_REQUIRED
        elif kind == "extra_forbidden":
            message = FIELD_UNKNOWN
        elif kind == "value_error" and "error" in error.get("ctx", {}):
            # Our own validators' words, without pydantic's "Value error, " in front.
            message = str(error["ctx"]["error"]).rstrip(".") + "."
        else:
            message = str(error.get("msg", NOT_UNDERSTOOD)).rstrip(".") + "."
        errors.append(FieldError(field=".".join(loc) or None, message=message))
    return errors


def _detail(errors: Iterable[FieldError]) -> str:
    parts = [f"{e.field}: {e.message}" if e.field else e.message for e in errors]
    return "; ".join(part.rstrip(".") for part in parts) + "."


@contextmanager
def fields_renamed(names: Mapping[str, str]) -> Iterator[None]:
    """Report a service's field names as the request body spells them."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        # The same kind of refusal (a conflict stays a 409), with the fields renamed.
        raise type(exc)(
            {names.get(field, field): messages for field, messages in exc.message_dict.items()}
        ) from exc


def install(api: NinjaAPI) -> None:
    def answer(request: HttpRequest, status: int, body: Schema) -> HttpResponse:
        return api.create_response(request, body.model_dump(), status=status)

    def invalid(request: HttpRequest, errors: list[FieldError]) -> HttpResponse:
        return answer(request, 422, ValidationFailed(detail=_detail(errors), errors=errors))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = NOT_AUTHENTICATED if exc.message == "Unauthorized" else exc.message
        response = answer(request, 401, Error(detail=detail))
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        # ninja's only 400: a body it could not parse.
        if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            detail = BODY_NOT_JSON
        return answer(request, exc.status_code, Error(detail=detail))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # Selectors say what was not found ("No partner with that id."); never why.
        return answer(request, 404, Error(detail=str(exc) or NOT_FOUND))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return answer(request, 403, Error(detail=str(exc) or "Permission denied."))

    @api.exception_handler(DjangoValidationError)
    def refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return invalid(request, _field_errors(exc))

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        errors = _field_errors(exc)
        return answer(request, 409, ValidationFailed(detail=_detail(errors), errors=errors))

    @api.exception_handler(RequestValidationError)
    def malformed(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
        return invalid(request, _request_errors(exc))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return answer(request, 413, Error(detail=BODY_TOO_BIG.format(limit=limit)))

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return answer(request, 400, Error(detail=NOT_UNDERSTOOD))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if isinstance(exc, OUT_OF_RANGE_ERRORS):
            return invalid(request, [FieldError(field=None, message=OUT_OF_RANGE)])
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        return answer(request, 500, Error(detail=SERVER_ERROR))
