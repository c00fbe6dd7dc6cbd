"""The one error a fetch raises; its message is meant for the person who typed the URL."""

from __future__ import annotations

from enum import StrEnum


class FetchFailure(StrEnum):
    INVALID_URL = "invalid_url"
    HOST_NOT_FOUND = "host_not_found"
    PRIVATE_ADDRESS = "private_address"
    CONNECTION_FAILED = "connection_failed"
    TIMEOUT = "timeout"
    HTTP_STATUS = "http_status"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"
    NOT_JPEG_OR_PNG = "not_jpeg_or_png"
    TOO_MANY_PIXELS = "too_many_pixels"
    UNDECODABLE = "undecodable"


class ImageFetchError(Exception):
    """An image that could not be had; ``reason`` says why for code, ``message`` for people.

    Messages never contain resolved addresses, server internals or response bodies: only
    what the user sent (the URL's host) and what went wrong.
    """

    def __init__(self, reason: FetchFailure, message: str) -> None:
        super().__init__(reason, message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message
