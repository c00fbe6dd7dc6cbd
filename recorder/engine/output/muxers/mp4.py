"""MP4 and M4A: fragmented while recording, rewritten with the index first when finished.

While recording, the file is a fragmented MP4: a fragment at every keyframe and at least
every second (``frag_duration``), each flushed to the OS at once (``flush_packets``), so a
recorder killed mid-way leaves a file that plays up to its last fragment: at most about one
second plus the muxer's interleaving queue is lost (SPEC §8 allows 2 s). ``delay_moov``
writes the initial ``moov`` with the first fragment instead of at open, once the first
timestamps are known: that is what lets it carry edit lists, so B-frame reordering and the
AAC encoder delay do not shift video against audio (without it the fragmented file starts
each track at its own first dts and the tracks drift apart by the reorder delay).

When the part is finished, the fragments are copied (stream copy, no re-encode) into a
regular MP4 with ``+faststart``: ``moov`` before ``mdat``, so a browser plays it while it
downloads. If that copy fails the fragmented file is delivered instead (it plays too) with
a warning. The copy needs the file's size again in free spool space for a moment.

M4A is the same with audio only, through the ``ipod`` muxer (brand ``M4A``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import av

from recorder.engine.output.muxers.base import HEVC_MP4_TAG, ContainerMuxer, MuxInputs
from recorder.engine.output.muxers.target import PartTarget
from recorder.engine.outputs_api import OutputEvent, OutputWarning
from recorder.engine.spec import FileFormat

FRAGMENTED_MOVFLAGS: Final = "frag_keyframe+empty_moov+delay_moov+default_base_moof"
MAX_FRAGMENT_MICROSECONDS: Final = 1_000_000
FASTSTART_MOVFLAGS: Final = "+faststart"
_MUXERS: Final = {FileFormat.MP4: ("mp4", "mp4"), FileFormat.M4A: ("ipod", "m4a")}


class Mp4Muxer(ContainerMuxer):
    def __init__(self, file_format: FileFormat, target: PartTarget, inputs: MuxInputs) -> None:
        muxer_name, extension = _MUXERS[file_format]
        self.extension = extension
        options = {
            "movflags": FRAGMENTED_MOVFLAGS,
            "frag_duration": str(MAX_FRAGMENT_MICROSECONDS),
            "flush_packets": "1",
        }
        super().__init__(
            file_format,
            target,
            target.temporary_path(f"fragmented.{extension}"),
            inputs,
            muxer_name=muxer_name,
            options=options,
            with_video=file_format is FileFormat.MP4,
            video_tag=HEVC_MP4_TAG if inputs.video_codec == "h265" else None,
        )

    def finalised_file(self) -> tuple[Path, list[OutputEvent]]:
        destination = self.target.temporary_path(self.extension)
        try:
            copy_with_index_first(self.path, destination, self.muxer_name, self.video_tag)
        except (av.FFmpegError, OSError, ValueError) as error:
            destination.unlink(missing_ok=True)
            warning = OutputWarning(
                f"{self.file_format.value} could not be rewritten with its index first ({error}); "
                "delivered as fragmented MP4"
            )
            return self.path, [warning]
        self.path.unlink()
        return destination, []


def copy_with_index_first(source: Path, destination: Path, muxer_name: str, video_tag: str | None) -> None:
    """Stream-copy ``source`` into a regular MP4 whose ``moov`` precedes ``mdat``."""
    with (
        av.open(str(source)) as reader,
        av.open(str(destination), "w", format=muxer_name, options={"movflags": FASTSTART_MOVFLAGS}) as writer,
    ):
        copied = [*reader.streams.video, *reader.streams.audio]
        targets = {}
        for stream in copied:
            target = writer.add_stream_from_template(stream)
            if stream.type == "video" and video_tag is not None:
                target.codec_context.codec_tag = video_tag
            targets[stream.index] = target
        for packet in reader.demux(copied):
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            packet.stream = targets[packet.stream_index]
            writer.mux(packet)
