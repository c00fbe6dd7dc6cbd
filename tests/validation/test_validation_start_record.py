"""StartRecord bodies: every field of the seed's table, its type, range and default."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from recorder.engine.spec import (
    AlternateImageFillMode,
    AudioField,
    AudioProfile,
    Canvas,
    ControlSpec,
    CustomLayout,
    CustomStorageConfig,
    EncodeSpec,
    FileFormat,
    FileNameSpec,
    FrameInterpolationMode,
    LayoutMode,
    LayoutSpec,
    RecordMode,
    RecordSpec,
    Region,
    RegionMediaType,
    RenderMode,
    SourceCrop,
    StorageSpec,
    StorageType,
    StorageVendor,
    StreamRef,
    StreamType,
    TaskMediaType,
    TosConfig,
    VideoCodec,
    VodConfig,
)
from recorder.validation import (
    INVALID_PARAMETER,
    MISSING_PARAMETER,
    UNMARSHAL,
    SpecError,
    layout_to_json,
    parse_layout,
    parse_start_record,
    parse_stored_record,
    record_spec_to_json,
    storage_secrets,
    with_storage_secrets,
)
from recorder.validation.paths import with_value, without

DELETE = object()  # an edit that removes the member


def region(index, x, y, width, height, **extra):
    return {"StreamIndex": index, "LocationX": x, "LocationY": y, "Width": width, "Height": height, **extra}


CUSTOM_BODY = {
    "AppId": "app_1",
    "BusinessId": "biz-1",
    "RoomId": "room.1",
    "TaskId": "task@1",
    "RecordMode": 0,
    "TargetStreams": {
        "StreamList": [
            {"Index": 0, "UserId": "alice", "StreamType": 0},
            {"Index": 1, "UserId": "bob", "StreamType": 1},
        ]
    },
    "ExcludeStreams": {"StreamList": [{"Index": 0, "UserId": "carol", "StreamType": 0}]},
    "Encode": {
        "VideoWidth": 1280,
        "VideoHeight": 720,
        "VideoFps": 30,
        "VideoBitrate": 2000,
        "VideoCodec": 1,
        "VideoGop": 2,
        "AudioCodec": 0,
        "AudioProfile": 0,
        "AudioBitrate": 96,
        "AudioSampleRate": 44100,
        "AudioChannels": 2,
    },
    "Layout": {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Width": 640, "Height": 480, "Background": "#FFAA00"},
            "Regions": [
                region(0, 0, 0, 320, 240),
                region(
                    1,
                    320,
                    0,
                    320,
                    240,
                    ZOrder=5,
                    Alpha=0.5,
                    RenderMode=2,
                    SourceCrop={
                        "LocationX": 0.1,
                        "LocationY": 0.2,
                        "WidthProportion": 0.5,
                        "HeightProportion": 0.6,
                    },
                    AlternateImage="https://img.example.com/away.png",
                    CornerRadius=0.1,
                    MediaType=2,
                    AlternateImageFillMode=1,
                    ApplySpatialAudio=True,
                    SpatialPosition=[-10, 20, 0],
                ),
            ],
        },
    },
    "Control": {
        "MediaType": 0,
        "FrameInterpolationMode": 1,
        "MaxSilenceSeconds": 600,
        "MaxIdleTime": 300,
        "MaxRecordTime": 7200,
        "EnableSyncUpload": True,
    },
    "FileFormatConfig": {"FileFormat": ["MP4", "HLS"]},
    "FileNameConfig": {"Prefix": ["dir1", "dir2"], "Pattern": "{TaskId}_{StartTime}"},
    "StorageConfig": {"Type": 0, "TosConfig": {"AccountId": "2100000001", "Region": 1, "Bucket": "records"}},
}

VOD_STORAGE = {
    "Type": 1,
    "VodConfig": {
        "AccountId": "2100000001",
        "Region": 0,
        "Space": "space1",
        "StorageClass": 2,
        "AutoSetFileExtension": True,
    },
}
S3_STORAGE = {
    "Type": 2,
    "CustomConfig": {
        "Vendor": 1,
        "Region": 3,
        "Bucket": "records",
        "AccessKey": "AKID",
        "SecretKey": "SECRET",
        "SecurityToken": "TOKEN",
        "Endpoint": "https://minio.internal:9000",
        "ForcePathStyle": True,
    },
}

BASES = {
    "custom": CUSTOM_BODY,
    "vertical": with_value(CUSTOM_BODY, "Layout", {"LayoutMode": 1, "MainVideoStream": {"UserId": "alice"}}),
    "vod": with_value(CUSTOM_BODY, "StorageConfig", VOD_STORAGE),
    "s3": with_value(CUSTOM_BODY, "StorageConfig", S3_STORAGE),
    "single": with_value(without(CUSTOM_BODY, "Layout"), "RecordMode", 1),
    "audio": with_value(CUSTOM_BODY, "Control.MediaType", 1),
    "tiny_regions": with_value(
        CUSTOM_BODY, "Layout.CustomLayout.Regions", [region(0, 0, 0, 2, 2), region(1, 0, 0, 2, 2)]
    ),
}
MINIMAL_BODY = {
    "AppId": "app",
    "RoomId": "room",
    "TaskId": "task",
    "StorageConfig": {"TosConfig": {"AccountId": "21", "Bucket": "b"}},
}


def body(base="custom", edits=None):
    result = copy.deepcopy(BASES[base])
    for path, value in (edits or {}).items():
        result = without(result, path) if value is DELETE else with_value(result, path, value)
    return result


def refused(request_body):
    with pytest.raises(SpecError) as caught:
        parse_start_record(request_body)
    error = caught.value
    assert error.message.startswith(f"{error.field}: " if error.field else ""), error.message
    return error


def outcome(request_body):
    """The spec, or the error's code and field: what a caller can observe."""
    try:
        return parse_start_record(request_body)
    except SpecError as error:
        return (error.code, error.field)


def streams(count, *, first_index=0, prefix="user"):
    return [{"Index": first_index + n, "UserId": f"{prefix}{n}"} for n in range(count)]


def case(path, value, field=None, base="custom", also=None):
    edits = {**(also or {}), path: value}
    return pytest.param(base, edits, field or path, id=f"{base}:{path}={value!r}"[:120])


# --------------------------------------------------------------------------------------------
# Valid bodies


def test_it_parses_a_full_custom_layout_body_into_the_spec():
    spec = parse_start_record(body())

    assert spec == RecordSpec(
        app_id="app_1",
        room_id="room.1",
        task_id="task@1",
        business_id="biz-1",
        record_mode=RecordMode.MIXED,
        target_streams=(
            StreamRef("alice", StreamType.CAMERA, 0),
            StreamRef("bob", StreamType.SCREEN, 1),
        ),
        exclude_streams=(StreamRef("carol", StreamType.CAMERA, 0),),
        encode=EncodeSpec(
            video_width=1280,
            video_height=720,
            video_fps=30,
            video_bitrate_kbps=2000,
            video_codec=VideoCodec.BYTEVC1,
            video_gop_seconds=2,
            audio_bitrate_kbps=96,
            audio_sample_rate=44100,
        ),
        layout=LayoutSpec(
            mode=LayoutMode.CUSTOM,
            custom=CustomLayout(
                canvas=Canvas(640, 480, "#ffaa00"),
                regions=(
                    Region(0, 0, 0, 320, 240),
                    Region(
                        1,
                        320,
                        0,
                        320,
                        240,
                        z_order=5,
                        alpha=0.5,
                        render_mode=RenderMode.FIT,
                        source_crop=SourceCrop(0.1, 0.2, 0.5, 0.6),
                        alternate_image="https://img.example.com/away.png",
                        corner_radius=0.1,
                        media_type=RegionMediaType.VIDEO_ONLY,
                        alternate_image_fill_mode=AlternateImageFillMode.KEEP_ASPECT,
                        apply_spatial_audio=True,
                        spatial_position=(-10, 20, 0),
                    ),
                ),
            ),
        ),
        control=ControlSpec(
            frame_interpolation_mode=FrameInterpolationMode.BLACK,
            max_silence_seconds=600,
            max_idle_time_seconds=300,
            max_record_time_seconds=7200,
            enable_sync_upload=True,
        ),
        file_formats=(FileFormat.MP4, FileFormat.HLS),
        file_name=FileNameSpec(prefix=("dir1", "dir2"), pattern="{TaskId}_{StartTime}"),
        storage=StorageSpec(type=StorageType.TOS, tos=TosConfig("2100000001", "records", region=1)),
    )


