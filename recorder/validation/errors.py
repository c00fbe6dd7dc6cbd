"""The one exception validation raises, and how its messages describe received values."""

from __future__ import annotations

from typing import Final

MISSING_PARAMETER: Final = "MissingParameter"
INVALID_PARAMETER: Final = "InvalidParameter"
UNMARSHAL: Final = "InvalidParameter.Unmarshal"

# Echoed user input is cut so an error message (logged, returned) stays short.
MAX_ECHOED_CHARS: Final = 64


class SpecError(Exception):
    """A request body that does not describe a valid recording.

    ``code`` is the OpenAPI error code, ``field`` the field path in OpenAPI spelling
    (``Layout.CustomLayout.Regions[2].Alpha``; ``""`` for the body itself) and ``message`` a
    sentence that starts with that path.
    """

    def __init__(self, code: str, field: str, message: str) -> None:
        # The three arguments go to Exception so the error pickles (it may cross processes).
        super().__init__(code, field, message)
        self.code = code
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _sentence(field: str, detail: str) -> str:
    return f"{field}: {detail}" if field else detail


def missing(field: str, detail: str = "is required") -> SpecError:
    return SpecError(MISSING_PARAMETER, field, _sentence(field, detail))


def invalid(field: str, detail: str) -> SpecError:
    return SpecError(INVALID_PARAMETER, field, _sentence(field, detail))


def unmarshal(field: str, detail: str) -> SpecError:
    return SpecError(UNMARSHAL, field, _sentence(field, detail))


def json_type_name(value: object) -> str:
    """The JSON name of a decoded value's type, as a caller thinks of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ECHOED_CHARS else text[:MAX_ECHOED_CHARS] + "..."


def describe(value: object) -> str:
    """A short rendering of a received value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return _clip(str(value))
        except ValueError:  # beyond sys.get_int_max_str_digits()
            return f"an integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(_clip(value))
    return json_type_name(value)


def describe_typed(value: object) -> str:
    """Type and (for scalars) value, for wrong-type messages: ``string '12'``, ``object``."""
    name = json_type_name(value)
    if value is None or isinstance(value, list | tuple | dict):
        return name
    return f"{name} {describe(value)}"
