"""``manage.py keys create|list|revoke``: access keys from the command line (SPEC §1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from recorder.management.output import SHOWN_ONCE_WARNING, issued_key_lines
from recorder.models import AccessKey, Account, App

COLUMNS = ["AccessKeyId", "Account", "Status", "AppIds", "Created (UTC)", "Last used (UTC)", "Description"]


class Command(BaseCommand):
    help = "Create, list and revoke access keys (AK/SK). A secret is printed once, when its key is created."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{create,list,revoke}")

        create = subcommands.add_parser("create", help="Issue a key; print its AccessKeyId and secret once.")
        create.add_argument("--account", required=True, help="Name of the account that owns the key.")
        create.add_argument(
            "--app",
            dest="apps",
            action="append",
            required=True,
            metavar="APPID",
            help="An AppId of the account the key may act for; repeat for several.",
        )
        create.add_argument("--description", default="", help="Where the key will be used.")

        listing = subcommands.add_parser("list", help="List keys (never their secrets).")
        listing.add_argument("--account", help="Only the keys of this account.")
        listing.add_argument("--active", action="store_true", help="Leave out revoked keys.")

        revoke = subcommands.add_parser("revoke", help="Revoke a key: requests signed with it fail.")
        revoke.add_argument("access_key_id", metavar="AK")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "create":
            self.create(options["account"], options["apps"], options["description"])
        elif subcommand == "list":
            self.list_keys(options["account"], active_only=options["active"])
        else:
            self.revoke(options["access_key_id"])

    def create(self, account_name: str, app_ids: list[str], description: str) -> None:
        account = find_account(account_name)
        apps = list(App.objects.filter(account=account, app_id__in=app_ids))
        missing = sorted(set(app_ids) - {app.app_id for app in apps})
        if missing:
            raise CommandError(f"AppId(s) not in account {account.name!r}: {', '.join(missing)}")
        with transaction.atomic():
            key, secret = AccessKey.issue(account, apps, description=description)
        self.stdout.write("\n".join(issued_key_lines(key, secret)))
        self.stderr.write(SHOWN_ONCE_WARNING)

    def list_keys(self, account_name: str | None, *, active_only: bool) -> None:
        keys = (
            AccessKey.objects.select_related("account")
            .prefetch_related("apps")
            .order_by("account__name", "created_at", "pk")
        )
        if account_name is not None:
            keys = keys.filter(account=find_account(account_name))
        if active_only:
            keys = keys.filter(revoked_at__isnull=True)
        rows = [
            [
                key.access_key_id,
                key.account.name,
                "active" if key.is_active else "revoked",
                ",".join(sorted(app.app_id for app in key.apps.all())) or "-",
                format_time(key.created_at),
                format_time(key.last_used_at),
                key.description or "-",
            ]
            for key in keys
        ]
        if not rows:
            self.stdout.write("No access keys.")
            return
        self.stdout.write("\n".join(aligned([COLUMNS, *rows])))

    def revoke(self, access_key_id: str) -> None:
        key = AccessKey.objects.filter(access_key_id=access_key_id).first()
        if key is None:
            raise CommandError(f"No access key {access_key_id!r}.")
        if not key.is_active:
            revoked_at = format_time(key.revoked_at)
            self.stdout.write(f"{key.access_key_id} was already revoked at {revoked_at} UTC.")
            return
        key.revoke()
        self.stdout.write(f"Revoked {key.access_key_id}.")


def find_account(name: str) -> Account:
    account = Account.objects.filter(name=name).first()
    if account is None:
        raise CommandError(f"No account named {name!r}.")
    return account


def format_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "never"


def aligned(rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]) for row in rows
    ]
