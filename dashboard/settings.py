"""One env-driven settings module.

The embedded defaults need no external service: SQLite, the in-memory channel layer, the local
media library, no broker. Environment variables switch to PostgreSQL (DATABASE_URL), Redis
(REDIS_URL: channel layer and cache) and, later, a Celery broker. Every variable is listed in
docs/configuration.md.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Any

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_storage_profile,
    env_str,
)

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
# The public base URL, for links the service prints or sends. When it is not set, `manage.py serve`
# prints the address it listens on instead (it knows its --host and --port; this default does not).
SITE_URL_GIVEN = bool(env_str("SITE_URL"))
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
    # botocore's debug lines carry request headers (the storage access key): never below WARNING.
    "loggers": {
        "django.server": {"level": "WARNING"},
        # manage.py serve's requests at INFO, WebSocket connects and disconnects at DEBUG.
        "dashboard.access": {"level": env_str("ACCESS_LOG_LEVEL", "INFO").upper()},
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        "s3transfer": {"level": "WARNING"},
    },
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
            "DeliveryStateEnum": "recorder.models.outbox.DeliveryState",
        },
    }
)
# Directories that file:// stream URLs may read (comma-separated). Empty: file:// publication is
# refused, since a file URL could otherwise read anything the server can (SPEC §13).
PUBLISH_FILE_ROOTS = [str(Path(root).resolve()) for root in env_list("PUBLISH_FILE_ROOTS")]

# Recording dispatch. "local": the server process runs recorder child processes itself (the
# embedded mode started by `manage.py serve`); "celery": recorder workers on any machine run them
# (`manage.py recorder_worker`, docs/deployment.md); "none": this process only serves the APIs.
RECORDER_DISPATCH = env_str("RECORDER_DISPATCH", "local")
RECORDER_MAX_CONCURRENT = env_int("RECORDER_MAX_CONCURRENT", 4, minimum=1)
# How often the dispatcher looks for queued tasks and control messages (stop, update, rooms).
RECORDER_POLL_SECONDS = float(env_int("RECORDER_POLL_MILLISECONDS", 200, minimum=10)) / 1000
RECORDER_SPLIT_SECONDS = env_int("RECORDER_SPLIT_SECONDS", 4 * 60 * 60, minimum=10)
# How long a signed file link (system.record's uri, recorder/services/file_links.py) stays valid.
RECORD_LINK_SECONDS = env_int("RECORD_LINK_SECONDS", 24 * 60 * 60, minimum=60)

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

# Storage and upload (recorder/storage, docs/storage.md). StorageConfig Type 0 (TOS) and 1 (VOD)
# go to these operator profiles: "library" (the built-in media library) or an s3:// URL.
STORAGE_TOS_PROFILE = env_storage_profile("STORAGE_TOS_PROFILE", "library")
STORAGE_VOD_PROFILE = env_storage_profile("STORAGE_VOD_PROFILE", "library")
# Where a file goes when its upload failed permanently (bad credentials, no bucket); empty: none,
# the file stays in the local spool.
STORAGE_BACKUP_PROFILE = env_storage_profile("STORAGE_BACKUP_PROFILE", "")
# The uploader service runs next to the dispatcher and works the uploads of this machine's spool.
UPLOAD_NODE = env_str("UPLOAD_NODE") or socket.gethostname()
UPLOAD_WORKERS = env_int("UPLOAD_WORKERS", 4, minimum=1)  # files uploaded at once
UPLOAD_PART_WORKERS = env_int("UPLOAD_PART_WORKERS", 4, minimum=1)  # parallel parts per large file
# Server-side part copies at once when an MP4 sent while recorded is put under a {Duration} name:
# they move no byte through this machine, so many at once is cheap (docs/storage.md).
UPLOAD_COPY_WORKERS = env_int("UPLOAD_COPY_WORKERS", 16, minimum=1)
# Files above this go up as multipart uploads in parts of this size (S3's minimum is 5 MiB).
UPLOAD_PART_SIZE_BYTES = env_int("UPLOAD_PART_SIZE_BYTES", 8 * 1024 * 1024, minimum=5 * 1024 * 1024)
UPLOAD_TIMEOUT_SECONDS = env_int("UPLOAD_TIMEOUT_SECONDS", 30, minimum=1)  # connect / read, per request
# Transient failures are retried after base x 2^(attempt-1), capped, with +-20 % jitter.
UPLOAD_RETRY_BASE_MILLISECONDS = env_int("UPLOAD_RETRY_BASE_MILLISECONDS", 1000, minimum=1)
UPLOAD_RETRY_MAX_SECONDS = env_int("UPLOAD_RETRY_MAX_SECONDS", 600, minimum=1)
UPLOAD_MAX_ATTEMPTS = env_int("UPLOAD_MAX_ATTEMPTS", 200, minimum=1)  # then the failure is permanent
UPLOAD_POLL_SECONDS = float(env_int("UPLOAD_POLL_MILLISECONDS", 200, minimum=10)) / 1000
# Callbacks (SPEC §10, docs/callbacks.md). "local": `manage.py serve` posts them from a thread next to
# the dispatcher; "none": only `manage.py deliver_callbacks` processes do.
CALLBACK_DELIVERY = env_str("CALLBACK_DELIVERY", "local")
# A callback succeeds on a 2xx answer within this many seconds (the whole exchange); else it is retried.
CALLBACK_TIMEOUT_SECONDS = float(env_int("CALLBACK_TIMEOUT_SECONDS", 5, minimum=1))
CALLBACK_RETRY_FIRST_SECONDS = float(env_int("CALLBACK_RETRY_FIRST_SECONDS", 5, minimum=1))
CALLBACK_RETRY_MAX_SECONDS = float(env_int("CALLBACK_RETRY_MAX_SECONDS", 3600, minimum=1))
CALLBACK_RETRY_WINDOW_SECONDS = env_int("CALLBACK_RETRY_WINDOW_SECONDS", 24 * 60 * 60, minimum=60)
CALLBACK_CONCURRENCY = env_int("CALLBACK_CONCURRENCY", 8, minimum=1)  # attempts in flight per worker
CALLBACK_CONCURRENCY_PER_APP = env_int("CALLBACK_CONCURRENCY_PER_APP", 2, minimum=1)
CALLBACK_POLL_SECONDS = float(env_int("CALLBACK_POLL_MILLISECONDS", 1000, minimum=10)) / 1000
# Scale-out: Celery recorder workers, leases, admission, operations (docs/deployment.md).
if RECORDER_DISPATCH not in {"local", "celery", "none"}:
    raise ImproperlyConfigured(f"RECORDER_DISPATCH must be local, celery or none, got {RECORDER_DISPATCH!r}")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")  # redis://host:6379/1 or amqp://user:pass@host:5672//
if RECORDER_DISPATCH == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("RECORDER_DISPATCH=celery needs CELERY_BROKER_URL (redis:// or amqp://)")
# Prefix of every Redis key this install writes (broker, channel layer, cache): several installs
# (or test runs) can share one Redis server.
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX")
if REDIS_URL and REDIS_KEY_PREFIX:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_KEY_PREFIX}asgi"},
        }
    }
    CACHES["default"]["KEY_PREFIX"] = REDIS_KEY_PREFIX
# The broadcast exchange that wakes every worker when a task is queued.
RECORDER_WAKE_EXCHANGE = env_str("RECORDER_WAKE_EXCHANGE", "recorder.wake")
# What one worker takes: estimated cores of real-time recording ("auto": measured at start).
RECORDER_WORKER_CAPACITY = env_str("RECORDER_WORKER_CAPACITY", "auto")
RECORDER_HEARTBEAT_SECONDS = env_float("RECORDER_HEARTBEAT_SECONDS", 1.0, minimum=0.1)
# A lease not renewed for this long is reaped (its worker is considered lost).
RECORDER_LEASE_SECONDS = env_float("RECORDER_LEASE_SECONDS", 4.0, minimum=1.0)
# Times a task is resumed after losing its worker before it ends with WorkerLost.
RECORDER_MAX_RESUMES = env_int("RECORDER_MAX_RESUMES", 3, minimum=0)
# How long an old part keeps recording while its successor starts (worker lost or shutting down).
RECORDER_HANDOVER_SECONDS = env_float("RECORDER_HANDOVER_SECONDS", 20.0, minimum=0.0)
# The bound on a worker's graceful shutdown (hand over, stop, finish files); then it kills.
RECORDER_DRAIN_SECONDS = env_float("RECORDER_DRAIN_SECONDS", 60.0, minimum=1.0)
# How often an idle worker looks at the queue without being woken (wake-ups come through Celery).
RECORDER_CLAIM_POLL_SECONDS = env_float("RECORDER_CLAIM_POLL_SECONDS", 1.0, minimum=0.05)
# /metrics answers only requests with "Authorization: Bearer <token>" when set.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Log lines carry the task (and worker) they are about; "json": one JSON object per line.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
_logging: dict[str, Any] = LOGGING  # extended in place: other handlers or loggers stay as they are
_logging.setdefault("filters", {})["task_context"] = {"()": "recorder.ops.logs.TaskContextFilter"}
_logging["formatters"]["plain"]["format"] = (
    "%(asctime)s %(levelname)s %(name)s [task=%(task)s worker=%(worker)s] %(message)s"
)
_logging["formatters"]["json"] = {"()": "recorder.ops.logs.JsonFormatter"}
_logging["handlers"]["console"]["formatter"] = LOG_FORMAT
_logging["handlers"]["console"].setdefault("filters", []).append("task_context")
