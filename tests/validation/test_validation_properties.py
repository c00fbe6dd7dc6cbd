"""Properties of validation over generated bodies.

* every generated valid body parses, and its canonical JSON parses back to the same spec;
* changing exactly one field of a valid body into something invalid is reported with the
  expected code and exactly that field's path;
* nothing a client can send makes validation raise anything but SpecError.
"""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.validation import (
    INVALID_PARAMETER,
    MISSING_PARAMETER,
    UNMARSHAL,
    SpecError,
    apply_update,
    layout_to_json,
    parse_layout,
    parse_start_record,
    parse_stored_record,
    parse_update_record,
    record_spec_to_json,
    storage_secrets,
)
from recorder.validation.paths import lookup, with_value, without

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DELETE = object()
MAX_INT32 = 2**31 - 1
ID_ALPHABET = string.ascii_letters + string.digits + "_@-."
VIDEO_FORMATS = ("MP4", "HLS", "FLV")
AUDIO_FORMATS = ("MP3", "AAC", "M4A", "WAV", "PCM", "OPUS")

ids = st.text(ID_ALPHABET, min_size=1, max_size=24) | st.sampled_from(ID_ALPHABET).map(
    lambda char: char * 128
)
names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=24)
urls = st.builds(
    "{}://{}.example.com/{}.png".format,
    st.sampled_from(["http", "https", "HTTPS"]),
    st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12),
    st.text(string.ascii_letters + string.digits + "-_/", max_size=20),
)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
even_sizes = st.integers(1, 960).map(lambda half: half * 2)
random_case = st.sampled_from([str.upper, str.lower, str.title])


def optional(draw, members, key, strategy):
    """Put ``key`` into ``members``, or leave it out, or send null (both mean the default)."""
    how = draw(st.sampled_from(["set", "set", "absent", "null"]))
    if how == "set":
        members[key] = draw(strategy)
    elif how == "null":
        members[key] = None


# --------------------------------------------------------------------------------------------
# Valid bodies


@st.composite
def stream_lists(draw, user_ids, *, camera_only=False):
    indexes = draw(
        st.lists(
            st.integers(0, MAX_INT32) | st.integers(0, 20),
            min_size=len(user_ids),
            max_size=len(user_ids),
            unique=True,
        )
    )
    streams = []
    for user_id, index in zip(user_ids, indexes, strict=True):
        stream = {"UserId": user_id}
        if index != 0 or draw(st.booleans()):
            stream["Index"] = index
        if camera_only:
            optional(draw, stream, "StreamType", st.just(0))
        else:
            optional(draw, stream, "StreamType", st.sampled_from([0, 1]))
        streams.append(stream)
    return streams


@st.composite
def encodes(draw):
    encode = {}
    optional(draw, encode, "VideoWidth", even_sizes)
    optional(draw, encode, "VideoHeight", even_sizes)
    optional(draw, encode, "VideoFps", st.integers(1, 60))
    optional(draw, encode, "VideoBitrate", st.integers(0, 10_000))
    optional(draw, encode, "VideoCodec", st.sampled_from([0, 1]))
    optional(draw, encode, "VideoGop", st.integers(1, 5))
    optional(draw, encode, "AudioCodec", st.just(0))
    profile = draw(st.sampled_from([None, 0, 1, 2]))
    if profile is not None:
        encode["AudioProfile"] = profile
    optional(draw, encode, "AudioBitrate", st.integers(32, 192))
    optional(draw, encode, "AudioSampleRate", st.sampled_from([16_000, 32_000, 44_100, 48_000]))
    optional(draw, encode, "AudioChannels", st.just(2) if profile == 2 else st.sampled_from([1, 2]))
    return encode


@st.composite
def regions(draw, index, width, height):
    region = {
        "StreamIndex": index,
        "Width": draw(st.integers(1, width)),
        "Height": draw(st.integers(1, height)),
    }
    optional(draw, region, "LocationX", st.integers(0, width - 1))
    optional(draw, region, "LocationY", st.integers(0, height - 1))
    optional(draw, region, "ZOrder", st.integers(0, 100))
    optional(draw, region, "Alpha", st.floats(0, 1, exclude_min=True) | st.just(1))
    optional(draw, region, "RenderMode", st.integers(0, 3))
    crop = {}
    optional(draw, crop, "LocationX", st.floats(0, 1, exclude_max=True) | st.just(0))
    optional(draw, crop, "LocationY", st.floats(0, 1, exclude_max=True))
    optional(draw, crop, "WidthProportion", st.floats(0, 1, exclude_min=True) | st.just(1))
    optional(draw, crop, "HeightProportion", st.floats(0, 1, exclude_min=True))
    optional(draw, region, "SourceCrop", st.just(crop))
    optional(draw, region, "AlternateImage", urls | st.just(""))
    optional(draw, region, "CornerRadius", st.floats(0, 1))
    optional(draw, region, "MediaType", st.integers(0, 2))
    optional(draw, region, "AlternateImageFillMode", st.integers(0, 1))
    optional(draw, region, "ApplySpatialAudio", st.booleans())
    optional(draw, region, "SpatialPosition", st.lists(st.integers(-100, 100), min_size=3, max_size=3))
    return region


