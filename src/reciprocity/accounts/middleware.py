from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from reciprocity.accounts.audit import audit_source
from reciprocity.accounts.selectors import mfa_setup_required

# Pages a user whose firm requires two-factor authentication may reach before setting it up:
# the setup itself (and the password check it may ask for first), and logging out.
MFA_SETUP_ROUTES = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_generate_recovery_codes",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_reauthenticate",
    "account_reauthenticate",
    "account_logout",
}
MFA_REQUIRED = "Your firm requires two-factor authentication: set up an authenticator app first."


class AuditSourceMiddleware:
    """Changes made through a web request are recorded as coming from the web UI (the API sets
    its own source when it authenticates)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        with audit_source(source):
            return self.get_response(request)


class MfaRequiredMiddleware:
    """Sends a user who must set up two-factor authentication to the setup, from every page.

    The API answers such users itself (reciprocity.api.auth), with a JSON 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if (
            request.path.startswith(("/api/", settings.STATIC_URL))
            or (match is not None and match.url_name in MFA_SETUP_ROUTES)
            or not mfa_setup_required(user=request.user)
        ):
            return None
        setup = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(setup)
        messages.warning(request, MFA_REQUIRED)
        return redirect(setup)
