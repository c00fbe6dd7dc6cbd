"""Audio normalised where it enters: resampled to the task's format, placed on sample positions.

Every source's audio is converted once, on its own thread, to float planar at the task's
AudioSampleRate and AudioChannels (``av.AudioResampler``). Its position on the task timeline
comes from its task time; consecutive frames are written back to back unless their timestamps
disagree with that by more than ``SNAP_TOLERANCE_US`` (timestamp jitter and resampler delay
would otherwise leave one-sample gaps and clicks). A larger disagreement is a real gap
(silence) or overlap (samples dropped) - which is how a drift re-alignment reaches the audio.
"""

from __future__ import annotations

import logging
from typing import Final

import av
import numpy as np

from recorder.engine.media.clock import US_PER_SECOND
from recorder.engine.media.sources.items import AudioItem

logger = logging.getLogger(__name__)

# Below the drift threshold (60 ms), so a drift re-alignment always shows as a gap or overlap.
SNAP_TOLERANCE_US: Final = 30_000


class AudioIntake:
    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self._resampler: av.AudioResampler | None = None
        self._next_position: int | None = None

    def reset(self) -> None:
        """A new session of the source: new resampler, no continuity with what came before."""
        self._resampler = None
        self._next_position = None

    @property
    def next_position(self) -> int | None:
        return self._next_position

    def push(self, frame: av.AudioFrame, task_time: int | None) -> list[AudioItem]:
        """Resample ``frame`` (which starts at ``task_time``; None: right after the last one)."""
        converted = self._resample(frame)
        if not converted:
            return []
        if task_time is not None:
            expected = round(task_time * self.sample_rate / US_PER_SECOND)
            snap = SNAP_TOLERANCE_US * self.sample_rate // US_PER_SECOND
            if self._next_position is None or abs(expected - self._next_position) > snap:
                self._next_position = expected
        if self._next_position is None:
            return []  # no timestamp yet: cannot be placed
        items = []
        for out in converted:
            samples = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(self.channels, -1)
            items.append(AudioItem(self._next_position, samples))
            self._next_position += samples.shape[1]
        return items

    def _resample(self, frame: av.AudioFrame) -> list[av.AudioFrame]:
        frame.pts = None  # positions come from task time, not from the resampler
        if self._resampler is None:
            self._resampler = self._new_resampler()
        try:
            return self._resampler.resample(frame)
        except ValueError:
            # The source changed its sample format, rate or layout mid-stream.
            logger.info("audio format changed mid-stream; new resampler")
            self._resampler = self._new_resampler()
            return self._resampler.resample(frame)

    def _new_resampler(self) -> av.AudioResampler:
        layout = "mono" if self.channels == 1 else "stereo"
        return av.AudioResampler(format="fltp", layout=layout, rate=self.sample_rate)
