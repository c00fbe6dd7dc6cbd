"""An encoder that muxers can copy their stream parameters from.

One encode feeds every container (MP4, HLS, FLV share one H.264 encode and one AAC encode).
PyAV builds a muxer stream's parameters either from a codec context it opens itself (that
would be a second encoder per container) or from a *template stream*. So each encoder lives
as the only stream of a ``null`` output container: once the codec is open, starting that
container copies the codec's parameters (size, extradata such as SPS/PPS or the AAC
AudioSpecificConfig, encoder delay) into the stream, and ``add_stream_from_template`` copies
them into each real container without opening another encoder. The ``null`` muxer writes
nothing anywhere.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final, TypeAlias

import av
from av.audio.stream import AudioStream
from av.codec.context import Flags
from av.video.stream import VideoStream

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.packet import Packet
    from av.stream import Stream

    MediaPacket: TypeAlias = Packet[Stream]
    """A compressed audio or video packet, as encoders give and muxers take."""

NULL_MUXER: Final = "null"


def holder_container() -> OutputContainer:
    """A container that only holds an encoder's template stream."""
    return av.open(os.devnull, "w", format=NULL_MUXER)


def want_global_header(stream: Stream) -> None:
    """Parameter sets out of band (in the stream's extradata), as MP4 and FLV need them.

    MPEG-TS (HLS) puts them back in band itself: it prepends the extradata to every
    keyframe, so each segment starts decodable.
    """
    stream.codec_context.flags |= Flags.global_header


def publish_parameters(holder: OutputContainer) -> None:
    """Copy the opened codec's parameters into the template stream (see module docstring)."""
    holder.start_encoding()


def add_video_stream(holder: OutputContainer, encoder: str, fps: int) -> VideoStream:
    stream = holder.add_stream(encoder, rate=fps)
    if not isinstance(stream, VideoStream):
        raise TypeError(f"{encoder} is not a video encoder")
    return stream


def add_audio_stream(holder: OutputContainer, encoder: str, sample_rate: int) -> AudioStream:
    stream = holder.add_stream(encoder, rate=sample_rate)
    if not isinstance(stream, AudioStream):
        raise TypeError(f"{encoder} is not an audio encoder")
    return stream
