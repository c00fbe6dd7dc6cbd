"""Which addresses a fetch may connect to, and name resolution with a deadline.

The check runs on every address a name resolves to, before any connection is opened; the
connection then goes to one of exactly those addresses (no second lookup that a DNS
rebinding answer could change). A name with any refused address is refused as a whole: a
mix of public and private answers is a rebinding attempt or a misconfiguration.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Final

from recorder.engine.images.errors import FetchFailure, ImageFetchError
from recorder.engine.images.policy import ImagePolicy

IPAddress = IPv4Address | IPv6Address

# getaddrinfo has no timeout of its own; it runs here so the caller can stop waiting.
_RESOLVER: Final = ThreadPoolExecutor(max_workers=4, thread_name_prefix="image-dns")


def address_kind(address: IPAddress) -> str | None:
    """Why ``address`` is not a public internet address (None: it is one).

    IPv4 addresses embedded in IPv6 (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, Teredo) are
    judged as the IPv4 address they reach.
    """
    if isinstance(address, IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return address_kind(embedded)
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "non-public"),
    )
    return next((kind for refused, kind in checks if refused), None)


def is_allowed(address: IPAddress, policy: ImagePolicy) -> bool:
    if policy.allow_private or address_kind(address) is None:
        return True
    plain = address.ipv4_mapped if isinstance(address, IPv6Address) and address.ipv4_mapped else address
    return any(plain in network for network in policy.allowed_networks)


def literal_address(host: str) -> IPAddress | None:
    try:
        return ip_address(host)
    except ValueError:
        return None


def resolve(host: str, port: int, timeout_seconds: float) -> list[IPAddress]:
    """The addresses of ``host`` (an IP literal is its own answer: no lookup)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        answers = lookup.result(timeout=max(timeout_seconds, 0.0))
    except FutureTimeout:
        raise ImageFetchError(FetchFailure.TIMEOUT, f"looking up {host!r} timed out") from None
    except (OSError, UnicodeError):
        raise ImageFetchError(FetchFailure.HOST_NOT_FOUND, f"the host {host!r} was not found") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone id
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ImageFetchError(FetchFailure.HOST_NOT_FOUND, f"the host {host!r} has no address")
    return addresses


def checked_addresses(host: str, port: int, policy: ImagePolicy, timeout_seconds: float) -> list[IPAddress]:
    """The addresses to connect to; refuses the host if any of them is not allowed."""
    addresses = resolve(host, port, timeout_seconds)
    for address in addresses:
        if not is_allowed(address, policy):
            kind = address_kind(address) or "refused"
            verb = "is" if literal_address(host) is not None else "resolves to"
            raise ImageFetchError(
                FetchFailure.PRIVATE_ADDRESS,
                f"the host {host!r} {verb} a {kind} address; this server only fetches images from"
                " public internet addresses",
            )
    return addresses
