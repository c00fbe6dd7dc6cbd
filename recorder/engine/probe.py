"""Look at a published source once: is it reachable, and what media does it carry?

Used when a stream is published, so a room's stream list shows real state, codec, size and
fps before any recording opens the source. Django-free; blocking (run it off the main loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import av

PROBE_TIMEOUT_SECONDS = 8.0
MICROSECONDS = 1_000_000
# What the synthetic test source produces (recorder.engine sources generate it raw).
SYNTHETIC_SIZE = (640, 360)
SYNTHETIC_FPS = 30.0


@dataclass(frozen=True)
class ProbeResult:
    reachable: bool
    error: str = ""  # why not, safe to show
    has_audio: bool | None = None
    has_video: bool | None = None
    video_codec: str = ""
    audio_codec: str = ""
    width: int | None = None
    height: int | None = None
    fps: float | None = None


def probe_source(url: str, timeout_seconds: float = PROBE_TIMEOUT_SECONDS) -> ProbeResult:
    scheme = url.partition(":")[0].lower()
    if scheme == "synthetic":
        return ProbeResult(
            reachable=True,
            has_audio=True,
            has_video=True,
            video_codec="rawvideo",
            audio_codec="pcm_f32le",
            width=SYNTHETIC_SIZE[0],
            height=SYNTHETIC_SIZE[1],
            fps=SYNTHETIC_FPS,
        )
    target = urlsplit(url).path if scheme == "file" else url
    try:
        with av.open(target, options=_options(scheme, timeout_seconds), timeout=timeout_seconds) as container:
            return _describe(container)
    except (av.error.FFmpegError, OSError) as error:
        return ProbeResult(reachable=False, error=_reason(error))


def _options(scheme: str, timeout_seconds: float) -> dict[str, str]:
    microseconds = str(int(timeout_seconds * MICROSECONDS))
    options = {"analyzeduration": str(2 * MICROSECONDS), "probesize": str(2 * 1024 * 1024)}
    if scheme in {"rtsp", "rtsps"}:
        options |= {"rtsp_transport": "tcp", "timeout": microseconds}
    elif scheme in {"http", "https", "rtmp", "rtmps", "srt", "udp"}:
        options["rw_timeout"] = microseconds
    return options


def _describe(container: av.container.InputContainer) -> ProbeResult:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    rate = video.average_rate or video.guessed_rate if video is not None else None
    return ProbeResult(
        reachable=True,
        has_audio=audio is not None,
        has_video=video is not None,
        video_codec=video.codec_context.name if video is not None else "",
        audio_codec=audio.codec_context.name if audio is not None else "",
        width=video.codec_context.width or None if video is not None else None,
        height=video.codec_context.height or None if video is not None else None,
        fps=round(float(rate), 3) if rate else None,
    )


def _reason(error: Exception) -> str:
    if isinstance(error, av.error.FFmpegError):
        return str(error.strerror or error)
    return error.strerror or type(error).__name__ if isinstance(error, OSError) else str(error)