def test_it_fills_every_default_of_a_minimal_body():
    spec = parse_start_record(MINIMAL_BODY)

    assert spec == RecordSpec(
        app_id="app",
        room_id="room",
        task_id="task",
        storage=StorageSpec(type=StorageType.TOS, tos=TosConfig("21", "b")),
        encode=EncodeSpec(audio_bitrate_kbps=128),  # LC stereo at 48 kHz
    )
    assert spec.business_id == ""
    assert spec.layout == LayoutSpec()
    assert spec.file_formats == (FileFormat.MP4,)


def test_it_parses_vod_and_s3_storage():
    vod = parse_start_record(body("vod")).storage
    s3 = parse_start_record(body("s3")).storage

    assert vod == StorageSpec(
        type=StorageType.VOD,
        vod=VodConfig("2100000001", "space1", region=0, storage_class=2, auto_set_file_extension=True),
    )
    assert s3 == StorageSpec(
        type=StorageType.CUSTOM,
        custom=CustomStorageConfig(
            bucket="records",
            access_key="AKID",
            secret_key="SECRET",
            vendor=StorageVendor.ALIBABA_OSS,
            region=3,
            security_token="TOKEN",
            endpoint="https://minio.internal:9000",
            force_path_style=True,
        ),
    )


def test_it_accepts_the_seed_example_once_its_region_is_an_integer():
    seed_example = {
        "AppId": "661e543cf",
        "BusinessId": "12312312_2131djad",
        "RoomId": "Room1",
        "TaskId": "Task1",
        "RecordMode": 0,
        "FileFormatConfig": {"FileFormat": ["HLS", "FLV"]},
        "FileNameConfig": {"Prefix": ["directory1", "directory2"], "Pattern": ""},
        "StorageConfig": {
            "Type": 0,
            "TosConfig": {"UserAccountId": "21****89", "Region": "0", "Bucket": "tos-vod-c16fd9e8343"},
        },
    }

    error = refused(seed_example)
    assert (error.code, error.field) == (UNMARSHAL, "StorageConfig.TosConfig.Region")

    spec = parse_start_record(with_value(seed_example, "StorageConfig.TosConfig.Region", 0))
    assert spec.storage.tos == TosConfig(account_id="21****89", bucket="tos-vod-c16fd9e8343", region=0)
    assert spec.file_name == FileNameSpec(prefix=("directory1", "directory2"), pattern=None)


def test_it_prefers_account_id_over_its_alias():
    spec = parse_start_record(body(edits={"StorageConfig.TosConfig.UserAccountId": "999"}))

    assert spec.storage.tos is not None
    assert spec.storage.tos.account_id == "2100000001"


def test_it_ignores_unknown_fields_everywhere():
    edits = {
        "FutureField": {"Anything": [1, 2]},
        "Encode.FutureCodecOption": "x",
        "Layout.CustomLayout.Regions[0].FutureBlend": 3,
        "StorageConfig.TosConfig.FutureFlag": True,
    }

    assert parse_start_record(body(edits=edits)) == parse_start_record(body())


@pytest.mark.parametrize(
    "path",
    [
        "BusinessId",
        "TargetStreams",
        "ExcludeStreams",
        "ExcludeStreams.StreamList",
        "Encode",
        "Encode.VideoFps",
        "Control",
        "Control.MaxIdleTime",
        "FileFormatConfig",
        "FileFormatConfig.FileFormat",
        "FileNameConfig",
        "FileNameConfig.Prefix",
        "FileNameConfig.Pattern",
        "Layout.CustomLayout.Canvas",
        "Layout.CustomLayout.Canvas.BackgroundImage",
        "Layout.CustomLayout.Regions[1].SourceCrop",
        "Layout.CustomLayout.Regions[1].SpatialPosition",
        "StorageConfig.Type",
    ],
)
def test_it_treats_null_like_an_absent_member(path):
    assert outcome(body(edits={path: None})) == outcome(body(edits={path: DELETE}))


def test_it_treats_a_null_layout_as_the_default_layout():
    spec = parse_start_record(with_value(MINIMAL_BODY, "Layout", None))

    assert spec.layout == LayoutSpec()


@pytest.mark.parametrize("field_body", [[], "{}", None, 1, 1.5, True])
def test_it_refuses_a_body_that_is_not_an_object(field_body):
    error = refused(field_body)

    assert (error.code, error.field) == (UNMARSHAL, "")
    assert "must be a JSON object" in error.message


# --------------------------------------------------------------------------------------------
# Wrong JSON types


UNMARSHAL_CASES = [
    case("AppId", 1),
    case("BusinessId", 5),
    case("RoomId", ["room"]),
    case("TaskId", {"id": "t"}),
    case("RecordMode", "0"),
    case("RecordMode", True),
    case("RecordMode", False),
    case("RecordMode", 0.0),
    case("RecordMode", 1.5),
    case("TargetStreams", []),
    case("TargetStreams.StreamList", {"Index": 0}),
    case("TargetStreams.StreamList", "alice"),
    case("TargetStreams.StreamList[0]", "alice"),
    case("TargetStreams.StreamList[1].Index", "1"),
    case("TargetStreams.StreamList[1].Index", 1.0),
    case("TargetStreams.StreamList[1].Index", True),
    case("TargetStreams.StreamList[0].UserId", 7),
    case("TargetStreams.StreamList[0].StreamType", False),
    case("ExcludeStreams", "carol"),
    case("ExcludeStreams.StreamList[0].UserId", ["carol"]),
    case("ExcludeStreams.StreamList[0].StreamType", "0"),
    case("Encode", [1280, 720]),
    case("Encode.VideoWidth", 640.0),
    case("Encode.VideoHeight", "480"),
    case("Encode.VideoFps", 29.97),
    case("Encode.VideoBitrate", True),
    case("Encode.VideoCodec", "h264"),
    case("Encode.VideoGop", 2.0),
    case("Encode.AudioCodec", "aac"),
    case("Encode.AudioProfile", "LC"),
    case("Encode.AudioBitrate", 64.0),
    case("Encode.AudioSampleRate", "48000"),
    case("Encode.AudioChannels", True),
    case("Layout", "custom"),
    case("Layout.LayoutMode", "2"),
    case("Layout.LayoutMode", 2.0),
    case("Layout.MainVideoStream", "alice", base="vertical"),
    case("Layout.MainVideoStream.UserId", 1, base="vertical"),
    case("Layout.MainVideoStream.Index", "0", base="vertical"),
    case("Layout.CustomLayout", []),
    case("Layout.CustomLayout.Canvas", [640, 480]),
    case("Layout.CustomLayout.Canvas.Width", 640.0),
    case("Layout.CustomLayout.Canvas.Height", "480"),
    case("Layout.CustomLayout.Canvas.Background", 0),
    case("Layout.CustomLayout.Canvas.BackgroundImage", {"url": "https://x.example/a.png"}),
    case("Layout.CustomLayout.Regions", {"0": {}}),
    case("Layout.CustomLayout.Regions[0]", [0, 0, 320, 240]),
    case("Layout.CustomLayout.Regions[0].StreamIndex", "0"),
    case("Layout.CustomLayout.Regions[0].LocationX", 0.5),
    case("Layout.CustomLayout.Regions[0].LocationX", 1.0),
    case("Layout.CustomLayout.Regions[0].LocationY", "0"),
    case("Layout.CustomLayout.Regions[0].Width", 320.0),
    case("Layout.CustomLayout.Regions[0].Height", False),
    case("Layout.CustomLayout.Regions[0].ZOrder", "1"),
    case("Layout.CustomLayout.Regions[0].Alpha", "1"),
    case("Layout.CustomLayout.Regions[0].Alpha", True),
    case("Layout.CustomLayout.Regions[0].RenderMode", 1.0),
    case("Layout.CustomLayout.Regions[0].SourceCrop", [0, 0, 1, 1]),
    case("Layout.CustomLayout.Regions[0].SourceCrop.LocationX", "0"),
    case("Layout.CustomLayout.Regions[0].SourceCrop.LocationY", False),
    case("Layout.CustomLayout.Regions[0].SourceCrop.WidthProportion", "1"),
    case("Layout.CustomLayout.Regions[0].SourceCrop.HeightProportion", [1]),
    case("Layout.CustomLayout.Regions[0].AlternateImage", 1),
    case("Layout.CustomLayout.Regions[0].CornerRadius", "0.1"),
    case("Layout.CustomLayout.Regions[0].MediaType", 0.0),
    case("Layout.CustomLayout.Regions[0].AlternateImageFillMode", "1"),
    case("Layout.CustomLayout.Regions[0].ApplySpatialAudio", 1),
    case("Layout.CustomLayout.Regions[0].ApplySpatialAudio", "true"),
    case("Layout.CustomLayout.Regions[0].SpatialPosition", {"x": 0}),
    case("Layout.CustomLayout.Regions[0].SpatialPosition", "0,0,0"),
    case(
        "Layout.CustomLayout.Regions[0].SpatialPosition[1]",
        1.0,
        also={"Layout.CustomLayout.Regions[0].SpatialPosition": [0, 0, 0]},
    ),
    case("Control", True),
    case("Control.MediaType", "1"),
    case("Control.FrameInterpolationMode", 0.0),
    case("Control.MaxSilenceSeconds", "600"),
    case("Control.MaxIdleTime", 180.0),
    case("Control.MaxRecordTime", False),
    case("Control.EnableSyncUpload", 1),
    case("Control.EnableSyncUpload", "true"),
    case("FileFormatConfig", ["MP4"]),
    case("FileFormatConfig.FileFormat", "MP4"),
    case("FileFormatConfig.FileFormat[1]", 4),
    case("FileNameConfig", "dir1/dir2"),
    case("FileNameConfig.Prefix", "dir1"),
    case("FileNameConfig.Prefix[1]", 2),
    case("FileNameConfig.Pattern", ["{TaskId}"]),
    case("StorageConfig", "tos"),
    case("StorageConfig.Type", "0"),
    case("StorageConfig.Type", 0.0),
    case("StorageConfig.TosConfig", ["2100000001", "records"]),
    case("StorageConfig.TosConfig.AccountId", 2100000001),
    case("StorageConfig.TosConfig.Region", "0"),
    case("StorageConfig.TosConfig.Bucket", {"name": "records"}),
    case("StorageConfig.VodConfig", "space1", base="vod"),
    case("StorageConfig.VodConfig.AccountId", 21, base="vod"),
    case("StorageConfig.VodConfig.Region", 0.0, base="vod"),
    case("StorageConfig.VodConfig.Space", False, base="vod"),
    case("StorageConfig.VodConfig.StorageClass", "1", base="vod"),
    case("StorageConfig.VodConfig.AutoSetFileExtension", 0, base="vod"),
    case("StorageConfig.CustomConfig", "s3", base="s3"),
    case("StorageConfig.CustomConfig.Vendor", "0", base="s3"),
    case("StorageConfig.CustomConfig.Region", 1.0, base="s3"),
    case("StorageConfig.CustomConfig.Bucket", 5, base="s3"),
    case("StorageConfig.CustomConfig.AccessKey", 5, base="s3"),
    case("StorageConfig.CustomConfig.SecretKey", ["x"], base="s3"),
    case("StorageConfig.CustomConfig.SecurityToken", 5, base="s3"),
    case("StorageConfig.CustomConfig.Endpoint", {"host": "minio"}, base="s3"),
    case("StorageConfig.CustomConfig.ForcePathStyle", "yes", base="s3"),
]


