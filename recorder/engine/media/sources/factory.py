"""``make_source``: a published stream's URL to the source that reads it.

The scheme allow-list is enforced when a stream is published (``recorder.services``); it is
enforced here again so that nothing else ever reaches FFmpeg (``concat:``, ``subfile:``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from recorder.engine.media.clock import TaskClock
from recorder.engine.media.sources.av_options import AV_SCHEMES, scheme_of
from recorder.engine.media.sources.av_source import AvSource
from recorder.engine.media.sources.base import Source, SourceConfig
from recorder.engine.media.sources.synthetic import SyntheticSource
from recorder.engine.spec import StreamType

SYNTHETIC_SCHEME = "synthetic"


class UnsupportedSourceError(ValueError):
    """The URL's scheme is not one a source may be read from."""


def make_source(
    url: str,
    options: Mapping[str, object],
    *,
    clock: TaskClock,
    config: SourceConfig,
    user_id: str,
    stream_type: StreamType = StreamType.CAMERA,
) -> Source:
    scheme = scheme_of(url)
    kind = "screen" if stream_type is StreamType.SCREEN else "camera"
    if scheme == SYNTHETIC_SCHEME:
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        return SyntheticSource(user_id, stream_type, {**query, **options}, clock, config)
    if scheme in AV_SCHEMES and "://" in url:
        return AvSource(url, options, clock, config, name=f"{user_id}-{kind}")
    raise UnsupportedSourceError(f"sources cannot be read from {scheme!r} URLs")