@st.composite
def layouts(draw, mode, indexes):
    layout = {} if mode == 0 and draw(st.booleans()) else {"LayoutMode": mode}
    stream = st.fixed_dictionaries(
        {"UserId": ids}, optional={"Index": st.integers(0, 9), "StreamType": st.integers(0, 1)}
    )
    if mode == 1:
        layout["MainVideoStream"] = draw(stream)
    if mode == 3:
        optional(draw, layout, "MainVideoStream", stream)
    if mode == 2:
        canvas = {}
        optional(draw, canvas, "Width", even_sizes)
        optional(draw, canvas, "Height", even_sizes)
        optional(
            draw,
            canvas,
            "Background",
            st.text(string.hexdigits, min_size=6, max_size=6).map("#{}".format) | st.just(""),
        )
        optional(draw, canvas, "BackgroundImage", urls)
        custom = {}
        optional(draw, custom, "Canvas", st.just(canvas))
        sent = custom.get("Canvas") or {}
        width, height = sent.get("Width") or 640, sent.get("Height") or 480
        custom["Regions"] = [draw(regions(index, width, height)) for index in draw(st.permutations(indexes))]
        layout["CustomLayout"] = custom
    return layout


@st.composite
def storages(draw):
    storage_type = draw(st.sampled_from([0, 1, 2]))
    storage = {"Type": storage_type} if storage_type or draw(st.booleans()) else {}
    if storage_type == 0:
        tos = {draw(st.sampled_from(["AccountId", "UserAccountId"])): draw(names), "Bucket": draw(names)}
        optional(draw, tos, "Region", st.integers(0, 40))
        storage["TosConfig"] = tos
    elif storage_type == 1:
        vod = {"AccountId": draw(names), "Space": draw(names)}
        optional(draw, vod, "Region", st.integers(0, 40))
        optional(draw, vod, "StorageClass", st.integers(1, 3))
        optional(draw, vod, "AutoSetFileExtension", st.booleans())
        storage["VodConfig"] = vod
    else:
        custom = {"Bucket": draw(names), "AccessKey": draw(names), "SecretKey": draw(names)}
        optional(draw, custom, "Vendor", st.integers(0, 4))
        optional(draw, custom, "Region", st.integers(0, 40))
        optional(draw, custom, "SecurityToken", names)
        optional(draw, custom, "Endpoint", urls)
        optional(draw, custom, "ForcePathStyle", st.booleans())
        storage["CustomConfig"] = custom
    if draw(st.booleans()):  # configs of other types are ignored, whatever they hold
        other = {0: "VodConfig", 1: "CustomConfig", 2: "TosConfig"}[storage_type]
        storage[other] = draw(st.sampled_from([{}, "junk", {"Region": "0"}]))
    return storage


