"""The output side of a recording: encode once, mux to every requested format, name and
finish the files (``recorder.engine.outputs_api`` is the contract). Nothing here imports
Django.

``open_outputs`` is the ``OutputFactory``; ``default_video_bitrate_kbps`` resolves
VideoBitrate 0.

Layout, and where each decision is written down:

- ``sink.py``: ``OutputSink``: lazily opened parts, where a split cuts, events delivered on
  the caller's thread.
- ``part.py``: one part: its encoders and muxers, rebasing onto the part's own timeline.
- ``plan.py``: which format carries what (video formats in an audio-only task hold just the
  AAC track; outputs with nothing to carry, and FLV+HEVC without enhanced FLV, are skipped
  with a warning).
- ``encoders/``: ``video.py`` (x264 veryfast / x265 ultrafast, measured; VBV-capped ABR;
  exact closed GOPs), ``audio.py`` (AAC LC and the HE-AAC fallback, MP3, Opus at 48 kHz with
  the requested rate in the OpusHead, PCM; FIFO re-chunking), ``bitrate.py`` (the default
  bitrate curve), ``remux.py`` (copied video), ``stream.py`` (why encoders live in a ``null``
  container).
- ``muxers/``: ``mp4.py`` (fragmented while recording, ``FileOpened``, made progressive at
  the end), ``mp4_layout.py`` (``FragmentScanner``: the payload of a growing fragmented file;
  ``write_progressive``: fragmented to progressive in place, a header inserted in front),
  ``file_ranges.py`` (inserting a range into a file without copying it),
  ``mp4_fragments.py`` (fragments read), ``mp4_samples.py`` (into per-track sample tables),
  ``mp4_moov.py`` (the progressive ``moov``: sample tables, durations, edit lists,
  ``stco``/``co64``), ``mp4_boxes.py`` (box reader and writer); ``hls.py`` (TS or
  fMP4 segments, keyframe cuts, segment detection), ``flv.py`` (enhanced FLV for HEVC),
  ``audio_files.py``; ``target.py`` (temporary names under ``.incomplete/``, ``output_id``),
  ``finish.py`` (probe, name, move).
- ``naming.py``: object keys (SPEC §8) and path safety. ``probe.py``: file info read back.
- ``finisher.py``: finishing (the progressive MP4 rewrite, probing) on a background thread.
"""

from __future__ import annotations

from recorder.engine.output.encoders import default_video_bitrate_kbps
from recorder.engine.output.sink import RecordingOutputs, open_outputs

__all__ = ["RecordingOutputs", "default_video_bitrate_kbps", "open_outputs"]
