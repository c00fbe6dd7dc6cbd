from __future__ import annotations

from django.db import models
from django.db.models import Q

from recorder.models.accounts import App
from recorder.models.ids import ID_MAX_LENGTH, validate_id


class Room(models.Model):
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="rooms")
    room_id = models.CharField("RoomId", max_length=ID_MAX_LENGTH, validators=[validate_id])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "room_id"], name="one_room_per_id")]
        ordering = ["room_id"]

    def __str__(self) -> str:
        return f"{self.app.app_id}/{self.room_id}"


class StreamState(models.TextChoices):
    CONNECTING = "connecting", "Connecting"  # published, no media received yet
    LIVE = "live", "Live"
    STALLED = "stalled", "Stalled"  # no media for a while; may come back
    ENDED = "ended", "Ended"  # unpublished, or the source ended for good


class Stream(models.Model):
    """A publication in a room: ``(UserId, StreamType)`` fed from a URL or the synthetic source."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="streams")
    user_id = models.CharField("UserId", max_length=ID_MAX_LENGTH, validators=[validate_id])
    stream_type = models.PositiveSmallIntegerField("StreamType", choices=[(0, "camera"), (1, "screen")])
    # rtsp/rtmp/srt/udp/http(s)/file URL, or "synthetic:" for the built-in test source
    source_url = models.TextField()
    options = models.JSONField(default=dict, blank=True)  # e.g. {"loop": true}
    state = models.CharField(max_length=16, choices=StreamState.choices, default=StreamState.CONNECTING)
    has_audio = models.BooleanField(null=True)
    has_video = models.BooleanField(null=True)
    video_codec = models.CharField(max_length=32, blank=True)
    audio_codec = models.CharField(max_length=32, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    published_at = models.DateTimeField(auto_now_add=True)
    unpublished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user_id", "stream_type"],
                condition=Q(unpublished_at__isnull=True),
                name="one_publication_per_stream",
            )
        ]
        ordering = ["published_at", "pk"]  # publish order = slot order in automatic layouts

    def __str__(self) -> str:
        kind = "screen" if self.stream_type == 1 else "camera"
        return f"{self.room}/{self.user_id} ({kind})"
