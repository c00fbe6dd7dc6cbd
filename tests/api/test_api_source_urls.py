"""How source URLs are shown back, and how validation errors name nested fields."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ErrorDetail

from recorder.api.errors import validation_error
from recorder.services.source_urls import mask_credentials


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://user:pass@cam:554/s", "rtsp://user:***@cam:554/s"),
        ("rtsp://user@cam/s", "rtsp://user@cam/s"),
        ("rtmp://live.example/app/key", "rtmp://live.example/app/key"),
        ("srt://relay:9000?streamid=a&passphrase=p4ss", "srt://relay:9000?streamid=a&passphrase=***"),
        ("https://cdn.example/v.m3u8?token=abc&x=1", "https://cdn.example/v.m3u8?token=***&x=1"),
        ("synthetic:?color=red&tone=440", "synthetic:?color=red&tone=440"),
        ("http://[::1", "***"),
    ],
)
def test_it_masks_passwords_and_secret_parameters(url: str, shown: str) -> None:
    assert mask_credentials(url) == shown


def test_it_names_the_first_nested_validation_error() -> None:
    detail = {
        "app_ids": {1: [ErrorDetail("Not valid.", code="invalid")]},
        "description": [ErrorDetail("Too long.", code="max_length")],
    }
    error = validation_error(detail)
    assert (error.code, error.field, error.message) == (
        "InvalidParameter",
        "app_ids[1]",
        "app_ids[1]: not valid.",
    )


def test_it_names_an_item_of_a_list_of_objects() -> None:
    detail = {"Items": [{}, {"UserId": [ErrorDetail("This field is required.", code="required")]}]}
    error = validation_error(detail)
    assert (error.code, error.field) == ("MissingParameter", "Items[1].UserId")


def test_it_leaves_non_field_errors_without_a_field() -> None:
    error = validation_error({"non_field_errors": [ErrorDetail("Bad combination.", code="invalid")]})
    assert (error.field, error.message) == ("", "bad combination.")
