"""The key flow in a real browser: the secret is shown once, a reload forgets it, revoking works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recorder.models import AccessKey
from tests.browser import log_in
from tests.conftest import PASSWORD, Tenant

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.browser
def test_it_creates_shows_once_and_revokes_a_key(
    live_server: Any, page: Any, alice: Tenant, tmp_path: Path
) -> None:
    base = live_server.url
    log_in(page, base, alice.owner.username, PASSWORD)

    page.get_by_role("link", name="Keys", exact=True).click()
    page.get_by_role("link", name="New access key").click()
    page.get_by_label("Description").fill("browser test")
    page.get_by_label("app-alice").check()
    page.get_by_role("button", name="Create access key").click()

    secret = page.locator("#secret-access-key").inner_text().strip()
    key = AccessKey.objects.get(description="browser test")
    assert key.secret() == secret
    page.screenshot(path=str(tmp_path / "secret.png"), full_page=True)

    page.reload()
    assert page.url == f"{base}/accounts/{alice.account.pk}/keys/"
    assert secret not in page.content()
    row = page.get_by_role("row").filter(has_text=key.access_key_id)
    assert "Active" in row.inner_text()

    row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke key").click()
    page.wait_for_url(f"{base}/accounts/{alice.account.pk}/keys/")
    assert "revoked" in page.locator(".messages").inner_text()
    key.refresh_from_db()
    assert not key.is_active

    screenshot = tmp_path / "keys.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)
    assert screenshot.stat().st_size > 1000