@pytest.mark.parametrize(("base", "edits", "field"), UNMARSHAL_CASES)
def test_it_refuses_a_wrong_json_type_as_unmarshal_naming_the_field(base, edits, field):
    error = refused(body(base, edits))

    assert (error.code, error.field) == (UNMARSHAL, field)


# --------------------------------------------------------------------------------------------
# Missing required fields


MISSING_CASES = [
    case("AppId", DELETE),
    case("AppId", ""),
    case("AppId", None),
    case("RoomId", DELETE),
    case("TaskId", ""),
    case("StorageConfig", DELETE),
    case("StorageConfig", None),
    case("TargetStreams.StreamList[1].UserId", DELETE),
    case("TargetStreams.StreamList[1].UserId", ""),
    case("ExcludeStreams.StreamList[0].UserId", None),
    case("Layout.MainVideoStream", DELETE, base="vertical"),
    case("Layout.MainVideoStream.UserId", "", base="vertical"),
    case("Layout.CustomLayout", DELETE),
    case("Layout.CustomLayout", None),
    case("Layout.CustomLayout.Regions[1].StreamIndex", DELETE),
    case("Layout.CustomLayout.Regions[1].Width", DELETE),
    case("Layout.CustomLayout.Regions[1].Height", None),
    case("StorageConfig.TosConfig", DELETE),
    case("StorageConfig.TosConfig.AccountId", DELETE),
    case("StorageConfig.TosConfig.AccountId", ""),
    case("StorageConfig.TosConfig.Bucket", ""),
    case("StorageConfig.VodConfig", DELETE, base="vod"),
    case("StorageConfig.VodConfig.AccountId", DELETE, base="vod"),
    case("StorageConfig.VodConfig.Space", "", base="vod"),
    case("StorageConfig.CustomConfig", None, base="s3"),
    case("StorageConfig.CustomConfig.Bucket", DELETE, base="s3"),
    case("StorageConfig.CustomConfig.AccessKey", "", base="s3"),
    case("StorageConfig.CustomConfig.SecretKey", DELETE, base="s3"),
    case(
        "StorageConfig.TosConfig",
        DELETE,
        field="StorageConfig.TosConfig",
        base="s3",
        also={"StorageConfig.Type": 0},
    ),
]


@pytest.mark.parametrize(("base", "edits", "field"), MISSING_CASES)
def test_it_reports_a_missing_required_field(base, edits, field):
    error = refused(body(base, edits))

    assert (error.code, error.field) == (MISSING_PARAMETER, field)


def test_it_reports_a_missing_account_id_by_its_official_name_even_with_an_empty_alias():
    error = refused(
        body(edits={"StorageConfig.TosConfig.AccountId": DELETE, "StorageConfig.TosConfig.UserAccountId": ""})
    )

    assert (error.code, error.field) == (MISSING_PARAMETER, "StorageConfig.TosConfig.AccountId")


# --------------------------------------------------------------------------------------------
# Invalid values

SIXTEEN = streams(16, first_index=2)

