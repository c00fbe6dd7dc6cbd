"""A look-ahead peak limiter: the summed mix never clips and its level does not pump.

For every sample the gain needed to keep the peak (over channels: the gain is linked, so
panning is kept) at ``CEILING`` is known in advance (the mixer reads ``LOOKAHEAD_SECONDS``
ahead). The applied gain is that need's minimum over a window reaching ``HOLD_SECONDS`` back
and ``LOOKAHEAD_SECONDS`` ahead, averaged over the look-ahead length:

- every averaged term's window contains the sample itself, so the gain is never above what
  the sample needs: no overshoot, no clipping (a final clip to [-1, 1] is only a guard);
- the average turns each gain change into a linear ramp over the look-ahead (5 ms):
  no clicks;
- the hold keeps the gain steady through the dips of a waveform (down to 20 Hz) and between
  syllables, so a loud passage is turned down evenly rather than pumped.

A signal that never exceeds the ceiling passes untouched (gain exactly 1).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

CEILING: Final = 10 ** (-0.3 / 20)  # -0.3 dBFS: headroom for the AAC encoder's overshoot
LOOKAHEAD_SECONDS: Final = 0.005
HOLD_SECONDS: Final = 0.05
_TINY: Final = 1e-12


def sliding_min(values: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """``out[i] = min(values[i : i + window])`` for every full window (van Herk/Gil-Werman)."""
    count = len(values) - window + 1
    padded = np.concatenate([values, np.full((-len(values)) % window, np.inf)])
    blocks = padded.reshape(-1, window)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[:count], prefix[window - 1 : window - 1 + count])


class PeakLimiter:
    def __init__(self, sample_rate: int) -> None:
        self.lookahead = max(1, round(LOOKAHEAD_SECONDS * sample_rate))
        self.hold = round(HOLD_SECONDS * sample_rate)
        # Gain needs of the samples before the current block: the hold and the average reach back.
        self._history = np.ones(self.lookahead - 1 + self.hold, dtype=np.float64)
        self.min_gain = 1.0  # the deepest reduction so far (for tests and progress)

    def process(self, signal: NDArray[np.float32], count: int) -> NDArray[np.float32]:
        """Limit the first ``count`` samples of ``signal``, which holds ``lookahead`` more after them."""
        if signal.shape[1] != count + self.lookahead:
            raise ValueError(f"expected {count} samples and {self.lookahead} of look-ahead")
        peak = np.abs(signal).max(axis=0).astype(np.float64)
        need = np.minimum(1.0, CEILING / np.maximum(peak, _TINY))
        needs = np.concatenate([self._history, need])
        self._history = needs[count : count + len(self._history)]
        if needs.min() >= 1.0:
            return signal[:, :count]
        held = sliding_min(needs, self.hold + self.lookahead)
        sums = np.concatenate([[0.0], np.cumsum(held)])
        gain = (sums[self.lookahead : self.lookahead + count] - sums[:count]) / self.lookahead
        self.min_gain = min(self.min_gain, float(gain.min()))
        limited = signal[:, :count] * gain.astype(np.float32)
        clipped: NDArray[np.float32] = np.clip(limited, -1.0, 1.0)  # a guard: never reached
        return clipped
