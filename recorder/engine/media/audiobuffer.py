"""One stream's audio, held at its sample positions on the task timeline until mixed.

Writing at a position past the end leaves a gap, which reads as silence; writing before the
end (the source was re-aligned earlier) replaces what was written from there on, as the
frame store does with video: the newest alignment is the truth, and audio and video of a
source stay together. Those are the two ways a re-alignment reaches the audio.
"""

from __future__ import annotations

from collections import deque
from typing import Final

import numpy as np
from numpy.typing import NDArray

from recorder.engine.media.sources.items import AudioItem

# A bound for a source far ahead of the mix (seconds of audio at 48 kHz in 1024-sample chunks).
MAX_CHUNKS: Final = 1000


class AudioBuffer:
    def __init__(self, channels: int) -> None:
        self.channels = channels
        self._chunks: deque[AudioItem] = deque()
        self._end: int | None = None  # one past the last sample written

    @property
    def end(self) -> int | None:
        return self._end

    @property
    def start(self) -> int | None:
        """The first sample still held (None: nothing held)."""
        return self._chunks[0].position if self._chunks else None

    def clear(self) -> None:
        """Forget everything held (the stream's audio is copied from now on)."""
        self._chunks.clear()
        self._end = None

    def write(self, item: AudioItem) -> None:
        if self._end is not None and item.position < self._end:
            self._truncate(item.position)
        self._chunks.append(item)
        self._end = item.end
        while len(self._chunks) > MAX_CHUNKS:
            self._chunks.popleft()

    def _truncate(self, position: int) -> None:
        """Forget everything from ``position`` on."""
        while self._chunks and self._chunks[-1].position >= position:
            self._chunks.pop()
        if self._chunks and self._chunks[-1].end > position:
            last = self._chunks.pop()
            self._chunks.append(AudioItem(last.position, last.samples[:, : position - last.position]))

    def read(self, start: int, count: int) -> NDArray[np.float32] | None:
        """Samples ``[start, start + count)``, silence where nothing was written; None if all silent.

        Chunks entirely before ``start`` are released: reads only move forward (the mixer
        may read the same look-ahead samples twice, never anything earlier).
        """
        while self._chunks and self._chunks[0].end <= start:
            self._chunks.popleft()
        stop = start + count
        if not self._chunks or self._chunks[0].position >= stop:
            return None
        out = np.zeros((self.channels, count), dtype=np.float32)
        for chunk in self._chunks:
            if chunk.position >= stop:
                break
            low, high = max(start, chunk.position), min(stop, chunk.end)
            if high > low:
                out[:, low - start : high - start] = chunk.samples[
                    :, low - chunk.position : high - chunk.position
                ]
        return out

    def has_audio_before(self, position: int) -> bool:
        return bool(self._chunks) and self._chunks[0].position < position
