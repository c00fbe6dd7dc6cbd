"""Dashboard forms; each one limits its choices to what the user may touch."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from recorder.models import Account, App


class AppCreateForm(forms.ModelForm[App]):
    """A new AppId in one of the user's own accounts; the model's field checks the ID rule."""

    class Meta:
        model = App
        fields = ["account", "app_id", "name"]
        help_texts = {
            "app_id": "1-128 letters, digits and _ @ - . (the same rule as RoomId and TaskId). "
            "It cannot be changed later.",
            "name": "Optional: a human-friendly label.",
        }

    def __init__(self, *args: Any, accounts: QuerySet[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account_field = self.fields["account"]
        assert isinstance(account_field, forms.ModelChoiceField)
        account_field.queryset = accounts
        account_field.empty_label = None
        # With a single account to choose from, the page names it instead of offering a choice.
        owned = list(accounts[:2])
        self.only_account: Account | None = owned[0] if len(owned) == 1 else None
        if self.only_account is not None:
            account_field.widget = forms.HiddenInput()
            account_field.initial = self.only_account.pk


class AppRenameForm(forms.ModelForm[App]):
    class Meta:
        model = App
        fields = ["name"]


class KeyCreateForm(forms.Form):
    description = forms.CharField(
        max_length=200,
        required=False,
        help_text="Where the key will be used, e.g. “backend in eu-west”, so you can tell keys apart.",
    )
    apps = forms.ModelMultipleChoiceField(
        queryset=App.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Allowed AppIds",
        help_text="Requests for any other AppId are refused with AccessDenied.",
        error_messages={"required": "Choose at least one AppId."},
    )
    # A one-time token: a resubmitted form (browser reload of the secret page) must not issue a second key.
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        apps_field = self.fields["apps"]
        assert isinstance(apps_field, forms.ModelMultipleChoiceField)
        apps_field.queryset = App.objects.filter(account=account).order_by("app_id")
