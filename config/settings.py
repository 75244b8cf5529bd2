"""Bookstore settings.

One configuration path: every value comes from the environment (django-environ), with
safe local defaults. Development and production differ in values, not in code. Every
variable is documented in `.env.example` and the README.
"""

from pathlib import Path

import babel.numbers
import environ
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from config.logging import logging_config
from covers.storage import MediaStorage, media_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's `.env` is read if present; real environment variables win. The test
# settings turn this off so that a developer's .env never changes what the tests see.
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off: set it "
            "to a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Needed only for origins other than the site's own host (another port, a separate admin
# domain): Django already trusts the Host the proxy passes on.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    # Third party
    "allauth",
    "allauth.account",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # django-bootstrap-static: Bootstrap's CSS and JS as static files, no CDN
    "csp",
    "django_tasks",
    "django_tasks_db",  # the task queue is a table: no broker to run (books/tasks.py)
    # Local
    "accounts",
    "pages",
    "books",
    "covers",
    "api",
    "ninja",  # django-ninja's Swagger UI files, served as static files (no CDN)
    # Deletes replaced files of the models covers.files.deletes_replaced_files marks. Last,
    # so that its signal handlers see every model.
    "django_cleanup.apps.CleanupSelectedConfig",
]

MIDDLEWARE = [
    # First: every later log line carries the request id, and the timing covers everything.
    "config.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the page cache: a cached page, too, answers If-None-Match with 304. Django's,
    # without the ETag of a page that holds a CSRF token (new at every response).
    "config.middleware.ConditionalGetMiddleware",
    # An anonymous page in the page cache is answered here, headers and all, without the
    # middleware below (books/cache.py); a miss is stored here as they answered it.
    "books.cache.CachedPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language: the language cookie (the footer's switch), else Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before anything reads a body (the CSRF check does): oversized bodies never reach disk.
    "config.limits.RequestBodyLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.CachedPolicyCSPMiddleware",  # django-csp's, its header built once
    "allauth.account.middleware.AccountMiddleware",
    # Around the view: decides whether a rendered page is the same for every reader.
    "books.cache.AnonymousPageCacheMiddleware",
]

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A hung or unreachable database fails a request in seconds instead of holding a
    # worker thread for minutes: a bounded connect (libpq waits at least 2 s), a bounded
    # statement, TCP keepalives that notice a dead peer on a connection kept open by
    # CONN_MAX_AGE, and no new attempt for DATABASE_RETRY_AFTER seconds after a failed
    # one (config/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=3),
        "options": f"-c statement_timeout={env.int('DATABASE_STATEMENT_TIMEOUT_MS', default=5000)}",
        "keepalives": 1,
        "keepalives_idle": env.int("DATABASE_KEEPALIVES_IDLE", default=10),
        "keepalives_interval": 5,
        "keepalives_count": 3,
        **DATABASES["default"].get("OPTIONS", {}),
    }
