"""Single-stream recording (RecordMode 1): one set of files per recorded stream.

Writers come and go with the room: a stream that starts being recorded gets a writer (its
file starts at its first media); an unpublished stream's files are finished at once; a stream
whose source ended is finished once its last media has been written.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recorder.engine.layout import StreamKey
from recorder.engine.media.clock import frame_time
from recorder.engine.media.pipeline.context import RecordingContext
from recorder.engine.media.pipeline.stream_writer import StreamWriter
from recorder.engine.media.room import StreamSlot
from recorder.engine.outputs_api import StreamLabel


class SingleStreamProducer:
    def __init__(self, context: RecordingContext) -> None:
        self.context = context
        self.writers: dict[StreamKey, StreamWriter] = {}
        self._frame_number = 0
        self._closed_video_bytes = 0  # of writers already finished

    def refresh(self) -> None:
        context = self.context
        spec = context.spec
        recorded = context.room.recorded(spec)
        current = {slot.key: slot for slot in recorded}
        now = frame_time(self._frame_number, context.fps)
        for key, writer in list(self.writers.items()):
            slot = current.get(key)
            if slot is writer.slot:
                continue
            finished = writer.slot.last_media_time is None or writer.slot.last_media_time < now
            if slot is not None or not writer.slot.ended or finished:
                writer.close(self._frame_number)
                self._closed_video_bytes += writer.video_bytes
                del self.writers[key]
        indexes = {ref.key: ref.index for ref in spec.target_streams}
        for position, slot in enumerate(recorded):
            if slot.key not in self.writers:
                label = StreamLabel(slot.key[0], slot.key[1], indexes.get(slot.key, position))
                self.writers[slot.key] = StreamWriter(context, slot, label)

    def produce(self, frame_number: int, *, late: bool) -> bool:
        self._frame_number = frame_number
        wrote = [writer.tick(frame_number) for writer in self.writers.values()]
        self._frame_number = frame_number + 1
        return any(wrote)

    def split(self, frame_number: int) -> None:
        for writer in self.writers.values():
            writer.split(frame_number)

    def close(self, end_frame: int) -> None:
        errors = []
        for writer in self.writers.values():
            try:
                writer.close(end_frame)
            except Exception as error:  # finish every other stream's files first
                errors.append(error)
            self._closed_video_bytes += writer.video_bytes
        self.writers.clear()
        if errors:
            raise errors[0]

    def last_picture(self) -> NDArray[np.uint8] | None:
        for writer in self.writers.values():
            picture = writer.last_picture()
            if picture is not None:
                return picture
        return None

    def video_bytes(self) -> int:
        return self._closed_video_bytes + sum(writer.video_bytes for writer in self.writers.values())

    @property
    def slots(self) -> list[StreamSlot]:
        return [writer.slot for writer in self.writers.values()]
