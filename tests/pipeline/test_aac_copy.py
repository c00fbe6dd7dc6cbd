"""Which AAC a source may copy, ADTS frames as raw frames, and copied packets' sample
positions on the task timeline (``sources.aac_copy``)."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from recorder.engine.media.sources.aac_copy import (
    AacCopier,
    AacPlacer,
    AudioCopyRule,
    adts_frame,
    lc_config,
    remux_of_config,
)
from recorder.engine.outputs_api import RemuxAudio
from recorder.engine.spec import AudioField, AudioProfile, EncodeSpec

STEREO_48K = bytes([0x11, 0x90])  # AAC LC, 48 kHz (index 3), 2 channels
MONO_44K = bytes([0x12, 0x08])  # AAC LC, 44.1 kHz (index 4), 1 channel


def adts(payload: bytes, *, object_type=2, frequency_index=3, channels=2, crc=False, blocks=1) -> bytes:
    header_size = 9 if crc else 7
    length = header_size + len(payload)
    header = bytearray(header_size)
    header[0] = 0xFF
    header[1] = 0xF0 | (0 if crc else 1)
    header[2] = ((object_type - 1) << 6) | (frequency_index << 2) | (channels >> 2)
    header[3] = ((channels & 3) << 6) | (length >> 11)
    header[4] = (length >> 3) & 0xFF
    header[5] = ((length & 7) << 5) | 0x1F
    header[6] = 0xFC | (blocks - 1)
    return bytes(header) + payload


def test_it_reads_the_audio_specific_config_of_aac_lc():
    assert remux_of_config(STEREO_48K + b"\x56\xe5\x00") == RemuxAudio(
        48_000, 2, STEREO_48K + b"\x56\xe5\x00"
    )
    assert remux_of_config(MONO_44K) == RemuxAudio(44_100, 1, MONO_44K)
    assert lc_config(48_000, 2) == STEREO_48K and lc_config(44_100, 1) == MONO_44K


@pytest.mark.parametrize(
    "config",
    [
        bytes([0x29, 0x90]),  # object type 5: HE-AAC
        bytes([0x11, 0xB0]),  # 6 channels
        bytes([0x11, 0x94]),  # 960-sample frames
        bytes([0x17, 0x90]),  # frequency index 15: an explicit rate
        b"\x11",
    ],
)
def test_it_refuses_to_copy_anything_but_lc_mono_or_stereo(config):
    assert remux_of_config(config) is None


def test_it_cuts_the_adts_header_off_and_reads_it_as_the_config():
    assert adts_frame(adts(b"frame")) == (STEREO_48K, b"frame")
    assert adts_frame(adts(b"frame", crc=True)) == (STEREO_48K, b"frame")
    assert adts_frame(adts(b"frame", frequency_index=4, channels=1)) == (MONO_44K, b"frame")
    assert adts_frame(adts(b"frame", blocks=2)) is None  # several raw data blocks: not one frame
    assert adts_frame(adts(b"frame") + b"more") is None  # not exactly one frame


def test_it_follows_a_change_of_parameters_and_stops_at_what_cannot_be_copied():
    copier = AacCopier(RemuxAudio(48_000, 2, STEREO_48K), AudioCopyRule(), bit_rate=0)
    first = copier.frame(av.Packet(adts(b"one")))
    assert first is not None and bytes(first) == b"one" and first.is_keyframe
    assert copier.remux == RemuxAudio(48_000, 2, STEREO_48K)
    second = copier.frame(av.Packet(adts(b"two", frequency_index=4, channels=1)))
    assert second is not None and copier.remux == RemuxAudio(44_100, 1, MONO_44K)
    assert copier.frame(av.Packet(adts(b"main", object_type=1))) is None  # AAC Main: not LC
    raw = av.Packet(b"raw frame")
    assert copier.frame(raw) is raw  # raw AAC passes as it is


def test_it_copies_only_what_agrees_with_the_audio_fields_the_request_set():
    stereo = RemuxAudio(48_000, 2, STEREO_48K)
    assert AudioCopyRule().accepts(stereo, bit_rate=0)
    assert AudioCopyRule(sample_rate=48_000, channels=2, profile=AudioProfile.LC).accepts(stereo, 0)
    assert not AudioCopyRule(sample_rate=44_100).accepts(stereo, 0)
    assert not AudioCopyRule(channels=1).accepts(stereo, 0)
    assert not AudioCopyRule(profile=AudioProfile.HE_AAC_V1).accepts(stereo, 0)
    assert AudioCopyRule(bitrate_kbps=128).accepts(stereo, 127_732)
    assert not AudioCopyRule(bitrate_kbps=64).accepts(stereo, 127_732)
    assert not AudioCopyRule(bitrate_kbps=128).accepts(stereo, 0)  # unknown: cannot agree

    encode = EncodeSpec(audio_sample_rate=44_100, audio_fields_given=frozenset({AudioField.SAMPLE_RATE}))
    assert AudioCopyRule.of(encode) == AudioCopyRule(sample_rate=44_100)


def placed(placer, task_times, rate=48_000):
    audio = RemuxAudio(rate, 2, STEREO_48K)
    items = [placer.place(av.Packet(b"x"), audio, time) for time in task_times]
    return [None if item is None else item.position for item in items]


def test_it_places_packets_back_to_back_despite_millisecond_timestamps():
    # FLV/RTMP timestamps in whole milliseconds: 0, 21, 43, 64 ms for 1024-sample frames.
    assert placed(AacPlacer(), [0, 21_000, 43_000, 64_000, None]) == [0, 1024, 2048, 3072, 4096]


def test_it_keeps_a_gap_and_goes_back_when_the_source_is_re_aligned():
    placer = AacPlacer()
    assert placed(placer, [1_000_000, 1_021_333]) == [48_000, 49_024]
    assert placed(placer, [1_500_000]) == [72_000]  # a gap stays a gap
    assert placed(placer, [1_400_000]) == [67_200]  # re-aligned earlier: placed there


def test_it_drops_packets_before_the_task_began_and_times_them_in_samples():
    placer = AacPlacer()
    assert placed(placer, [-21_333, 0]) == [None, 0]
    item = placer.place(av.Packet(b"x"), RemuxAudio(48_000, 2, STEREO_48K), 21_333)
    assert item is not None and item.time == 21_333 and item.end_time == 42_666
    assert (item.packet.pts, item.packet.dts, item.packet.duration) == (1024, 1024, 1024)
    assert item.packet.time_base == Fraction(1, 48_000)
