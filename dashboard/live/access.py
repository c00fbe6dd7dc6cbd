"""Telling open sockets that what their user may see changed.

A membership added or removed changes one user's AppIds; an AppId created or deleted changes them
for everyone in its account (and for superusers, who see every AppId). The sockets concerned get a
``live.access`` message and re-read their user's visibility; sockets in other processes that miss
it catch up at their periodic re-check (``consumer.ACCESS_RECHECK_SECONDS``).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from recorder.models import App, Membership

log = logging.getLogger(__name__)

SUPERUSERS_GROUP: Final = "live.superusers"
ACCESS_CHANGED: Final = "live.access"  # the message type; it names its group (live.fanout routes by it)


def user_group(user_pk: int) -> str:
    return f"live.user.{user_pk}"


def account_group(account_pk: int) -> str:
    return f"live.account.{account_pk}"


def _notify(*groups: str) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            for group in groups:
                async_to_sync(layer.group_send)(group, {"type": ACCESS_CHANGED, "group": group})
        except Exception as error:  # sockets re-check on their own a little later
            log.warning("could not tell live sockets that access changed: %s", error)

    transaction.on_commit(send)


def membership_changed(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    _notify(user_group(instance.user_id))


def app_changed(sender: type[App], instance: App, **kwargs: Any) -> None:
    if kwargs.get("created", True):  # a rename changes nobody's access
        _notify(account_group(instance.account_id), SUPERUSERS_GROUP)


def connect_signals() -> None:
    post_save.connect(membership_changed, sender=Membership, dispatch_uid="live-membership-saved")
    post_delete.connect(membership_changed, sender=Membership, dispatch_uid="live-membership-deleted")
    post_save.connect(app_changed, sender=App, dispatch_uid="live-app-saved")
    post_delete.connect(app_changed, sender=App, dispatch_uid="live-app-deleted")
