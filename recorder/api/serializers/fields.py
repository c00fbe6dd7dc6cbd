"""Fields that read JSON as strictly as the StartRecord validation does (recorder.validation):
an integer is a JSON integer (not ``"1"``, ``1.0`` or ``true``), a boolean is true or false."""

from __future__ import annotations

from rest_framework import serializers

from recorder.errors import UNMARSHAL
from recorder.models.ids import ID_RE

ID_MESSAGE = "must match [a-zA-Z0-9_@\\-.]{1,128}"


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, as a caller thinks of it."""
    if value is None:
        return "null"
    names: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    ]
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(
                f"must be an integer, got {json_type(data)}", code=UNMARSHAL.code
            )
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            raise serializers.ValidationError(
                f"must be true or false, got {json_type(data)}", code=UNMARSHAL.code
            )
        return data


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(f"must be a string, got {json_type(data)}", code=UNMARSHAL.code)
        return super().to_internal_value(data)


class IdField(StrictCharField):
    """AppId, RoomId, TaskId, BusinessId, UserId (SPEC §2)."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 128)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def to_internal_value(self, data: object) -> str:
        value = super().to_internal_value(data)
        if value and not ID_RE.match(value):
            raise serializers.ValidationError(ID_MESSAGE, code="invalid")
        return value