DATABASE_RETRY_AFTER = env.float("DATABASE_RETRY_AFTER", default=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------------------
# With REDIS_URL, Redis holds allauth's rate-limit counters and a copy of each session
# ("default"), and the page cache ("pages": whole pages, fragments, counts) under its own
# key prefix. REDIS_PAGE_CACHE_URL may point the page cache at a separate Redis with a
# memory cap and allkeys-lru, so that a flood of pages can never evict a session or a
# counter (docs/ARCHITECTURE.md). Sessions are written through to the database
# (cached_db), so members stay signed in when Redis restarts or is unreachable. Redis
# failures are misses (config/cache_backends.py), never a 500. Without REDIS_URL: local
# memory and the database.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_PAGE_CACHE_URL = env.str("REDIS_PAGE_CACHE_URL", default=REDIS_URL)
if REDIS_URL:
    _cache_prefix = env.str("DJANGO_CACHE_PREFIX", default="bookstore")
    # A dead or paused Redis costs a request at most this long, then is skipped a while.
    _redis_options = {
        "socket_connect_timeout": env.float("REDIS_TIMEOUT", default=0.5),
        "socket_timeout": env.float("REDIS_TIMEOUT", default=0.5),
        "down_for": env.float("REDIS_RETRY_AFTER", default=5),
    }
    CACHES = {
        "default": {
            "BACKEND": "config.cache_backends.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _cache_prefix,
            "OPTIONS": _redis_options,
        },
        "pages": {
            "BACKEND": "config.cache_backends.ResilientRedisCache",
            "LOCATION": REDIS_PAGE_CACHE_URL,
            "KEY_PREFIX": f"{_cache_prefix}:pages",
            "OPTIONS": _redis_options,
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Anonymous pages and catalogue counts are cached under a version that every write replaces
# (books/cache.py). That is only correct with a cache all app servers share, so it is on by
# default with Redis only; set it on for a single-process server without Redis.
BOOKSTORE_PAGE_CACHE = env.bool("BOOKSTORE_PAGE_CACHE", default=bool(REDIS_URL))
# Capped at half of AWS_QUERYSTRING_EXPIRE when covers use signed S3 URLs.
BOOKSTORE_PAGE_CACHE_SECONDS = env.int("BOOKSTORE_PAGE_CACHE_SECONDS", default=60)
# HTTP caching of anonymous pages by a CDN or reverse proxy (Cache-Control s-maxage and
# stale-while-revalidate; browsers revalidate every time with the ETag). Both together stay
# within half a signed cover URL's lifetime (books.cache.shared_cache_control).
BOOKSTORE_SHARED_CACHE_SECONDS = env.int("BOOKSTORE_SHARED_CACHE_SECONDS", default=10)
BOOKSTORE_STALE_WHILE_REVALIDATE_SECONDS = env.int("BOOKSTORE_STALE_WHILE_REVALIDATE_SECONDS", default=30)
# What bounds the page cache whatever URLs arrive: list pages are cached only among the
# first and the last this many, and no more than this many distinct searches per catalogue
# version.
BOOKSTORE_PAGE_CACHE_MAX_PAGE = env.int("BOOKSTORE_PAGE_CACHE_MAX_PAGE", default=20)
BOOKSTORE_PAGE_CACHE_MAX_SEARCHES = env.int("BOOKSTORE_PAGE_CACHE_MAX_SEARCHES", default=500)
# Pages each process keeps in its own memory in front of Redis (books.cache.local_pages):
# the most recently served, never past their shared copy's expiry; 0 turns it off.
BOOKSTORE_PAGE_CACHE_LOCAL_PAGES = env.int("BOOKSTORE_PAGE_CACHE_LOCAL_PAGES", default=64)

# --- Authentication (django-allauth) ------------------------------------------------
AUTH_USER_MODEL = "accounts.CustomUser"
SITE_ID = 1
# allauth's backend alone (accounts.backends; it subclasses ModelBackend for permissions): with
# Django's ModelBackend first, a wrong password ran the hasher twice and a right one once,
# so the answer's timing told them apart. Now every attempt runs it exactly once.
AUTHENTICATION_BACKENDS = ["accounts.backends.AuthenticationBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# One log-in policy for every way in: /admin/login/ sends visitors to allauth's log-in
# (config/urls.py). Failures count per client address and per (account, address) (the key
# is made in accounts.adapter), so nobody can lock a member out from elsewhere. Other
# actions keep allauth's defaults.
ACCOUNT_RATE_LIMITS = {"login_failed": env.str("BOOKSTORE_LOGIN_FAILED_RATE", default="10/m/ip,5/5m/key")}
# What one member may post (books.ratelimits, on allauth's limiter): "10/m", or several rates
# such as "10/m,200/d", each per member. Empty: no limit. Past it: a 429 page, nothing written.
BOOKSTORE_REVIEW_RATE = env.str("BOOKSTORE_REVIEW_RATE", default="10/m")
BOOKSTORE_BOOK_RATE = env.str("BOOKSTORE_BOOK_RATE", default="20/h")
# Mail links use this domain, never the Host header of the request that asked for them.
BOOKSTORE_SITE_DOMAIN = env.str("BOOKSTORE_SITE_DOMAIN", default="")
# Prices are shown in this currency (ISO 4217), formatted for the reader's language by Babel.
BOOKSTORE_CURRENCY = env.str("BOOKSTORE_CURRENCY", default="USD").upper()
if BOOKSTORE_CURRENCY not in babel.numbers.list_currencies():
    raise ImproperlyConfigured(f"BOOKSTORE_CURRENCY={BOOKSTORE_CURRENCY!r} is not an ISO 4217 currency code")
# The site's name in page titles, the header, mail and the admin.
BOOKSTORE_SITE_NAME = env.str("BOOKSTORE_SITE_NAME", default="Bookstore")
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{BOOKSTORE_SITE_NAME}] "

# Background work (staff CSV imports) is queued in the database and run by
# `manage.py db_worker`, which `make run` starts beside the site.
TASKS = {"default": {"BACKEND": env.str("BOOKSTORE_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}

# ISBN lookup on the add-a-book form (books/openlibrary.py): one host for data, one for covers.
OPENLIBRARY_BASE_URL = env.str("OPENLIBRARY_BASE_URL", default="https://openlibrary.org")
OPENLIBRARY_COVERS_URL = env.str("OPENLIBRARY_COVERS_URL", default="https://covers.openlibrary.org")
OPENLIBRARY_TIMEOUT = env.float("OPENLIBRARY_TIMEOUT", default=3.0)
# Open Library asks clients to name themselves and a contact.
OPENLIBRARY_USER_AGENT = env.str(
    "OPENLIBRARY_USER_AGENT",
    default=f"Bookstore/1.0 (ISBN lookup; +https://{BOOKSTORE_SITE_DOMAIN or 'localhost'})",
)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Sign-up with an address that exists must look like any other sign-up: allauth can hide
# it only when the address has to be verified (production sets "mandatory").
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_FORMS = {"add_email": "accounts.forms.AddEmailForm"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail -----------------------------------------------------------------------------
# Development prints mail to the console; production sends it through SMTP from EMAIL_URL
# (e.g. smtp+tls://user:password@smtp.example.com:587). A mail server that does not answer
# never turns a sign-up into a 500: see accounts.adapter.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{BOOKSTORE_SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalization ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "German")]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
# locale/en overrides django-allauth's English wording with the site's (log in, sign up, log out).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Static files and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Static files stay with the app (whitenoise); only covers may go to S3 (covers/storage.py).
STORAGES = {
    "default": media_storage(env),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Source maps (24 of the 38 MB collected: the API docs' bundles, Bootstrap) are fetched only by
# a browser's developer tools; compressing them with gzip and Brotli was about 30 of
# collectstatic's 49 seconds. They are still collected and served, uncompressed.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

# --- Cover uploads --------------------------------------------------------------------
COVER_MAX_UPLOAD_BYTES = env.int("COVER_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
COVER_MAX_PIXELS = env.int("COVER_MAX_PIXELS", default=40_000_000)
COVER_MAX_EDGE = env.int("COVER_MAX_EDGE", default=2400)
# A cover smaller than this on its short side cannot be shown sharp even as a thumbnail.
COVER_MIN_EDGE = env.int("COVER_MIN_EDGE", default=100)
COVER_THUMBNAIL_SIZE = (240, 360)
# Widths of the AVIF/WebP variants made of each cover (covers.pipeline.make_variants) for
# srcset: a phone's card (52 CSS px at DPR 3) and book page (104 px), up to a desktop's at 2x.
COVER_VARIANT_WIDTHS = (160, 320, 480, 720)
# Covers decoded at once per process (covers.pipeline), and how long an upload waits for a
# slot before it is refused as "busy". Memory ceiling ~ concurrency x the per-image peak.
COVER_PROCESSING_CONCURRENCY = env.int("COVER_PROCESSING_CONCURRENCY", default=2)
COVER_PROCESSING_WAIT_SECONDS = env.float("COVER_PROCESSING_WAIT_SECONDS", default=10)
# Replaced and removed covers are deleted by a background thread after the commit (covers.deletes).
COVER_DELETES_IN_BACKGROUND = env.bool("COVER_DELETES_IN_BACKGROUND", default=True)
# Uploads above this size are spooled to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The cap on the form's other fields (file data does not count); covers: COVER_MAX_UPLOAD_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Any request body above this is answered 413 before it is read (config/limits.py): a
# cover plus the form's other fields. deploy/nginx/bookstore.conf allows slightly more.
BOOKSTORE_MAX_REQUEST_BYTES = env.int("BOOKSTORE_MAX_REQUEST_BYTES", default=COVER_MAX_UPLOAD_BYTES + 1024 * 1024)

# --- JSON API (api/) -----------------------------------------------------------------------
# Requests per window, per personal access token and per client address (sessions, anonymous).
BOOKSTORE_API_RATE_PER_TOKEN = env.str("BOOKSTORE_API_RATE_PER_TOKEN", default="600/m")
BOOKSTORE_API_RATE_PER_ADDRESS = env.str("BOOKSTORE_API_RATE_PER_ADDRESS", default="120/m")
# How long a presigned direct upload to S3 may take to start, and when media_audit removes one abandoned.
BOOKSTORE_DIRECT_UPLOAD_EXPIRY = env.int("BOOKSTORE_DIRECT_UPLOAD_EXPIRY", default=300)

# --- Forms ----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}  # Bootstrap's name for the error colour

# --- Content Security Policy (django-csp) ---------------------------------------------------
# Strict: nothing inline, nothing from other origins but covers from the bucket or CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *MediaStorage.from_entry(STORAGES["default"]).origins],
        "font-src": ["'self'"],
        # The bucket, with S3 only: the book form posts covers straight to it (js/direct-upload.js).
        "connect-src": ["'self'", *MediaStorage.from_entry(STORAGES["default"]).upload_origins],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Security ---------------------------------------------------------------------------------
# Safe defaults where a default can be; the redirect and HSTS wait for a deployment to say it
# serves HTTPS, since a wrong HSTS header locks browsers out (.env.production.example).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# Load balancers probe the app servers over plain HTTP: answer them, do not redirect them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    # TLS ends at a proxy that sets this header (and strips it from what clients send);
    # trust it only when told to, or any client could claim to be on HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# X-Forwarded-For is read only from these addresses (accounts.adapter): reached directly,
# a client could name any address in it and escape the per-address log-in limits.
BOOKSTORE_TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
# allauth rate-limits log-ins per client IP. Behind N proxies the client is the Nth
# address from the right of X-Forwarded-For; left at 0 every client would share the
# proxy's address, and so one rate limit.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=1 if BEHIND_PROXY else 0)

# --- Logging -----------------------------------------------------------------------------
# One line per record on stdout: JSON in production, plain text for a developer, redacted
# either way (config/logging.py).
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = logging_config(LOG_FORMAT, env.str("DJANGO_LOG_LEVEL", default="INFO"))
