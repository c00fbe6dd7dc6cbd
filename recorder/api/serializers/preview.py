"""The layout preview request, for the schema (recorder.services.preview_request reads it)."""

from __future__ import annotations

from rest_framework import serializers

from recorder.api.serializers.fields import IdField, StrictBooleanField, StrictIntegerField


class PreviewCanvasSerializer(serializers.Serializer[object]):
    Width = StrictIntegerField(required=False, help_text="Even, 2..1920; default 640.")
    Height = StrictIntegerField(required=False, help_text="Even, 2..1920; default 480.")


class PreviewStreamSerializer(serializers.Serializer[object]):
    UserId = IdField()
    StreamType = StrictIntegerField(required=False, help_text="0 camera (default), 1 screen.")
    Index = StrictIntegerField(
        required=False, help_text="Binds the stream to the Region with this StreamIndex (LayoutMode 2)."
    )
    HasVideo = StrictBooleanField(
        required=False, help_text="Default true; false shows the region's AlternateImage or fallback."
    )
    Width = StrictIntegerField(required=False, help_text="Source width, 2..3840; 640 camera, 1280 screen.")
    Height = StrictIntegerField(required=False, help_text="Source height, 2..2160; 360 camera, 720 screen.")


class PreviewBodySerializer(serializers.Serializer[object]):
    """Documentation of the preview body; validated like StartRecord (field paths in errors)."""

    AppId = IdField(help_text="An app the caller may use.")
    Layout = serializers.JSONField(help_text="The OpenAPI Layout object, exactly as StartRecord takes it.")
    Canvas = PreviewCanvasSerializer(
        required=False,
        help_text="The output size for LayoutMode 0, 1, 3 (the Encode size); LayoutMode 2 uses"
        " CustomLayout.Canvas.",
    )
    Streams = PreviewStreamSerializer(
        many=True,
        required=False,
        help_text="Sample streams (at most 17), drawn as test cards. Default: one per Region"
        ' (UserId "user<Index>") in LayoutMode 2, else four cameras.',
    )
    Format = serializers.ChoiceField(choices=["png", "jpeg"], required=False, help_text="Default png.")
    Quality = StrictIntegerField(required=False, help_text="JPEG quality 1..95, default 85.")
    TaskId = IdField(
        required=False,
        help_text="With RoomId: a running task of the app; its room's published streams are shown"
        " (their latest frames once the recorder provides them).",
    )
    RoomId = IdField(required=False)
