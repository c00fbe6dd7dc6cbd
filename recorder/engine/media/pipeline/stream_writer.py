"""One stream's files in a single-stream recording (RecordMode 1, SPEC §7).

A file starts at the stream's first media, audio or video, and is written on the task's
frame grid, like a mixed recording: frame ``n`` at ``n / VideoFps``, the newest source frame
not later than that.

- Audio before the first video frame: the file opens at the size the source announced
  (``SourceInfo``, from its codec parameters) and its frames show the Background colour until
  the first frame. A source that has not announced a size has its file opened at its first
  frame, so audio before that frame is not written.
- Copied video must start with a keyframe, and nothing else can stand in for the pictures
  before it (another encoder's frames cannot join the copied stream): the file opens when the
  first keyframe arrives, with the audio held since the stream's first sample written first,
  so the file still starts at the audio and its video track starts later (in MP4, an empty
  edit: players show no picture, or the first one, until then).

- Size: the largest width and height seen. A larger frame mid-stream starts a new part at the
  new size; a smaller one is fitted (aspect kept) and centred on the Background colour.
  Odd source sizes are rounded up to even (encoders need even sizes) the same way.
- Copied video (``remux_source_video`` and an H.264/HEVC source): packets are written as they
  are, already rebased onto the task timeline. Size changes in a copied stream are not
  followed (the file keeps the first parameter sets' size).
- Copied audio (``remux_source_audio`` and an AAC source that agrees with the request, see
  ``sources.aac_copy``): the source's AAC packets are written as they are, at their sample
  positions, in time order with the copied video (a keyframe after the audio before it, so
  at a split that audio stays in the part that covers it); otherwise the audio is decoded,
  mixed alone and encoded. A copied frame cannot be cut: a part ends after its last packet,
  and a record-time limit keeps the packets that start before it.
- MaxSilenceSeconds: a stream without any media for longer than that stops being written;
  when it resumes, a new part starts. With copied audio that part starts as a file does (at
  the stream's media; copied video at its next keyframe), since copied frames cannot be cut at
  a split point. So does a part for copied audio whose parameters changed, or for audio the
  source now copies where it decoded (or the other way round: a source that reconnected).
"""

from __future__ import annotations

import logging
from collections import deque

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from recorder.engine.layout.colour import parse_colour
from recorder.engine.layout.fitting import fit_inside
from recorder.engine.layout.rect import Rect, Size
from recorder.engine.media.audiomix import BLOCK_SAMPLES, AudioMixer
from recorder.engine.media.clock import US_PER_SECOND, frame_time, samples_before, to_microseconds
from recorder.engine.media.control import record_time_limit
from recorder.engine.media.pipeline.context import RecordingContext, audio_frame
from recorder.engine.media.pipeline.output_setup import video_output
from recorder.engine.media.room import StreamSlot
from recorder.engine.media.sources import AudioPacketItem, PacketItem, SourceInfo, VideoItem
from recorder.engine.media.sources.av_source import COPYABLE_CODECS
from recorder.engine.outputs_api import OutputSink, RemuxAudio, RemuxVideo, StreamLabel

logger = logging.getLogger(__name__)


def even_size(size: Size) -> Size:
    return (size[0] + size[0] % 2, size[1] + size[1] % 2)


