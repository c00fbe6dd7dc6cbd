"""Layout still images (BackgroundImage, AlternateImage) for the server: the fetch policy and
the process-wide cache, both configured by the IMAGE_* settings (docs/configuration.md).

The fetching itself is ``recorder.engine.images`` (no Django); this module only reads settings.
"""

from __future__ import annotations

import threading

from django.conf import settings
from PIL import Image

from recorder.engine.images import ImageCache, ImagePolicy

_lock = threading.Lock()
_cache: ImageCache | None = None


def image_policy() -> ImagePolicy:
    """The policy of the current settings (read per call: tests and reloads may change them)."""
    return ImagePolicy(
        timeout_seconds=float(settings.IMAGE_FETCH_TIMEOUT_SECONDS),
        max_bytes=settings.IMAGE_FETCH_MAX_BYTES,
        max_pixels=settings.IMAGE_FETCH_MAX_PIXELS,
        allow_private=settings.IMAGE_FETCH_ALLOW_PRIVATE,
    )


def image_cache() -> ImageCache:
    """The shared cache; made again when its settings change."""
    global _cache  # noqa: PLW0603 - one cache per process, made on first use
    ttl, budget = float(settings.IMAGE_CACHE_SECONDS), settings.IMAGE_CACHE_MAX_BYTES
    with _lock:
        if _cache is None or (_cache.ttl_seconds, _cache.max_bytes) != (ttl, budget):
            _cache = ImageCache(ttl_seconds=ttl, max_bytes=budget)
        return _cache


def fetch_still(url: str) -> Image.Image:
    """The decoded image at ``url`` (shared: do not modify); raises ``ImageFetchError``."""
    return image_cache().get(url, image_policy())


def clear_cache() -> None:
    image_cache().clear()
