import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import ApiToken, Firm, Role, Team, User


@transaction.atomic
def firm_create(*, name: str, slug: str = "", dormancy_days: int | None = None) -> Firm:
    firm = Firm(name=name, slug=slug or slugify(name)[:80])
    if dormancy_days is not None:
        firm.dormancy_days = dormancy_days
    firm.full_clean()
    firm.save()
    # A new firm starts with the playbook's meeting plans, cadences, questions and library.
    from reciprocity.playbook.services import firm_defaults_install

    firm_defaults_install(firm=firm)
    return firm


@transaction.atomic
def advisor_create(
    *,
    firm: Firm,
    username: str,
    password: str | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    role: str = Role.ADVISOR,
) -> User:
    user = User(
        firm=firm,
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def team_create(*, firm: Firm, name: str, members: list[User], by: User | None = None) -> Team:
    team = attribute(Team(firm=firm, name=name), by)
    team.full_clean()
    team.save()
    team.members.set([member for member in members if member.firm_id == firm.pk])
    return team


def token_create(*, user: User, name: str = "token") -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored or shown again."""
    key = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = attribute(
        ApiToken(user=user, name=name[:100], key_hash=ApiToken.hash_key(key), hint=key[:10]), user
    )
    token.save()
    return token, key


def token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        attribute(token, by).save(update_fields=["revoked_at"])
    return token


def token_touch(*, token: ApiToken) -> None:
    """Remember when a token was last used, at most once a minute to spare the database."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
