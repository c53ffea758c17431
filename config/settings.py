"""
Settings for the open-letter site, read from the environment (12-factor).

Every variable is listed with a one-line comment in `.env.example`. Defaults
are safe for a laptop; production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS,
SITE_URL, DATABASE_URL, EMAIL_URL and REDIS_URL.
"""

import ipaddress
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_noop

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_bool(name, default):
    """Like env.bool, but a value that is neither true nor false stops start-up."""
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. On your own machine, run commands with DEBUG=true "
            "(for example: DEBUG=true .venv/bin/python manage.py createsuperuser), or put DEBUG=true in .env."
        )
    SECRET_KEY = "django-insecure-local-development-and-tests-only"  # noqa: S105

# The public address of the site, used in emails, canonical links and share cards.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not re.fullmatch(r"https?://[^/\s]+", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL must be the site's address, like https://example.org, not {SITE_URL!r}.")
SITE_NAME = env.str("SITE_NAME", default=gettext_noop("Open letter for children's safety online"))

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before the admin, whose forms it extends: the campaign's texts in English and Welsh (campaign/translation.py).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "anymail",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "campaign",
    "petition",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below whitenoise: the policy governs pages, and on every static file (our own stylesheets, script and images)
    # it was 200 bytes more to send, a twelfth of the campaign page's budget (12 KB with all it needs).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Pages compressed (31 KB to 7 KB for the campaign page), with Django's BREACH mitigation; below whitenoise, which
    # answers static files itself with the copies compressed at collectstatic.
    "django.middleware.gzip.GZipMiddleware",
    # The language of a supporter's page, from its address (/cy/… is Welsh): no cookie, no Accept-Language.
    "petition.languages.LanguageFromAddress",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Staff sign-in (accounts/lockouts.py says why each rule is there). django-axes locks a username at one address
# (an IPv6 /64 counts as one) after a few wrong passwords; past a limit an hour for one username, only browsers and
# addresses that account has signed in from before may try it, so nobody elsewhere can lock a moderator out.
# Attempts are kept in Redis when there is one, shared by every app server; in the database otherwise.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.lockouts.UsernameBackOff",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("STAFF_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("STAFF_LOGIN_LOCKOUT_MINUTES", default=30) / 60  # hours
AXES_CLIENT_IP_CALLABLE = "accounts.lockouts.client_network"
AXES_LOCKOUT_TEMPLATE = "staff_locked_out.html"
AXES_VERBOSE = False
STAFF_LOGIN_USERNAME_LIMIT = env.int("STAFF_LOGIN_USERNAME_LIMIT", default=10)
# Every staff account has a second factor (accounts/second_factor.py): the name authenticator apps show for it.
OTP_TOTP_ISSUER = SITE_NAME
# Only staff have sessions (nothing a supporter does is kept in one): a staff session ends after this long without a
# request, each request starting the clock again. An empty session is never saved, so saving on every request costs
# supporters nothing.
SESSION_COOKIE_AGE = int(env.float("STAFF_SESSION_IDLE_HOURS", default=8) * 3600)
SESSION_SAVE_EVERY_REQUEST = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaign.context_processors.site",
                "petition.languages.page_languages",
            ],
        },
    },
]

# Database: SQLite in the project by default, PostgreSQL in production.
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# Off by default: a health check is one more round trip on every request, and a
# dropped connection already fails only the request that finds it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when PostgreSQL is unreachable: the request gets a 503 page instead of hanging.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    # Parameters sent apart from the statement, and the hot path's few statements kept prepared (config.postgres).
    # 0 turns preparing off, for a pooler in transaction mode that cannot keep prepared statements (PgBouncer < 1.21).
    if prepare_threshold := env.int("DATABASE_PREPARE_THRESHOLD", default=5):
        from config.postgres import Cursor as PreparingCursor

        DATABASES["default"]["OPTIONS"] |= {
            "server_side_binding": True,
            "prepare_threshold": prepare_threshold,
            "cursor_factory": PreparingCursor,
        }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write to one file: WAL lets readers
    # carry on during a write, IMMEDIATE transactions queue writers instead
    # of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (and, from the signing issue on, rate limits): Redis when several app
