"""The frozen, validated recording spec: what the media engine is given.

Every field has its default filled in; nothing downstream reads raw request dicts.
Field names mirror the OpenAPI (``Encode.VideoFps`` -> ``EncodeSpec.video_fps``) so a reader
can map one onto the other. This module imports nothing from Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class RecordMode(IntEnum):
    MIXED = 0
    SINGLE_STREAM = 1


class StreamType(IntEnum):
    CAMERA = 0
    SCREEN = 1


class LayoutMode(IntEnum):
    ADAPTIVE_GRID = 0
    VERTICAL = 1
    CUSTOM = 2
    SIDE_BY_SIDE = 3


class VideoCodec(IntEnum):
    H264 = 0
    BYTEVC1 = 1  # ByteVC1 is HEVC: encoded as H.265


class AudioCodec(IntEnum):
    AAC = 0


class AudioProfile(IntEnum):
    LC = 0
    HE_AAC_V1 = 1
    HE_AAC_V2 = 2


class AudioField(StrEnum):
    """An Encode audio field a request may set; a copied audio stream must agree with each one set."""

    PROFILE = "AudioProfile"
    BITRATE = "AudioBitrate"
    SAMPLE_RATE = "AudioSampleRate"
    CHANNELS = "AudioChannels"


class RenderMode(IntEnum):
    STRETCH = 0
    CROP = 1
    FIT = 2
    STRETCH_CLIENT = 3  # same pixels as STRETCH; the seed keeps both values


class RegionMediaType(IntEnum):
    AUDIO_VIDEO = 0
    AUDIO_ONLY = 1  # mixed into audio, nothing drawn
    VIDEO_ONLY = 2  # drawn, left out of the audio mix


class TaskMediaType(IntEnum):
    AUDIO_VIDEO = 0
    AUDIO_ONLY = 1


class FrameInterpolationMode(IntEnum):
    LAST_FRAME = 0
    BLACK = 1


class AlternateImageFillMode(IntEnum):
    LIKE_VIDEO = 0  # scaled the way the stream's video would be (the region's RenderMode)
    KEEP_ASPECT = 1  # fitted inside the region, aspect kept


class FileFormat(StrEnum):
    MP4 = "MP4"
    HLS = "HLS"
    FLV = "FLV"
    MP3 = "MP3"
    AAC = "AAC"
    M4A = "M4A"
    WAV = "WAV"
    PCM = "PCM"
    OPUS = "OPUS"

    @property
    def audio_only(self) -> bool:
        return self in AUDIO_ONLY_FORMATS


AUDIO_ONLY_FORMATS = frozenset(
    {FileFormat.MP3, FileFormat.AAC, FileFormat.M4A, FileFormat.WAV, FileFormat.PCM, FileFormat.OPUS}
)
# The formats that carry AAC as it is, so a source's AAC packets can be copied into them.
AAC_FORMATS = frozenset({FileFormat.MP4, FileFormat.HLS, FileFormat.FLV, FileFormat.M4A, FileFormat.AAC})


class StorageType(IntEnum):
    TOS = 0
    VOD = 1
    CUSTOM = 2


class StorageVendor(IntEnum):
    AMAZON_S3 = 0
    ALIBABA_OSS = 1
    HUAWEI_OBS = 2
    TENCENT_COS = 3
    QINIU_KODO = 4


@dataclass(frozen=True)
class StreamRef:
    """One stream of a room: ``(UserId, StreamType)`` plus the ``Index`` regions bind to."""

    user_id: str
    stream_type: StreamType = StreamType.CAMERA
    index: int = 0

    @property
    def key(self) -> tuple[str, StreamType]:
        """Identity inside a room (Index is only a label for layouts)."""
        return (self.user_id, self.stream_type)


@dataclass(frozen=True)
class EncodeSpec:
    video_width: int = 640
    video_height: int = 480
    video_fps: int = 15
    video_bitrate_kbps: int = 0  # 0 = chosen from resolution and fps
    video_codec: VideoCodec = VideoCodec.H264
    video_gop_seconds: int = 4
    audio_codec: AudioCodec = AudioCodec.AAC
    audio_profile: AudioProfile = AudioProfile.LC
    audio_bitrate_kbps: int = 128  # AAC LC stereo 48 kHz; validation fills it from profile/rate/channels
    audio_sample_rate: int = 48000
    audio_channels: int = 2
    # Single-stream only (SPEC §7): the request sent neither VideoFps nor VideoBitrate, so an
    # H.264/HEVC source may be remuxed instead of re-encoded. Always False for mixed recording.
    remux_source_video: bool = False
    # Single-stream only (SPEC §7): with remux_source_video, and every FileFormat in
    # AAC_FORMATS, a source's AAC (LC, mono or stereo) audio is copied rather than re-encoded
    # when it agrees with each audio field the request set (``audio_fields_given``: profile
    # LC, same sample rate, channels, and bitrate in kbps); otherwise it is encoded as usual.
    remux_source_audio: bool = False
    audio_fields_given: frozenset[AudioField] = frozenset()  # recorded only with remux_source_video
    # Extension (SPEC §11, system.record's encodeBitRate): the Opus encode's bitrate in bit/s,
    # exact where AudioBitrate has kbps steps and a 32 kbps floor. 0 = AudioBitrate x 1000.
    opus_bitrate_bps: int = 0


@dataclass(frozen=True)
class SourceCrop:
    """Fractions of the source frame kept before RenderMode applies."""

    x: float = 0.0
    y: float = 0.0
    width: float = 1.0
    height: float = 1.0


@dataclass(frozen=True)
class Region:
    stream_index: int
    x: int
    y: int
    width: int
    height: int
    z_order: int = 0
    alpha: float = 1.0
    render_mode: RenderMode = RenderMode.STRETCH
    source_crop: SourceCrop = field(default_factory=SourceCrop)
    alternate_image: str | None = None
    alternate_image_fill_mode: AlternateImageFillMode = AlternateImageFillMode.LIKE_VIDEO
    corner_radius: float = 0.0  # fraction of the canvas width
    media_type: RegionMediaType = RegionMediaType.AUDIO_VIDEO
    apply_spatial_audio: bool = False
    spatial_position: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class Canvas:
    width: int = 640
    height: int = 480
    background: str = "#000000"  # normalised to lower case "#rrggbb"
    background_image: str | None = None


@dataclass(frozen=True)
class CustomLayout:
    canvas: Canvas = field(default_factory=Canvas)
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True)
class LayoutSpec:
    mode: LayoutMode = LayoutMode.ADAPTIVE_GRID
    main_video_stream: StreamRef | None = None
    custom: CustomLayout | None = None  # present (defaults filled) when mode is CUSTOM


@dataclass(frozen=True)
class ControlSpec:
    media_type: TaskMediaType = TaskMediaType.AUDIO_VIDEO
    frame_interpolation_mode: FrameInterpolationMode = FrameInterpolationMode.LAST_FRAME
    max_silence_seconds: int = 3600
    max_idle_time_seconds: int = 180
    max_record_time_seconds: int = 0  # 0 = unlimited
    enable_sync_upload: bool = False
    # Extension (SPEC §11, system.record's duration): a limit in milliseconds, 0 = none. With
    # MaxRecordTime too, the earlier of the two ends the task.
    max_record_time_ms: int = 0


@dataclass(frozen=True)
class FileNameSpec:
    prefix: tuple[str, ...] = ()
    pattern: str | None = None  # None = the default pattern for the record mode


@dataclass(frozen=True)
class TosConfig:
    account_id: str
    bucket: str
    region: int = 0


@dataclass(frozen=True)
class VodConfig:
    account_id: str
    space: str
    region: int = 0
    storage_class: int = 1
    auto_set_file_extension: bool = False


@dataclass(frozen=True)
class CustomStorageConfig:
    bucket: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    vendor: StorageVendor = StorageVendor.AMAZON_S3
    region: int = 0
    security_token: str | None = field(default=None, repr=False)
    endpoint: str | None = None  # extension: any S3-compatible server
    force_path_style: bool = False  # extension


@dataclass(frozen=True)
class StorageSpec:
    type: StorageType = StorageType.TOS
    tos: TosConfig | None = None
    vod: VodConfig | None = None
    custom: CustomStorageConfig | None = None


@dataclass(frozen=True)
class RecordSpec:
    """A validated StartRecord request (and, after UpdateRecord, the task's current spec)."""

    app_id: str
    room_id: str
    task_id: str
    storage: StorageSpec
    business_id: str = ""
    record_mode: RecordMode = RecordMode.MIXED
    target_streams: tuple[StreamRef, ...] = ()  # empty = every stream in the room, now and later
    exclude_streams: tuple[StreamRef, ...] = ()
    encode: EncodeSpec = field(default_factory=EncodeSpec)
    layout: LayoutSpec = field(default_factory=LayoutSpec)
    control: ControlSpec = field(default_factory=ControlSpec)
    file_formats: tuple[FileFormat, ...] = (FileFormat.MP4,)
    file_name: FileNameSpec = field(default_factory=FileNameSpec)

    @property
    def audio_only(self) -> bool:
        return self.control.media_type is TaskMediaType.AUDIO_ONLY

    @property
    def canvas_size(self) -> tuple[int, int]:
        """Output size of a mixed recording (SPEC §6: custom canvas, else Encode size)."""
        if self.layout.mode is LayoutMode.CUSTOM and self.layout.custom is not None:
            return (self.layout.custom.canvas.width, self.layout.custom.canvas.height)
        return (self.encode.video_width, self.encode.video_height)


@dataclass(frozen=True)
class UpdateRecordSpec:
    """A validated UpdateRecord request; None = keep the running task's value."""

    app_id: str
    room_id: str
    task_id: str
    business_id: str | None = None
    target_streams: tuple[StreamRef, ...] | None = None
    layout: LayoutSpec | None = None
    # Layout.CustomLayout.Canvas.Width/Height as sent; None = not sent (keep the task's size).
    # The canvas inside ``layout`` holds the defaults in that case and is not meant to be read.
    canvas_width: int | None = None
    canvas_height: int | None = None
