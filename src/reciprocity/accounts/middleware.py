from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from reciprocity.accounts.audit import audit_source


class AuditSourceMiddleware:
    """Changes made through a web request are recorded as coming from the web UI (the API sets
    its own source when it authenticates)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        with audit_source(source):
            return self.get_response(request)