# servers must share it, process memory otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache("CACHE_URL", default=REDIS_URL or "locmemcache://"),
    # Each process's own memory, for what may be a few seconds stale (the campaign being signed).
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
}


AXES_HANDLER = (
    "axes.handlers.database.AxesDatabaseHandler"
    if CACHES["default"]["BACKEND"].endswith("LocMemCache")
    else "axes.handlers.cache.AxesCacheHandler"
)


# Mail goes out through the task worker, never inside a request.
def _mailer(url):
    """A MAILERS entry from an EMAIL_URL, through django-environ's parsing."""
    config = environ.Env.email_url_config(url)
    names = {
        "EMAIL_HOST": "host",
        "EMAIL_PORT": "port",
        "EMAIL_HOST_USER": "username",
        "EMAIL_HOST_PASSWORD": "password",
        "EMAIL_USE_TLS": "use_tls",
        "EMAIL_USE_SSL": "use_ssl",
        "EMAIL_FILE_PATH": "file_path",
    }
    options = {names[key]: value for key, value in config.items() if key in names and value}
    if config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
        options["timeout"] = env.int("EMAIL_TIMEOUT", default=10)
    return {"BACKEND": config["EMAIL_BACKEND"], "OPTIONS": options}


MAILERS = {"default": _mailer(env.str("EMAIL_URL", default="consolemail://"))}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Open letter <letter@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# Every page a supporter sees is in both (petition/languages.py); staff screens are in English.
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The campaign's own texts (the letter, asks, facts, stories) in both, each Welsh text falling back to the English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en-gb"
MODELTRANSLATION_LANGUAGES = ("en-gb", "cy")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en-gb",)
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    # runserver serves files from the app folders as they are edited.
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Security: strict unless DEBUG is on; each can be set on its own.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", default=False):
    # Only when a proxy we run terminates TLS and sets this header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline script or style anywhere: everything comes from our own static files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}


def env_origins(name: str) -> list[str]:
    """Web origins (scheme, host and port, nothing else), comma separated: each goes into a CSP header as it is."""
    origins = [origin.strip().rstrip("/") for origin in env.list(name, default=[])]
    for origin in origins:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
            raise ImproperlyConfigured(f"{name}: {origin!r} is not an origin like https://partner.example.org.")
    return origins


# The partner sites that may show the small sign page (/c/<slug>/embed/) in a frame (petition.embedding).
# Every other page refuses every frame (frame-ancestors 'none' above, and X-Frame-Options).
EMBED_ORIGINS = env_origins("EMBED_ORIGINS")


# Signing: links, abuse defences and the count.
def env_limits(name: str, default: str) -> list[tuple[int, int]]:
    """Rate limits written as "count/seconds" pairs, e.g. "10/60,60/3600"."""
    try:
        pairs = [part.split("/") for part in env.list(name, default=default.split(","))]
        limits = [(int(count), int(seconds)) for count, seconds in pairs]
    except ValueError:
        limits = []
    if not limits or any(count < 1 or seconds < 1 for count, seconds in limits):
        raise ImproperlyConfigured(f"{name} must look like 10/60,60/3600 (count/seconds, each 1 or more).")
    return limits


def env_networks(name):
    try:
        return [ipaddress.ip_network(value) for value in env.list(name, default=[])]
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


