"""Keryx settings. Everything a deployment changes comes from a `KERYX_*` environment variable.

The default is the embedded setup: one SQLite file under KERYX_DATA_DIR. DATABASE_URL switches
to PostgreSQL without any code change.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from keryx.networks.registry import PROVIDERS

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


DATA_DIR = Path(env("KERYX_DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _load_secret_key() -> str:
    """KERYX_SECRET_KEY, else KERYX_SECRET_KEY_FILE, else a key generated once into the data dir."""
    if env("KERYX_SECRET_KEY"):
        return env("KERYX_SECRET_KEY")
    key_file = Path(env("KERYX_SECRET_KEY_FILE") or DATA_DIR / "secret.key")
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _load_secret_key()
# Key rotation (`keryx secrets rotate`, docs/security.md): the keys used before, comma-separated.
# They still decrypt stored credentials and check sessions and reset links; only SECRET_KEY
# encrypts and signs. Remove them once the rotation has finished.
OLD_SECRET_KEYS = [k.strip() for k in env("KERYX_OLD_SECRET_KEYS", "").split(",") if k.strip()]
SECRET_KEY_FALLBACKS = OLD_SECRET_KEYS
DEBUG = envbool("KERYX_DEBUG", False)
BASE_URL = env("KERYX_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = [
    h for h in env("KERYX_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [BASE_URL]
# Invitations and notifications go out through Django's e-mail backend. Until one is configured
# (KERYX_EMAIL_BACKEND=smtp, or a dotted backend path) they are written as files under
# KERYX_DATA_DIR/mail, readable by the server's user only: never to stdout, where invitation
# links would land in whatever collects the logs. "console" prints them, when asked for.
EMAIL_BACKENDS = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
EMAIL_BACKEND = EMAIL_BACKENDS.get(env("KERYX_EMAIL_BACKEND", "file"), env("KERYX_EMAIL_BACKEND"))
EMAIL_FILE_PATH = Path(env("KERYX_EMAIL_FILE_PATH") or DATA_DIR / "mail")
if EMAIL_BACKEND == EMAIL_BACKENDS["file"]:
    EMAIL_FILE_PATH.mkdir(mode=0o700, parents=True, exist_ok=True)
EMAIL_HOST = env("KERYX_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("KERYX_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("KERYX_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("KERYX_EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("KERYX_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = envint("KERYX_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("KERYX_EMAIL_FROM", "Keryx <keryx@localhost>")
# Hosts or CIDRs allowed past the private-address guard for outbound requests.
ALLOWED_PRIVATE_HOSTS = [
    h.strip() for h in env("KERYX_ALLOWED_PRIVATE_HOSTS").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja as an app: the API docs then load Swagger UI from our own static files
    # (ninja/static), not from a public CDN an offline install cannot reach.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "keryx.core",
    "keryx.accounts",
    "keryx.channels",
    "keryx.publishing",
    "keryx.planner",
    "keryx.approvals",
    "keryx.queues",
    "keryx.bulk",
    "keryx.feeds",
    "keryx.library",
    "keryx.links",
    "keryx.contacts",
    "keryx.analytics",
    "keryx.inbox",
    "keryx.listening",
    "keryx.strategy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "keryx.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "keryx.core.middleware.UserTimezoneMiddleware",
    "keryx.accounts.signin_guard.SignInThrottleMiddleware",
    "keryx.core.security.OversizedIdMiddleware",
]

ROOT_URLCONF = "keryx.urls"
WSGI_APPLICATION = "keryx.wsgi.application"
ASGI_APPLICATION = "keryx.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "keryx.core.context.workspace_context",
            ],
        },
    },
]

if env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
    DATABASES["default"].setdefault("TEST", {})
    if env("KERYX_TEST_DATABASE_NAME"):
        DATABASES["default"]["TEST"]["NAME"] = env("KERYX_TEST_DATABASE_NAME")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # KERYX_SQLITE_PATH: another file (tests point worker subprocesses at the test DB).
            "NAME": env("KERYX_SQLITE_PATH") or DATA_DIR / "keryx.sqlite3",
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
                # BEGIN so two writers queue on busy_timeout instead of failing to upgrade a lock.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": env("KERYX_TEST_SQLITE", str(DATA_DIR / "test-keryx.sqlite3"))},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
# Password-reset links work once (the token covers the password hash) and for this many seconds.
PASSWORD_RESET_TIMEOUT = envint("KERYX_PASSWORD_RESET_TIMEOUT", 3600)
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("el", "Ελληνικά")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 110 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Served over https (KERYX_BASE_URL says so): cookies only over TLS, HSTS, plain http redirected.
# Each can be turned off on its own, e.g. KERYX_SSL_REDIRECT=false when the proxy redirects.
HTTPS = BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = envbool("KERYX_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("KERYX_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = envint("KERYX_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("KERYX_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("KERYX_HSTS_PRELOAD", False)
# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto (is the request https?)
# and X-Forwarded-For (its last hop is the caller's address, used by sign-in throttling). Only
# set it when the proxy overwrites those headers, or a caller could forge them.
KERYX_PROXY_HEADERS = envbool("KERYX_PROXY_HEADERS", False)
if KERYX_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Failed sign-ins: this many per account (or per address, or wrong API tokens per address)
# within KERYX_SIGNIN_WINDOW seconds lock it for KERYX_SIGNIN_LOCKOUT seconds.
KERYX_SIGNIN_ACCOUNT_FAILURES = envint("KERYX_SIGNIN_ACCOUNT_FAILURES", 5)
KERYX_SIGNIN_ADDRESS_FAILURES = envint("KERYX_SIGNIN_ADDRESS_FAILURES", 20)
KERYX_API_TOKEN_FAILURES = envint("KERYX_API_TOKEN_FAILURES", 20)
KERYX_SIGNIN_WINDOW = envint("KERYX_SIGNIN_WINDOW", 900)
KERYX_SIGNIN_LOCKOUT = envint("KERYX_SIGNIN_LOCKOUT", 900)

# Publishing engine.
# The backstop for a claim whose worker is not known (a claim made outside `keryx serve` /
# `keryx worker`); a live worker renews the leases of what it has in flight.
KERYX_LEASE_SECONDS = envint("KERYX_LEASE_SECONDS", 120)
# Every engine process writes a heartbeat this often; one silent for KERYX_WORKER_DEAD_SECONDS
# is dead and its claims are reconciled (keryx.publishing.workers).
KERYX_HEARTBEAT_SECONDS = envfloat("KERYX_HEARTBEAT_SECONDS", 1.0)
KERYX_WORKER_DEAD_SECONDS = envfloat("KERYX_WORKER_DEAD_SECONDS", 8.0)
# /healthz answers 503 when a due delivery has waited longer than this.
KERYX_HEALTH_OVERDUE_SECONDS = envfloat("KERYX_HEALTH_OVERDUE_SECONDS", 60.0)
# `keryx web`: uvicorn worker processes (each one Django, no publishing).
KERYX_WEB_WORKERS = envint("KERYX_WEB_WORKERS", 2)
# /metrics (Prometheus): without a token only loopback callers may scrape; with one, a caller
# must send `Authorization: Bearer <token>` (from anywhere).
KERYX_METRICS_TOKEN = env("KERYX_METRICS_TOKEN")
KERYX_POLL_INTERVAL = envfloat("KERYX_POLL_INTERVAL", 0.2)
# Publishing threads mostly wait on the network and seldom touch the database, so the embedded
# (SQLite, one process) setup runs 64; with PostgreSQL each thread may hold a connection and
# several worker processes share max_connections, hence 32 there.
KERYX_WORKER_THREADS = envint("KERYX_WORKER_THREADS", 32 if env("DATABASE_URL") else 64)
KERYX_CLAIM_BATCH = envint("KERYX_CLAIM_BATCH", 64)
# Channels whose metrics are read at once by the periodic collector (keryx.analytics.collect):
# each thread reads one channel's due jobs in order; the rest is waiting on the networks.
KERYX_COLLECT_THREADS = envint("KERYX_COLLECT_THREADS", 8)
KERYX_MAX_ATTEMPTS = envint("KERYX_MAX_ATTEMPTS", 6)
KERYX_HTTP_TIMEOUT = envfloat("KERYX_HTTP_TIMEOUT", 30.0)
# Per-network endpoints and the self-hoster's own app credentials, e.g. KERYX_X_API_BASE,
# KERYX_X_OAUTH_BASE, KERYX_X_CLIENT_ID, KERYX_X_CLIENT_SECRET. Empty = the provider's default
# official host / not configured. Tests point API bases at loopback servers.
KERYX_NETWORKS = tuple(PROVIDERS)
KERYX_NETWORK_CONFIG = {
    name: {
        key: env(f"KERYX_{name.upper()}_{key.upper()}")
        for key in ("api_base", "oauth_base", "client_id", "client_secret")
    }
    for name in KERYX_NETWORKS
}
# Mastodon OAuth apps registered by Keryx use this name on the instance.
KERYX_APP_NAME = env("KERYX_APP_NAME", "Keryx")
# A TrueType font with Greek letters for PDF reports; unset: common system places are searched
# (keryx.analytics.reports.fonts). Debian: fonts-dejavu-core.
KERYX_PDF_FONT = env("KERYX_PDF_FONT")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}",
                   "style": "{"},
    },
    # Calendar feed and invitation links carry their secret in the path: every record that
    # reaches a handler has it masked (access logs of runserver and uvicorn, request errors).
    "filters": {"redact_secrets": {"()": "keryx.core.logredact.RedactSecretPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
        "server": {"class": "logging.StreamHandler", "formatter": "server"},
    },
    "root": {"handlers": ["console"], "level": env("KERYX_LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's access log (Django's own setup for it, with the secrets masked).
        "django.server": {
            "handlers": ["server"], "level": "INFO", "propagate": False,
            "filters": ["redact_secrets"],
        },
        # httpx logs full request URLs at INFO; some carry tokens in query strings.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
