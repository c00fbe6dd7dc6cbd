"""The canonical OpenAPI-shaped JSON of a spec: PascalCase keys, every default written out.

Optional values without a default (BackgroundImage, AlternateImage, Endpoint, SecurityToken,
MainVideoStream, CustomLayout) are left out rather than written as null, and so are this
service's extension fields (OpusBitrateBps, MaxRecordTimeMs) while they are 0: a task that does
not use them has exactly the seed's JSON. Law:
``parse_start_record(record_spec_to_json(spec, include_secrets=True)) == spec``.
"""

from __future__ import annotations

from typing import Final

from recorder.engine.spec import (
    AudioField,
    Canvas,
    ControlSpec,
    CustomStorageConfig,
    EncodeSpec,
    LayoutSpec,
    RecordMode,
    RecordSpec,
    Region,
    StorageSpec,
    StreamRef,
)
from recorder.validation.encode import DEFAULTS as ENCODE_DEFAULTS
from recorder.validation.encode import default_audio_bitrate

JsonObject = dict[str, object]

SECRET_KEYS: Final = ("AccessKey", "SecretKey", "SecurityToken")


def record_spec_to_json(spec: RecordSpec, *, include_secrets: bool) -> JsonObject:
    """Without secrets, CustomConfig's AccessKey/SecretKey/SecurityToken keys are left out."""
    return {
        "AppId": spec.app_id,
        "BusinessId": spec.business_id,
        "RoomId": spec.room_id,
        "TaskId": spec.task_id,
        "RecordMode": int(spec.record_mode),
        "TargetStreams": {"StreamList": [stream_to_json(stream) for stream in spec.target_streams]},
        "ExcludeStreams": {"StreamList": [stream_to_json(stream) for stream in spec.exclude_streams]},
        "Encode": encode_to_json(spec.encode, spec.record_mode),
        "Layout": layout_to_json(spec.layout),
        "Control": control_to_json(spec.control),
        "FileFormatConfig": {"FileFormat": [fmt.value for fmt in spec.file_formats]},
        "FileNameConfig": {"Prefix": list(spec.file_name.prefix), "Pattern": spec.file_name.pattern or ""},
        "StorageConfig": storage_to_json(spec.storage, include_secrets=include_secrets),
    }


def stream_to_json(stream: StreamRef) -> JsonObject:
    return {"Index": stream.index, "UserId": stream.user_id, "StreamType": int(stream.stream_type)}


def encode_to_json(encode: EncodeSpec, mode: RecordMode) -> JsonObject:
    video: JsonObject = {
        "VideoWidth": encode.video_width,
        "VideoHeight": encode.video_height,
        "VideoFps": encode.video_fps,
        "VideoBitrate": encode.video_bitrate_kbps,
        "VideoCodec": int(encode.video_codec),
        "VideoGop": encode.video_gop_seconds,
    }
    if mode is RecordMode.SINGLE_STREAM and encode.remux_source_video:
        # Their absence is what asks for the source video as it is.
        del video["VideoFps"], video["VideoBitrate"]
    audio: JsonObject = {
        "AudioCodec": int(encode.audio_codec),
        "AudioProfile": int(encode.audio_profile),
        "AudioBitrate": encode.audio_bitrate_kbps,
        "AudioSampleRate": encode.audio_sample_rate,
        "AudioChannels": encode.audio_channels,
    }
    if mode is RecordMode.SINGLE_STREAM and encode.remux_source_video:
        # Only those sent: a copied source's audio must agree with them, and only with them.
        # A field not sent holds the default parsing fills in again (a value off its default
        # in a spec built in code is kept, so a round trip never changes what is recorded).
        defaults = _audio_defaults(encode)
        for name in AudioField:
            if name not in encode.audio_fields_given and audio[name.value] == defaults[name]:
                del audio[name.value]
    if encode.opus_bitrate_bps:
        audio["OpusBitrateBps"] = encode.opus_bitrate_bps
    return video | audio


