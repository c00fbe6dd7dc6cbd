"""HLS: a folder per output with ``index.m3u8`` and its segments (SPEC §8).

- **Segments**: MPEG-TS (``segment_00000.ts``) for H.264 and audio-only outputs, playable
  everywhere; fragmented MP4 (``init.mp4`` + ``segment_00000.m4s``, tag ``hvc1``) for HEVC,
  because Apple players accept HEVC in HLS only in fMP4.
- **Duration**: target 4 s (``HLS_SEGMENT_SECONDS``). A segment can only start on a
  keyframe: FFmpeg cuts at the first keyframe at or after each multiple of 4 s of the
  output. With VideoGop 1, 2 or 4 every segment is exactly 4 s; with 3 they run 6, 3, 3,
  6, ... s (never more than 4 s + one GOP) and with 5 every segment is 5 s. The playlist's
  ``#EXT-X-TARGETDURATION`` states the longest.
- **Playlist**: ``#EXT-X-PLAYLIST-TYPE:EVENT`` while recording (FFmpeg rewrites it after
  every segment, atomically through a temporary file), every segment kept
  (``hls_list_size 0``); at the end ``#EXT-X-ENDLIST`` and the type becomes ``VOD``.
- **Segment events**: PyAV has no callback for a finished segment. FFmpeg writes each
  segment under a temporary name (``hls_flags temp_file``), renames it when complete, and
  only then lists it in the playlist. So after muxing a packet that can start a segment (a
  video keyframe, or any audio packet of an audio-only output) the playlist's size and
  modification time are checked (one ``stat``), and when it changed, the segments listed
  for the first time are announced as ``SegmentFinished``. With EnableSyncUpload the output
  is written straight into its final folder (its ``{Duration}`` is 0, so the key is known
  from the start) and segments are announced; otherwise the folder is written under
  ``.incomplete/`` and moved to its key at the end, and there is nothing to announce.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from recorder.engine.output.muxers.base import (
    HEVC_MP4_TAG,
    ContainerMuxer,
    FinishJob,
    MediaKind,
    MuxInputs,
    PacketTiming,
    nothing_to_finish,
)
from recorder.engine.output.muxers.finish import finish_output
from recorder.engine.output.muxers.target import PartTarget
from recorder.engine.output.naming import HLS_PLAYLIST_NAME, object_key, spool_path
from recorder.engine.outputs_api import HLS_SEGMENT_SECONDS, OutputEvent, SegmentFinished
from recorder.engine.spec import FileFormat

if TYPE_CHECKING:
    from recorder.engine.output.encoders.stream import MediaPacket

TS_SEGMENT_PATTERN: Final = "segment_%05d.ts"
FMP4_SEGMENT_PATTERN: Final = "segment_%05d.m4s"
FMP4_INIT_NAME: Final = "init.mp4"
EVENT_TYPE_LINE: Final = "#EXT-X-PLAYLIST-TYPE:EVENT"
VOD_TYPE_LINE: Final = "#EXT-X-PLAYLIST-TYPE:VOD"
MAP_TAG: Final = "#EXT-X-MAP:"


class HlsMuxer(ContainerMuxer):
    def __init__(self, target: PartTarget, inputs: MuxInputs, *, sync_upload: bool) -> None:
        fmp4 = inputs.video is not None and inputs.video_codec == "h265"
        self.sync_upload = sync_upload
        self.final_key: str | None = None
        if sync_upload:
            self.final_key = object_key(target.naming, FileFormat.HLS, duration_ms=0, suffix=target.suffix)
            playlist = spool_path(target.spool_dir, self.final_key)
        else:
            playlist = target.temporary_path("hls") / HLS_PLAYLIST_NAME
        folder = playlist.parent
        options = {
            "hls_time": str(HLS_SEGMENT_SECONDS),
            "hls_list_size": "0",
            "hls_playlist_type": "event",
            "hls_flags": "temp_file+independent_segments",
            "hls_segment_type": "fmp4" if fmp4 else "mpegts",
            "hls_segment_filename": str(folder / (FMP4_SEGMENT_PATTERN if fmp4 else TS_SEGMENT_PATTERN)),
        }
        if fmp4:
            options["hls_fmp4_init_filename"] = FMP4_INIT_NAME
        super().__init__(
            FileFormat.HLS,
            target,
            playlist,
            inputs,
            muxer_name="hls",
            options=options,
            video_tag=HEVC_MP4_TAG if fmp4 else None,
        )
        self._announced: set[str] = set()
        self._playlist_stamp: tuple[int, int] | None = None
        self._may_have_cut = False

    def write(self, kind: MediaKind, packet: MediaPacket, timing: PacketTiming) -> None:
        super().write(kind, packet, timing)
        if packet.is_keyframe and (kind == "video" or not self.carries("video")):
            self._may_have_cut = True

    def poll(self) -> list[OutputEvent]:
        if not self._may_have_cut or not self.sync_upload:
            return []
        self._may_have_cut = False
        return self._new_segments()

    def close(self) -> tuple[list[OutputEvent], FinishJob]:
        self.container.close()
        if not self.packets_written:
            _remove_folder(self.path.parent)
            return [], nothing_to_finish
        events = self._new_segments() if self.sync_upload else []
        mark_finished(self.path)
        return events, self.finish

    def finish(self) -> list[OutputEvent]:
        return finish_output(
            self.target, FileFormat.HLS, self.path, fallback=self.fallback_facts(), final_key=self.final_key
        )

    def _new_segments(self) -> list[OutputEvent]:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return []  # no segment finished yet
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp == self._playlist_stamp:
            return []
        self._playlist_stamp = stamp
        events: list[OutputEvent] = []
        folder_key = (self.final_key or "").rpartition("/")[0]
        for name in listed_files(self.path.read_text(encoding="utf-8")):
            if name in self._announced:
                continue
            self._announced.add(name)
            events.append(
                SegmentFinished(
                    file_format=FileFormat.HLS,
                    segment_path=self.path.parent / name,
                    playlist_path=self.path,
                    object_key=f"{folder_key}/{name}",
                )
            )
        return events


def listed_files(playlist_text: str) -> list[str]:
    """The files a media playlist refers to, in order: the init segment, then segments."""
    names: list[str] = []
    for raw_line in playlist_text.splitlines():
        line = raw_line.strip()
        if line.startswith(MAP_TAG) and 'URI="' in line:
            names.append(line.split('URI="', 1)[1].split('"', 1)[0])
        elif line and not line.startswith("#"):
            names.append(line)
    return names


def mark_finished(playlist: Path) -> None:
    """Turn the finished EVENT playlist into a VOD one (FFmpeg already wrote ENDLIST)."""
    text = playlist.read_text(encoding="utf-8")
    updated = text.replace(EVENT_TYPE_LINE, VOD_TYPE_LINE)
    if updated == text:
        return
    temporary = playlist.with_name(f"{playlist.name}.vod")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(playlist)


def _remove_folder(folder: Path) -> None:
    for item in folder.iterdir():
        item.unlink()
    folder.rmdir()
