"""Still images (BackgroundImage, AlternateImage) fetched from user-given URLs, safely (SPEC §13).

``fetch_image(url, policy)`` downloads and decodes one image; ``ImageCache`` keeps decoded
images (and, briefly, failures) per URL. No Django here: the recorder reuses this as it is.

Why the standard library's ``http.client`` and not urllib3 or requests: the one thing an
SSRF-safe fetch needs from its HTTP client is to connect to *the address we checked* while
sending the name in ``Host`` and SNI. ``http.client`` lets a subclass open the socket itself
(three lines), with no pool that could reuse a connection to another address, no automatic
redirects and no proxy taken from the environment. urllib3 can be bent to do it, but only
through private hooks; it would add nothing else we use.
"""

from __future__ import annotations

from recorder.engine.images.cache import FAILURE_CACHE_SECONDS, ImageCache
from recorder.engine.images.decode import decode_image, sniff_format
from recorder.engine.images.errors import FetchFailure, ImageFetchError
from recorder.engine.images.fetch import fetch_image
from recorder.engine.images.policy import ImagePolicy

__all__ = [
    "FAILURE_CACHE_SECONDS",
    "FetchFailure",
    "ImageCache",
    "ImageFetchError",
    "ImagePolicy",
    "decode_image",
    "fetch_image",
    "sniff_format",
]
