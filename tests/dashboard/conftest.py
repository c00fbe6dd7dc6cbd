"""Dashboard fixtures: the browser (see tests/browser.py) and a client signed in as a persona."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.browser import browser, page  # noqa: F401  (fixtures for the browser tests)

SignIn = Callable[[User], Client]


@pytest.fixture
def signed_in(client: Client) -> SignIn:
    """``signed_in(user)``: the test client with that user's session."""

    def sign_in(user: User) -> Client:
        client.force_login(user)
        return client

    return sign_in