def _audio_defaults(encode: EncodeSpec) -> dict[AudioField, object]:
    return {
        AudioField.PROFILE: int(ENCODE_DEFAULTS.audio_profile),
        AudioField.SAMPLE_RATE: ENCODE_DEFAULTS.audio_sample_rate,
        AudioField.CHANNELS: ENCODE_DEFAULTS.audio_channels,
        AudioField.BITRATE: default_audio_bitrate(
            encode.audio_profile, encode.audio_sample_rate, encode.audio_channels
        ),
    }


def layout_to_json(layout: LayoutSpec) -> JsonObject:
    result: JsonObject = {"LayoutMode": int(layout.mode)}
    if layout.main_video_stream is not None:
        result["MainVideoStream"] = stream_to_json(layout.main_video_stream)
    if layout.custom is not None:
        result["CustomLayout"] = {
            "Canvas": canvas_to_json(layout.custom.canvas),
            "Regions": [region_to_json(region) for region in layout.custom.regions],
        }
    return result


def canvas_to_json(canvas: Canvas) -> JsonObject:
    result: JsonObject = {"Width": canvas.width, "Height": canvas.height, "Background": canvas.background}
    if canvas.background_image is not None:
        result["BackgroundImage"] = canvas.background_image
    return result


def region_to_json(region: Region) -> JsonObject:
    crop = region.source_crop
    result: JsonObject = {
        "StreamIndex": region.stream_index,
        "LocationX": region.x,
        "LocationY": region.y,
        "Width": region.width,
        "Height": region.height,
        "ZOrder": region.z_order,
        "Alpha": region.alpha,
        "RenderMode": int(region.render_mode),
        "SourceCrop": {
            "LocationX": crop.x,
            "LocationY": crop.y,
            "WidthProportion": crop.width,
            "HeightProportion": crop.height,
        },
    }
    if region.alternate_image is not None:
        result["AlternateImage"] = region.alternate_image
    return result | {
        "CornerRadius": region.corner_radius,
        "MediaType": int(region.media_type),
        "AlternateImageFillMode": int(region.alternate_image_fill_mode),
        "ApplySpatialAudio": region.apply_spatial_audio,
        "SpatialPosition": list(region.spatial_position),
    }


def control_to_json(control: ControlSpec) -> JsonObject:
    result: JsonObject = {
        "MediaType": int(control.media_type),
        "FrameInterpolationMode": int(control.frame_interpolation_mode),
        "MaxSilenceSeconds": control.max_silence_seconds,
        "MaxIdleTime": control.max_idle_time_seconds,
        "MaxRecordTime": control.max_record_time_seconds,
        "EnableSyncUpload": control.enable_sync_upload,
    }
    if control.max_record_time_ms:
        result["MaxRecordTimeMs"] = control.max_record_time_ms
    return result


def storage_to_json(storage: StorageSpec, *, include_secrets: bool) -> JsonObject:
    result: JsonObject = {"Type": int(storage.type)}
    if storage.tos is not None:
        tos = storage.tos
        result["TosConfig"] = {"AccountId": tos.account_id, "Region": tos.region, "Bucket": tos.bucket}
    if storage.vod is not None:
        vod = storage.vod
        result["VodConfig"] = {
            "AccountId": vod.account_id,
            "Region": vod.region,
            "Space": vod.space,
            "StorageClass": vod.storage_class,
            "AutoSetFileExtension": vod.auto_set_file_extension,
        }
    if storage.custom is not None:
        result["CustomConfig"] = custom_storage_to_json(storage.custom, include_secrets=include_secrets)
    return result


def custom_storage_to_json(custom: CustomStorageConfig, *, include_secrets: bool) -> JsonObject:
    result: JsonObject = {"Vendor": int(custom.vendor), "Region": custom.region, "Bucket": custom.bucket}
    if include_secrets:
        result |= custom_storage_secrets(custom)
    if custom.endpoint is not None:
        result["Endpoint"] = custom.endpoint
    result["ForcePathStyle"] = custom.force_path_style
    return result


def custom_storage_secrets(custom: CustomStorageConfig) -> dict[str, str]:
    secrets = {"AccessKey": custom.access_key, "SecretKey": custom.secret_key}
    if custom.security_token is not None:
        secrets["SecurityToken"] = custom.security_token
    return secrets
