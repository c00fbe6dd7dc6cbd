"""AAC copied from a source instead of encoded (single-stream remux, SPEC §7).

Like ``remux.RemuxSource`` for video: a template stream of the ``aac`` codec lives in a
``null`` container and is never opened; each container copies it and gets the source's
sample rate, channels and AudioSpecificConfig as extradata. The packets are raw AAC frames,
which is what every AAC-carrying muxer takes with that extradata: MP4/M4A and FLV store the
AudioSpecificConfig as they do for the encoder's, and the ADTS and MPEG-TS (HLS) muxers write
each frame's ADTS header from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from recorder.engine.output.encoders.audio import CHANNEL_LAYOUTS, AudioKind
from recorder.engine.output.encoders.stream import add_audio_stream, holder_container
from recorder.engine.outputs_api import RemuxAudio
from recorder.engine.spec import AudioProfile

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.container import OutputContainer

AAC_TEMPLATE_CODEC: Final = "aac"  # the template needs the codec's id; it is never opened


class AudioCopySource:
    """Adds streams that carry a source's AAC packets as they are (``MuxInputs.audio``)."""

    kind: AudioKind = "aac"

    def __init__(self, remux: RemuxAudio) -> None:
        self.remux = remux
        self._holder: OutputContainer = holder_container()
        self.template: AudioStream = add_audio_stream(self._holder, AAC_TEMPLATE_CODEC, remux.sample_rate)

    @property
    def sample_rate(self) -> int:
        return self.remux.sample_rate

    @property
    def channels(self) -> int:
        return self.remux.channels

    @property
    def profile_used(self) -> AudioProfile:
        return AudioProfile.LC  # only AAC LC is copied

    def add_to(self, container: OutputContainer) -> AudioStream:
        stream = container.add_stream_from_template(self.template)
        context = stream.codec_context
        context.sample_rate = self.remux.sample_rate
        context.layout = CHANNEL_LAYOUTS[self.remux.channels]
        context.time_base = self.remux.time_base
        stream.time_base = self.remux.time_base
        context.extradata = self.remux.extradata
        return stream

    def close(self) -> None:
        self._holder.close()
