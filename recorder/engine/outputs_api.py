"""The contract between the recording pipeline (decode, align, composite, mix) and the output
side (encode once, mux to every requested format, name and finalise files).

The pipeline hands over frames already on the task timeline:

- video: ``av.VideoFrame`` with ``pts`` = output frame number and ``time_base`` = 1/fps; any pixel
  format (the output converts to the encoder's), size equal to ``VideoOutput.width/height``.
- audio: ``av.AudioFrame`` with ``pts`` = sample number at ``AudioOutput.sample_rate`` and
  ``time_base`` = 1/sample_rate; format ``fltp`` with ``AudioOutput.channels`` channels; any
  number of samples per frame (the output re-chunks for its encoders).
- remuxed video (single-stream copy of an H.264/HEVC source): ``av.Packet`` with ``pts``/``dts``
  already rebased to the task timeline in ``RemuxVideo.time_base``.
- copied audio (single-stream copy of an AAC source): ``av.Packet`` of raw AAC (no ADTS header),
  one 1024-sample frame each, ``pts`` = ``dts`` = its first sample on the task timeline at
  ``RemuxAudio.sample_rate`` (``time_base`` 1/sample_rate); the stream's parameters are
  ``RemuxAudio``'s for the whole output (other parameters need another output).

Timestamps must increase; a gap in audio samples is filled with silence by the pipeline, not
by the output. Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from recorder.engine.spec import AudioProfile, FileFormat, FileNameSpec, RecordMode, StreamType, VideoCodec

if TYPE_CHECKING:
    import av

DEFAULT_SPLIT_SECONDS = 4 * 60 * 60  # SPEC §7: files are split every 4 hours (a setting)
HLS_SEGMENT_SECONDS = 4  # SPEC §8: HLS target segment duration


@dataclass(frozen=True)
class VideoOutput:
    width: int
    height: int
    fps: int
    bitrate_kbps: int  # resolved: never 0 here (0 in the request means "choose from size and fps")
    codec: VideoCodec
    gop_seconds: int


@dataclass(frozen=True)
class RemuxVideo:
    """Copy a source's compressed video instead of encoding (single-stream, SPEC §7)."""

    codec_name: Literal["h264", "hevc"]
    width: int
    height: int
    time_base: Fraction
    extradata: bytes  # the source's codec extradata (avcC/hvcC or Annex B parameter sets)


@dataclass(frozen=True)
class RemuxAudio:
    """Copy a source's AAC LC audio instead of encoding (single-stream remux, SPEC §7)."""

    sample_rate: int
    channels: int  # 1 or 2
    extradata: bytes  # the AudioSpecificConfig

    @property
    def time_base(self) -> Fraction:
        return Fraction(1, self.sample_rate)


@dataclass(frozen=True)
class AudioOutput:
    sample_rate: int
    channels: int
    bitrate_kbps: int
    profile: AudioProfile  # AAC profile asked for; the output reports what it really used
    opus_bitrate_bps: int = 0  # the Opus encode's exact bitrate; 0 = bitrate_kbps x 1000


@dataclass(frozen=True)
class StreamLabel:
    """A recorded stream as RecordFileList's StreamList names it."""

    user_id: str
    stream_type: StreamType
    index: int


@dataclass(frozen=True)
class NamingContext:
    """What SPEC §8's object-key pattern may refer to."""

    task_id: str
    room_id: str
    record_mode: RecordMode
    start_time_ms: int  # task start, Unix ms ({StartTime})
    file_name: FileNameSpec
    sync_upload: bool  # EnableSyncUpload: {Duration} is 0
    user_id: str = ""  # single-stream: the stream's user ({UserId})
    stream_type: StreamType | None = None  # single-stream: {Type} C/S; None for mixed (M)
    clock_start_ms: int | None = None  # Unix ms of task time 0 when it is not start_time_ms


@dataclass(frozen=True)
class OutputConfig:
    formats: tuple[FileFormat, ...]
    video: VideoOutput | None  # None: audio-only task (or a stream without video)
    audio: AudioOutput | None  # None: a stream without audio
    naming: NamingContext
    streams: tuple[StreamLabel, ...]  # listed in each file's info
    spool_dir: Path  # files are written here, under their object key
    split_seconds: int = DEFAULT_SPLIT_SECONDS
    remux_video: RemuxVideo | None = None  # instead of ``video`` for a copied stream
    remux_audio: RemuxAudio | None = None  # instead of ``audio`` for copied AAC


