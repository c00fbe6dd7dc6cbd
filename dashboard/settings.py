"""One env-driven settings module.

The embedded defaults need no external service: SQLite, the in-memory channel layer, the local
media library, no broker. Environment variables switch to PostgreSQL (DATABASE_URL), Redis
(REDIS_URL: channel layer and cache) and, later, a Celery broker. Every variable is listed in
docs/configuration.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import django_stubs_ext

from dashboard.env import database_from_url, env_bool, env_int, env_list, env_str

# Lets typed code subscript Django generics at run time (ModelForm[Model], QuerySet[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _persistent_secret_key() -> str:
    """A stable key for an install that sets none: sessions and encrypted secrets survive restarts."""
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or _persistent_secret_key()
# Keys for secrets stored in the database (AK secrets, storage credentials, callback secrets).
# Comma-separated Fernet keys, newest first, so keys can be rotated; derived from SECRET_KEY if unset.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "recorder",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
ASGI_APPLICATION = "dashboard.asgi.application"
WSGI_APPLICATION = "dashboard.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'recorder.sqlite3'}")),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A busy timeout instead of "database is locked" errors when two writers meet; writes start
    # as IMMEDIATE transactions so they queue instead of failing at the first upgrade. WAL (the
    # API reads while events are written) is a property of the file, set once after migrations
    # (recorder.apps): setting it on every connection waits on the write lock under load.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too: threads of a live test server then open connections of their own
    # instead of sharing one in-memory connection across threads.
    # Named per process so that two test runs on one machine do not share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-recorder-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Channels' in-memory layer, made safe for the dispatcher thread's announcements (live/layer.py).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "dashboard.live.layer.ThreadSafeInMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},  # messages waiting per socket
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
MEDIA_LIBRARY_ROOT = Path(env_str("MEDIA_LIBRARY_ROOT", str(DATA_DIR / "library"))).resolve()
SPOOL_ROOT = Path(env_str("SPOOL_ROOT", str(DATA_DIR / "spool"))).resolve()

# Request bodies above this are refused before they are parsed (SPEC §13).
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# OpenAPI (Volcengine-compatible surface)
OPENAPI_REGION = env_str("OPENAPI_REGION", "cn-north-1")
OPENAPI_MAX_CLOCK_SKEW_SECONDS = env_int("OPENAPI_MAX_CLOCK_SKEW_SECONDS", 15 * 60, minimum=1)
# Per-AppId requests per second across the OpenAPI; 0 = no limit (the reference service allows 60).
OPENAPI_QPS_LIMIT = env_int("OPENAPI_QPS_LIMIT", 0, minimum=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "recorder.api.authentication.SignatureAuthentication",
        "recorder.api.authentication.AccessKeyBasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "recorder.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RTC Recorder REST API",
    "DESCRIPTION": "Resource-style API for recording tasks, rooms and streams, keys and callbacks.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# REST API (/api/v1/, recorder/api)
# Swagger UI and ReDoc assets come from the drf-spectacular-sidecar package and are served by this
# server: the docs page must work for browsers without internet access.
INSTALLED_APPS += ["drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "ENUM_NAME_OVERRIDES": {
            "TaskStateEnum": "recorder.models.tasks.TaskState",
            "StreamStateEnum": "recorder.models.rooms.StreamState",
        },
    }
)
# Directories that file:// stream URLs may read (comma-separated). Empty: file:// publication is
# refused, since a file URL could otherwise read anything the server can (SPEC §13).
PUBLISH_FILE_ROOTS = [str(Path(root).resolve()) for root in env_list("PUBLISH_FILE_ROOTS")]

# Recording dispatch. "local": the server process runs recorder child processes itself (the
# embedded mode started by `manage.py serve`); "none": this process only serves the APIs.
RECORDER_DISPATCH = env_str("RECORDER_DISPATCH", "local")
RECORDER_MAX_CONCURRENT = env_int("RECORDER_MAX_CONCURRENT", 4, minimum=1)
# How often the dispatcher looks for queued tasks and control messages (stop, update, rooms).
RECORDER_POLL_SECONDS = float(env_int("RECORDER_POLL_MILLISECONDS", 200, minimum=10)) / 1000
RECORDER_SPLIT_SECONDS = env_int("RECORDER_SPLIT_SECONDS", 4 * 60 * 60, minimum=10)

# Still images of layouts (Canvas.BackgroundImage, Region.AlternateImage), fetched from the URLs
# users give (SPEC §13; recorder/engine/images). Only http(s), JPEG and PNG; every address a URL
# or redirect resolves to is checked before connecting.
IMAGE_FETCH_TIMEOUT_SECONDS = env_int("IMAGE_FETCH_TIMEOUT_SECONDS", 5, minimum=1)  # the whole fetch
IMAGE_FETCH_MAX_BYTES = env_int("IMAGE_FETCH_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)  # encoded size
IMAGE_FETCH_MAX_PIXELS = env_int("IMAGE_FETCH_MAX_PIXELS", 40_000_000, minimum=1)  # width x height
# Loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16: cloud metadata)
# and other non-public addresses are refused unless this is set (images served on the LAN).
IMAGE_FETCH_ALLOW_PRIVATE = env_bool("IMAGE_FETCH_ALLOW_PRIVATE", False)
# Decoded images are kept per process, per URL; failures for a few seconds only. 0 turns it off.
IMAGE_CACHE_SECONDS = env_int("IMAGE_CACHE_SECONDS", 300, minimum=0)
IMAGE_CACHE_MAX_BYTES = env_int("IMAGE_CACHE_MAX_BYTES", 256 * 1024 * 1024, minimum=0)  # decoded pixels
