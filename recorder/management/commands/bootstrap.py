"""``manage.py bootstrap``: an account, its owner and an AppId, ready for the quick start.

Idempotent: what exists is kept (and reported as such), what is missing is created. Run it again
with ``--password`` to reset the user's password, or with ``--issue-key`` to get another key.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from recorder.management.output import SHOWN_ONCE_WARNING, field_line, issued_key_lines
from recorder.models import AccessKey, Account, App, Membership, MembershipRole
from recorder.models.ids import validate_id

GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters


class Command(BaseCommand):
    help = "Create (idempotently) an account, an owner user and an AppId, and print them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", default="default", help="Account name (default: %(default)s).")
        parser.add_argument("--username", default="admin", help="Owner's username (default: %(default)s).")
        parser.add_argument(
            "--password",
            default="",
            help="Owner's password. Without it a new user gets a generated one (printed once) "
            "and an existing user keeps theirs.",
        )
        parser.add_argument("--email", default="", help="Owner's e-mail address.")
        parser.add_argument("--app-id", default="demo-app", help="AppId to create (default: %(default)s).")
        parser.add_argument("--app-name", default="", help="A human-friendly name for a new AppId.")
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="Also make the user a superuser (staff, the admin site, every account).",
        )
        parser.add_argument(
            "--site-url",
            default="",
            help="Base URL of the sign-in link printed at the end (default: the SITE_URL setting).",
        )
        parser.add_argument(
            "--issue-key",
            action="store_true",
            help="Also issue an access key for the AppId and print it (a new key on every run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        validate(options["username"], options["app_id"])
        with transaction.atomic():
            lines = self.bootstrap(**options)
        self.stdout.write("\n".join(lines))
        if options["issue_key"]:
            self.stderr.write(SHOWN_ONCE_WARNING)
        site_url = (options["site_url"] or settings.SITE_URL).rstrip("/")
        self.stdout.write(f"\nSign in at {site_url}/login/")

    def bootstrap(
        self,
        *,
        account: str,
        username: str,
        password: str,
        email: str,
        app_id: str,
        app_name: str,
        superuser: bool,
        issue_key: bool,
        **_: Any,
    ) -> list[str]:
        the_account, account_created = Account.objects.get_or_create(name=account)
        lines = [field_line("Account", f"{the_account.name} ({state(account_created)})")]

        user = User.objects.filter(username=username).first()
        if user is None:
            shown_password = password or secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
            user = User.objects.create_user(username, email=email, password=shown_password)
            user_state = "created"
            password_line = shown_password if not password else "(as given with --password)"
        else:
            user_state = "exists"
            password_line = "(unchanged)"
            if password:
                user.set_password(password)
                user.save(update_fields=["password"])
                password_line = "(reset to the one given with --password)"
        if superuser and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])

        membership, _created = Membership.objects.get_or_create(
            account=the_account, user=user, defaults={"role": MembershipRole.OWNER}
        )
        if membership.role != MembershipRole.OWNER:
            membership.role = MembershipRole.OWNER
            membership.save(update_fields=["role"])
        roles = f"owner of {the_account.name}" + ("; superuser" if user.is_superuser else "")
        lines.append(field_line("User", f"{user.username} ({user_state}; {roles})"))
        lines.append(field_line("Password", password_line))

        app = App.objects.filter(app_id=app_id).select_related("account").first()
        if app is not None and app.account_id != the_account.pk:
            raise CommandError(f"AppId {app_id!r} already belongs to account {app.account.name!r}.")
        app_created = app is None
        if app is None:
            app = App.objects.create(app_id=app_id, account=the_account, name=app_name)
        lines.append(field_line("AppId", f"{app.app_id} ({state(app_created)})"))

        if issue_key:
            key, secret = AccessKey.issue(the_account, [app], description="bootstrap", created_by=user)
            lines.extend(issued_key_lines(key, secret)[:2])
        return lines


def validate(username: str, app_id: str) -> None:
    for option, value, validator in [
        ("--username", username, UnicodeUsernameValidator()),
        ("--app-id", app_id, validate_id),
    ]:
        try:
            validator(value)
        except ValidationError as error:
            raise CommandError(f"{option} {value!r}: {' '.join(error.messages)}") from None


def state(created: bool) -> str:
    return "created" if created else "exists"
