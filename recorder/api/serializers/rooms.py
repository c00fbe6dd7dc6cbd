"""Rooms, streams and the publish request (SPEC §5)."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from recorder.api.serializers.fields import IdField, StrictBooleanField, StrictCharField, StrictIntegerField
from recorder.models import Room, Stream, StreamState
from recorder.services import source_urls
from recorder.services.rooms import Publication


class RoomSerializer(serializers.ModelSerializer[Room]):
    published_streams = serializers.IntegerField(help_text="Streams published now.")

    class Meta:
        model = Room
        fields = ["room_id", "created_at", "published_streams"]
        read_only_fields = fields


class StreamOptionsSerializer(serializers.Serializer[object]):
    loop = StrictBooleanField(
        required=False, default=False, help_text="Start over at the end (file:// and http(s):// sources)."
    )

    def to_internal_value(self, data: object) -> dict[str, object]:
        # Strict about option names: a misspelt option would otherwise be silently ignored.
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: "is not an option; known options: loop"})
        validated: dict[str, object] = super().to_internal_value(data)
        return validated


class StreamSerializer(serializers.ModelSerializer[Stream]):
    url = serializers.SerializerMethodField(help_text="The source URL with any password masked.")
    state = serializers.ChoiceField(choices=StreamState.choices)
    options = StreamOptionsSerializer()

    class Meta:
        model = Stream
        fields = [
            "user_id",
            "stream_type",
            "url",
            "options",
            "state",
            "has_audio",
            "has_video",
            "video_codec",
            "audio_codec",
            "width",
            "height",
            "fps",
            "published_at",
            "unpublished_at",
        ]
        read_only_fields = fields

    def get_url(self, stream: Stream) -> str:
        return source_urls.mask_credentials(stream.source_url)


class PublishSerializer(serializers.Serializer[Publication]):
    """The publish request, in OpenAPI spelling like the rest of the recording parameters."""

    UserId = IdField()
    StreamType = StrictIntegerField(min_value=0, max_value=1, default=0, help_text="0 camera, 1 screen.")
    Url = StrictCharField(
        max_length=source_urls.MAX_URL_CHARS,
        trim_whitespace=False,
        help_text="rtsp(s)://, rtmp(s)://, srt://, udp://, http(s)://, file:// (within PUBLISH_FILE_ROOTS) "
        "or synthetic: (test pattern and tone, e.g. synthetic:?color=red&tone=440).",
    )
    Options = StreamOptionsSerializer(required=False)

    def publication(self) -> Publication:
        data = self.validated_data
        options = data.get("Options") or {}
        return Publication(
            user_id=data["UserId"],
            stream_type=data["StreamType"],
            url=data["Url"],
            loop=bool(options.get("loop")),
        )


class UnpublishQuerySerializer(serializers.Serializer[object]):
    StreamType = serializers.ChoiceField(choices=[(0, "camera"), (1, "screen")], default=0)


class StreamListQuerySerializer(serializers.Serializer[object]):
    all = serializers.BooleanField(default=False, help_text="Include streams that were unpublished.")
