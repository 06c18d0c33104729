import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connections, models, router, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import (
    THRESHOLD_FIELDS,
    ApiToken,
    Delivery,
    Firm,
    RateCount,
    Role,
    Team,
    TokenScope,
    User,
)
from reciprocity.choices import unknown_choice_message
from reciprocity.records import archived_set, lock, model_update

# User-facing messages; tests reuse them.
READ_ONLY_ROLE = "Your role can read this firm's records but not change them."
NOT_FIRM_ADMIN = "Only a firm admin can manage the firm's people, teams and settings."
EMAIL_INVALID = "Enter a valid email address."
EMAIL_TAKEN = "Someone already has an account with this email address."
UNKNOWN_ROLE = unknown_choice_message("role", Role)
NOT_YOURSELF = "You cannot change your own role or deactivate yourself; ask another firm admin."
NOT_INVITED = "This person has already set their password; they can reset it themselves."
TEAM_MEMBER_NOT_IN_FIRM = "Team members must be active people of your firm."
TOKEN_SCOPE_UNKNOWN = unknown_choice_message("scope", TokenScope)
TOKEN_EXPIRY_PAST = "Choose an expiry in the future."  # noqa: S105 (a message)
FIRM_SETTINGS = (
    "name",
    "dormancy_days",
    "requires_mfa",
    "retention_days",
    "keeps_email_bodies",
    *THRESHOLD_FIELDS,
    "yield_target",
    "requires_disclosure_evidence",
    "disclosure_template",
)


# What a new firm starts with: an app that gives firms starter records registers a step from its
# AppConfig.ready (the playbook: meeting plans, cadences, questions and library), so accounts
# needs to know nothing of the apps above it.
FIRM_SETUP_STEPS: dict[str, Callable[[Firm], None]] = {}


def firm_setup_register(app_label: str, step: Callable[[Firm], None]) -> None:
    """One step per app: registering again replaces it."""
    FIRM_SETUP_STEPS[app_label] = step


@transaction.atomic
def firm_create(
    *,
    name: str,
    slug: str = "",
    dormancy_days: int | None = None,
    retention_days: int | None = None,
    requires_mfa: bool = False,
    **settings: Any,
) -> Firm:
    """A new firm, with every registered app's starter records: the only way a firm is made,
    from the demo, the admin site and the tests alike. ``settings`` are the firm's other
    settings (the diagnoses' thresholds, the disclosure rule, ...); left out, their defaults."""
    firm = Firm(name=name, slug=slug or slugify(name)[:80], requires_mfa=requires_mfa)
    model_update(firm, dormancy_days=dormancy_days, retention_days=retention_days, **settings)
    firm.full_clean()
    firm.save()
    for step in FIRM_SETUP_STEPS.values():
        step(firm)
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


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str = "token",
    scope: str = TokenScope.READ_WRITE,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored or shown again. A
    read-only token is refused every write; one with an expiry is refused from then on."""
    if scope not in TokenScope.values:
        raise ValidationError({"scope": TOKEN_SCOPE_UNKNOWN})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": TOKEN_EXPIRY_PAST})
    key = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = attribute(
        ApiToken(
            user=user,
            name=name.strip()[:100] or "token",
            key_hash=ApiToken.hash_key(key),
            hint=key[:10],
            scope=scope,
            expires_at=expires_at,
        ),
        user,
    )
    token.save()
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Refused from now on; the token stays listed, revoked."""
    lock(token)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        attribute(token, by).save(update_fields=["revoked_at"])
    return token


