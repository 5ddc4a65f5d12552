"""Settings of fagdag, read from environment variables.

With no variables set, the app runs in development mode on a SQLite file under
``var/``. In production (``DEBUG`` off, the default) it refuses to start without
a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

_DEVELOPMENT_SECRET_KEY = "insecure-development-key-never-used-in-production"  # noqa: S105 (refused when DEBUG is off)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or _DEVELOPMENT_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "Set SECRET_KEY to a random string of at least 50 characters "
            "(or DEBUG=1 for development)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set ALLOWED_HOSTS (comma-separated) when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "fagdag.apps.FagdagConfig",
    "fagdag.apps.FagdagAdminConfig",  # the admin, as fagdag.admin.FagdagAdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials.apps.SimpleAppConfig",
    "django_scopes",  # {% partialdef %}, without its loader
    "import_export",  # workshops and speakers imported from a spreadsheet in the admin
    "django_tasks",
    "django_tasks_db",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "events",
    "registrations",
]

MIDDLEWARE = [
    "fagdag.middleware.RequestLogMiddleware",  # first: times everything, logs the final status
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "fagdag.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "fagdag.ratelimit.RateLimitMiddleware",  # after the CSRF check: refused forms are not counted
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fagdag.middleware.OrganisationScopeMiddleware",  # after the user is known
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "fagdag.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "fagdag.wsgi.application"

# Database: SQLite file by default; PostgreSQL (psycopg 3) through DATABASE_URL.
# Each gunicorn worker keeps its connection for CONN_MAX_AGE seconds, checked
# before reuse (CONN_HEALTH_CHECKS), so a restarted PostgreSQL costs one
# reconnect, not an error page. DATABASE_POOL=1 uses psycopg's connection pool
# instead (PostgreSQL only; bench/connections.py compares the two).
DATABASE_POOL = env_bool("DATABASE_POOL", False)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'fagdag.sqlite3'}",
        conn_max_age=0 if DATABASE_POOL else int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=not DATABASE_POOL,
    )
}
if DATABASE_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "1")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "4")),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Write transactions take the write lock when they begin, so two
    # registrations never interleave; WAL lets readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that tests can race several processes on it
    # (one per test run, so that runs side by side do not share it).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-fagdag-{os.getpid()}.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Admin login: django-axes locks a username out from one client address
# after AXES_FAILURE_LIMIT failed logins, for AXES_COOLOFF_TIME, and the
# address itself after AXES_ADDRESS_FAILURE_LIMIT failed logins over any
# usernames (a sprayed password; fagdag/lockout.py); the attempts are listed
# in the admin. Its backend must come first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "registrations.roles.RoleBackend",  # ModelBackend, plus the permissions of the roles
]
# django-otp's device pages (the QR code, the secret) refuse before looking a device up.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_HANDLER = "fagdag.lockout.AddressAwareHandler"
AXES_COOLOFF_TIME = datetime.timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "fagdag.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "fagdag.views.lockout"
AXES_VERBOSE = False  # no usernames or addresses in the log: the admin lists the attempts

# Sessions (staff logins above all) last a working day from the login and end
# when the browser closes, not Django's two weeks.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Two-factor login for staff (django-otp): on by default in production. See
# the README for how a staff user gets a device.
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "fagdag"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: Danish first, English complete second.
LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Copenhagen"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files in production (after collectstatic); in
    # development the files are served as they are from static/.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Workshop materials (events.materials): never public, served only by views that check who
# asks. A folder under DATA_DIR by default; MATERIALS_STORAGE=s3 keeps them in an
# S3-compatible bucket through django-storages (docs/deployment.md).
MATERIALS_MAX_UPLOAD_MB = int(os.environ.get("MATERIALS_MAX_UPLOAD_MB", "50"))
MATERIALS_STORAGE = os.environ.get("MATERIALS_STORAGE", "").strip().lower()
if MATERIALS_STORAGE == "s3":
    STORAGES["materials"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["MATERIALS_S3_BUCKET"],
            "endpoint_url": os.environ.get("MATERIALS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("MATERIALS_S3_REGION") or None,
            "access_key": os.environ.get("MATERIALS_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("MATERIALS_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("MATERIALS_S3_PREFIX", "fagdag"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif MATERIALS_STORAGE in ("", "local"):
    STORAGES["materials"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(Path(os.environ.get("MATERIALS_ROOT", DATA_DIR / "private"))),
            "base_url": None,
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
else:
    raise ImproperlyConfigured("MATERIALS_STORAGE: 'local' (the default) or 's3'.")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: SMTP when EMAIL_HOST is set. Without it, in development, each mail is
# a file under var/mail that a developer can open; in production nothing is
# written to disk: mails wait in the outbox, the mail worker refuses to start
# and `check --deploy` fails (fagdag/checks.py).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "registrations.outbox.SMTPBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif DEBUG:
    EMAIL_BACKEND = "registrations.outbox.MailFolderBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
else:
    EMAIL_BACKEND = "registrations.outbox.NoMailServerBackend"
# Seconds for connecting and each SMTP command; the reply to the end of a
# message may take EMAIL_DATA_TIMEOUT (RFC 5321 asks for up to 10 minutes).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
EMAIL_DATA_TIMEOUT = int(os.environ.get("EMAIL_DATA_TIMEOUT", "300"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fagdag <noreply@fagdag.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# E-mails to attendees are written to the outbox (registrations.outbox) in the
# transaction of the change they report and sent by `python manage.py
# mail_worker`. A claimed mail is the worker's for EMAIL_LEASE_SECONDS (longer
# than any one sending can take); if the worker dies, the mail is sent again
# after that. A mail the server refuses for now, or does not answer, is tried
# again after these many seconds (the last delay repeats), up to
# EMAIL_MAX_ATTEMPTS tries; then a registration that certainly got nothing is
# flagged "e-mail not delivered". A permanent refusal (5xx) is flagged at once.
EMAIL_MAX_ATTEMPTS = int(os.environ.get("EMAIL_MAX_ATTEMPTS", "5"))
EMAIL_RETRY_DELAYS = [60, 5 * 60, 30 * 60, 2 * 60 * 60]
EMAIL_LEASE_SECONDS = int(
    os.environ.get("EMAIL_LEASE_SECONDS", str(EMAIL_DATA_TIMEOUT + 4 * EMAIL_TIMEOUT + 60))
)
# Finished outbox rows and task results are deleted after this many days.
EMAIL_OUTBOX_KEEP_DAYS = int(os.environ.get("EMAIL_OUTBOX_KEEP_DAYS", "2"))
# Send each mail in the process that queued it, right after the commit: for
# tests, never in production (a slow mail server would hold up the request).
EMAIL_DELIVER_ON_COMMIT = False
# Other background tasks (django-tasks, database backend), if any.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Behind a TLS-terminating proxy in production.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer asks the app servers over plain HTTP: answer, do not redirect.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HSTS for subdomains and browsers' preload lists are decisions about the
# whole domain, not this app: off unless the operator turns them on, and then
# `check --deploy` need not warn about them.
SILENCED_SYSTEM_CHECKS = [
    *([] if env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS") else ["security.W005"]),
    *([] if env_bool("SECURE_HSTS_PRELOAD") else ["security.W021"]),
]

# Content-Security-Policy (django-csp): no inline script or style anywhere,
# everything from our own origin. The admin runs under it unchanged.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): the site uses none of these.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Cache: the rate limits' counters (fagdag/ratelimit.py). A table in the
# database by default (`manage.py createcachetable`); Redis when REDIS_URL is
# set, so that several app servers share the counts. While Redis cannot be
# reached, the limits count in the database's table ("database") instead.
DATABASE_CACHE = {
    "BACKEND": "fagdag.cache.DatabaseCache",
    "LOCATION": "fagdag_cache",
    "OPTIONS": {"MAX_ENTRIES": 50_000},
}
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "fagdag",
            # A Redis that hangs must not hang the page: give up after a second.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        "database": DATABASE_CACHE,
    }
else:
    CACHES = {"default": DATABASE_CACHE, "database": DATABASE_CACHE}
RATELIMIT_CACHE = "default"
RATELIMIT_FALLBACK_CACHE = "database"

# Rate limits (fagdag/ratelimit.py): token buckets, "count/period" (period s,
# m, h or d, optionally with a number: "600/10m"): up to `count` at once, then
# `count` per period; empty for no limit. The registration form counts
# registrations per client address (a town hall of members behind one
# address at opening time) and per browser, and junk (invalid or refused
# submissions, forms refused for their CSRF token) per address and browser.
RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "600/10m")
RATELIMIT_REGISTER_BROWSER = os.environ.get("RATELIMIT_REGISTER_BROWSER", "10/h")
RATELIMIT_JUNK = os.environ.get("RATELIMIT_JUNK", "100/10m")
RATELIMIT_JUNK_BROWSER = os.environ.get("RATELIMIT_JUNK_BROWSER", "10/10m")
RATELIMIT_RESEND_LINK = os.environ.get("RATELIMIT_RESEND_LINK", "5/m")
RATELIMIT_PERSONAL = os.environ.get("RATELIMIT_PERSONAL", "60/m")
# Addresses (or networks) never limited: for a load test's own server only
# (bench/rush.py sets 127.0.0.1). Empty by default; `check --deploy` warns
# when it is set.
RATELIMIT_TRUSTED_ADDRESSES = env_list("RATELIMIT_TRUSTED_ADDRESSES")
# A form refused for its CSRF token counts as junk for the rate limits.
CSRF_FAILURE_VIEW = "fagdag.ratelimit.csrf_failure"
# The number of proxies in front of the app that append to X-Forwarded-For
# (nginx alone: 1; a load balancer and nginx: 2). 0: the app is reached
# directly. `check --deploy` fails on 0 when the settings trust a proxy's
# X-Forwarded-Proto (production): every client would share the proxy's address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

LOGIN_URL = "admin:login"

# Logs: one JSON object per line on the console (fagdag/logs.py), one line
# per request (fagdag.middleware.RequestLogMiddleware). Django's own line for
# each 4xx answer would repeat ours, so django.request logs errors only.
# Every record goes through the one handler, whose filter blanks e-mail
# addresses and SQL values out of it (fagdag.logs.PersonalDataFilter): the
# "django" logger loses the handlers Django gives it (a console of its own in
# DEBUG, and mail_admins, which would mail tracebacks with their local values)
# and passes its records on to the root's.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "fagdag.logs.PersonalDataFilter"}},
    "formatters": {"json": {"()": "fagdag.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.request": {"level": "ERROR"},
    },
}

# The public address of the site, for links in e-mails sent outside a request.
# Required in production (`check --deploy`, the mail worker): no default there.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")

# Privacy (GDPR). The controller of attendees' data is each event's organiser;
# the privacy page names the platform's operator as well.
PRIVACY_CONTROLLER = os.environ.get("PRIVACY_CONTROLLER", "Dansk Socialrådgiverforening")
PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "")
# `manage.py anonymise_attendees` (daily) erases attendees' personal data this
# many days after an event's last day, and the invoicing data of paid events
# this many years after it (the Danish bookkeeping act: 5 years).
RETENTION_DAYS_AFTER_EVENT = int(os.environ.get("RETENTION_DAYS_AFTER_EVENT", "90"))
BOOKKEEPING_RETENTION_YEARS = int(os.environ.get("BOOKKEEPING_RETENTION_YEARS", "5"))
