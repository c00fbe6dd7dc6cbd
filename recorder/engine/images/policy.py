"""What a fetch may do: how long, how much, which addresses."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import Final

MIB: Final = 1024 * 1024

DEFAULT_TIMEOUT_SECONDS: Final = 5.0  # the whole fetch: DNS, connect, redirects, body
DEFAULT_MAX_BYTES: Final = 10 * MIB  # encoded size
DEFAULT_MAX_PIXELS: Final = 40_000_000  # decoded width x height (40 Mpx: 120 MB as RGB)
DEFAULT_MAX_REDIRECTS: Final = 3


@dataclass(frozen=True)
class ImagePolicy:
    """Limits of one fetch; hashable, so it is part of the cache key.

    ``allow_private`` lets loopback, private, link-local and other non-global addresses
    through (a self-hosted install whose images live on the LAN). ``allowed_networks``
    opens only the listed networks while keeping the rest refused.
    """

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    allow_private: bool = False
    allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    max_redirects: int = DEFAULT_MAX_REDIRECTS
