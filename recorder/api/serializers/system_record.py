"""Documentation of the system.record bodies (recorder.validation.system_record validates them)."""

from __future__ import annotations

from rest_framework import serializers

from recorder.api.serializers.errors import ErrorDetailSerializer
from recorder.api.serializers.fields import IdField, StrictIntegerField


class RecordTargetSerializer(serializers.Serializer[object]):
    AppId = IdField()
    RoomId = IdField()
    UserId = IdField(required=False, help_text="One user's camera stream; absent or empty: the room's mix.")


class RecordStartBodySerializer(RecordTargetSerializer):
    duration = StrictIntegerField(
        required=False, help_text="Milliseconds; the recording stops by itself at exactly this length."
    )
    # The seed's own spelling, as the browser module sends it.
    sampleRate = StrictIntegerField(  # noqa: N815
        required=False, help_text="8000 (default), 16000, 32000, 44100 or 48000."
    )
    numberOfChannels = StrictIntegerField(required=False, help_text="1 (default) or 2.")  # noqa: N815
    encodeBitRate = StrictIntegerField(  # noqa: N815
        required=False,
        help_text="Bits per second for opus (6000 to 256000 per channel, at most 510000); for pcm and wav"
        " it is fixed by sampleRate x 16 x numberOfChannels and this value is not used.",
    )
    format = serializers.ChoiceField(
        choices=["pcm", "opus", "wav"], required=False, help_text="pcm (default); any case."
    )


class RecordStartedSerializer(serializers.Serializer[object]):
    task = serializers.UUIDField(help_text="The task's id (its resource: /api/v1/tasks/{task}/).")
    task_id = serializers.CharField(help_text="The task's TaskId: record-mix, or record@ and the UserId.")
    state = serializers.CharField()
    status = serializers.URLField(help_text="Where to follow the recording until its file is ready.")


class RecordStoppedSerializer(serializers.Serializer[object]):
    task = serializers.UUIDField()
    task_id = serializers.CharField()
    state = serializers.CharField()


class RecordFileLinkSerializer(serializers.Serializer[object]):
    uri = serializers.URLField(
        help_text="A signed link that serves the file (range requests too) until it expires."
    )
    format = serializers.CharField()
    duration = serializers.IntegerField(help_text="Milliseconds.")
    size = serializers.IntegerField(help_text="Bytes.")


class RecordStatusSerializer(serializers.Serializer[object]):
    task = serializers.UUIDField()
    task_id = serializers.CharField()
    state = serializers.CharField(
        help_text="queued, starting, recording, stopping, uploading, completed or failed."
    )
    stop_reason = serializers.CharField()
    done = serializers.BooleanField(help_text="The task has ended (completed or failed).")
    uri = serializers.URLField(allow_null=True, help_text="The file, once the task has completed.")
    files = RecordFileLinkSerializer(many=True)
    message = serializers.CharField(help_text='Why a failed task failed; "" otherwise.')


class RecordErrorSerializer(serializers.Serializer[object]):
    error = ErrorDetailSerializer()
    code = serializers.IntegerField(
        required=False, help_text="The seed's code: 202 for a bad parameter, 205 for a recording in progress."
    )