INVALID_CASES = [
    # Identifiers: [a-zA-Z0-9_@\-.]{1,128}
    case("AppId", "has space"),
    case("AppId", "a" * 129),
    case("AppId", "caf\u00e9"),
    case("RoomId", "room/1"),
    case("TaskId", "task#1"),
    case("TaskId", "task\n"),
    case("BusinessId", "B****23"),
    case("TargetStreams.StreamList[0].UserId", "alice smith"),
    case("ExcludeStreams.StreamList[0].UserId", "carol!"),
    case("Layout.MainVideoStream.UserId", "a" * 129, base="vertical"),
    case("RecordMode", 2),
    case("RecordMode", -1),
    # Streams
    case("TargetStreams.StreamList[0].Index", -1),
    case("TargetStreams.StreamList[0].Index", 2**31),
    case("TargetStreams.StreamList[0].StreamType", 2),
    case("TargetStreams.StreamList", [*CUSTOM_BODY["TargetStreams"]["StreamList"], *SIXTEEN]),
    case("TargetStreams.StreamList[1].Index", 0, field="TargetStreams.StreamList[1].Index"),
    case("TargetStreams.StreamList[1].Index", DELETE, field="TargetStreams.StreamList[1].Index"),
    case("TargetStreams.StreamList[1]", {"Index": 1, "UserId": "alice"}),
    case("ExcludeStreams.StreamList[0].StreamType", 1),
    case("ExcludeStreams.StreamList", streams(18, prefix="x")),
    case(
        "ExcludeStreams.StreamList",
        [{"UserId": "x"}, {"UserId": "x"}],
        field="ExcludeStreams.StreamList[1]",
    ),
    case("ExcludeStreams.StreamList[0].StreamType", 3),
    # Encode
    case("Encode.VideoWidth", 0),
    case("Encode.VideoWidth", 1),
    case("Encode.VideoWidth", 641),
    case("Encode.VideoWidth", 1922),
    case("Encode.VideoHeight", -2),
    case("Encode.VideoHeight", 479),
    case("Encode.VideoHeight", 1922),
    case("Encode.VideoFps", 0),
    case("Encode.VideoFps", 61),
    case("Encode.VideoBitrate", -1),
    case("Encode.VideoBitrate", 10001),
    case("Encode.VideoCodec", 2),
    case("Encode.VideoGop", 0),
    case("Encode.VideoGop", 6),
    case("Encode.AudioCodec", 1),
    case("Encode.AudioProfile", 3),
    case("Encode.AudioProfile", -1),
    case("Encode.AudioBitrate", 31),
    case("Encode.AudioBitrate", 193),
    case("Encode.AudioSampleRate", 8000),
    case("Encode.AudioSampleRate", 22050),
    case("Encode.AudioChannels", 0),
    case("Encode.AudioChannels", 3),
    # Layout
    case("Layout.LayoutMode", 4),
    case("Layout.LayoutMode", -1),
    case("Layout.MainVideoStream.StreamType", 2, base="vertical"),
    case("Layout.MainVideoStream.Index", -1, base="vertical"),
    case("Layout.CustomLayout.Canvas.Width", 0),
    case("Layout.CustomLayout.Canvas.Width", 641),
    case("Layout.CustomLayout.Canvas.Width", 1922),
    case("Layout.CustomLayout.Canvas.Height", 1),
    case("Layout.CustomLayout.Canvas.Height", 2000),
    case("Layout.CustomLayout.Canvas.Background", "#fff"),
    case("Layout.CustomLayout.Canvas.Background", "000000"),
    case("Layout.CustomLayout.Canvas.Background", "#00000g"),
    case("Layout.CustomLayout.Canvas.Background", "#0000000"),
    case("Layout.CustomLayout.Canvas.Background", "red"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "ftp://example.com/bg.png"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "bg.png"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "http://"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "https:///bg.png"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "javascript:alert(1)"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "file:///etc/passwd"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "http://exa mple.com/bg.png"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "http://example.com/b\ng.png"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "http://example.com:99999/bg.png"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "http://[::1/bg.png"),
    case("Layout.CustomLayout.Canvas.BackgroundImage", "https://example.com/" + "a" * 1005),
    case("Layout.CustomLayout.Regions", [region(n, 0, 0, 10, 10) for n in range(18)]),
    case("Layout.CustomLayout.Regions[1].StreamIndex", 0),
    case("Layout.CustomLayout.Regions[1].StreamIndex", -1),
    case("Layout.CustomLayout.Regions[1].LocationX", -1),
    case("Layout.CustomLayout.Regions[1].LocationX", 640),
    case("Layout.CustomLayout.Regions[1].LocationY", -1),
    case("Layout.CustomLayout.Regions[1].LocationY", 480),
    case("Layout.CustomLayout.Regions[1].Width", 0),
    case("Layout.CustomLayout.Regions[1].Width", 641),
    case("Layout.CustomLayout.Regions[1].Height", 0),
    case("Layout.CustomLayout.Regions[1].Height", 481),
    case("Layout.CustomLayout.Regions[1].ZOrder", -1),
    case("Layout.CustomLayout.Regions[1].ZOrder", 101),
    case("Layout.CustomLayout.Regions[1].Alpha", 0),
    case("Layout.CustomLayout.Regions[1].Alpha", 0.0),
    case("Layout.CustomLayout.Regions[1].Alpha", -0.5),
    case("Layout.CustomLayout.Regions[1].Alpha", 1.0000001),
    case("Layout.CustomLayout.Regions[1].Alpha", 2),
    case("Layout.CustomLayout.Regions[1].Alpha", float("nan")),
    case("Layout.CustomLayout.Regions[1].Alpha", float("inf")),
    case("Layout.CustomLayout.Regions[1].Alpha", 10**400),
    case("Layout.CustomLayout.Regions[1].RenderMode", 4),
    case("Layout.CustomLayout.Regions[1].RenderMode", -1),
    case("Layout.CustomLayout.Regions[1].SourceCrop.LocationX", 1),
    case("Layout.CustomLayout.Regions[1].SourceCrop.LocationX", 1.0),
    case("Layout.CustomLayout.Regions[1].SourceCrop.LocationX", -0.01),
    case("Layout.CustomLayout.Regions[1].SourceCrop.LocationY", 1.5),
    case("Layout.CustomLayout.Regions[1].SourceCrop.WidthProportion", 0),
    case("Layout.CustomLayout.Regions[1].SourceCrop.WidthProportion", 1.01),
    case("Layout.CustomLayout.Regions[1].SourceCrop.HeightProportion", 0.0),
    case("Layout.CustomLayout.Regions[1].SourceCrop.HeightProportion", -1),
    case("Layout.CustomLayout.Regions[1].AlternateImage", "data:image/png;base64,AAAA"),
    case("Layout.CustomLayout.Regions[1].AlternateImage", "//example.com/a.png"),
    case("Layout.CustomLayout.Regions[1].CornerRadius", -0.01),
    case("Layout.CustomLayout.Regions[1].CornerRadius", 1.01),
    case("Layout.CustomLayout.Regions[1].MediaType", 3),
    case("Layout.CustomLayout.Regions[1].AlternateImageFillMode", 2),
    case("Layout.CustomLayout.Regions[1].SpatialPosition", [0, 0]),
    case("Layout.CustomLayout.Regions[1].SpatialPosition", [0, 0, 0, 0]),
    case("Layout.CustomLayout.Regions[1].SpatialPosition", []),
    case("Layout.CustomLayout.Regions[1].SpatialPosition[0]", -101),
    case("Layout.CustomLayout.Regions[1].SpatialPosition[2]", 101),
    # Control
    case("Control.MediaType", 2),
    case("Control.FrameInterpolationMode", 2),
    case("Control.MaxSilenceSeconds", 59),
    case("Control.MaxSilenceSeconds", 3601),
    case("Control.MaxIdleTime", 9),
    case("Control.MaxIdleTime", 86401),
    case("Control.MaxRecordTime", -1),
    case("Control.MaxRecordTime", 2592001),
    # Files
    case("FileFormatConfig.FileFormat", []),
    case("FileFormatConfig.FileFormat[1]", "MKV"),
    case("FileFormatConfig.FileFormat[1]", ""),
    case("FileFormatConfig.FileFormat[1]", "mp4"),
    case("FileFormatConfig.FileFormat", ["HLS", "MP4", "Hls"], field="FileFormatConfig.FileFormat[2]"),
    case("FileNameConfig.Prefix[1]", ""),
    case("FileNameConfig.Prefix[1]", "dir-2"),
    case("FileNameConfig.Prefix[1]", "a/b"),
    case("FileNameConfig.Prefix[1]", ".."),
    case("FileNameConfig.Prefix[1]", "d\u00efr"),
    case("FileNameConfig.Prefix", ["a" * 129]),
    case("FileNameConfig.Prefix", ["a" * 64, "b" * 64]),
    case("FileNameConfig.Pattern", "a/b"),
    case("FileNameConfig.Pattern", "../../etc"),
    case("FileNameConfig.Pattern", "a\\b"),
    case("FileNameConfig.Pattern", "a\nb"),
    case("FileNameConfig.Pattern", "a\x00b"),
    case("FileNameConfig.Pattern", "a" * 1025),
    # Storage
    case("StorageConfig.Type", 3),
    case("StorageConfig.Type", -1),
    case("StorageConfig.TosConfig.Region", -1),
    case("StorageConfig.TosConfig.Bucket", "rec\rords"),
    case("StorageConfig.TosConfig.Bucket", "b" * 257),
    case("StorageConfig.VodConfig.Region", -1, base="vod"),
    case("StorageConfig.VodConfig.StorageClass", 0, base="vod"),
    case("StorageConfig.VodConfig.StorageClass", 4, base="vod"),
    case("StorageConfig.CustomConfig.Vendor", 5, base="s3"),
    case("StorageConfig.CustomConfig.Vendor", -1, base="s3"),
    case("StorageConfig.CustomConfig.Region", -1, base="s3"),
    case("StorageConfig.CustomConfig.AccessKey", "AK\nX-Injected: 1", base="s3"),
    case("StorageConfig.CustomConfig.SecretKey", "s" * 1025, base="s3"),
    case("StorageConfig.CustomConfig.SecurityToken", "t" * 8193, base="s3"),
    case("StorageConfig.CustomConfig.Endpoint", "minio.internal:9000", base="s3"),
    case("StorageConfig.CustomConfig.Endpoint", "s3://bucket", base="s3"),
]


@pytest.mark.parametrize(("base", "edits", "field"), INVALID_CASES)
def test_it_refuses_an_invalid_value_naming_the_field(base, edits, field):
    error = refused(body(base, edits))

    assert (error.code, error.field) == (INVALID_PARAMETER, field)


# --------------------------------------------------------------------------------------------
# Valid boundaries and value normalisation


def valid(path, value, expected, read, *, base="custom", also=None):
    return pytest.param(
        base, {**(also or {}), path: value}, read, expected, id=f"{base}:{path}={value!r}"[:120]
    )


def region1(spec):
    return spec.layout.custom.regions[1]