@st.composite
def start_bodies(draw):
    record_mode = draw(st.sampled_from([0, 1]))
    layout_mode = draw(st.sampled_from([0, 1, 2, 3])) if record_mode == 0 else None
    target_count = draw(st.integers(1 if layout_mode == 2 else 0, 6) | st.just(17))
    user_ids = draw(st.lists(ids, min_size=target_count, max_size=target_count, unique=True))
    targets = draw(stream_lists(user_ids))
    exclude_ids = draw(
        st.lists(ids.map("ex{}".format).filter(lambda u: len(u) <= 128), max_size=4, unique=True)
    )
    body = {"AppId": draw(ids), "RoomId": draw(ids), "TaskId": draw(ids)}
    optional(draw, body, "BusinessId", ids | st.just(""))
    if record_mode or draw(st.booleans()):
        body["RecordMode"] = record_mode
    if targets or draw(st.booleans()):
        body["TargetStreams"] = {"StreamList": targets}
    if exclude_ids or draw(st.booleans()):
        body["ExcludeStreams"] = {"StreamList": draw(stream_lists(exclude_ids, camera_only=True))}
    optional(draw, body, "Encode", encodes())
    if layout_mode is not None:
        indexes = [stream.get("Index", 0) for stream in targets]
        if layout_mode in (1, 2) or draw(st.booleans()):
            body["Layout"] = draw(layouts(layout_mode, indexes))
    elif draw(st.booleans()):  # single-stream mode ignores any Layout
        body["Layout"] = draw(json_values)
    audio_only = draw(st.booleans())
    allowed = VIDEO_FORMATS + (AUDIO_FORMATS if audio_only else ())
    formats = draw(st.none() | st.lists(st.sampled_from(allowed), min_size=1, max_size=4, unique=True))
    control = {"MediaType": 1} if audio_only else {}
    optional(draw, control, "FrameInterpolationMode", st.integers(0, 1))
    optional(draw, control, "MaxSilenceSeconds", st.integers(60, 3600))
    optional(draw, control, "MaxIdleTime", st.integers(10, 86_400))
    optional(draw, control, "MaxRecordTime", st.integers(0, 2_592_000))
    optional(
        draw, control, "EnableSyncUpload", st.booleans() if formats and "HLS" in formats else st.just(False)
    )
    if control or draw(st.booleans()):
        body["Control"] = control
    if formats is not None:
        body["FileFormatConfig"] = {"FileFormat": [draw(random_case)(name) for name in formats]}
    file_name = {}
    optional(
        draw,
        file_name,
        "Prefix",
        st.lists(st.text(string.ascii_letters + string.digits, min_size=1, max_size=12), max_size=8),
    )
    optional(
        draw, file_name, "Pattern", st.text(string.ascii_letters + string.digits + "{}_-. ", max_size=40)
    )
    optional(draw, body, "FileNameConfig", st.just(file_name))
    body["StorageConfig"] = draw(storages())
    if draw(st.booleans()):
        body["SomeFutureField"] = draw(json_values)
    return body


@SETTINGS
@given(start_bodies())
def test_it_round_trips_every_valid_body_through_canonical_json(body):
    spec = parse_start_record(body)
    canonical = record_spec_to_json(spec, include_secrets=True)

    assert parse_start_record(json.loads(json.dumps(canonical))) == spec
    assert record_spec_to_json(parse_start_record(canonical), include_secrets=True) == canonical
    stored = json.loads(json.dumps(record_spec_to_json(spec, include_secrets=False)))
    assert parse_stored_record(stored, storage_secrets(spec)) == spec
    if spec.layout.custom is not None:
        assert parse_layout(layout_to_json(spec.layout)) == spec.layout


# --------------------------------------------------------------------------------------------
# One invalid field


def bad_int(low, high, *, even=False):
    cases = [(low - 1, INVALID_PARAMETER), (high + 1, INVALID_PARAMETER)]
    cases += [(str(low), UNMARSHAL), (float(low), UNMARSHAL), (low + 0.5, UNMARSHAL), (True, UNMARSHAL)]
    return cases + ([(low + 1, INVALID_PARAMETER)] if even else [])


def bad_float(low, high):
    return [
        (low - 0.5, INVALID_PARAMETER),
        (high + 0.5, INVALID_PARAMETER),
        ("0.5", UNMARSHAL),
        (False, UNMARSHAL),
    ]


def bad_id(*, required=True):
    cases = [("not an id", INVALID_PARAMETER), ("x" * 129, INVALID_PARAMETER), (7, UNMARSHAL)]
    return cases + (
        [(DELETE, MISSING_PARAMETER), ("", MISSING_PARAMETER), (None, MISSING_PARAMETER)] if required else []
    )


BAD_TEXT = [
    (DELETE, MISSING_PARAMETER),
    ("", MISSING_PARAMETER),
    (12, UNMARSHAL),
    ("a\x00b", INVALID_PARAMETER),
]
BAD_BOOL = [(1, UNMARSHAL), ("true", UNMARSHAL)]
BAD_URL = [("ftp://example.com/a.png", INVALID_PARAMETER), ("no url", INVALID_PARAMETER), (5, UNMARSHAL)]
BAD_OBJECT = [([], UNMARSHAL), ("{}", UNMARSHAL)]
BAD_LIST = [({}, UNMARSHAL), ("[]", UNMARSHAL)]

