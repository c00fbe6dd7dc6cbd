"""BackgroundImage and AlternateImage, fetched off the recording loop.

The compositor takes decoded images; until an image is fetched (or when it cannot be) the
layout draws as if it were not configured. Fetches reuse the engine's SSRF-safe image fetcher
(``recorder.engine.images``); a failure is reported once as a task warning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from PIL import Image

from recorder.engine.images import ImageFetchError, ImagePolicy, fetch_image

logger = logging.getLogger(__name__)

FETCH_WORKERS: Final = 2


class StillImages:
    def __init__(
        self, policy: ImagePolicy, *, on_change: Callable[[], None], on_failure: Callable[[str], None]
    ) -> None:
        self._policy = policy
        self._on_change = on_change
        self._on_failure = on_failure
        self._images: dict[str, Image.Image] = {}
        self._requested: set[str] = set()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.version = 0  # bumped whenever an image arrives

    def want(self, urls: Iterable[str]) -> None:
        for url in urls:
            if url in self._requested:
                continue
            self._requested.add(url)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="stills")
            self._pool.submit(self._fetch, url)

    def images(self) -> dict[str, Image.Image]:
        with self._lock:
            return dict(self._images)

    def _fetch(self, url: str) -> None:
        try:
            image = fetch_image(url, self._policy)
        except ImageFetchError as error:
            logger.info("still image not loaded: %s", error)
            self._on_failure(f"a layout image is left out: {error.message}")
            return
        except Exception:
            logger.exception("still image fetch crashed")
            return
        with self._lock:
            self._images[url] = image
            self.version += 1
        self._on_change()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
