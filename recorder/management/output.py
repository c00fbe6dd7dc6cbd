"""What the management commands print: ``Label: value`` lines, aligned and stable for scripts."""

from __future__ import annotations

from recorder.models import AccessKey

LABEL_WIDTH = len("SecretAccessKey: ")
SHOWN_ONCE_WARNING = "The SecretAccessKey is shown only this once: store it now. It cannot be shown again."


def field_line(label: str, value: str) -> str:
    return f"{label + ':':<{LABEL_WIDTH}}{value}"


def issued_key_lines(key: AccessKey, secret: str) -> list[str]:
    """A newly issued key, the only time its secret is ever shown.

    Scripts can pick the values out with e.g. ``awk '/^SecretAccessKey:/ {print $2}'``.
    """
    return [
        field_line("AccessKeyId", key.access_key_id),
        field_line("SecretAccessKey", secret),
        field_line("Account", key.account.name),
        field_line("AppIds", " ".join(app.app_id for app in key.apps.order_by("app_id"))),
    ]