VALID_CASES = [
    valid("AppId", "a" * 128, "a" * 128, lambda s: s.app_id),
    valid("AppId", "A-z_0@9.x", "A-z_0@9.x", lambda s: s.app_id),
    valid("BusinessId", "", "", lambda s: s.business_id),
    valid("BusinessId", DELETE, "", lambda s: s.business_id),
    valid("TaskId", "1", "1", lambda s: s.task_id),
    valid("RecordMode", DELETE, RecordMode.MIXED, lambda s: s.record_mode),
    valid(
        "TargetStreams.StreamList[0].Index",
        2**31 - 1,
        2**31 - 1,
        lambda s: s.target_streams[0].index,
        also={"Layout.CustomLayout.Regions[0].StreamIndex": 2**31 - 1},
    ),
    valid(
        "TargetStreams.StreamList[1].StreamType",
        DELETE,
        StreamType.CAMERA,
        lambda s: s.target_streams[1].stream_type,
    ),
    valid(
        "TargetStreams.StreamList[1].UserId",
        "alice",
        ("alice", StreamType.SCREEN),
        lambda s: s.target_streams[1].key,
    ),
    valid("TargetStreams.StreamList", streams(17), 17, lambda s: len(s.target_streams), base="vertical"),
    valid("ExcludeStreams.StreamList", streams(17, prefix="x"), 17, lambda s: len(s.exclude_streams)),
    valid(
        "ExcludeStreams.StreamList",
        [{"UserId": "bob"}],
        ("bob", StreamType.CAMERA),
        lambda s: s.exclude_streams[0].key,
    ),
    valid("Encode.VideoWidth", 2, 2, lambda s: s.encode.video_width),
    valid("Encode.VideoWidth", 1920, 1920, lambda s: s.encode.video_width),
    valid("Encode.VideoHeight", 2, 2, lambda s: s.encode.video_height),
    valid("Encode.VideoHeight", 1920, 1920, lambda s: s.encode.video_height),
    valid("Encode.VideoFps", 1, 1, lambda s: s.encode.video_fps),
    valid("Encode.VideoFps", 60, 60, lambda s: s.encode.video_fps),
    valid("Encode.VideoBitrate", 0, 0, lambda s: s.encode.video_bitrate_kbps),
    valid("Encode.VideoBitrate", 10000, 10000, lambda s: s.encode.video_bitrate_kbps),
    valid("Encode.VideoCodec", 0, VideoCodec.H264, lambda s: s.encode.video_codec),
    valid("Encode.VideoGop", 1, 1, lambda s: s.encode.video_gop_seconds),
    valid("Encode.VideoGop", 5, 5, lambda s: s.encode.video_gop_seconds),
    valid("Encode.AudioProfile", 1, AudioProfile.HE_AAC_V1, lambda s: s.encode.audio_profile),
    valid("Encode.AudioProfile", 2, AudioProfile.HE_AAC_V2, lambda s: s.encode.audio_profile),
    valid("Encode.AudioBitrate", 32, 32, lambda s: s.encode.audio_bitrate_kbps),
    valid("Encode.AudioBitrate", 192, 192, lambda s: s.encode.audio_bitrate_kbps),
    valid("Encode.AudioSampleRate", 16000, 16000, lambda s: s.encode.audio_sample_rate),
    valid("Encode.AudioSampleRate", 32000, 32000, lambda s: s.encode.audio_sample_rate),
    valid("Encode.AudioSampleRate", 48000, 48000, lambda s: s.encode.audio_sample_rate),
    valid("Encode.AudioChannels", 1, 1, lambda s: s.encode.audio_channels),
    valid("Layout.CustomLayout.Canvas.Width", 2, 2, lambda s: s.canvas_size[0], base="tiny_regions"),
    valid("Layout.CustomLayout.Canvas.Width", 1920, 1920, lambda s: s.canvas_size[0]),
    valid("Layout.CustomLayout.Canvas.Height", 2, 2, lambda s: s.canvas_size[1], base="tiny_regions"),
    valid("Layout.CustomLayout.Canvas.Height", 1920, 1920, lambda s: s.canvas_size[1]),
    valid("Layout.CustomLayout.Canvas", DELETE, Canvas(), lambda s: s.layout.custom.canvas),
    valid(
        "Layout.CustomLayout.Canvas.Background",
        "#AbCdEf",
        "#abcdef",
        lambda s: s.layout.custom.canvas.background,
    ),
    valid(
        "Layout.CustomLayout.Canvas.Background", "", "#000000", lambda s: s.layout.custom.canvas.background
    ),
    valid(
        "Layout.CustomLayout.Canvas.BackgroundImage",
        "HTTPS://Example.com/bg.jpg?x=1#f",
        "HTTPS://Example.com/bg.jpg?x=1#f",
        lambda s: s.layout.custom.canvas.background_image,
    ),
    valid(
        "Layout.CustomLayout.Canvas.BackgroundImage",
        "http://10.0.0.1:8080/bg.png",
        "http://10.0.0.1:8080/bg.png",
        lambda s: s.layout.custom.canvas.background_image,
    ),
    valid(
        "Layout.CustomLayout.Canvas.BackgroundImage",
        "https://example.com/" + "a" * 1004,
        1024,
        lambda s: len(s.layout.custom.canvas.background_image),
    ),
    valid(
        "Layout.CustomLayout.Canvas.BackgroundImage",
        "",
        None,
        lambda s: s.layout.custom.canvas.background_image,
    ),
    valid("Layout.CustomLayout.Regions[1].LocationX", 639, 639, lambda s: region1(s).x),
    valid("Layout.CustomLayout.Regions[1].LocationX", 0, 0, lambda s: region1(s).x),
    valid("Layout.CustomLayout.Regions[1].LocationX", DELETE, 0, lambda s: region1(s).x),
    valid("Layout.CustomLayout.Regions[1].LocationY", 479, 479, lambda s: region1(s).y),
    valid("Layout.CustomLayout.Regions[1].Width", 640, 640, lambda s: region1(s).width),  # past the edge
    valid("Layout.CustomLayout.Regions[1].Width", 1, 1, lambda s: region1(s).width),
    valid("Layout.CustomLayout.Regions[1].Height", 480, 480, lambda s: region1(s).height),
    valid("Layout.CustomLayout.Regions[1].ZOrder", 0, 0, lambda s: region1(s).z_order),
    valid("Layout.CustomLayout.Regions[1].ZOrder", 100, 100, lambda s: region1(s).z_order),
    valid("Layout.CustomLayout.Regions[1].Alpha", 1, 1.0, lambda s: region1(s).alpha),
    valid("Layout.CustomLayout.Regions[1].Alpha", 1e-9, 1e-9, lambda s: region1(s).alpha),
    valid("Layout.CustomLayout.Regions[1].Alpha", DELETE, 1.0, lambda s: region1(s).alpha),
    valid(
        "Layout.CustomLayout.Regions[1].RenderMode",
        3,
        RenderMode.STRETCH_CLIENT,
        lambda s: region1(s).render_mode,
    ),
    valid("Layout.CustomLayout.Regions[1].SourceCrop.LocationX", 0, 0.0, lambda s: region1(s).source_crop.x),
    valid(
        "Layout.CustomLayout.Regions[1].SourceCrop.LocationX",
        0.999,
        0.999,
        lambda s: region1(s).source_crop.x,
    ),
    valid(
        "Layout.CustomLayout.Regions[1].SourceCrop.WidthProportion",
        1,
        1.0,
        lambda s: region1(s).source_crop.width,
    ),
    valid("Layout.CustomLayout.Regions[1].SourceCrop", {}, SourceCrop(), lambda s: region1(s).source_crop),
    valid("Layout.CustomLayout.Regions[1].CornerRadius", 0, 0.0, lambda s: region1(s).corner_radius),
    valid("Layout.CustomLayout.Regions[1].CornerRadius", 1, 1.0, lambda s: region1(s).corner_radius),
    valid(
        "Layout.CustomLayout.Regions[1].MediaType",
        1,
        RegionMediaType.AUDIO_ONLY,
        lambda s: region1(s).media_type,
    ),
    valid(
        "Layout.CustomLayout.Regions[1].AlternateImageFillMode",
        0,
        AlternateImageFillMode.LIKE_VIDEO,
        lambda s: region1(s).alternate_image_fill_mode,
    ),
    valid(
        "Layout.CustomLayout.Regions[1].SpatialPosition",
        [-100, 100, 0],
        (-100, 100, 0),
        lambda s: region1(s).spatial_position,
    ),
    valid(
        "Layout.CustomLayout.Regions[1].ApplySpatialAudio",
        False,
        False,
        lambda s: region1(s).apply_spatial_audio,
    ),
    valid("Control.MaxSilenceSeconds", 60, 60, lambda s: s.control.max_silence_seconds),
    valid("Control.MaxSilenceSeconds", 3600, 3600, lambda s: s.control.max_silence_seconds),
    valid("Control.MaxIdleTime", 10, 10, lambda s: s.control.max_idle_time_seconds),
    valid("Control.MaxIdleTime", 86400, 86400, lambda s: s.control.max_idle_time_seconds),
    valid("Control.MaxRecordTime", 0, 0, lambda s: s.control.max_record_time_seconds),
    valid("Control.MaxRecordTime", 2592000, 2592000, lambda s: s.control.max_record_time_seconds),
    valid("Control.MediaType", 1, TaskMediaType.AUDIO_ONLY, lambda s: s.control.media_type),
    valid(
        "FileFormatConfig.FileFormat",
        ["hls", "Flv", "mP4"],
        (FileFormat.HLS, FileFormat.FLV, FileFormat.MP4),
        lambda s: s.file_formats,
    ),
    valid(
        "FileFormatConfig.FileFormat",
        ["MP3", "aac", "M4A", "wav", "PCM", "opus", "HLS"],
        7,
        lambda s: len(s.file_formats),
        base="audio",
    ),
    valid(
        "FileFormatConfig.FileFormat",
        DELETE,
        (FileFormat.MP4,),
        lambda s: s.file_formats,
        also={"Control.EnableSyncUpload": False},
    ),
    valid("FileNameConfig.Prefix", [], (), lambda s: s.file_name.prefix),
    valid("FileNameConfig.Prefix", ["a" * 64, "b" * 63], 2, lambda s: len(s.file_name.prefix)),
    valid("FileNameConfig.Prefix", ["Dir9"], ("Dir9",), lambda s: s.file_name.prefix),
    valid("FileNameConfig.Pattern", "", None, lambda s: s.file_name.pattern),
    valid("FileNameConfig.Pattern", "a" * 1024, 1024, lambda s: len(s.file_name.pattern)),
    valid(
        "FileNameConfig.Pattern", "{TaskId} ..{Random}", "{TaskId} ..{Random}", lambda s: s.file_name.pattern
    ),
    valid("StorageConfig.Type", DELETE, StorageType.TOS, lambda s: s.storage.type),
    valid("StorageConfig.TosConfig.Region", DELETE, 0, lambda s: s.storage.tos.region),
    valid("StorageConfig.VodConfig.StorageClass", 3, 3, lambda s: s.storage.vod.storage_class, base="vod"),
    valid(
        "StorageConfig.VodConfig.StorageClass", DELETE, 1, lambda s: s.storage.vod.storage_class, base="vod"
    ),
    valid(
        "StorageConfig.CustomConfig.Vendor",
        4,
        StorageVendor.QINIU_KODO,
        lambda s: s.storage.custom.vendor,
        base="s3",
    ),
    valid(
        "StorageConfig.CustomConfig.SecurityToken",
        "",
        None,
        lambda s: s.storage.custom.security_token,
        base="s3",
    ),
    valid(
        "StorageConfig.CustomConfig.Endpoint", DELETE, None, lambda s: s.storage.custom.endpoint, base="s3"
    ),
    valid(
        "StorageConfig.CustomConfig.ForcePathStyle",
        DELETE,
        False,
        lambda s: s.storage.custom.force_path_style,
        base="s3",
    ),
]


