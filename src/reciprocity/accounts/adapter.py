"""How django-allauth behaves here: no open sign-up, a lockout that counts per account, and
two-factor authentication that stays on where the firm requires it."""

from typing import Any

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest

from reciprocity.accounts.models import User

# User-facing messages; tests reuse them.
LOCKED_OUT = (
    "Too many wrong passwords: this account is locked for 15 minutes. Try again later, "
    "or reset your password by email."
)
ADDRESS_THROTTLED = (
    "Too many sign-in attempts came from your network address: wait a minute, then try again."
)


def _account_rates() -> dict[str, str]:
    """The per-account part of the failed sign-in limits (ACCOUNT_RATE_LIMITS)."""
    rates = app_settings.RATE_LIMITS.get("login_failed") or ""
    per_key = [rate.strip() for rate in rates.split(",") if rate.strip().endswith("/key")]
    return {"login_failed": ",".join(per_key)}


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": LOCKED_OUT,
        "too_many_attempts_from_address": ADDRESS_THROTTLED,
    }

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Allauth's limits, each refusal saying which limit it is: the account's lockout, or
        the address's (which says nothing true about the account typed)."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            account_still_open = ratelimit.consume(
                request,
                app="allauth.account",
                action="login_failed",
                config=_account_rates(),
                key=self._get_login_attempts_cache_key(request, **credentials),
                dry_run=True,
            )
            if account_still_open:
                raise self.validation_error("too_many_attempts_from_address") from None
            raise

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Count failures per account, whether its username or its email address was typed,
        so switching between them does not double the attempts; unknown names count alone."""
        login = str(credentials.get("email") or credentials.get("username") or "").lower()
        user_id = (
            User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login))
            .values_list("pk", flat=True)
            .first()
            if login
            else None
        )
        return f"user:{user_id}" if user_id is not None else f"login:{login}"


MFA_KEPT = "Your firm requires two-factor authentication: the authenticator app cannot be removed."


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {**DefaultMFAAdapter.error_messages, "cannot_delete_authenticator": MFA_KEPT}

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Nobody switches off what their firm requires (a recovery code still signs them in)."""
        user = authenticator.user
        firm = getattr(user, "firm", None)
        return not (firm is not None and firm.requires_mfa)
