"""A typed reader over decoded JSON that knows where it is.

Types are checked strictly, the way a Go server unmarshalling into typed structs does: an
Integer field takes a JSON integer only (not ``true``, not ``"1"``, not ``1.0``), a Float field
takes any JSON number. A wrong type is ``InvalidParameter.Unmarshal``. JSON ``null`` means
"not sent" everywhere, so a required field given as null is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, TypeVar

from recorder.validation.errors import describe, describe_typed, invalid, missing, unmarshal

EnumT = TypeVar("EnumT", bound=IntEnum)

# Integer fields the table leaves unbounded still go into 32-bit columns and C structs.
MAX_INT32: Final = 2**31 - 1


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def item(path: str, index: int) -> str:
    return f"{path}[{index}]"


@dataclass(frozen=True)
class IntRange:
    """A closed integer interval, optionally restricted to even numbers."""

    low: int
    high: int
    even: bool = False

    def __contains__(self, value: int) -> bool:
        return self.low <= value <= self.high and (not self.even or value % 2 == 0)

    def __str__(self) -> str:
        interval = f"[{self.low}, {self.high}]"
        return f"an even integer in {interval}" if self.even else f"in {interval}"


NON_NEGATIVE: Final = IntRange(0, MAX_INT32)


@dataclass(frozen=True)
class FloatRange:
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        # NaN fails every comparison, so it is never inside.
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{_number(self.low)}, {_number(self.high)}{right}"


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def expect_int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise unmarshal(path, f"must be an integer, got {describe_typed(value)}")
    return int(value)


def expect_number(value: object, path: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise unmarshal(path, f"must be a number, got {describe_typed(value)}")
    return value


def expect_str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise unmarshal(path, f"must be a string, got {describe_typed(value)}")
    return value


def expect_bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise unmarshal(path, f"must be a boolean, got {describe_typed(value)}")
    return value


def expect_list(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise unmarshal(path, f"must be an array, got {describe_typed(value)}")
    return value


def check_int(value: int, allowed: IntRange, path: str) -> int:
    if value not in allowed:
        raise invalid(path, f"must be {allowed}, got {describe(value)}")
    return value


def check_enum(value: int, enum: type[EnumT], path: str) -> EnumT:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(str(int(member)) for member in enum)
        raise invalid(path, f"must be one of {choices}, got {describe(value)}") from None


def check_one_of(value: int, choices: tuple[int, ...], path: str) -> int:
    if value not in choices:
        listed = ", ".join(str(choice) for choice in choices)
        raise invalid(path, f"must be one of {listed}, got {describe(value)}")
    return value


def check_float(value: float | int, allowed: FloatRange, path: str) -> float:
    # Compare before converting: float() of a huge JSON integer overflows.
    if value not in allowed:
        raise invalid(path, f"must be {allowed}, got {describe(value)}")
    return float(value)


class Fields:
    """The members of one JSON object, read by key with the object's path in every error."""

    def __init__(self, members: Mapping[str, object], path: str) -> None:
        self._members = members
        self.path = path

    @classmethod
    def of(cls, value: object, path: str) -> Fields:
        if not isinstance(value, dict):
            raise unmarshal(path, f"must be an object, got {describe_typed(value)}")
        return cls(value, path)

    def at(self, key: str) -> str:
        return child(self.path, key)

    def raw(self, key: str) -> object:
        """The member, or None when it is absent or null."""
        return self._members.get(key)

    def present(self, key: str) -> bool:
        return self._members.get(key) is not None

    def optional_int(self, key: str) -> int | None:
        value = self.raw(key)
        return None if value is None else expect_int(value, self.at(key))

    def optional_int_in(self, key: str, allowed: IntRange) -> int | None:
        value = self.optional_int(key)
        return None if value is None else check_int(value, allowed, self.at(key))

    def int_in(self, key: str, allowed: IntRange, default: int) -> int:
        value = self.optional_int_in(key, allowed)
        return default if value is None else value

    def required_int_in(self, key: str, allowed: IntRange) -> int:
        value = self.optional_int(key)
        if value is None:
            raise missing(self.at(key))
        return check_int(value, allowed, self.at(key))

    def int_one_of(self, key: str, choices: tuple[int, ...], default: int) -> int:
        value = self.optional_int(key)
        return default if value is None else check_one_of(value, choices, self.at(key))

    def enum(self, key: str, enum: type[EnumT], default: EnumT) -> EnumT:
        value = self.optional_int(key)
        return default if value is None else check_enum(value, enum, self.at(key))

    def float_in(self, key: str, allowed: FloatRange, default: float) -> float:
        value = self.raw(key)
        if value is None:
            return default
        return check_float(expect_number(value, self.at(key)), allowed, self.at(key))

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        return default if value is None else expect_bool(value, self.at(key))

    def optional_str(self, key: str) -> str | None:
        value = self.raw(key)
        return None if value is None else expect_str(value, self.at(key))

    def required_str(self, key: str) -> str:
        """A required string; the empty string counts as not sent."""
        value = self.optional_str(key)
        if not value:
            raise missing(self.at(key))
        return value

    def optional_object(self, key: str) -> Fields | None:
        value = self.raw(key)
        return None if value is None else Fields.of(value, self.at(key))

    def required_object(self, key: str, detail: str = "is required") -> Fields:
        found = self.optional_object(key)
        if found is None:
            raise missing(self.at(key), detail)
        return found

    def optional_list(self, key: str) -> list[object] | None:
        value = self.raw(key)
        return None if value is None else expect_list(value, self.at(key))