@pytest.mark.parametrize(("base", "edits", "read", "expected"), VALID_CASES)
def test_it_accepts_each_boundary_value(base, edits, read, expected):
    assert read(parse_start_record(body(base, edits))) == expected


@pytest.mark.parametrize(
    ("profile", "sample_rate", "channels", "kbps"),
    [
        (0, 48000, 2, 128),
        (0, 48000, 1, 64),
        (0, 44100, 2, 128),
        (0, 44100, 1, 64),
        (0, 32000, 2, 96),
        (0, 32000, 1, 48),
        (0, 16000, 2, 64),
        (0, 16000, 1, 32),
        (1, 48000, 2, 48),
        (1, 16000, 1, 32),
        (2, 48000, 2, 32),
        (2, 16000, 2, 32),
    ],
)
def test_it_derives_the_audio_bitrate_from_profile_rate_and_channels(profile, sample_rate, channels, kbps):
    encode = {"AudioProfile": profile, "AudioSampleRate": sample_rate, "AudioChannels": channels}

    spec = parse_start_record(body(edits={"Encode": encode}))

    assert spec.encode.audio_bitrate_kbps == kbps


# --------------------------------------------------------------------------------------------
# Modes


def test_it_requires_two_channels_for_he_aac_v2():
    error = refused(body(edits={"Encode.AudioProfile": 2, "Encode.AudioChannels": 1}))

    assert (error.code, error.field) == (INVALID_PARAMETER, "Encode.AudioProfile")
    assert parse_start_record(body(edits={"Encode.AudioProfile": 2, "Encode.AudioChannels": DELETE}))


def test_it_keeps_the_main_stream_of_a_vertical_layout():
    spec = parse_start_record(body("vertical"))

    assert spec.layout == LayoutSpec(mode=LayoutMode.VERTICAL, main_video_stream=StreamRef("alice"))


def test_it_makes_the_main_stream_optional_side_by_side():
    without_main = parse_start_record(body(edits={"Layout": {"LayoutMode": 3}}))
    with_main = parse_start_record(
        body(edits={"Layout": {"LayoutMode": 3, "MainVideoStream": {"UserId": "bob", "StreamType": 1}}})
    )

    assert without_main.layout == LayoutSpec(mode=LayoutMode.SIDE_BY_SIDE)
    assert with_main.layout.main_video_stream == StreamRef("bob", StreamType.SCREEN)


def test_it_validates_but_drops_layout_parts_the_mode_does_not_use():
    unused = {
        "LayoutMode": 0,
        "MainVideoStream": {"UserId": "alice"},
        "CustomLayout": CUSTOM_BODY["Layout"]["CustomLayout"],
    }

    assert parse_start_record(body(edits={"Layout": unused})).layout == LayoutSpec()
    error = refused(body(edits={"Layout": with_value(unused, "MainVideoStream.UserId", "a b")}))
    assert error.field == "Layout.MainVideoStream.UserId"


def test_it_ignores_the_layout_entirely_in_single_stream_mode():
    nonsense = {"LayoutMode": 99, "CustomLayout": "not even an object"}

    spec = parse_start_record(body("single", {"Layout": nonsense}))

    assert spec.record_mode is RecordMode.SINGLE_STREAM
    assert spec.layout == LayoutSpec()
    assert parse_start_record(body("single", {"Layout": "garbage"})).layout == LayoutSpec()


def test_it_validates_but_ignores_mixing_only_encode_fields_in_single_stream_mode():
    sent = {"VideoWidth": 1280, "VideoHeight": 720, "VideoCodec": 1, "VideoGop": 2, "VideoFps": 24}

    spec = parse_start_record(body("single", {"Encode": sent}))

    assert (spec.encode.video_width, spec.encode.video_height) == (640, 480)
    assert (spec.encode.video_codec, spec.encode.video_gop_seconds) == (VideoCodec.H264, 4)
    assert spec.encode.video_fps == 24
    assert refused(body("single", {"Encode.VideoWidth": 641})).field == "Encode.VideoWidth"
    assert refused(body("single", {"Encode.VideoCodec": 7})).field == "Encode.VideoCodec"


@pytest.mark.parametrize(
    ("encode", "remux"),
    [
        ({}, True),
        ({"VideoWidth": 1280, "AudioBitrate": 64}, True),
        ({"VideoFps": 15}, False),
        ({"VideoBitrate": 0}, False),
    ],
)
def test_it_remuxes_single_streams_only_when_neither_fps_nor_bitrate_is_sent(encode, remux):
    single = parse_start_record(body("single", {"Encode": encode}))
    mixed = parse_start_record(body("vertical", {"Encode": encode}))

    assert single.encode.remux_source_video is remux
    assert mixed.encode.remux_source_video is False


@pytest.mark.parametrize(
    ("edits", "copy", "given"),
    [
        ({}, True, set()),
        (
            {
                "Encode": {"AudioSampleRate": 44_100, "AudioBitrate": 64},
                "FileFormatConfig.FileFormat": ["FLV"],
            },
            True,
            {AudioField.SAMPLE_RATE, AudioField.BITRATE},
        ),
        ({"Control.MediaType": 1, "FileFormatConfig.FileFormat": ["M4A", "AAC", "HLS"]}, True, set()),
        ({"Control.MediaType": 1, "FileFormatConfig.FileFormat": ["M4A", "OPUS"]}, False, set()),
        ({"Control.MediaType": 1, "FileFormatConfig.FileFormat": ["MP3"]}, False, set()),
        ({"Encode": {"VideoFps": 15, "AudioChannels": 1}}, False, set()),
    ],
)
def test_it_lets_a_remuxed_single_stream_copy_its_aac_when_every_format_carries_it(edits, copy, given):
    plain = {"Encode": {}, "Control.EnableSyncUpload": False}
    spec = parse_start_record(body("single", plain | edits))

    assert spec.encode.remux_source_audio is copy
    assert spec.encode.audio_fields_given == given
    assert parse_start_record(body("vertical", plain | edits)).encode.remux_source_audio is False


