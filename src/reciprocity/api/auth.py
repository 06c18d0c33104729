"""Who is calling: a personal access token (``Authorization: Bearer <token>``) or the browser
session of a logged-in advisor.

Either way ``request.user`` is the acting advisor when a handler runs, so the history of every
change names them; the audit source ``api`` is set for /api/ paths by AuditSourceMiddleware.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from reciprocity.accounts.models import TokenScope, User
from reciprocity.accounts.selectors import mfa_setup_required, token_authenticate
from reciprocity.accounts.services import token_touch

# User-facing messages; tests reuse them.
NOT_AUTHENTICATED = (
    "Authentication required: log in, or send a personal access token as "
    "'Authorization: Bearer <token>'."
)
MALFORMED_AUTHORIZATION = (
    "Malformed Authorization header: send 'Authorization: Bearer <token>' with a personal "
    "access token."
)
BEARER_REFUSED = (
    "This token is not valid: it is unknown, expired or revoked, or its user is inactive. "
    "Create a new one on the API tokens page of the web app, or with "
    "'reciprocity token create <username>'."
)
MFA_REQUIRED = "Your firm requires two-factor authentication; set it up in the web app first."
TOKEN_READ_ONLY = (
    "This token is read-only: it may read but not change anything. Create a read-and-write "  # noqa: S105
    "token for this."
)
CSRF_FAILED = (
    "CSRF check failed: a request authenticated by the session cookie must send the "
    "X-CSRFToken header (the value of the csrftoken cookie). Scripts should use a personal "
    "access token instead."
)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# A proxy in front of the app may ask browsers for these; they are not meant for the API and
# must not lock a logged-in browser out of it.
PROXY_SCHEMES = {"basic", "digest", "negotiate"}


def refuse_without_mfa(user: User) -> None:
    """A user whose firm requires two-factor authentication uses the API only once it is set
    up: a token must not be a way around it."""
    if mfa_setup_required(user=user):
        raise HttpError(403, MFA_REQUIRED)


class BearerToken(HttpBearer):
    """A personal access token. A header that is present but wrong is refused outright rather
    than falling back to the session, so a script never acts as whoever is logged in."""

    openapi_bearerFormat = "rcp_…"
    openapi_description = (
        "A personal access token, created on the web app's API tokens page or with "
        "`reciprocity token create <username>`, sent as `Authorization: Bearer <token>`. "
        "Revoked and expired tokens are refused; a read-only token is refused every write."
    )

    def __call__(self, request: HttpRequest) -> User | None:
        value = request.headers.get(self.header)
        if value is None:
            return None
        scheme, _, key = value.strip().partition(" ")
        if scheme.lower() in PROXY_SCHEMES:
            return None
        if scheme.lower() != self.openapi_scheme or not key.strip():
            raise AuthenticationError(401, MALFORMED_AUTHORIZATION)
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = token_authenticate(key=token)
        if api_token is None:
            raise AuthenticationError(401, BEARER_REFUSED)
        user = api_token.user
        refuse_without_mfa(user)
        if api_token.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            raise HttpError(403, TOKEN_READ_ONLY)
        token_touch(token=api_token)
        # Handlers, services and the history middleware all read request.user.
        request.user = user
        return user


class Session(APIKeyCookie):
    """The browser session of a logged-in user. Writes need the CSRF token, as in the web UI."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The session cookie of a user logged in to the web UI. Requests that change data must "
        "also send the `X-CSRFToken` header."
    )

    def __call__(self, request: HttpRequest) -> User | None:
        # Authentication is checked before CSRF: an anonymous caller learns it must log in.
        user = getattr(request, "user", None)
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, CSRF_FAILED)
        refuse_without_mfa(user)
        return user

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return self(request)


def current_user(request: HttpRequest) -> User:
    """The authenticated advisor of an API request (auth has run before any handler)."""
    user = request.user
    if not isinstance(user, User):
        raise AuthenticationError(401, NOT_AUTHENTICATED)
    return user
