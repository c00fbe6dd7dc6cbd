"""Access keys of an account (owners only): list, issue, revoke.

The SecretAccessKey is rendered once, straight into the response to the POST that issued it: it is
never put in a URL, the session, the messages framework or a log, and the response is marked
``no-store``. A one-time form token makes a resubmitted POST (a reload of that page) land on the key
list instead of issuing a second key.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from dashboard.pages.access import account_to_manage, accounts_managed_by
from dashboard.pages.forms import KeyCreateForm
from recorder.models import AccessKey, Account

OPEN_FORM_TOKENS = "key_form_tokens"  # session key: tokens of create forms not yet submitted
MAX_OPEN_FORMS = 20  # enough for a user with many tabs; older forms expire


@login_required
@require_GET
def key_accounts(request: HttpRequest) -> HttpResponse:
    """The nav's "Keys": straight to the account's keys when the user owns one account."""
    accounts = list(accounts_managed_by(request.user))
    if len(accounts) == 1:
        return redirect("keys", account_pk=accounts[0].pk)
    return render(request, "dashboard/keys/accounts.html", {"section": "keys", "accounts": accounts})


@login_required
@require_GET
def key_list(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = account_to_manage(request.user, account_pk)
    keys = account.access_keys.select_related("created_by").prefetch_related("apps")
    return render(
        request,
        "dashboard/keys/list.html",
        {"section": "keys", "account": account, "keys": keys, "has_apps": account.apps.exists()},
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
@sensitive_variables("secret")
def key_create(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = account_to_manage(request.user, account_pk)
    if request.method == "GET":
        form = KeyCreateForm(account=account, initial={"form_token": _open_form_token(request)})
        return _render_create_form(request, account, form)

    form = KeyCreateForm(request.POST, account=account)
    token = request.POST.get("form_token", "")
    if token not in request.session.get(OPEN_FORM_TOKENS, []):
        messages.info(request, "That form was already submitted. A key's secret is shown only once.")
        return redirect("keys", account_pk=account.pk)
    if not form.is_valid():
        return _render_create_form(request, account, form)

    _close_form_token(request, token)
    key, secret = AccessKey.issue(
        account,
        list(form.cleaned_data["apps"]),
        description=form.cleaned_data["description"],
        created_by=request.user,
    )
    return render(
        request,
        "dashboard/keys/created.html",
        {"section": "keys", "account": account, "key": key, "secret": secret},
    )


@login_required
@require_http_methods(["GET", "POST"])
def key_revoke(request: HttpRequest, account_pk: int, access_key_id: str) -> HttpResponse:
    account = account_to_manage(request.user, account_pk)
    key = get_object_or_404(AccessKey, account=account, access_key_id=access_key_id)
    if request.method == "POST":
        if key.is_active:
            key.revoke()
            messages.success(
                request, f"Access key {key.access_key_id} revoked. Requests signed with it fail."
            )
        else:
            messages.info(request, f"Access key {key.access_key_id} was already revoked.")
        return redirect("keys", account_pk=account.pk)
    return render(request, "dashboard/keys/revoke.html", {"section": "keys", "account": account, "key": key})


def _render_create_form(request: HttpRequest, account: Account, form: KeyCreateForm) -> HttpResponse:
    return render(
        request, "dashboard/keys/create.html", {"section": "keys", "account": account, "form": form}
    )


def _open_form_token(request: HttpRequest) -> str:
    token = secrets.token_urlsafe(16)
    open_tokens: list[str] = request.session.get(OPEN_FORM_TOKENS, [])
    request.session[OPEN_FORM_TOKENS] = [*open_tokens, token][-MAX_OPEN_FORMS:]
    return token


def _close_form_token(request: HttpRequest, token: str) -> None:
    request.session[OPEN_FORM_TOKENS] = [t for t in request.session.get(OPEN_FORM_TOKENS, []) if t != token]
