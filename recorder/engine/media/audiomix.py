"""The audio mix (SPEC §6): every recorded stream summed at exact sample positions.

Streams are already resampled to the task's rate and channels where they enter (the source
thread). The mixer pulls fixed blocks; each stream is panned by its ``AudioInput.pan`` from the
layout plan (MediaType 2 regions are not in the plan's audio list), the streams are summed,
and the limiter keeps the sum from clipping. Output sample ``k`` is at task time
``k / sample_rate``: the output pts is the sample number.

Pan uses a balance law: centre is unity gain on both channels (an unpanned voice is not
attenuated); towards one side the other channel is turned down linearly, to silence at
+/-1. A mono task ignores pan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray

from recorder.engine.media.audiobuffer import AudioBuffer
from recorder.engine.media.limiter import PeakLimiter

BLOCK_SAMPLES: Final = 1024  # one AAC frame; the output re-chunks anyway


def pan_gains(pan: float) -> tuple[float, float]:
    """(left, right) gains for ``pan`` in [-1, +1]."""
    pan = max(-1.0, min(1.0, pan))
    return (min(1.0, 1.0 - pan), min(1.0, 1.0 + pan))


class AudioMixer:
    def __init__(self, sample_rate: int, channels: int, *, limit: bool = True) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.position = 0  # the next output sample
        self.limiter = PeakLimiter(sample_rate) if limit else None

    @property
    def lookahead(self) -> int:
        return 0 if self.limiter is None else self.limiter.lookahead

    def mix(self, inputs: Sequence[tuple[AudioBuffer, float]], count: int) -> NDArray[np.float32]:
        """The next ``count`` samples, ``(channels, count)`` float32; advances ``position``."""
        span = count + self.lookahead
        total = np.zeros((self.channels, span), dtype=np.float32)
        for buffer, pan in inputs:
            samples = buffer.read(self.position, span)
            if samples is None:
                continue
            if pan and self.channels == 2:
                left, right = pan_gains(pan)
                samples = samples * np.array([[left], [right]], dtype=np.float32)
            total += samples
        self.position += count
        if self.limiter is None:
            return np.clip(total[:, :count], -1.0, 1.0)
        return self.limiter.process(total, count)

    def skip_to(self, position: int) -> None:
        """Start at ``position`` (single-stream files start at their stream's first media)."""
        self.position = position