STREAM = {"Index": bad_int(0, MAX_INT32), "UserId": bad_id(), "StreamType": bad_int(0, 1)}
ENCODE = {
    "VideoWidth": bad_int(2, 1920, even=True),
    "VideoHeight": bad_int(2, 1920, even=True),
    "VideoFps": bad_int(1, 60),
    "VideoBitrate": bad_int(0, 10_000),
    "VideoCodec": bad_int(0, 1),
    "VideoGop": bad_int(1, 5),
    "AudioCodec": bad_int(0, 0),
    "AudioProfile": bad_int(0, 2),
    "AudioBitrate": bad_int(32, 192),
    "AudioSampleRate": [(44_000, INVALID_PARAMETER), ("48000", UNMARSHAL)],
    "AudioChannels": bad_int(1, 2),
}
CONTROL = {
    "MediaType": bad_int(0, 1),
    "FrameInterpolationMode": bad_int(0, 1),
    "MaxSilenceSeconds": bad_int(60, 3600),
    "MaxIdleTime": bad_int(10, 86_400),
    "MaxRecordTime": bad_int(0, 2_592_000),
    "EnableSyncUpload": BAD_BOOL,
}
CROP = {
    "LocationX": [(1, INVALID_PARAMETER), *bad_float(0, 1)],
    "LocationY": [(1.0, INVALID_PARAMETER), *bad_float(0, 1)],
    "WidthProportion": [(0, INVALID_PARAMETER), *bad_float(0, 1)],
    "HeightProportion": [(0.0, INVALID_PARAMETER), *bad_float(0, 1)],
}


def region_fields(width, height):
    return {
        "StreamIndex": [(DELETE, MISSING_PARAMETER), (-1, INVALID_PARAMETER), ("0", UNMARSHAL)],
        "LocationX": [(width, INVALID_PARAMETER), *bad_int(0, width - 1)[2:], (-1, INVALID_PARAMETER)],
        "LocationY": [(height, INVALID_PARAMETER), (-1, INVALID_PARAMETER), (0.0, UNMARSHAL)],
        "Width": [
            (DELETE, MISSING_PARAMETER),
            (0, INVALID_PARAMETER),
            (width + 1, INVALID_PARAMETER),
            ("1", UNMARSHAL),
        ],
        "Height": [(None, MISSING_PARAMETER), (0, INVALID_PARAMETER), (height + 1, INVALID_PARAMETER)],
        "ZOrder": bad_int(0, 100),
        "Alpha": [(0, INVALID_PARAMETER), (float("nan"), INVALID_PARAMETER), *bad_float(0, 1)],
        "RenderMode": bad_int(0, 3),
        "SourceCrop": BAD_OBJECT,
        "AlternateImage": BAD_URL,
        "CornerRadius": bad_float(0, 1),
        "MediaType": bad_int(0, 2),
        "AlternateImageFillMode": bad_int(0, 1),
        "ApplySpatialAudio": BAD_BOOL,
        "SpatialPosition": [([0, 0], INVALID_PARAMETER), ({}, UNMARSHAL), ("0,0,0", UNMARSHAL)],
    }


def field_mutations(body, path, fields):
    """(path, value, code, expected field) for each field of the object at ``path``."""
    container = lookup(body, path) if path else body
    prefix = f"{path}." if path else ""
    result = []
    for key, cases in fields.items():
        for value, code in cases:
            if value is DELETE and key not in container:
                continue
            result.append((prefix + key, value, code, prefix + key))
    return result


