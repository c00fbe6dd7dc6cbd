"""Decoded images per URL, in process: an LRU with a time to live and a byte budget.

Failures are kept too, for a short while (``FAILURE_CACHE_SECONDS``): a designer re-rendering
on every drag must not hammer a dead or slow URL, nor wait for its timeout each time.
Concurrent requests for the same URL wait for one fetch instead of starting their own.
Cached images are shared between callers and must not be modified.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from PIL import Image

from recorder.engine.images.errors import FetchFailure, ImageFetchError
from recorder.engine.images.fetch import fetch_image
from recorder.engine.images.policy import ImagePolicy

FAILURE_CACHE_SECONDS: Final = 10.0
# What a remembered failure counts against the byte budget, so failures are bounded too.
FAILURE_ENTRY_BYTES: Final = 1024

Fetcher = Callable[[str, ImagePolicy], Image.Image]
_Key = tuple[str, ImagePolicy]


@dataclass(frozen=True, slots=True)
class _Entry:
    expires_at: float
    size_bytes: int
    image: Image.Image | None
    failure: tuple[FetchFailure, str] | None = None

    def result(self) -> Image.Image:
        if self.failure is not None:
            raise ImageFetchError(*self.failure)  # a fresh exception: no traceback piles up
        assert self.image is not None
        return self.image


class ImageCache:
    """``get(url, policy)``: the cached image, or a fetch (cached for ``ttl_seconds``).

    The key includes the policy, so an operator changing a limit never gets an answer made
    under the old one. ``ttl_seconds`` 0 turns caching off (concurrent fetches still share).
    """

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_bytes: int,
        failure_ttl_seconds: float = FAILURE_CACHE_SECONDS,
        fetcher: Fetcher = fetch_image,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_bytes = max_bytes
        self.failure_ttl_seconds = min(failure_ttl_seconds, ttl_seconds)
        self._fetch = fetcher
        self._clock = clock
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._in_flight: dict[_Key, threading.Event] = {}

    def get(self, url: str, policy: ImagePolicy) -> Image.Image:
        key = (url, policy)
        while True:
            with self._lock:
                entry = self._fresh(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    return entry.result()
                done = self._in_flight.get(key)
                if done is None:
                    done = self._in_flight[key] = threading.Event()
                    break
            # Another thread is fetching this URL: take its result (or fetch after it failed
            # to store one, e.g. with caching off).
            done.wait(policy.timeout_seconds)
        try:
            image = self._fetch(url, policy)
        except ImageFetchError as error:
            self._store(key, _Entry(0.0, FAILURE_ENTRY_BYTES, None, (error.reason, error.message)))
            raise
        else:
            self._store(key, _Entry(0.0, image_bytes(image), image))
            return image
        finally:
            with self._lock:
                self._in_flight.pop(key, None)
            done.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def _fresh(self, key: _Key) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= self._clock():
            self._remove(key)
            return None
        return entry

    def _store(self, key: _Key, entry: _Entry) -> None:
        ttl = self.ttl_seconds if entry.failure is None else self.failure_ttl_seconds
        if ttl <= 0 or entry.size_bytes > self.max_bytes:
            return  # caching off, or one image larger than the whole budget
        with self._lock:
            self._remove(key)
            self._entries[key] = _Entry(self._clock() + ttl, entry.size_bytes, entry.image, entry.failure)
            self._bytes += entry.size_bytes
            while self._bytes > self.max_bytes:
                self._remove(next(iter(self._entries)))  # least recently used first

    def _remove(self, key: _Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size_bytes


def image_bytes(image: Image.Image) -> int:
    """Memory a decoded image holds (8-bit bands)."""
    width, height = image.size
    return width * height * len(image.getbands())
