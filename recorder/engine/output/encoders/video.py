"""The one video encode of a recording: H.264 (libx264) or H.265 (libx265).

Choices, and why:

- **Preset**: x264 ``veryfast``, x265 ``ultrafast``. Measured on this project's 2-core test
  machine at 1280x720@30 with detailed moving content, 2 threads: x264 veryfast 164 fps,
  superfast 259, faster 74; x265 ultrafast 64 fps, superfast 44, veryfast 36. A recorder
  must stay real time with headroom for decoding and compositing, so x264 takes the best
  preset that still runs above 5x real time at 720p30, and x265 the only one that keeps
  about 2x at 720p30 (1080p30 HEVC on 2 cores is at the limit; admission control counts it).
- **Rate control**: average bitrate at ``bitrate_kbps`` with a VBV cap (maxrate = bitrate,
  buffer = 2 s of bitrate): close to constant on busy pictures, lower on still ones. No
  ``nal-hrd=cbr`` filler: padding a recording of a static screen to the full rate only
  wastes storage.
- **GOP**: exactly ``gop_seconds * fps`` frames, closed, no scene-cut keyframes, so
  keyframes fall exactly on GOP boundaries (HLS segments and file parts start on them).
  Frames handed in keep no picture type from a decoder (a decoded I frame would otherwise
  force an extra keyframe).
- **B-frames**: the presets' defaults (3 for x264 veryfast). Muxers get correct pts/dts;
  MP4 writes edit lists (``delay_moov``) so the video still starts at 0; FLV and MPEG-TS
  shift both tracks by the same reorder delay.
- **Threads**: one per core, at most 4: more frame threads add latency and memory but
  little speed at these sizes, and a recorder shares its machine with others.
- ``zerolatency`` is not used: a recording is not interactive, and lookahead and B-frames
  buy quality.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Final

from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter

from recorder.engine.output.encoders.stream import (
    add_video_stream,
    holder_container,
    publish_parameters,
    want_global_header,
)
from recorder.engine.outputs_api import VideoOutput
from recorder.engine.spec import VideoCodec

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

    from recorder.engine.output.encoders.stream import MediaPacket

X264_PRESET: Final = "veryfast"
X265_PRESET: Final = "ultrafast"
VBV_BUFFER_SECONDS: Final = 2
MAX_ENCODER_THREADS: Final = 4
ENCODER_PIXEL_FORMAT: Final = "yuv420p"
# libswscale's own slice threads for the conversion to the encoder's format: one. Its output
# is the same either way; more threads save wall time but cost ~17 % more CPU at 720p (the
# hand-offs), and the encoder's threads and the sources' already fill the cores.
CONVERSION_THREADS: Final = 1


@dataclass(frozen=True)
class VideoCodecSetup:
    encoder: str  # FFmpeg encoder name
    codec_name: str  # what FileInfo reports
    options: dict[str, str]


def encoder_threads() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_ENCODER_THREADS))


def codec_setup(video: VideoOutput) -> VideoCodecSetup:
    gop_frames = video.gop_seconds * video.fps
    rate = f"{video.bitrate_kbps}k"
    buffer = f"{video.bitrate_kbps * VBV_BUFFER_SECONDS}k"
    if video.codec is VideoCodec.BYTEVC1:
        params = ":".join(
            [
                f"keyint={gop_frames}",
                f"min-keyint={gop_frames}",
                "scenecut=0",
                "open-gop=0",  # x265 defaults to open GOPs; a part must start decodable
                f"vbv-maxrate={video.bitrate_kbps}",
                f"vbv-bufsize={video.bitrate_kbps * VBV_BUFFER_SECONDS}",
                "log-level=error",  # x265 prints a banner per encoder otherwise
            ]
        )
        return VideoCodecSetup("libx265", "h265", {"preset": X265_PRESET, "x265-params": params})
    params = f"keyint={gop_frames}:min-keyint={gop_frames}:scenecut=0:open-gop=0"
    return VideoCodecSetup(
        "libx264",
        "h264",
        {"preset": X264_PRESET, "x264-params": params, "maxrate": rate, "bufsize": buffer},
    )


class VideoEncoder:
    """Frames on the part's timeline (pts = frame number) in, compressed packets out."""

    def __init__(self, video: VideoOutput) -> None:
        self._reformatter = VideoReformatter()
        self.video = video
        self.setup = codec_setup(video)
        self._holder: OutputContainer = holder_container()
        stream = add_video_stream(self._holder, self.setup.encoder, video.fps)
        stream.width = video.width
        stream.height = video.height
        stream.pix_fmt = ENCODER_PIXEL_FORMAT
        stream.time_base = Fraction(1, video.fps)
        stream.bit_rate = video.bitrate_kbps * 1000
        stream.gop_size = video.gop_seconds * video.fps
        stream.codec_context.thread_count = encoder_threads()
        stream.codec_context.options = dict(self.setup.options)
        want_global_header(stream)
        stream.codec_context.open()
        publish_parameters(self._holder)
        self.template: VideoStream = stream
        self.frames_encoded = 0

    def add_to(self, container: OutputContainer) -> VideoStream:
        """A stream in ``container`` that carries this encode's packets."""
        return container.add_stream_from_template(self.template)

    def encode(self, frame: VideoFrame, pts: int) -> list[MediaPacket]:
        """Encode ``frame`` at ``pts`` (1/fps units); the caller's frame is left as it was."""
        picture = self._encoder_picture(frame)
        saved_pts, saved_type = picture.pts, picture.pict_type
        picture.pts = pts
        picture.pict_type = PictureType.NONE  # keyframes only where the GOP says
        try:
            packets = self.template.codec_context.encode(picture)
        finally:
            picture.pts, picture.pict_type = saved_pts, saved_type
        self.frames_encoded += 1
        return packets

    def flush(self) -> list[MediaPacket]:
        packets = self.template.codec_context.encode(None)
        self._holder.close()
        return packets

    def _encoder_picture(self, frame: VideoFrame) -> VideoFrame:
        video = self.video
        if frame.format.name == ENCODER_PIXEL_FORMAT and (frame.width, frame.height) == (
            video.width,
            video.height,
        ):
            return frame
        # One reformatter per encoder keeps its swscale context across frames (a frame's own
        # reformat() would build a new one for every new frame).
        return self._reformatter.reformat(
            frame,
            width=video.width,
            height=video.height,
            format=ENCODER_PIXEL_FORMAT,
            threads=CONVERSION_THREADS,
        )
