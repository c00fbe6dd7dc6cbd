"""How FFmpeg is asked to open each kind of URL: transport and timeouts per protocol.

Every open also gets PyAV's ``timeout=(open, read)``, an interrupt callback that works for
any protocol, so a dead URL never hangs a source thread; the protocol options below make the
protocol itself give up (and report a useful error) first where it can.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from recorder.engine.media.clock import US_PER_SECOND

OPEN_TIMEOUT_SECONDS: Final = 10.0
READ_TIMEOUT_SECONDS: Final = 5.0
_READ_TIMEOUT_US: Final = str(int(READ_TIMEOUT_SECONDS * US_PER_SECOND))

LIVE_SCHEMES: Final = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "srt", "udp"})
HTTP_SCHEMES: Final = frozenset({"http", "https"})
FILE_SCHEME: Final = "file"
AV_SCHEMES: Final = LIVE_SCHEMES | HTTP_SCHEMES | {FILE_SCHEME}

_PROTOCOL_OPTIONS: Final[dict[str, dict[str, str]]] = {
    # TCP interleaving: no UDP port ranges to open, no packet loss on a busy host.
    "rtsp": {"rtsp_transport": "tcp", "timeout": _READ_TIMEOUT_US},
    "rtsps": {"rtsp_transport": "tcp", "timeout": _READ_TIMEOUT_US},
    "rtmp": {"rw_timeout": _READ_TIMEOUT_US},
    "rtmps": {"rw_timeout": _READ_TIMEOUT_US},
    "srt": {"timeout": _READ_TIMEOUT_US, "connect_timeout": str(int(OPEN_TIMEOUT_SECONDS * 1000))},
    # Survive a busy recorder: drop datagrams rather than fail when the FIFO overruns.
    "udp": {"timeout": _READ_TIMEOUT_US, "overrun_nonfatal": "1", "fifo_size": "1000000"},
    "http": {"rw_timeout": _READ_TIMEOUT_US},
    "https": {"rw_timeout": _READ_TIMEOUT_US},
}


def scheme_of(url: str) -> str:
    return url.partition(":")[0].lower()


def open_target(url: str) -> str:
    """What to hand to ``av.open``: a local path for ``file:`` URLs (percent-decoded)."""
    if scheme_of(url) == FILE_SCHEME:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ValueError("a file URL must name a local file")
        return str(Path(unquote(parts.path)))
    return url


def input_options(url: str) -> dict[str, str]:
    return dict(_PROTOCOL_OPTIONS.get(scheme_of(url), {}))
