"""Field paths as ``SpecError.field`` spells them, applied to decoded JSON bodies.

``Layout.CustomLayout.Regions[2].Alpha`` is ``("Layout", "CustomLayout", "Regions", 2, "Alpha")``.
Callers use this to point at the offending value of a refused body (the dashboard
highlights it), and tests to edit one field of a valid body.
"""

from __future__ import annotations

import copy
import re
from typing import Final

PathPart = str | int

_PART: Final = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> tuple[PathPart, ...]:
    parts: list[PathPart] = []
    position = 0
    while position < len(path):
        if path[position] == "." and parts:
            position += 1
        match = _PART.match(path, position)
        if match is None:
            raise ValueError(f"not a field path: {path!r}")
        key, index = match.groups()
        parts.append(int(index) if index is not None else key)
        position = match.end()
    return tuple(parts)


def lookup(body: object, path: str) -> object:
    """The value at ``path``; KeyError/IndexError/TypeError when the body has none there."""
    value = body
    for part in split_path(path):
        if isinstance(part, int):
            if not isinstance(value, list):
                raise TypeError(f"{path}: {part} indexes a non-array")
            value = value[part]
        else:
            if not isinstance(value, dict):
                raise TypeError(f"{path}: {part!r} is looked up in a non-object")
            value = value[part]
    return value


def with_value(body: object, path: str, value: object) -> object:
    """A deep copy of ``body`` with ``path`` set, creating missing objects on the way."""
    result = copy.deepcopy(body)
    *parents, last = split_path(path)
    container: object = result
    for part, following in zip(parents, [*parents, last][1:], strict=True):
        if isinstance(part, str) and isinstance(container, dict) and container.get(part) is None:
            container[part] = [] if isinstance(following, int) else {}
        container = _step(container, part, path)
    _assign(container, last, value, path)
    return result


def without(body: object, path: str) -> object:
    """A deep copy of ``body`` with the member at ``path`` removed (absent already: unchanged)."""
    result = copy.deepcopy(body)
    *parents, last = split_path(path)
    container: object = result
    try:
        for part in parents:
            container = _step(container, part, path)
    except (KeyError, IndexError):
        return result
    if isinstance(last, str) and isinstance(container, dict):
        container.pop(last, None)
    elif isinstance(last, int) and isinstance(container, list) and last < len(container):
        del container[last]
    return result


def _step(container: object, part: PathPart, path: str) -> object:
    if isinstance(part, int) and isinstance(container, list):
        return container[part]
    if isinstance(part, str) and isinstance(container, dict):
        return container[part]
    raise TypeError(f"{path}: cannot step into {part!r}")


def _assign(container: object, part: PathPart, value: object, path: str) -> None:
    if isinstance(part, int) and isinstance(container, list):
        container[part] = value
        return
    if isinstance(part, str) and isinstance(container, dict):
        container[part] = value
        return
    raise TypeError(f"{path}: cannot set {part!r}")
