"""Mixed recording (RecordMode 0): one composited video and one mixed audio track.

The layout plan is recomputed when the room or the spec changes (a stream published,
unpublished or ended, its media kinds or frame size first known, UpdateRecord, a still image
loaded) and the compositor switches to it at the next output frame: a layout change shows
within one frame (plus the pipeline latency), in the same output file. The frame each
stream shows is cropped and scaled for its placement when it is shown (``FrameScaler``),
and the compositor draws into a canvas that is handed to the output without a copy.

A plan of plain opaque rectangles (``yuv_eligible``) is composited in yuv420p by the
``YuvCompositor`` (no RGB anywhere, no colour conversion before the encoder); any other plan
by the RGB ``Compositor``. The path follows the plan, so a layout update switches it at the
next output frame; each stream's last frame is handed over for ``MissingVideo.LAST_FRAME``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

import av
import numpy as np
from numpy.typing import NDArray

from recorder.engine.layout import Compositor, Frame, LayoutPlan, LiveStream, Placement, StreamKey
from recorder.engine.layout.frames import ScaledFrame
from recorder.engine.layout.geometry import compute_placements
from recorder.engine.layout.rect import Size
from recorder.engine.layout.yuv import YUV_FORMAT, YuvCompositor, YuvFrame, as_scaled_frame, yuv_eligible
from recorder.engine.media.audiomix import BLOCK_SAMPLES, AudioMixer
from recorder.engine.media.clock import US_PER_SECOND, frame_time, samples_before
from recorder.engine.media.pipeline.context import RGBX_DIMENSIONS, CanvasFrame, RecordingContext, audio_frame
from recorder.engine.media.pipeline.output_setup import mixed_labels, video_output
from recorder.engine.media.pipeline.scaling import FrameScaler, ScaleRequest
from recorder.engine.media.room import StreamSlot
from recorder.engine.media.sources import VideoItem
from recorder.engine.media.stills import StillImages
from recorder.engine.outputs_api import OutputSink, OutputWarning

logger = logging.getLogger(__name__)

# A stream whose newest frame is older than this counts as having no video (paused camera):
# its region shows the AlternateImage or FrameInterpolationMode's choice.
VIDEO_GAP_US: Final = US_PER_SECOND


class MixedProducer:
    def __init__(self, context: RecordingContext) -> None:
        self.context = context
        spec = context.spec
        self.canvas: Size = spec.canvas_size
        self.with_video = not spec.audio_only
        self.stills = StillImages(
            context.settings.image_policy,
            on_change=context.room.wakeup.set,
            on_failure=lambda message: context.emit(OutputWarning(message)),
        )
        self.mixer = AudioMixer(context.sample_rate, context.channels)
        self._signature: object = None
        self._recorded: list[StreamSlot] = []
        self._placements: dict[StreamKey, Placement] = {}
        self._picture: NDArray[np.uint8] | None = None
        self.plan = self._compute_plan([])
        self._audio = self.plan.audio
        self.scaler = FrameScaler() if self.with_video else None
        # Frames arrive scaled (``FrameScaler``): the compositor only pastes, on this thread.
        self.compositor = (
            Compositor(self.plan, shared_canvas=True, resize_workers=0) if self.with_video else None
        )
        self.yuv_compositor: YuvCompositor | None = None
        self._canvas_frame = CanvasFrame(context.fps)
        video = video_output(spec, self.canvas) if self.with_video else None
        self.sink: OutputSink = context.open_output(
            video=video, audio=True, streams=mixed_labels(spec, context.room.published(spec))
        )

    # -- layout ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        context = self.context
        spec = context.spec
        present = context.room.present(spec)
        heard = context.room.present(spec, audio=True)
        published = context.room.published(spec)
        self._recorded = context.room.recorded(spec)
        signature = (
            tuple(present),
            tuple(heard),
            tuple(published),
            spec.layout,
            spec.target_streams,
            spec.exclude_streams,
            self.stills.version,
        )
        if signature == self._signature:
            return
        self._signature = signature
        self.plan = self._compute_plan(present)
        self._audio = self._compute_plan(heard).audio if heard != present else self.plan.audio
        self._placements = {p.stream: p for p in self.plan.placements if p.stream is not None}
        if self.compositor is not None:
            self._replan_compositor()
        if self.scaler is not None:
            self.scaler.keep_only(slot.key for slot in self._recorded)

    def _compute_plan(self, present: list[LiveStream]) -> LayoutPlan:
        spec = self.context.spec
        return compute_placements(
            spec.layout,
            self.canvas,  # the output's size never changes within a recording
            present,
            targets=spec.target_streams,
            excluded=spec.exclude_streams,
            frame_interpolation=spec.control.frame_interpolation_mode,
        )

    def _replan_compositor(self) -> None:
        assert self.compositor is not None
        plan = self.plan
        urls = [p.alternate_image.url for p in plan.placements if p.alternate_image is not None]
        if plan.background_image is not None:
            urls.append(plan.background_image)
        self.stills.want(urls)
        images = self.stills.images()
        background = images.get(plan.background_image) if plan.background_image else None
        self.compositor.replan(plan, background_image=background, alternate_images=images)
        yuv = self.yuv_compositor
        if not yuv_eligible(plan):
            if yuv is not None:
                held = yuv.last_frames()
                self.compositor.adopt_last_frames(
                    {key: as_scaled_frame(f) if isinstance(f, YuvFrame) else f for key, f in held.items()}
                )
            self.yuv_compositor = None
        elif yuv is None:
            self.yuv_compositor = YuvCompositor(plan)
            self.yuv_compositor.adopt_last_frames(self.compositor.last_frames())
        else:
            yuv.replan(plan)

    @property
    def composites_yuv(self) -> bool:
        """Whether output frames are composited on the yuv420p fast path (the current plan)."""
        return self.yuv_compositor is not None

    def _target(self, key: StreamKey) -> Placement | None:
        placement = self._placements.get(key)
        if (
            not self.with_video
            or placement is None
            or not placement.draws_video
            or placement.visible.is_empty
        ):
            return None
        return placement

    # -- per frame ------------------------------------------------------------------------------

    def produce(self, frame_number: int, *, late: bool) -> bool:
        context = self.context
        if self.compositor is not None:
            task_time = frame_time(frame_number, context.fps)
            picture = self._picture
            if late and picture is not None:
                self._frames_at(task_time, scale=False)  # the stores move on; the picture repeats
            else:
                picture = self._picture = self._compose(self._frames_at(task_time, scale=True))
            self.sink.write_video(self._canvas_frame.at(picture, frame_number))
        self._write_audio(samples_before(frame_time(frame_number + 1, context.fps), context.sample_rate))
        return True

    def _compose(self, frames: Mapping[StreamKey, ScaledFrame | YuvFrame | None]) -> NDArray[np.uint8]:
        """The canvas of this tick: yuv420p ``(height * 3 / 2, width)`` or RGBX."""
        if self.yuv_compositor is not None:
            shown = {key: frame if isinstance(frame, YuvFrame) else None for key, frame in frames.items()}
            return self.yuv_compositor.compose(shown).buffer
        assert self.compositor is not None
        rgb: dict[StreamKey, Frame | None] = {
            key: None if isinstance(frame, YuvFrame) else frame for key, frame in frames.items()
        }
        return self.compositor.compose_rgbx(rgb)

    def _frames_at(self, task_time: int, *, scale: bool) -> Mapping[StreamKey, ScaledFrame | YuvFrame | None]:
        """Each region's frame at ``task_time``; the stores move on even when nothing is drawn
        (``scale`` False: a late tick repeats the last picture, so nothing is scaled)."""
        frames: dict[StreamKey, ScaledFrame | YuvFrame | None] = {}
        requests: list[ScaleRequest] = []
        yuv = self.composites_yuv
        items: dict[StreamKey, tuple[VideoItem, Placement]] = {}
        for slot in self._recorded:
            item = slot.frames.frame_at(task_time)
            placement = self._target(slot.key)
            if placement is None:
                continue
            if item is None or task_time - item.time > VIDEO_GAP_US:
                frames[slot.key] = None
            elif (
                item.scaled_for is not None
                and isinstance(item.scaled, YuvFrame) == yuv
                and _same_scaling(item.scaled_for, placement)
            ):
                frames[slot.key] = item.scaled  # shown again: scaled already
            else:
                requests.append((slot.key, item.frame, placement))
                items[slot.key] = (item, placement)
        if scale and requests and self.scaler is not None:
            for key, scaled in self.scaler.scale(requests, yuv=yuv).items():
                item, placement = items[key]
                item.scaled, item.scaled_for = scaled, placement
                frames[key] = scaled
        return frames

    def _write_audio(self, end: int, *, partial: bool = False) -> None:
        inputs = []
        for audio in self._audio:
            slot = self.context.room.slot(audio.stream)
            if slot is not None and slot in self._recorded:
                inputs.append((slot.audio, audio.pan))
        mixer = self.mixer
        end = self.context.audio_end(end)
        while mixer.position + BLOCK_SAMPLES <= end or (partial and mixer.position < end):
            start = mixer.position
            count = min(BLOCK_SAMPLES, end - start)
            self.sink.write_audio(audio_frame(mixer.mix(inputs, count), start, self.context.sample_rate))

    def split(self, frame_number: int) -> None:
        # The audio is cut exactly where the video is (the output starts the new part there).
        end = samples_before(frame_time(frame_number, self.context.fps), self.context.sample_rate)
        self._write_audio(end, partial=True)
        self.sink.split()

    def close(self, end_frame: int) -> None:
        try:
            end = samples_before(frame_time(end_frame, self.context.fps), self.context.sample_rate)
            self._write_audio(end, partial=True)
        finally:
            self.sink.close()
            self.stills.close()
            if self.compositor is not None:
                self.compositor.close()
            if self.scaler is not None:
                self.scaler.close()

    def last_picture(self) -> NDArray[np.uint8] | None:
        """The last composited picture as RGB: a view of the RGBX canvas, valid until the next
        tick, or converted from the yuv420p canvas (only thumbnails, every few seconds, ask)."""
        picture = self._picture
        if picture is None or picture.ndim == RGBX_DIMENSIONS:
            return None if picture is None else picture[..., :3]
        rgb = av.VideoFrame.from_numpy_buffer(picture, format=YUV_FORMAT).to_ndarray(format="rgb24")
        return np.asarray(rgb, dtype=np.uint8)

    def video_bytes(self) -> int:
        return self.sink.video_bytes


def _same_scaling(a: Placement, b: Placement) -> bool:
    """Whether frames scaled for ``a`` fit ``b`` (the plan's cached fit is not compared)."""
    return a is b or (a.rect == b.rect and a.render_mode == b.render_mode and a.source_crop == b.source_crop)
