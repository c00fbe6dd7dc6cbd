"""The callback configuration form of the app page; the service's own checks decide what is valid."""

from __future__ import annotations

from django import forms

from recorder.errors import ApiError
from recorder.services.callbacks import (
    MAX_CALLBACK_URL_CHARS,
    MAX_SECRET_CHARS,
    CallbackChange,
    check_callback_url,
)


class CallbackConfigForm(forms.Form):
    url = forms.CharField(
        label="Callback URL",
        required=False,
        max_length=MAX_CALLBACK_URL_CHARS,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/rtc-callbacks"}),
        help_text="Receives a signed POST for each task event. Empty: no callbacks are sent.",
    )
    secret = forms.CharField(
        label="New signing secret",
        required=False,
        max_length=MAX_SECRET_CHARS,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current secret. It is never shown again.",
    )
    remove_secret = forms.BooleanField(label="Remove the signing secret", required=False)
    enabled = forms.BooleanField(label="Send callbacks", required=False)

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "")
        try:
            check_callback_url(url)
        except ApiError as error:
            raise forms.ValidationError(error.message.removeprefix("url: ")) from None
        return url

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        if cleaned is not None and cleaned.get("remove_secret") and cleaned.get("secret"):
            raise forms.ValidationError("Either set a new secret or remove it, not both.")
        return cleaned

    def change(self) -> CallbackChange:
        data = self.cleaned_data
        secret: str | None = data["secret"] or None
        if data["remove_secret"]:
            secret = ""
        return CallbackChange(url=data["url"], enabled=bool(data["enabled"]), secret=secret)
