"""Audio-only files: MP3, AAC (ADTS), WAV, raw PCM and Ogg Opus.

Each is one container holding the audio encode of its codec (MP3: libmp3lame, AAC: the
shared AAC encode, WAV and PCM: pcm_s16le, OPUS: libopus). The WAV muxer seeks back at the
end to write the final RIFF and data sizes; ``rf64=auto`` switches to RF64 only if a part
passes 4 GiB. PCM is the bare interleaved s16le samples with no header at all.
"""

from __future__ import annotations

from typing import Final

from recorder.engine.output.muxers.base import ContainerMuxer, MuxInputs
from recorder.engine.output.muxers.target import PartTarget
from recorder.engine.output.naming import EXTENSIONS
from recorder.engine.spec import FileFormat

_MUXERS: Final[dict[FileFormat, tuple[str, dict[str, str]]]] = {
    FileFormat.MP3: ("mp3", {}),
    FileFormat.AAC: ("adts", {}),
    FileFormat.WAV: ("wav", {"rf64": "auto"}),
    FileFormat.PCM: ("s16le", {}),
    FileFormat.OPUS: ("ogg", {}),
}


class AudioFileMuxer(ContainerMuxer):
    def __init__(self, file_format: FileFormat, target: PartTarget, inputs: MuxInputs) -> None:
        muxer_name, options = _MUXERS[file_format]
        path = target.temporary_path(EXTENSIONS[file_format])
        super().__init__(
            file_format, target, path, inputs, muxer_name=muxer_name, options=options, with_video=False
        )
