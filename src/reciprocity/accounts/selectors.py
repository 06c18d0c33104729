import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from reciprocity.accounts.models import ApiToken, Delivery, Role, Team, User
from reciprocity.ids import get_visible_or_404

# User-facing message; tests reuse it.
NO_TOKEN = "No token with that id."  # noqa: S105  (a message, not a secret)


def token_authenticate(*, key: str) -> ApiToken | None:
    """The live token for ``key`` whose user is active, or None."""
    if not key.startswith(ApiToken.PREFIX):
        return None
    return (
        ApiToken.objects.select_related("user", "user__firm")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .first()
    )


def advisors_of_firm(*, user: User) -> QuerySet[User]:
    """Advisors the user may see: colleagues of their own firm."""
    if user.firm is None:
        return User.objects.none()
    return User.objects.filter(firm_id=user.firm.pk, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def teams_of(*, user: User) -> QuerySet[Team]:
    if user.firm is None:
        return Team.objects.none()
    if user.sees_whole_firm:
        return Team.objects.filter(firm_id=user.firm.pk)
    return user.teams.all()


def user_by_username(*, username: str) -> User | None:
    return User.objects.select_related("firm").filter(username=username).first()


def sole_advisor() -> User | None:
    """The advisor of a one-advisor installation; None when there are none or several."""
    advisors = list(
        User.objects.select_related("firm").filter(
            role=Role.ADVISOR, is_active=True, firm__isnull=False
        )[:2]
    )
    return advisors[0] if len(advisors) == 1 else None


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_get_for(*, user: User, pk: Any) -> ApiToken:
    """One of the user's own tokens; 404 for anyone else's."""
    return get_visible_or_404(tokens_of(user=user), pk, not_found=NO_TOKEN)


def token_get(*, pk: int) -> ApiToken | None:
    """Any token by id: only for operators on the server (the CLI), never for a web request."""
    return ApiToken.objects.select_related("user").filter(pk=pk).first()


def has_authenticator_app(*, user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def mfa_setup_required(*, user: Any) -> bool:
    """The user's firm requires two-factor authentication and they have no authenticator app
    yet: until they set one up they may only do that (or log out)."""
    if not isinstance(user, User) or not user.is_authenticated or user.firm is None:
        return False
    return user.firm.requires_mfa and not has_authenticator_app(user=user)


# --- Firm administration (firm admins only; anyone else, or another firm, gets a 404) ----------

NO_PERSON = "No person with that id."
NO_TEAM = "No team with that id."


def people_of_firm(*, admin: User) -> QuerySet[User]:
    """Everyone of the admin's firm, the deactivated included, with their teams."""
    if admin.firm is None or not admin.manages_firm:
        return User.objects.none()
    return (
        User.objects.filter(firm=admin.firm)
        .prefetch_related("teams")
        .order_by("-is_active", "first_name", "last_name", "username")
    )


def person_get_for(*, admin: User, pk: Any) -> User:
    return get_visible_or_404(people_of_firm(admin=admin), pk, not_found=NO_PERSON)


def teams_of_firm(*, admin: User) -> QuerySet[Team]:
    if admin.firm is None or not admin.manages_firm:
        return Team.objects.none()
    return Team.objects.filter(firm=admin.firm).prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("first_name", "last_name", "username"))
    )


def team_get_for(*, admin: User, pk: Any) -> Team:
    return get_visible_or_404(teams_of_firm(admin=admin), pk, not_found=NO_TEAM)


def deliveries_made(*, kind: str, period: dt.date) -> set[int]:
    """Who already received ``kind`` for ``period``."""
    return set(
        Delivery.objects.filter(kind=kind, period=period).values_list("recipient_id", flat=True)
    )