def mutations(body):
    spec = parse_start_record(body)
    found = field_mutations(
        body,
        "",
        {
            "AppId": bad_id(),
            "BusinessId": bad_id(required=False),
            "RoomId": bad_id(),
            "TaskId": bad_id(),
            "RecordMode": bad_int(0, 1),
        },
    )
    found += [
        (key, value, code, key)
        for key in (
            "TargetStreams",
            "ExcludeStreams",
            "Encode",
            "Control",
            "FileFormatConfig",
            "FileNameConfig",
            "StorageConfig",
        )
        for value, code in BAD_OBJECT
    ]
    found += [("StorageConfig", DELETE, MISSING_PARAMETER, "StorageConfig")]
    for key in ("TargetStreams", "ExcludeStreams"):
        streams = (body.get(key) or {}).get("StreamList")
        if streams is not None:
            found += [(f"{key}.StreamList", value, code, f"{key}.StreamList") for value, code in BAD_LIST]
            for position in range(len(streams)):
                found += field_mutations(body, f"{key}.StreamList[{position}]", STREAM)
    if body.get("Encode") is not None:
        found += field_mutations(body, "Encode", ENCODE)
    if body.get("Control") is not None:
        found += field_mutations(body, "Control", CONTROL)
    if spec.record_mode == 0:
        found += [("Layout", value, code, "Layout") for value, code in BAD_OBJECT]
        if body.get("Layout") is not None:
            found += field_mutations(body, "Layout", {"LayoutMode": bad_int(0, 3)})
        if spec.layout.mode == 1:
            found += field_mutations(
                body, "Layout", {"MainVideoStream": [(DELETE, MISSING_PARAMETER), *BAD_OBJECT]}
            )
            found += field_mutations(body, "Layout.MainVideoStream", STREAM)
        if spec.layout.mode == 2:
            canvas = spec.layout.custom.canvas
            found += field_mutations(
                body, "Layout", {"CustomLayout": [(None, MISSING_PARAMETER), *BAD_OBJECT]}
            )
            found += field_mutations(body, "Layout.CustomLayout", {"Canvas": BAD_OBJECT, "Regions": BAD_LIST})
            if body["Layout"]["CustomLayout"].get("Canvas") is not None:
                found += field_mutations(
                    body,
                    "Layout.CustomLayout.Canvas",
                    {
                        "Width": bad_int(2, 1920, even=True),
                        "Height": bad_int(2, 1920, even=True),
                        "Background": [
                            ("#12345", INVALID_PARAMETER),
                            ("white", INVALID_PARAMETER),
                            (0, UNMARSHAL),
                        ],
                        "BackgroundImage": BAD_URL,
                    },
                )
            for position, value in enumerate(body["Layout"]["CustomLayout"]["Regions"]):
                path = f"Layout.CustomLayout.Regions[{position}]"
                found += [(path, bad, UNMARSHAL, path) for bad in (5, "region", [value])]
                found += field_mutations(body, path, region_fields(canvas.width, canvas.height))
                if value.get("SourceCrop") is not None:
                    found += field_mutations(body, f"{path}.SourceCrop", CROP)
    if body.get("FileFormatConfig") is not None:
        found += field_mutations(
            body, "FileFormatConfig", {"FileFormat": [([], INVALID_PARAMETER), ("MP4", UNMARSHAL)]}
        )
        for position in range(len(body["FileFormatConfig"]["FileFormat"] or [])):
            path = f"FileFormatConfig.FileFormat[{position}]"
            found += [(path, "MKV", INVALID_PARAMETER, path), (path, 1, UNMARSHAL, path)]
    if body.get("FileNameConfig") is not None:
        found += field_mutations(
            body,
            "FileNameConfig",
            {
                "Prefix": [
                    (["a" * 129], INVALID_PARAMETER),
                    ("dir", UNMARSHAL),
                ],
                "Pattern": [("a/b", INVALID_PARAMETER), ("a\nb", INVALID_PARAMETER), (["p"], UNMARSHAL)],
            },
        )
        prefix = "FileNameConfig.Prefix"
        found += [
            (prefix, ["ok", "not-ok"], INVALID_PARAMETER, f"{prefix}[1]"),
            (prefix, ["ok", 5], UNMARSHAL, f"{prefix}[1]"),
        ]
    found += storage_mutations(body, spec)
    return found


def storage_mutations(body, spec):
    found = field_mutations(body, "StorageConfig", {"Type": [(3, INVALID_PARAMETER), ("0", UNMARSHAL)]})
    config = {0: "TosConfig", 1: "VodConfig", 2: "CustomConfig"}[int(spec.storage.type)]
    path = f"StorageConfig.{config}"
    found += [(path, value, code, path) for value, code in [(DELETE, MISSING_PARAMETER), *BAD_OBJECT]]
    region = {"Region": [(-1, INVALID_PARAMETER), ("0", UNMARSHAL), (0.0, UNMARSHAL)]}
    if config == "TosConfig":
        account = "AccountId" if "AccountId" in body["StorageConfig"]["TosConfig"] else "UserAccountId"
        found += [
            (
                f"{path}.{account}",
                value,
                code,
                f"{path}.AccountId" if code == MISSING_PARAMETER else f"{path}.{account}",
            )
            for value, code in BAD_TEXT
        ]
        found += field_mutations(body, path, {**region, "Bucket": BAD_TEXT})
    elif config == "VodConfig":
        found += field_mutations(
            body,
            path,
            {
                "AccountId": BAD_TEXT,
                **region,
                "Space": BAD_TEXT,
                "StorageClass": bad_int(1, 3),
                "AutoSetFileExtension": BAD_BOOL,
            },
        )
    else:
        found += field_mutations(
            body,
            path,
            {
                "Vendor": bad_int(0, 4),
                **region,
                "Bucket": BAD_TEXT,
                "AccessKey": BAD_TEXT,
                "SecretKey": BAD_TEXT,
                "SecurityToken": [(5, UNMARSHAL), ("t\x7f", INVALID_PARAMETER)],
                "Endpoint": BAD_URL,
                "ForcePathStyle": BAD_BOOL,
            },
        )
    return found