@dataclass(frozen=True)
class FileInfo:
    """A finished, playable file (or HLS playlist folder), read back from what was written."""

    file_format: FileFormat
    path: Path  # local path in the spool (for HLS: the index.m3u8)
    object_key: str  # key relative to the storage root (SPEC §8)
    start_time_ms: int  # Unix ms of the file's first frame
    duration_ms: int
    size_bytes: int  # HLS: playlist plus all segments
    video_codec: str  # "h264" / "h265" / ""
    audio_codec: str  # "aac" / "mp3" / "opus" / "pcm" / ""
    video_width: int
    video_height: int
    streams: tuple[StreamLabel, ...]
    audio_profile_used: AudioProfile | None = None
    output_id: str = ""  # names the output within the task (as its FileOpened did)
    # MP4/M4A written progressively: the file is a small header, then from ``payload_offset``
    # to the end (``payload_size`` bytes) every fragment's mdat payload of the fragmented file
    # it was made from, in order (``muxers.mp4_layout``). None for other files.
    payload_offset: int | None = None
    payload_size: int | None = None


@dataclass(frozen=True)
class FileOpened:
    """An MP4 or M4A output's fragmented file was started: its payload can be read while it
    grows (``muxers.mp4_layout.FragmentScanner``); the ``FileFinished`` of the same
    ``output_id`` follows (or, if finishing failed, a warning)."""

    output_id: str
    file_format: FileFormat  # MP4 or M4A
    path: Path  # the fragmented file being written
    # The key the finished file will have, when it is known already (its name has no
    # ``{Duration}``, ``naming.key_known_at_open``); None: known only at ``FileFinished``.
    object_key: str | None = None
    # What finishing the file needs besides the file itself, so that a file whose recorder was
    # killed before finishing it is finished and named by the same rules (``output.salvage``).
    naming: NamingContext | None = None
    start_time_ms: int | None = None  # Unix ms of the part's first frame
    streams: tuple[StreamLabel, ...] = ()
    type: Literal["file_opened"] = "file_opened"


@dataclass(frozen=True)
class FileNamed:
    """The key of an MP4/M4A output whose name waited for its duration, known as soon as its
    index is written and before its payload is copied into the finished file: the uploader
    starts putting the payload it already holds under that key while the file is finished.
    The ``FileFinished`` of the same ``output_id`` follows, with this key."""

    output_id: str
    object_key: str
    type: Literal["file_named"] = "file_named"


@dataclass(frozen=True)
class FileFinished:
    info: FileInfo
    type: Literal["file_finished"] = "file_finished"


@dataclass(frozen=True)
class SegmentFinished:
    """An HLS segment (and the playlist that now lists it) is complete on disk."""

    file_format: FileFormat
    segment_path: Path
    playlist_path: Path
    object_key: str  # of the segment
    type: Literal["segment_finished"] = "segment_finished"


@dataclass(frozen=True)
class OutputWarning:
    message: str  # for the task's warnings, e.g. "HE-AAC v2 unavailable: encoded AAC LC"
    type: Literal["warning"] = "warning"


OutputEvent = FileOpened | FileNamed | FileFinished | SegmentFinished | OutputWarning


class OutputSink(Protocol):
    """One encode, many muxers. Implemented by ``recorder.engine.output``."""

    def write_video(self, frame: av.VideoFrame) -> None: ...

    def write_video_packet(self, packet: av.Packet[Any]) -> None: ...

    def write_audio(self, frame: av.AudioFrame) -> None: ...

    def write_audio_packet(self, packet: av.Packet[Any]) -> None: ...

    def split(self) -> None:
        """Finish every current file (each a complete, playable part) and start new parts."""

    def close(self) -> list[FileInfo]:
        """Flush encoders, finalise every file; returns the files of the last part."""

    @property
    def video_bytes(self) -> int:
        """Compressed video produced so far (encoded or copied), over every part: each packet
        counted once, however many containers carry it (what the measured bitrate is from)."""


OutputFactory = Callable[[OutputConfig, Callable[[OutputEvent], None]], OutputSink]


@dataclass(frozen=True)
class ProgressSample:
    """Once a second from a running recording (SPEC §12 plots)."""

    output_fps: float
    video_bitrate_kbps: float  # measured: encoded video bits per media second, recent window
    dropped_frames: int  # output frames whose deadline passed before they could be produced
    media_seconds: float  # recorded so far
    stream_states: dict[str, str] = field(default_factory=dict)
