"""AudioProfile: HE-AAC needs libfdk_aac; without it the audio is LC, warned once, reported."""

from __future__ import annotations

import av
import pytest

from recorder.engine.output.encoders.audio import he_aac_available
from recorder.engine.spec import AudioProfile, FileFormat
from tests.output.output_media import audio_output, config, record, video_output

pytestmark = pytest.mark.skipif(he_aac_available(), reason="this FFmpeg can encode HE-AAC")


@pytest.mark.parametrize(
    ("profile", "name"), [(AudioProfile.HE_AAC_V1, "HE-AAC v1"), (AudioProfile.HE_AAC_V2, "HE-AAC v2")]
)
def test_it_encodes_lc_warns_once_and_reports_it(profile, name, tmp_path):
    formats = (FileFormat.MP4, FileFormat.AAC, FileFormat.HLS)
    output = config(tmp_path, formats, video=video_output(), audio=audio_output(profile=profile))
    recording = record(output, 2, split_at=(1.0,))
    assert recording.warnings == [f"{name} unavailable on this server: encoded AAC LC"]
    assert len(recording.finished) == 6
    assert all(info.audio_profile_used is AudioProfile.LC for info in recording.finished)
    with av.open(str(recording.file(FileFormat.MP4).path)) as container:
        assert container.streams.audio[0].profile == "LC"


def test_it_does_not_warn_when_no_output_carries_aac(tmp_path):
    output = config(tmp_path, (FileFormat.MP3,), audio=audio_output(profile=AudioProfile.HE_AAC_V2))
    recording = record(output, 1)
    assert recording.warnings == []
    assert recording.files[0].audio_profile_used is None


def test_it_reports_lc_when_lc_was_asked(tmp_path):
    recording = record(config(tmp_path, (FileFormat.M4A,), audio=audio_output()), 1)
    assert recording.warnings == []
    assert recording.files[0].audio_profile_used is AudioProfile.LC