CONFIRMATION_LINK_MAX_AGE = env.int("CONFIRMATION_LINK_MAX_AGE", default=7 * 86400)
EMAILS_PER_SIGNATURE_PER_HOUR = env.int("EMAILS_PER_SIGNATURE_PER_HOUR", default=3)
SIGN_FORM_MIN_SECONDS = env.int("SIGN_FORM_MIN_SECONDS", default=3)
# Seconds a loaded sign form stays valid: long enough to read the letter, short enough that a harvested
# form is soon useless. An expired form is shown again with every input kept and a fresh clock.
SIGN_FORM_MAX_AGE = env.int("SIGN_FORM_MAX_AGE", default=30 * 60)
# Soft: past these a signature is held for review, not refused (a school or a rally shares one address).
SIGN_LIMITS_PER_IP = env_limits("SIGN_LIMITS_PER_IP", "10/60,100/3600")
SIGN_LIMITS_PER_DOMAIN = env_limits("SIGN_LIMITS_PER_DOMAIN", "20/60,200/3600")
# Hard: past these signing is refused, so that a flood cannot fill the database with held signatures.
SIGN_CEILINGS_PER_IP = env_limits("SIGN_CEILINGS_PER_IP", "100/60,1000/3600")
SIGN_CEILINGS_PER_DOMAIN = env_limits("SIGN_CEILINGS_PER_DOMAIN", "200/60,2000/3600")
SIGN_LIMITS_PER_MAILBOX = env_limits("SIGN_LIMITS_PER_MAILBOX", "3/3600")
RESEND_LIMITS_PER_IP = env_limits("RESEND_LIMITS_PER_IP", "5/60,20/3600")
# The large providers that carry most people's mail: never limited by domain.
LARGE_MAIL_PROVIDERS = """
    gmail.com googlemail.com hotmail.com hotmail.co.uk outlook.com outlook.co.uk live.com live.co.uk msn.com
    icloud.com me.com mac.com yahoo.com yahoo.co.uk ymail.com aol.com aol.co.uk btinternet.com sky.com
    talktalk.net virginmedia.com ntlworld.com blueyonder.co.uk tiscali.co.uk gmx.com gmx.co.uk mail.com
    protonmail.com proton.me nhs.net
"""
RATE_LIMIT_EXEMPT_DOMAINS = set(env.list("RATE_LIMIT_EXEMPT_DOMAINS", default=LARGE_MAIL_PROVIDERS.split()))
# Proxies or load balancers whose X-Forwarded-For is believed (addresses or networks). None by default.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
COUNT_CACHE_SECONDS = env.int("COUNT_CACHE_SECONDS", default=2)
# Seconds each app process reuses the rendered campaign page (its CSRF token and form clock are filled in fresh).
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=2)
# Days after a campaign is delivered or closed before its signers' personal data is removed.
RETENTION_DAYS = env.int("RETENTION_DAYS", default=180)
# Seconds each app process may keep a campaign it is taking signatures for (a status change waits this long).
CAMPAIGN_CACHE_SECONDS = env.int("CAMPAIGN_CACHE_SECONDS", default=5)
OUTBOX_NUDGE_SECONDS = env.int("OUTBOX_NUDGE_SECONDS", default=1)
# Seconds a worker holds the batch of emails it claimed; if it dies, they are sent by another after this.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)
# Updates to supporters go out at most this fast (emails a minute, spread in the outbox's batches of 50);
# 0 sends as fast as the workers can, leaving new signers' confirmation emails to wait behind them.
UPDATE_EMAILS_PER_MINUTE = env.int("UPDATE_EMAILS_PER_MINUTE", default=1200)
if UPDATE_EMAILS_PER_MINUTE < 0:
    raise ImproperlyConfigured("UPDATE_EMAILS_PER_MINUTE must be 0 (no limit) or more.")
# Bounces and spam complaints from an email provider (django-anymail's tracking webhooks): mounted at
# /anymail/<provider>/tracking/ only when a secret is set, which the provider sends as HTTP basic auth.
ANYMAIL_WEBHOOK_SECRET = env.str("ANYMAIL_WEBHOOK_SECRET", default="")
ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_WEBHOOK_SECRET} if ANYMAIL_WEBHOOK_SECRET else {}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request logs carry paths and addresses, not form contents; keep them at warning.
        "django.request": {"level": "WARNING"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        # PDF building narrates every step and every font subset at info.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