class StreamWriter:
    def __init__(self, context: RecordingContext, slot: StreamSlot, label: StreamLabel) -> None:
        self.context = context
        self.slot = slot
        self.label = label
        self._reformatter = VideoReformatter()  # keeps its swscale context across frames
        self.mixer = AudioMixer(context.sample_rate, context.channels, limit=False)
        self.sink: OutputSink | None = None
        self.size: Size | None = None
        self.remux: RemuxVideo | None = None
        self.audio_copy: RemuxAudio | None = None  # the open part's copied audio; None: encoded
        self._video_written: int | None = None  # decode time of the last copied video packet written
        self._video_gap = False  # a copied video packet was dropped: the rest waits for a keyframe
        self.with_audio = False
        self.paused = False  # silent for longer than MaxSilenceSeconds
        self._last_item: VideoItem | None = None
        self._background: NDArray[np.uint8] | None = None
        self._closed_video_bytes = 0  # of the sinks this writer already finished

    @property
    def video_bytes(self) -> int:
        current = self.sink.video_bytes if self.sink is not None else 0
        return self._closed_video_bytes + current

    @property
    def has_video(self) -> bool:
        return bool(self.slot.info.has_video) and not self.context.spec.audio_only

    def tick(self, frame_number: int) -> bool:
        """Write output frame ``frame_number`` of this stream; True if anything was written."""
        context, slot = self.context, self.slot
        task_time = frame_time(frame_number, context.fps)
        if slot.first_media_time is None or slot.first_media_time > task_time:
            return False
        if self.sink is None and not self._open(task_time):
            return False
        max_silence = context.spec.control.max_silence_seconds * US_PER_SECOND
        newest = slot.newest_media_by(task_time)
        silent = newest is None or task_time - newest > max_silence
        if silent:
            self.paused = True
            return False
        if self.paused:
            self.paused = False
            self._resume(task_time)
        elif self._audio_changed():
            logger.info("stream %s: its audio changed (copied or decoded, parameters): new part", slot.key)
            self._finish_sink()
        if self.sink is None and not self._open(task_time):
            return False
        next_time = frame_time(frame_number + 1, context.fps)
        if self.remux is not None or self.audio_copy is not None:
            self._write_packets(next_time)
        if self.remux is None and self.has_video:
            self._write_frame(frame_number, task_time)
        if self.audio_copy is None:
            self._write_audio(samples_before(next_time, context.sample_rate))
        return True

    def _resume(self, task_time: int) -> None:
        """Media again after a silence longer than MaxSilenceSeconds: a new part."""
        if self.audio_copy is not None:
            # Media from before the silence that came late (a demuxer holds a stream's last
            # packet until the next one comes) ends the old part; the new one is opened at the
            # stream's media, as a file is, since copied frames cannot be cut at a split.
            self._write_packets(task_time - self.context.spec.control.max_silence_seconds * US_PER_SECOND)
            self._finish_sink()
            return
        if self.sink is not None:
            self.sink.split()
        self.mixer.skip_to(samples_before(task_time, self.context.sample_rate))

    def _audio_changed(self) -> bool:
        """Whether the stream's audio no longer fits the open part: copied with other
        parameters, decoded where the part copies it, or copied where it encodes (a source
        that changed its audio or reconnected to other audio)."""
        if self.sink is None or not self.with_audio:
            return False
        packets = self.slot.audio_packets
        if self.audio_copy is None:
            return bool(packets)
        if packets:
            return packets[0].remux != self.audio_copy
        return self.slot.audio.start is not None  # cleared when the part opened

    # -- opening -------------------------------------------------------------------------------

    def _open(self, task_time: int) -> bool:
        slot, info = self.slot, self.slot.info
        if info.has_video is None or info.has_audio is None:
            return False  # the source has not said what it carries yet
        self.with_audio = bool(info.has_audio)
        self.audio_copy = self._audio_to_copy()
        self.remux = None
        audio_start = samples_before(task_time, self.context.sample_rate)
        if self.has_video and self._copies_video(info):
            packet = self._first_keyframe(task_time)
            if packet is None:
                return False  # the audio waits in the stream's buffer
            self.remux = packet.remux
            self._open_sink(None)
            if self.audio_copy is not None:
                self._write_packets(packet.time)  # the audio held since the stream's first packet
            else:
                self._write_audio_before(packet.time)
            return True
        if self.has_video:
            item = slot.frames.frame_at(task_time)
            size = item.size if item is not None else _announced_size(info)
            if size is None:
                return False
            self._open_sink(even_size(size))
        else:
            self._open_sink(None)
        self.mixer.skip_to(audio_start)
        return True

    def _copies_video(self, info: SourceInfo) -> bool:
        """Whether the source hands video over as packets to copy (known before any arrives)."""
        copyable = self.context.source_copies_video and info.video_codec in COPYABLE_CODECS
        return bool(self.slot.packets) or copyable

    def _audio_to_copy(self) -> RemuxAudio | None:
        """The copied audio of a new part: that of the oldest packet held, else what the source
        said it copies; None: the audio is decoded and encoded."""
        if not self.with_audio:
            return None
        packets = self.slot.audio_packets
        copied = packets[0].remux if packets else self.slot.info.copied_audio
        if copied is not None:
            self.slot.audio.clear()  # decoded audio of an earlier session of the source
        return copied

    def _write_audio_before(self, keyframe_time: int) -> None:
        """The audio held from the stream's first sample up to the first keyframe (copied
        video): written first, so the file starts where the stream did."""
        keyframe_sample = samples_before(keyframe_time, self.context.sample_rate)
        first_sample = self.slot.audio.start if self.with_audio else None
        if first_sample is None or first_sample >= keyframe_sample:
            self.mixer.skip_to(keyframe_sample)
            return
        self.mixer.skip_to(first_sample)
        self._write_audio(keyframe_sample, partial=True)

    def _first_keyframe(self, task_time: int) -> PacketItem | None:
        packets = self.slot.packets
        while packets and packets[0].time <= task_time and not packets[0].keyframe:
            packets.popleft()  # a copied file must start with a keyframe
        return packets[0] if packets and packets[0].keyframe and packets[0].time <= task_time else None

    def _open_sink(self, size: Size | None) -> None:
        spec = self.context.spec
        video = video_output(spec, size) if size is not None else None
        self.size = size
        self._video_written, self._video_gap = None, False
        if size is not None:
            colour = parse_colour(spec.layout.custom.canvas.background) if spec.layout.custom else (0, 0, 0)
            self._background = np.empty((size[1], size[0], 3), dtype=np.uint8)
            self._background[:] = colour
        self.sink = self.context.open_output(
            video=video,
            audio=self.with_audio,
            streams=(self.label,),
            user=self.slot.key,
            remux=self.remux,
            remux_audio=self.audio_copy,
        )

    # -- writing --------------------------------------------------------------------------------

    def _write_frame(self, frame_number: int, task_time: int) -> None:
        if self.size is None or self.sink is None or self._background is None:
            return
        item = self.slot.frames.frame_at(task_time) or self._last_item
        if item is None:  # audio came first: the Background until the first frame
            frame = av.VideoFrame.from_ndarray(self._background, format="rgb24")
        else:
            frame = self._source_frame(item)
        frame.pts, frame.time_base = frame_number, self.context.fps_time_base
        assert self.sink is not None
        self.sink.write_video(frame)

    def _source_frame(self, item: VideoItem) -> av.VideoFrame:
        assert self.size is not None
        width, height = item.size
        if width > self.size[0] or height > self.size[1]:
            self._reopen(even_size((max(width, self.size[0]), max(height, self.size[1]))))
        self._last_item = item
        return self._fitted(item.frame)

    def _reopen(self, size: Size) -> None:
        """A larger frame: finish this part and start one at the new size."""
        logger.info("stream %s grew to %dx%d: new part", self.slot.key, *size)
        self._finish_sink()
        self._open_sink(size)

    def _finish_sink(self) -> None:
        if self.sink is not None:
            self.sink.close()
            self._closed_video_bytes += self.sink.video_bytes
            self.sink = None

    def _fitted(self, source: av.VideoFrame) -> av.VideoFrame:
        assert self.size is not None and self._background is not None
        if (source.width, source.height) == self.size:
            # No copy: the output encodes synchronously and leaves frames as they were
            # (outputs_api), so the decoded frame itself is handed over, only its pts set.
            return source
        inner = fit_inside((source.width, source.height), Rect(0, 0, *self.size))
        scaled = self._reformatter.reformat(
            source, width=inner.width, height=inner.height, format="rgb24"
        ).to_ndarray()
        canvas = self._background.copy()
        canvas[inner.y : inner.bottom, inner.x : inner.right] = scaled
        return av.VideoFrame.from_ndarray(canvas, format="rgb24")

    def _write_packets(self, until: int) -> None:
        """Copied media up to task time ``until``, in time order: video packets whose decode
        time is not after it, audio packets that start by then (before the record-time
        limit). With copied audio a keyframe waits until the audio before its presentation
        time has been written, and goes after it: a split pending at the keyframe (which may
        come earlier in decode order) leaves that audio in the part that covers it. An audio
        packet with other parameters than the part's stops the writing (``_audio_changed``
        gives it a new part)."""
        video = self.slot.packets if self.remux is not None else deque[PacketItem]()
        audio = self.slot.audio_packets if self.audio_copy is not None else deque[AudioPacketItem]()
        audio_until = self._audio_until(until)
        while self.sink is not None:
            head = audio[0] if audio and audio[0].time <= audio_until else None
            due = video and self._video_due(video[0], until, audio_until)
            if due and (head is None or _cut_time(video[0]) <= head.time):
                item = video.popleft()
                if self._video_in_order(item):
                    self.sink.write_video_packet(item.packet)
            elif head is not None and head.remux == self.audio_copy:
                self.sink.write_audio_packet(audio.popleft().packet)
            else:
                return

    def _video_in_order(self, item: PacketItem) -> bool:
        """Whether a copied video packet can be muxed. One that does not decode after the last
        one written (the source was re-aligned earlier: a live source's start-up burst, a fast
        clock) is dropped, and so is every packet after it up to the next keyframe, since
        those may refer to it. Copied audio that goes back is dropped by the output side."""
        decode_time = _decode_time(item)
        if self._video_written is not None and decode_time <= self._video_written:
            self._video_gap = True
            return False
        if self._video_gap and not item.keyframe:
            return False
        self._video_gap = False
        self._video_written = decode_time
        return True

    def _video_due(self, item: PacketItem, until: int, audio_until: int) -> bool:
        if _decode_time(item) > until:
            return False
        return not (item.keyframe and self.audio_copy is not None and item.time > audio_until)

    def _audio_until(self, until: int) -> int:
        """``until``, held before the record-time limit (copied audio ends with the last
        packet that starts before it)."""
        limit = record_time_limit(self.context.spec.control)
        return until if limit is None else min(until, limit - 1)

    def _write_audio(self, end: int, *, partial: bool = False) -> None:
        if not self.with_audio or self.sink is None:
            return
        inputs = [(self.slot.audio, 0.0)]
        end = self.context.audio_end(end)
        while self.mixer.position + BLOCK_SAMPLES <= end or (partial and self.mixer.position < end):
            start = self.mixer.position
            samples = self.mixer.mix(inputs, min(BLOCK_SAMPLES, end - start))
            self.sink.write_audio(audio_frame(samples, start, self.context.sample_rate))

    def split(self, frame_number: int) -> None:
        """A new part at ``frame_number`` (for copied video the output waits for a keyframe)."""
        if self.sink is None or self.paused:
            return
        if self.remux is None and self.audio_copy is None:
            end = samples_before(frame_time(frame_number, self.context.fps), self.context.sample_rate)
            self._write_audio(end, partial=True)
        self.sink.split()

    def close(self, end_frame: int) -> None:
        if self.sink is None:
            return
        try:
            if not self.paused:
                end_time = frame_time(end_frame, self.context.fps)
                if self.remux is not None or self.audio_copy is not None:
                    self._write_packets(end_time - 1)
                if self.audio_copy is None:
                    self._write_audio(samples_before(end_time, self.context.sample_rate), partial=True)
        finally:
            self._finish_sink()

    def last_picture(self) -> NDArray[np.uint8] | None:
        if self._last_item is None:
            return None
        return np.asarray(self._last_item.frame.to_ndarray(format="rgb24"), dtype=np.uint8)


def _announced_size(info: SourceInfo) -> Size | None:
    return (info.width, info.height) if info.width and info.height else None


def _cut_time(item: PacketItem) -> int:
    """Where a video packet falls among the audio packets: a keyframe (which may start a part)
    at its presentation time, others at their decode time."""
    return item.time if item.keyframe else _decode_time(item)


def _decode_time(item: PacketItem) -> int:
    packet = item.packet
    if packet.dts is None or packet.time_base is None:
        return item.time
    return to_microseconds(packet.dts, packet.time_base)