def test_it_keeps_only_the_audio_fields_sent_when_a_remuxed_spec_is_stored():
    spec = parse_start_record(body("single", {"Encode": {"AudioChannels": 1, "AudioProfile": 0}}))
    assert spec.encode.remux_source_audio
    stored = record_spec_to_json(spec, include_secrets=True)

    assert {key for key in stored["Encode"] if key.startswith("Audio")} == {
        "AudioCodec",
        "AudioChannels",
        "AudioProfile",
    }  # the others are the defaults a copied source need not agree with
    assert parse_start_record(stored) == spec
    assert spec.encode.audio_fields_given == {AudioField.CHANNELS, AudioField.PROFILE}
    assert spec.encode.audio_bitrate_kbps == 64  # derived for one channel, as before

    # A spec built in code, with a rate off its default but not marked as sent: kept.
    built = replace(
        spec, encode=replace(spec.encode, audio_sample_rate=44_100, audio_fields_given=frozenset())
    )
    again = parse_start_record(record_spec_to_json(built, include_secrets=True))
    assert (again.encode.audio_sample_rate, again.encode.audio_channels) == (44_100, 1)


# --------------------------------------------------------------------------------------------
# Cross-field rules


def test_it_refuses_a_stream_both_recorded_and_excluded():
    error = refused(
        body(edits={"ExcludeStreams.StreamList": [{"UserId": "zed"}, {"Index": 1, "UserId": "alice"}]})
    )

    assert (error.code, error.field) == (INVALID_PARAMETER, "ExcludeStreams.StreamList[1]")


def test_it_allows_excluding_the_camera_of_a_user_whose_screen_is_recorded():
    spec = parse_start_record(body(edits={"ExcludeStreams.StreamList": [{"UserId": "bob"}]}))

    assert spec.exclude_streams == (StreamRef("bob"),)


@pytest.mark.parametrize("stream_list", [DELETE, [], None])
def test_it_needs_target_streams_for_a_custom_layout(stream_list):
    error = refused(body(edits={"TargetStreams.StreamList": stream_list}))

    assert (error.code, error.field) == (INVALID_PARAMETER, "TargetStreams.StreamList")


def test_it_refuses_a_region_bound_to_no_stream():
    error = refused(body(edits={"Layout.CustomLayout.Regions[1].StreamIndex": 7}))

    assert (error.code, error.field) == (INVALID_PARAMETER, "Layout.CustomLayout.Regions[1].StreamIndex")


def test_it_refuses_a_stream_without_a_region():
    error = refused(body(edits={"Layout.CustomLayout.Regions": [region(1, 0, 0, 10, 10)]}))

    assert (error.code, error.field) == (INVALID_PARAMETER, "TargetStreams.StreamList[0].Index")


def test_it_binds_regions_by_index_not_by_position():
    edits = {
        "TargetStreams.StreamList": [{"Index": 5, "UserId": "alice"}, {"Index": 3, "UserId": "bob"}],
        "Layout.CustomLayout.Regions": [region(3, 0, 0, 10, 10), region(5, 10, 0, 10, 10)],
    }

    regions = parse_start_record(body(edits=edits)).layout.custom.regions

    assert [r.stream_index for r in regions] == [3, 5]


def test_it_binds_absent_indexes_as_zero():
    edits = {
        "TargetStreams.StreamList": [{"UserId": "alice"}],
        "Layout.CustomLayout.Regions": [region(0, 0, 0, 10, 10)],
    }

    assert parse_start_record(body(edits=edits)).target_streams == (StreamRef("alice"),)


@pytest.mark.parametrize("formats", [DELETE, ["MP4"], ["FLV", "MP4"]])
def test_it_allows_sync_upload_only_with_hls(formats):
    error = refused(body(edits={"FileFormatConfig.FileFormat": formats}))

    assert (error.code, error.field) == (INVALID_PARAMETER, "Control.EnableSyncUpload")


def test_it_allows_audio_only_formats_only_for_audio_only_tasks():
    error = refused(body(edits={"FileFormatConfig.FileFormat": ["HLS", "mp4", "Opus", "WAV"]}))

    assert (error.code, error.field) == (INVALID_PARAMETER, "FileFormatConfig.FileFormat[2]")
    spec = parse_start_record(body("audio", {"FileFormatConfig.FileFormat": ["HLS", "opus"]}))
    assert spec.file_formats == (FileFormat.HLS, FileFormat.OPUS)
    assert spec.audio_only


def test_it_reads_only_the_storage_config_of_the_chosen_type():
    edits = {"StorageConfig.VodConfig": "ignored", "StorageConfig.CustomConfig": {"Vendor": "bad"}}

    spec = parse_start_record(body(edits=edits))

    assert (spec.storage.vod, spec.storage.custom) == (None, None)
    assert parse_start_record(body("s3", {"StorageConfig.TosConfig": 5})).storage.tos is None


# --------------------------------------------------------------------------------------------
# Which error comes first


@pytest.mark.parametrize(
    ("edits", "field"),
    [
        ({"AppId": DELETE, "StorageConfig": DELETE}, "AppId"),
        ({"TaskId": "bad id", "BusinessId": "bad id"}, "BusinessId"),
        ({"Encode.VideoFps": 0, "Encode.VideoWidth": 1}, "Encode.VideoWidth"),
        (
            {"Layout.CustomLayout.Regions[0].Alpha": 9, "Control.MaxIdleTime": 1},
            "Layout.CustomLayout.Regions[0].Alpha",
        ),
        (
            {"Layout.CustomLayout.Regions[1].Width": 0, "Layout.CustomLayout.Regions[0].ZOrder": 101},
            "Layout.CustomLayout.Regions[0].ZOrder",
        ),
        (
            {
                "Layout.CustomLayout.Regions[1].SpatialPosition": [1],
                "Layout.CustomLayout.Regions[1].Width": 0,
            },
            "Layout.CustomLayout.Regions[1].Width",
        ),
        (
            {"Layout.CustomLayout.Canvas.Width": 3, "Layout.CustomLayout.Regions[0].Width": 0},
            "Layout.CustomLayout.Canvas.Width",
        ),
        (
            {"TargetStreams.StreamList[1].Index": 0, "TargetStreams.StreamList[0].UserId": "no good"},
            "TargetStreams.StreamList[0].UserId",
        ),
        (
            {"TargetStreams.StreamList[0].Index": 1, "TargetStreams.StreamList[1].UserId": "no good"},
            "TargetStreams.StreamList[1].UserId",
        ),
        (
            {"ExcludeStreams.StreamList[0].UserId": "alice", "FileNameConfig.Pattern": "a/b"},
            "FileNameConfig.Pattern",
        ),
        (
            {
                "Encode.AudioProfile": 2,
                "Encode.AudioChannels": 1,
                "Layout.CustomLayout.Regions[0].StreamIndex": 9,
            },
            "Encode.AudioProfile",
        ),
        (
            {"ExcludeStreams.StreamList[0].UserId": "alice", "Layout.CustomLayout.Regions[0].StreamIndex": 9},
            "ExcludeStreams.StreamList[0]",
        ),
        (
            {"FileFormatConfig.FileFormat": ["MP4", "MP3"], "Layout.CustomLayout.Regions[0].StreamIndex": 9},
            "Layout.CustomLayout.Regions[0].StreamIndex",
        ),
        ({"FileFormatConfig.FileFormat": ["MP4", "MP3"]}, "Control.EnableSyncUpload"),
        (
            {"StorageConfig.TosConfig.Bucket": DELETE, "StorageConfig.TosConfig.Region": "0"},
            "StorageConfig.TosConfig.Region",
        ),
    ],
)
def test_it_reports_the_first_error_in_field_table_order_then_cross_field_rules(edits, field):
    assert refused(body(edits=edits)).field == field


