"""Object keys (SPEC §8): placeholders, defaults, the 128-character rule, path safety."""

from __future__ import annotations

import re

import pytest

from recorder.engine.output.naming import (
    UnsafePathError,
    expand_pattern,
    key_known_at_open,
    object_key,
    safe_component,
    spool_path,
)
from recorder.engine.spec import FileFormat, RecordMode, StreamType
from tests.output.output_media import START_TIME_MS, naming

HEX = "0123abcd"


def key(file_format=FileFormat.MP4, duration_ms=61_400, **kwargs):
    return object_key(naming(**kwargs), file_format, duration_ms=duration_ms, suffix=HEX)


def test_it_uses_the_mixed_default_pattern():
    assert key() == f"task1_room1_{START_TIME_MS}_000061_{HEX}.mp4"


def test_it_uses_the_single_stream_default_pattern():
    single = {"mode": RecordMode.SINGLE_STREAM, "user_id": "alice"}
    assert (
        key(stream_type=StreamType.CAMERA, **single)
        == f"task1_room1_alice_C_{START_TIME_MS}_000061_{HEX}.mp4"
    )
    assert (
        key(stream_type=StreamType.SCREEN, **single)
        == f"task1_room1_alice_S_{START_TIME_MS}_000061_{HEX}.mp4"
    )


def test_it_expands_every_placeholder_in_any_case():
    pattern = "{taskid}-{ROOMID}-{UserId}-{tYpE}-{StartTime}-{duration}-{Random}"
    name = key(pattern=pattern, mode=RecordMode.SINGLE_STREAM, user_id="bob", stream_type=StreamType.SCREEN)
    match = re.fullmatch(rf"task1-room1-bob-S-{START_TIME_MS}-000061-(\d{{8}})_{HEX}\.mp4", name)
    assert match, name


def test_it_writes_m_as_the_type_of_a_mixed_recording():
    assert key(pattern="{Type}") == f"M_{HEX}.mp4"


def test_it_rounds_the_duration_to_whole_seconds():
    assert key(pattern="{Duration}", duration_ms=1_499) == f"000001_{HEX}.mp4"
    assert key(pattern="{Duration}", duration_ms=1_500) == f"000002_{HEX}.mp4"


def test_it_writes_zero_duration_with_sync_upload():
    assert key(pattern="{Duration}", sync_upload=True) == f"000000_{HEX}.mp4"


def test_it_leaves_unknown_placeholders_literal():
    assert expand_pattern("{TaskId}{Nope}{ {taskid", {"taskid": "t"}) == "t{Nope}{ {taskid"


def test_it_joins_prefix_folders():
    assert key(prefix=("a", "b2"), pattern="x") == f"a/b2/x_{HEX}.mp4"


@pytest.mark.parametrize(
    ("file_format", "ending"),
    [
        (FileFormat.MP4, ".mp4"),
        (FileFormat.FLV, ".flv"),
        (FileFormat.MP3, ".mp3"),
        (FileFormat.AAC, ".aac"),
        (FileFormat.M4A, ".m4a"),
        (FileFormat.WAV, ".wav"),
        (FileFormat.PCM, ".pcm"),
        (FileFormat.OPUS, ".opus"),
        (FileFormat.HLS, "/index.m3u8"),
    ],
)
def test_it_gives_each_format_its_extension(file_format, ending):
    assert key(file_format, pattern="x") == f"x_{HEX}{ending}"


def test_it_cuts_a_long_name_to_128_characters_ending_in_a_tilde():
    name = key(pattern="n" * 200)
    stem = name.removesuffix(".mp4")
    assert len(stem) == 128
    assert stem == "n" * 118 + "~_" + HEX


def test_it_keeps_a_name_of_exactly_128_characters():
    stem = key(pattern="n" * 119).removesuffix(".mp4")
    assert stem == "n" * 119 + "_" + HEX


def test_it_cuts_a_long_hls_folder_name_the_same_way():
    folder, playlist = key(FileFormat.HLS, pattern="n" * 300).split("/")
    assert (len(folder), folder[118], playlist) == (128, "~", "index.m3u8")


@pytest.mark.parametrize("hostile", [".", "..", "." * 128, "../../etc", "/abs", "a/../../b", "..\\..\\x"])
def test_it_never_lets_a_key_climb_or_root(hostile, tmp_path):
    for built in (
        key(task_id=hostile),
        key(mode=RecordMode.SINGLE_STREAM, user_id=hostile, stream_type=StreamType.CAMERA),
        key(pattern=hostile),
        key(prefix=(hostile,), pattern="x"),
        key(FileFormat.HLS, pattern=hostile),
    ):
        segments = built.split("/")
        assert not built.startswith("/")
        assert all(segment and not segment.startswith(".") for segment in segments), built
        assert spool_path(tmp_path, built).is_relative_to(tmp_path.resolve())


def test_it_replaces_control_characters():
    built = key(pattern="a\nb\x00c\x7fd\u202ee")
    assert built == f"a_b_c_d_e_{HEX}.mp4"


def test_it_keeps_ordinary_dots_inside_a_name():
    assert safe_component("v1.2..final") == "v1.2..final"
    assert safe_component("..hidden") == "__hidden"
    assert safe_component("") == "_"


def test_it_refuses_a_spool_path_outside_the_spool(tmp_path):
    with pytest.raises(UnsafePathError):
        spool_path(tmp_path, "../outside.mp4")
    outside = tmp_path.parent / "elsewhere"
    outside.mkdir(exist_ok=True)
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        spool_path(tmp_path, "link/file.mp4")


def test_it_knows_a_key_without_duration_when_the_file_is_opened():
    known = key_known_at_open(
        naming(pattern="{TaskId}_{StartTime}", prefix=("rec",)), FileFormat.MP4, suffix=HEX
    )
    assert known == f"rec/task1_{START_TIME_MS}_{HEX}.mp4"
    assert known == key(pattern="{TaskId}_{StartTime}", prefix=("rec",))  # the same as when finished


def test_it_knows_no_key_at_open_while_the_name_waits_for_the_duration():
    for pattern in (None, "{TaskId}_{Duration}", "{DURATION}"):  # None: the SPEC default ends in it
        assert key_known_at_open(naming(pattern=pattern), FileFormat.MP4, suffix=HEX) is None


def test_it_knows_the_key_at_open_with_sync_upload_whose_duration_is_zero():
    known = key_known_at_open(naming(pattern="{Duration}", sync_upload=True), FileFormat.M4A, suffix=HEX)
    assert known == f"000000_{HEX}.m4a"