@SETTINGS
@given(st.data())
def test_it_names_exactly_the_one_field_made_invalid(data):
    body = data.draw(start_bodies(), label="body")
    path, value, code, field = data.draw(st.sampled_from(mutations(body)), label="mutation")
    mutated = without(body, path) if value is DELETE else with_value(body, path, value)

    try:
        parse_start_record(mutated)
    except SpecError as error:
        assert (error.code, error.field) == (code, field), error.message
        assert error.message.startswith(f"{field}: ")
    else:
        raise AssertionError(f"{path} = {value!r} was accepted")


# --------------------------------------------------------------------------------------------
# Anything at all


KNOWN_KEYS = sorted(
    {
        "AppId",
        "BusinessId",
        "RoomId",
        "TaskId",
        "RecordMode",
        "TargetStreams",
        "ExcludeStreams",
        "StreamList",
        "Encode",
        "Layout",
        "LayoutMode",
        "MainVideoStream",
        "CustomLayout",
        "Canvas",
        "Regions",
        "Background",
        "BackgroundImage",
        "SourceCrop",
        "Control",
        "FileFormatConfig",
        "FileFormat",
        "FileNameConfig",
        "Prefix",
        "Pattern",
        "StorageConfig",
        "Type",
        "TosConfig",
        "VodConfig",
        "CustomConfig",
        "UserAccountId",
        "SpatialPosition",
        *ENCODE,
        *CONTROL,
        *STREAM,
        *CROP,
        *region_fields(640, 480),
        "AccountId",
        "Bucket",
        "Space",
        "StorageClass",
        "AutoSetFileExtension",
        "Vendor",
        "Region",
        "AccessKey",
        "SecretKey",
        "SecurityToken",
        "Endpoint",
        "ForcePathStyle",
        "Width",
        "Height",
    }
)
known_shaped = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=6), children, max_size=6)
    ),
    max_leaves=30,
)


def body_paths(value, path=""):
    yield path
    if isinstance(value, dict):
        for key, member in value.items():
            if key.isidentifier():  # the keys of the schema, not generated junk
                yield from body_paths(member, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for position, member in enumerate(value):
            yield from body_paths(member, f"{path}[{position}]")


def only_spec_errors(call, value):
    try:
        call(value)
    except SpecError as error:
        assert error.code in {MISSING_PARAMETER, INVALID_PARAMETER, UNMARSHAL}
        assert error.message.startswith(f"{error.field}: " if error.field else "")


@SETTINGS
@given(json_values | known_shaped)
def test_it_raises_nothing_but_spec_error_for_any_json(value):
    only_spec_errors(parse_start_record, value)
    only_spec_errors(parse_update_record, value)
    only_spec_errors(parse_layout, value)


@SETTINGS
@given(st.data())
def test_it_raises_nothing_but_spec_error_for_any_json_at_a_known_field(data):
    body = data.draw(start_bodies(), label="body")
    path = data.draw(st.sampled_from([p for p in body_paths(body) if p]), label="path")
    value = data.draw(json_values | known_shaped, label="value")

    only_spec_errors(parse_start_record, with_value(body, path, value))
    only_spec_errors(parse_update_record, with_value(body, path, value))


@SETTINGS
@given(st.data())
def test_it_applies_any_parsed_update_or_raises_spec_error(data):
    body = data.draw(start_bodies(), label="task")
    task = parse_start_record(body)
    update = {"AppId": task.app_id, "RoomId": task.room_id, "TaskId": task.task_id}
    if data.draw(st.booleans()):
        update["TargetStreams"] = data.draw(
            st.sampled_from([body.get("TargetStreams"), {"StreamList": []}]) | known_shaped
        )
    if data.draw(st.booleans()):
        update["Layout"] = data.draw(st.sampled_from([body.get("Layout")]) | known_shaped)
    try:
        parsed = parse_update_record(update)
        result = apply_update(task, parsed)
    except SpecError:
        return
    assert parse_start_record(record_spec_to_json(result, include_secrets=True)) == result
