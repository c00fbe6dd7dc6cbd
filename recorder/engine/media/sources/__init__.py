"""Media sources: each reads one stream on its own thread into a bounded queue of timed items.

``make_source`` (``factory``) maps a published stream's URL to a source; ``AvSource`` reads
anything FFmpeg reads, ``SyntheticSource`` draws a test pattern and a tone.
"""

from __future__ import annotations

from recorder.engine.media.sources.base import Source, SourceConfig, SourceInfo, SourceState
from recorder.engine.media.sources.factory import UnsupportedSourceError, make_source
from recorder.engine.media.sources.items import (
    AudioItem,
    AudioPacketItem,
    EndItem,
    MediaItem,
    PacketItem,
    VideoItem,
)

__all__ = [
    "AudioItem",
    "AudioPacketItem",
    "EndItem",
    "MediaItem",
    "PacketItem",
    "Source",
    "SourceConfig",
    "SourceInfo",
    "SourceState",
    "UnsupportedSourceError",
    "VideoItem",
    "make_source",
]