# --------------------------------------------------------------------------------------------
# Messages


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            {"Layout.CustomLayout.Regions[1].Alpha": 1.5},
            "Layout.CustomLayout.Regions[1].Alpha: must be in (0, 1], got 1.5",
        ),
        ({"Encode.VideoWidth": 641}, "Encode.VideoWidth: must be an even integer in [2, 1920], got 641"),
        ({"Control.MaxIdleTime": 5}, "Control.MaxIdleTime: must be in [10, 86400], got 5"),
        (
            {"Encode.AudioSampleRate": 8000},
            "Encode.AudioSampleRate: must be one of 16000, 32000, 44100, 48000, got 8000"
            " (8000 is accepted only when every FileFormatConfig.FileFormat is WAV, PCM or OPUS;"
            " got MP4, HLS)",
        ),
        ({"RecordMode": 3}, "RecordMode: must be one of 0, 1, got 3"),
        (
            {"Layout.CustomLayout.Regions[1].LocationX": 640},
            "Layout.CustomLayout.Regions[1].LocationX: must be in [0, 639], got 640",
        ),
        (
            {"Layout.CustomLayout.Regions[1].SourceCrop.LocationX": 1},
            "Layout.CustomLayout.Regions[1].SourceCrop.LocationX: must be in [0, 1), got 1",
        ),
        ({"RecordMode": "0"}, "RecordMode: must be an integer, got string '0'"),
        ({"Encode.VideoFps": 1.0}, "Encode.VideoFps: must be an integer, got number 1.0"),
        ({"AppId": ""}, "AppId: is required"),
    ],
)
def test_it_explains_the_error_starting_with_the_field_path(edits, message):
    assert refused(body(edits=edits)).message == message


def test_it_survives_integers_too_long_to_print():
    error = refused(body(edits={"Encode.VideoFps": 10**5000}))

    assert error.field == "Encode.VideoFps"
    assert "bits" in error.message


def test_it_keeps_messages_short_when_echoing_long_input():
    error = refused(body(edits={"Layout.CustomLayout.Canvas.Background": "x" * 10_000}))

    assert len(error.message) < 200


def test_it_makes_errors_that_survive_pickling():
    import pickle

    error = refused(body(edits={"AppId": ""}))
    copy_ = pickle.loads(pickle.dumps(error))

    assert (copy_.code, copy_.field, copy_.message) == (error.code, error.field, error.message)


# --------------------------------------------------------------------------------------------
# Canonical JSON and secrets


def test_it_writes_canonical_json_with_every_default_filled_in():
    spec = parse_start_record(MINIMAL_BODY)

    assert record_spec_to_json(spec, include_secrets=True) == {
        "AppId": "app",
        "BusinessId": "",
        "RoomId": "room",
        "TaskId": "task",
        "RecordMode": 0,
        "TargetStreams": {"StreamList": []},
        "ExcludeStreams": {"StreamList": []},
        "Encode": {
            "VideoWidth": 640,
            "VideoHeight": 480,
            "VideoFps": 15,
            "VideoBitrate": 0,
            "VideoCodec": 0,
            "VideoGop": 4,
            "AudioCodec": 0,
            "AudioProfile": 0,
            "AudioBitrate": 128,
            "AudioSampleRate": 48000,
            "AudioChannels": 2,
        },
        "Layout": {"LayoutMode": 0},
        "Control": {
            "MediaType": 0,
            "FrameInterpolationMode": 0,
            "MaxSilenceSeconds": 3600,
            "MaxIdleTime": 180,
            "MaxRecordTime": 0,
            "EnableSyncUpload": False,
        },
        "FileFormatConfig": {"FileFormat": ["MP4"]},
        "FileNameConfig": {"Prefix": [], "Pattern": ""},
        "StorageConfig": {"Type": 0, "TosConfig": {"AccountId": "21", "Region": 0, "Bucket": "b"}},
    }


def test_it_writes_a_region_with_every_default_filled_in():
    layout = parse_layout({"LayoutMode": 2, "CustomLayout": {"Regions": [region(0, 1, 2, 3, 4)]}})

    assert layout_to_json(layout) == {
        "LayoutMode": 2,
        "CustomLayout": {
            "Canvas": {"Width": 640, "Height": 480, "Background": "#000000"},
            "Regions": [
                {
                    "StreamIndex": 0,
                    "LocationX": 1,
                    "LocationY": 2,
                    "Width": 3,
                    "Height": 4,
                    "ZOrder": 0,
                    "Alpha": 1.0,
                    "RenderMode": 0,
                    "SourceCrop": {
                        "LocationX": 0.0,
                        "LocationY": 0.0,
                        "WidthProportion": 1.0,
                        "HeightProportion": 1.0,
                    },
                    "CornerRadius": 0.0,
                    "MediaType": 0,
                    "AlternateImageFillMode": 0,
                    "ApplySpatialAudio": False,
                    "SpatialPosition": [0, 0, 0],
                }
            ],
        },
    }


@pytest.mark.parametrize("base", sorted(BASES))
def test_it_round_trips_through_canonical_json(base):
    spec = parse_start_record(body(base))
    canonical = record_spec_to_json(spec, include_secrets=True)

    assert parse_start_record(json.loads(json.dumps(canonical))) == spec
    assert record_spec_to_json(parse_start_record(canonical), include_secrets=True) == canonical


def test_it_leaves_storage_secrets_out_unless_asked():
    spec = parse_start_record(body("s3"))

    public = record_spec_to_json(spec, include_secrets=False)
    private = record_spec_to_json(spec, include_secrets=True)

    custom = public["StorageConfig"]["CustomConfig"]
    assert not {"AccessKey", "SecretKey", "SecurityToken"} & set(custom)
    assert custom["Endpoint"] == "https://minio.internal:9000"
    assert private["StorageConfig"]["CustomConfig"]["SecretKey"] == "SECRET"
    assert "SECRET" not in repr(spec)


def test_it_splits_secrets_off_and_puts_them_back():
    spec = parse_start_record(body("s3"))
    secrets = storage_secrets(spec)
    stored = json.loads(json.dumps(record_spec_to_json(spec, include_secrets=False)))

    assert secrets == {"AccessKey": "AKID", "SecretKey": "SECRET", "SecurityToken": "TOKEN"}
    assert parse_stored_record(stored, secrets) == spec
    assert with_storage_secrets(spec, secrets) == spec
    rotated = with_storage_secrets(spec, {"AccessKey": "AK2", "SecretKey": "SK2"})
    assert storage_secrets(rotated) == {"AccessKey": "AK2", "SecretKey": "SK2"}


def test_it_has_no_secrets_for_tos_or_vod_storage():
    for base in ("custom", "vod"):
        spec = parse_start_record(body(base))
        assert storage_secrets(spec) == {}
        assert with_storage_secrets(spec, {}) == spec
        assert parse_stored_record(record_spec_to_json(spec, include_secrets=False), {}) == spec


@pytest.mark.parametrize(
    ("base", "secrets"),
    [
        ("custom", {"AccessKey": "a", "SecretKey": "b"}),
        ("s3", {"AccessKey": "a"}),
        ("s3", {"AccessKey": "a", "SecretKey": "b", "Password": "c"}),
    ],
)
def test_it_refuses_secrets_that_do_not_fit_the_storage(base, secrets):
    with pytest.raises(ValueError):
        with_storage_secrets(parse_start_record(body(base)), secrets)


def test_it_refuses_a_stored_record_whose_secrets_are_lost():
    spec = parse_start_record(body("s3"))

    error = refused(record_spec_to_json(spec, include_secrets=False))

    assert (error.code, error.field) == (MISSING_PARAMETER, "StorageConfig.CustomConfig.AccessKey")


# --------------------------------------------------------------------------------------------
# Layout templates


def test_it_parses_a_layout_template_on_its_own():
    template = CUSTOM_BODY["Layout"]

    layout = parse_layout(template)

    assert layout == parse_start_record(body()).layout
    assert parse_layout(layout_to_json(layout)) == layout
    assert parse_layout(None) == LayoutSpec()


def test_it_names_template_errors_from_the_given_path():
    template = with_value(CUSTOM_BODY["Layout"], "CustomLayout.Regions[0].ZOrder", 500)

    with pytest.raises(SpecError) as caught:
        parse_layout(template, "Template")

    assert (caught.value.code, caught.value.field) == (
        INVALID_PARAMETER,
        "Template.CustomLayout.Regions[0].ZOrder",
    )
    with pytest.raises(SpecError) as caught:
        parse_layout([], "")
    assert (caught.value.code, caught.value.field) == (UNMARSHAL, "")


def test_it_leaves_stream_binding_out_of_layout_templates():
    template = with_value(CUSTOM_BODY["Layout"], "CustomLayout.Regions[0].StreamIndex", 42)

    assert parse_layout(template).custom.regions[0].stream_index == 42


def test_it_lets_excluded_streams_share_the_default_index():
    # An excluded stream is never recorded, so its Index labels nothing.
    body = {**MINIMAL_BODY, "ExcludeStreams": {"StreamList": [{"UserId": "x"}, {"UserId": "y"}]}}
    spec = parse_start_record(body)
    assert [stream.user_id for stream in spec.exclude_streams] == ["x", "y"]
