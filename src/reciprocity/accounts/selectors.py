from django.db.models import QuerySet

from reciprocity.accounts.models import ApiToken, Role, Team, User


def token_authenticate(*, key: str) -> ApiToken | None:
    """The live token for ``key`` whose user is active, or None."""
    if not key.startswith(ApiToken.PREFIX):
        return None
    return (
        ApiToken.objects.select_related("user", "user__firm")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
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


def token_get(*, pk: int) -> ApiToken | None:
    """Any token by id: only for operators on the server (the CLI), never for a web request."""
    return ApiToken.objects.select_related("user").filter(pk=pk).first()
