"""Per-AppId callback configuration (SPEC §10): where task events are POSTed, and the signing secret."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from recorder.errors import INVALID_PARAMETER, ApiError
from recorder.models import App, CallbackConfig

CALLBACK_SCHEMES = ("http", "https")
MAX_CALLBACK_URL_CHARS = 1024  # CallbackConfig.url's column size
MAX_SECRET_CHARS = 256


@dataclass(frozen=True)
class CallbackChange:
    """A PUT of the configuration. ``secret`` None keeps the stored secret; "" removes it."""

    url: str
    enabled: bool = True
    secret: str | None = None


def callback_config(app: App) -> CallbackConfig:
    """The stored configuration, or an unsaved empty one (no URL: nothing is sent)."""
    try:
        return app.callback
    except CallbackConfig.DoesNotExist:
        return CallbackConfig(app=app, url="", enabled=True)


def set_callback_config(app: App, change: CallbackChange) -> CallbackConfig:
    check_callback_url(change.url)
    if change.secret is not None and len(change.secret) > MAX_SECRET_CHARS:
        raise ApiError(INVALID_PARAMETER, f"secret: at most {MAX_SECRET_CHARS} characters", field="secret")
    config = callback_config(app)
    config.url = change.url
    config.enabled = change.enabled
    if change.secret is not None:
        config.set_secret(change.secret)
    config.save()
    return config


def check_callback_url(url: str) -> None:
    """Only http(s); "" turns callbacks off.

    Single-label hosts (``http://hooks:8000/``, a compose service) and private addresses are
    allowed: on a self-hosted install the receiving service often sits on the same network.
    """
    if url == "":
        return
    if len(url) > MAX_CALLBACK_URL_CHARS:
        raise _invalid(f"at most {MAX_CALLBACK_URL_CHARS} characters")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise _invalid("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- parsing the port is what detects "host:notaport"
    except ValueError:
        raise _invalid("is not a valid URL") from None
    if parts.scheme.lower() not in CALLBACK_SCHEMES or not parts.hostname:
        raise _invalid("must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        # The URL is shown to every member of the account; the signature is what authenticates.
        raise _invalid("must not contain a user name or password; the signature authenticates callbacks")


def _invalid(detail: str) -> ApiError:
    return ApiError(INVALID_PARAMETER, f"url: {detail}", field="url")