def token_touch(*, token: ApiToken) -> None:
    """Remember when a token was last used, at most once a minute to spare the database."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


# --- Firm administration ----------------------------------------------------------------------


def ensure_can_write(user: User) -> None:
    """Compliance officers read the whole firm and change nothing; every service asks."""
    if user.is_read_only:
        raise PermissionDenied(READ_ONLY_ROLE)


@transaction.atomic
def record_archive_set[M: models.Model](*, record: M, by: User, archived: bool) -> M:
    """Archive (or restore) any archivable record under its row lock, attributed to who did it;
    records are archived, never deleted."""
    ensure_can_write(by)
    locked = lock(record)
    if archived_set(locked, archived=archived):
        attribute(locked, by).save(update_fields=["archived_at", "updated_at"])
    return locked


def ensure_firm_admin(user: User) -> None:
    if not user.manages_firm:
        raise PermissionDenied(NOT_FIRM_ADMIN)


def _same_firm(by: User, person: User) -> None:
    ensure_firm_admin(by)
    if person.firm_id != by.firm_id:
        raise PermissionDenied(NOT_FIRM_ADMIN)


def _free_username(email: str) -> str:
    base = slugify(email.split("@", 1)[0]).replace("-", ".")[:140] or "advisor"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def advisor_invite(
    *,
    by: User,
    email: str,
    role: str = Role.ADVISOR,
    first_name: str = "",
    last_name: str = "",
    teams: Iterable[Team] = (),
) -> User:
    """Add a person to the firm. They have no password (so cannot sign in) until they follow
    the invitation link (``invitation_send``) and choose one."""
    ensure_firm_admin(by)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": EMAIL_INVALID}) from None
    if role not in Role.values:
        raise ValidationError({"role": UNKNOWN_ROLE})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": EMAIL_TAKEN})
    user = User(
        firm=by.firm,
        username=_free_username(email),
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    attribute(user, by).save()
    for team in teams:
        if team.firm_id != by.firm_id:
            raise ValidationError({"teams": TEAM_MEMBER_NOT_IN_FIRM})
        team.members.add(user)
    return user


def invitation_send(*, user: User, by: User, request: HttpRequest) -> None:
    """Email an invited person a link to choose their password: allauth's password-reset link,
    which works once (it is bound to the password) and expires after PASSWORD_RESET_TIMEOUT."""
    from allauth.account.adapter import get_adapter
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    _same_firm(by, user)
    if not user.is_invited:
        raise ValidationError(NOT_INVITED)
    adapter = get_adapter(request)
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    adapter.send_mail(
        "account/email/invitation",
        user.email,
        {
            "user": user,
            "invited_by": by,
            "firm": by.firm,
            "set_password_url": adapter.get_reset_password_from_key_url(key),
            "login_url": request.build_absolute_uri("/accounts/login/"),
        },
    )


@transaction.atomic
def person_change_role(*, person: User, by: User, role: str) -> User:
    _same_firm(by, person)
    if person.pk == by.pk:
        raise ValidationError({"role": NOT_YOURSELF})
    if role not in Role.values:
        raise ValidationError({"role": UNKNOWN_ROLE})
    if person.role != role:
        person.role = role
        attribute(person, by).save(update_fields=["role"])
    return person


@transaction.atomic
def person_deactivate(*, person: User, by: User) -> User:
    """Never delete: a person who leaves keeps their name on the records they touched. They
    can no longer sign in, their sessions end and their API tokens stop working."""
    _same_firm(by, person)
    if person.pk == by.pk:
        raise ValidationError(NOT_YOURSELF)
    if person.is_active:
        person.is_active = False
        attribute(person, by).save(update_fields=["is_active"])
    return person


@transaction.atomic
def person_reactivate(*, person: User, by: User) -> User:
    _same_firm(by, person)
    if not person.is_active:
        person.is_active = True
        attribute(person, by).save(update_fields=["is_active"])
    return person


@transaction.atomic
def team_update(
    *, team: Team, by: User, name: str | None = None, members: Iterable[User] | None = None
) -> Team:
    ensure_firm_admin(by)
    if team.firm_id != by.firm_id:
        raise PermissionDenied(NOT_FIRM_ADMIN)
    if model_update(team, name=name):
        team.full_clean()
        attribute(team, by).save()
    if members is not None:
        chosen = list(members)
        if any(member.firm_id != by.firm_id or not member.is_active for member in chosen):
            raise ValidationError({"members": TEAM_MEMBER_NOT_IN_FIRM})
        attribute(team, by)
        team.members.set(chosen)
    return team


@transaction.atomic
def firm_update(*, firm: Firm, by: User, **changes: Any) -> Firm:
    """Change the firm's settings: name, dormancy days, two-factor rule, retention period,
    whether logged emails keep their text, the diagnoses' thresholds, whether referrals need
    disclosure evidence and the disclosure template."""
    ensure_firm_admin(by)
    if firm.pk != by.firm_id:
        raise PermissionDenied(NOT_FIRM_ADMIN)
    unknown = set(changes) - set(FIRM_SETTINGS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This setting cannot be changed."))
    locked = lock(firm)
    for field, value in changes.items():
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    locked.full_clean()
    attribute(locked, by).save()
    return locked


@transaction.atomic
def delivery_send(
    *, kind: str, recipient: User, period: dt.date, send: Callable[[], object]
) -> bool:
    """Call ``send`` unless this delivery was already made; False when it was. The record is
    written before sending and kept only if sending succeeds, in one transaction: a second
    sender waits for the first and then finds the record."""
    try:
        with transaction.atomic():
            Delivery.objects.create(
                kind=kind, recipient=recipient, period=period, sent_at=timezone.now()
            )
    except IntegrityError:
        return False
    send()
    return True


def rate_count_add(*, key: str, ends_at: dt.datetime) -> int:
    """Count one request against ``key`` (one caller's limit in one window that ends at
    ``ends_at``) and answer the count so far: one atomic upsert, so that concurrent requests of
    every app process count each other. The window's first request deletes the ended ones."""
    alias = router.db_for_write(RateCount)
    connection = connections[alias]
    quote = connection.ops.quote_name
    table, key_column, count_column, ends_column = (
        quote(name) for name in (RateCount._meta.db_table, "key", "count", "ends_at")
    )
    # No ORM upsert counts up (bulk_create's update_conflicts sets the value it inserts).
    sql = (
        f"INSERT INTO {table} ({key_column}, {count_column}, {ends_column}) "  # noqa: S608 (names quoted, values bound)
        f"VALUES (%s, 1, %s) ON CONFLICT ({key_column}) "
        f"DO UPDATE SET {count_column} = {table}.{count_column} + 1 RETURNING {count_column}"
    )
    # One statement, atomic by itself: no transaction around it, whose BEGIN and COMMIT would
    # be two more round trips on every API request.
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(ends_at)])
        (count,) = cursor.fetchone()
    if count == 1:
        RateCount.objects.using(alias).filter(ends_at__lte=timezone.now()).delete()
    return int(count)
