"""Settings come from the environment; every default is safe for a laptop.

RECIPROCITY_MODE is ``local`` (default: a SQLite file, a generated secret kept in the data folder,
demo data allowed) or ``production`` (DATABASE_URL, SECRET_KEY and ALLOWED_HOSTS required, secure
cookies, no demo login).
"""

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP  # type: ignore[import-untyped,unused-ignore]

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


MODE = os.environ.get("RECIPROCITY_MODE", "local").strip().lower()
if MODE not in {"local", "production"}:
    raise ImproperlyConfigured("RECIPROCITY_MODE must be 'local' or 'production'.")
PRODUCTION = MODE == "production"

DATA_DIR = Path(os.environ.get("RECIPROCITY_DATA_DIR", PROJECT_DIR / "var"))


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production mode.")
    # Local mode: generate once and keep it beside the database so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# A key generated in one host's data folder signs sessions no other host accepts.
SECRET_KEY_GENERATED = not os.environ.get("SECRET_KEY")
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production mode.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's form templates, for the renderer below.
    "django.forms",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "simple_history",
    "django_tasks_db",
    # Listed so the API docs page is rendered from ninja's bundled Swagger UI files, not a CDN.
    "ninja",
    "reciprocity.ops",
    "reciprocity.accounts",
    "reciprocity.partners",
    "reciprocity.referrals",
    "reciprocity.playbook",
    "reciprocity.insights",
    "reciprocity.audit",
    "reciprocity.integrations",
    "reciprocity.transfer",
    "reciprocity.search",
    "reciprocity.api",
    "reciprocity.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "reciprocity.accounts.middleware.MfaRequiredMiddleware",
    "reciprocity.accounts.middleware.AuditSourceMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "reciprocity.web.middleware.OutOfRangeInputMiddleware",
]

ROOT_URLCONF = "reciprocity.urls"
WSGI_APPLICATION = "reciprocity.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["reciprocity.web.dates", "reciprocity.web.fields"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Forms are rendered with the project's templates, so that ours come first: the select
# (``templates/django/forms/widgets/select.html``) writes its options in place.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database ---------------------------------------------------------------------------------
DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / 'reciprocity.sqlite3'}"
# A firm's hosts share one database: production never falls back to a file of its own. A firm
# that truly wants SQLite says so with DATABASE_URL=sqlite:///path.
if PRODUCTION and not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL must be set in production mode, e.g. "
        "postgres://user:password@db.internal:5432/reciprocity."
    )
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers and one writer work at once; IMMEDIATE transactions take the write lock up
    # front, so concurrent writers wait (busy timeout) instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }


