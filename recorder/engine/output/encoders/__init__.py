"""Encoders of the output side: one video encode and one encode per audio codec, shared by
every container that carries them, plus the copied video and audio sources and the default
bitrate curve."""

from __future__ import annotations

from recorder.engine.output.encoders.audio import AudioEncoder, AudioKind, he_aac_fallback_warning
from recorder.engine.output.encoders.audio_copy import AudioCopySource
from recorder.engine.output.encoders.bitrate import default_video_bitrate_kbps
from recorder.engine.output.encoders.remux import RemuxSource
from recorder.engine.output.encoders.video import VideoEncoder

__all__ = [
    "AudioCopySource",
    "AudioEncoder",
    "AudioKind",
    "RemuxSource",
    "VideoEncoder",
    "default_video_bitrate_kbps",
    "he_aac_fallback_warning",
]
