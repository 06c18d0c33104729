"""Page-level role checks. Pages about one record use the selectors instead (a 404 for whoever
may not see it); these guard the firm-wide pages, where a 403 gives nothing away."""

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from reciprocity.accounts.services import NOT_FIRM_ADMIN, ensure_can_write

NOT_AUDIT_READER = "Only a compliance officer or a firm admin can read the audit log."

View = Callable[..., HttpResponseBase]


def firm_admin_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.manages_firm:  # type: ignore[union-attr]
            raise PermissionDenied(NOT_FIRM_ADMIN)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def audit_reader_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.reads_audit_log:  # type: ignore[union-attr]
            raise PermissionDenied(NOT_AUDIT_READER)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def write_required[Req: HttpRequest, **P, R](
    view: Callable[Concatenate[Req, P], R],
) -> Callable[Concatenate[Req, P], R]:
    """A read-only role is refused before anything is looked up or parsed: for pages (under
    login_required) and API handlers alike. The services check again, so no path writes without
    it."""

    @wraps(view)
    def wrapped(request: Req, *args: P.args, **kwargs: P.kwargs) -> R:
        ensure_can_write(request.user)  # type: ignore[arg-type]
        return view(request, *args, **kwargs)

    return wrapped


def posting_requires_write[Req: HttpRequest, **P, R](
    view: Callable[Concatenate[Req, P], R],
) -> Callable[Concatenate[Req, P], R]:
    """For pages a read-only role may read: only what is posted to them is refused."""

    @wraps(view)
    def wrapped(request: Req, *args: P.args, **kwargs: P.kwargs) -> R:
        if request.method == "POST":
            ensure_can_write(request.user)  # type: ignore[arg-type]
        return view(request, *args, **kwargs)

    return wrapped