def _postgresql_options(database: Any) -> None:
    """JIT compilation off for this connection: the app's queries are short and indexed, and
    PostgreSQL's JIT, triggered by cost estimates over a whole firm, spent most of their time
    compiling. Options given in the URL (``?options=...``) are kept."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    options = database.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()


_postgresql_options(DATABASES["default"])
# Behind PgBouncer in transaction mode a cursor cannot outlive its transaction.
if env_bool("DB_DISABLE_SERVER_SIDE_CURSORS"):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Reports and exports may read from a replica (reciprocity/ops/routers.py); writes never do.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(
            os.environ["DATABASE_REPLICA_URL"],
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=True,
        ),
        "DISABLE_SERVER_SIDE_CURSORS": DATABASES["default"].get(
            "DISABLE_SERVER_SIDE_CURSORS", False
        ),
        # Tests read the replica through the primary's connection: one test database.
        "TEST": {"MIRROR": "default"},
    }
    _postgresql_options(DATABASES["replica"])
DATABASE_ROUTERS = ["reciprocity.ops.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["reciprocity.accounts.backends.AuthenticationBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "pipeline"
LOGOUT_REDIRECT_URL = "account_login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(60 * 60 * 12)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Sign-in (django-allauth). No open sign-up: a firm admin invites people (accounts/adapter.py).
ACCOUNT_ADAPTER = "reciprocity.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# The firm admin enters the address and the invitation link proves it: no separate check.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    # Ten wrong passwords for one account lock it for fifteen minutes (the key is the account,
    # whichever name or address was typed); one address may fail thirty times a minute.
    "login_failed": "30/m/ip,10/15m/key",
}
# The API's rate limits (reciprocity.api.limits): requests a second, minute, hour or day per
# personal access token, and per address for requests without one; "0" turns one off.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute")
API_ADDRESS_RATE_LIMIT = os.environ.get("API_ADDRESS_RATE_LIMIT", "120/minute")
# Behind a reverse proxy, how many proxies append to X-Forwarded-For: rate limits then count
# the client's address, not the proxy's.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# A reset asked for an unknown address sends nothing: no mail to strangers on request.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Reciprocity] "
ACCOUNT_FORMS = {"login": "reciprocity.accounts.forms.LoginForm"}
MFA_ADAPTER = "reciprocity.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Reciprocity"
# A code from the step before or after the current one is accepted: phone clocks drift.
MFA_TOTP_TOLERANCE = 1
# Allauth's sign-in throttling and the one-time use of authenticator codes live in the cache:
# a database table, so every app process behind a proxy shares them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "reciprocity_cache",
    }
}

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS: list[str] = []

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded files (a referral's disclosure document): never served from here, only through the
# pages that check who may see them.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Email and tasks --------------------------------------------------------------------------
# Locally nothing is emailed: the console backend prints messages. Production sends over SMTP.
EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
_mail_options: dict[str, object] = {}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS"),
    }
elif EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    _mail_options = {"file_path": os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))}
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "reciprocity@localhost")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A task running on a worker silent this long is queued again by another worker (ops/worker.py).
TASK_STALE_AFTER_SECONDS = int(os.environ.get("TASK_STALE_AFTER_SECONDS", "600"))
if TASK_STALE_AFTER_SECONDS < 1:
    raise ImproperlyConfigured("TASK_STALE_AFTER_SECONDS must be 1 or more (seconds).")

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No secret that travels in a path (a calendar feed's key) is written to the log.
    "filters": {
        "redact_secrets": {"()": "reciprocity.site.access_log.RedactSecretsFilter"},
        "refusal_one_line": {"()": "reciprocity.site.access_log.RefusalWithoutTracebackFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_secrets", "refusal_one_line"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every step of every PDF at INFO; its warnings still show.
    "loggers": {"weasyprint": {"level": "WARNING"}},
}

# --- Emails logged by themselves ---------------------------------------------------------------
# An advisor BCCs or forwards to log+<secret>@MAIL_IN_DOMAIN; the MTA of that domain relays to
# `reciprocity mail-in serve`, pipes to `reciprocity mail-in read`, or a mail provider posts the
# raw message to /mail-in/inbound/ with MAIL_IN_SECRET (that endpoint is off while it is empty).
MAIL_IN_DOMAIN = os.environ.get("MAIL_IN_DOMAIN", "localhost")
MAIL_IN_SECRET = os.environ.get("MAIL_IN_SECRET", "")
MAIL_IN_MAX_BYTES = int(os.environ.get("MAIL_IN_MAX_BYTES", str(10 * 1024 * 1024)))

# --- Webhooks ---------------------------------------------------------------------------------
# Webhooks go to addresses on the internet only: a URL on a private, loopback or link-local
# address is refused (server-side request forgery) unless this allows it (tests, a private net).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
# How long one delivery waits for the endpoint to answer.
WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", "10"))
if not 0 < WEBHOOKS_TIMEOUT_SECONDS <= 60:
    raise ImproperlyConfigured("WEBHOOKS_TIMEOUT_SECONDS must be more than 0 and at most 60.")

# --- Product defaults -------------------------------------------------------------------------
RECIPROCITY_PAGE_SIZE = 25
# The largest request body read (a form or a JSON body; files apart): the API answers 413 over it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB, Django's default, stated
# The partner's confirmation link of a sent referral: how long it works, and how many tries one
# network address gets in a window (a 429 page beyond).
PARTNER_LINK_DAYS = int(os.environ.get("PARTNER_LINK_DAYS", "14"))
PARTNER_LINK_ATTEMPTS = int(os.environ.get("PARTNER_LINK_ATTEMPTS", "20"))
PARTNER_LINK_WINDOW_SECONDS = int(os.environ.get("PARTNER_LINK_WINDOW_SECONDS", "600"))
# The largest disclosure document accepted (PDF, PNG or JPEG), in bytes.
DISCLOSURE_MAX_BYTES = int(os.environ.get("DISCLOSURE_MAX_BYTES", str(5 * 1024 * 1024)))
# Where the app is reached, for links in emails sent outside a request (the weekly digest).
RECIPROCITY_SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
