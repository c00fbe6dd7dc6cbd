"""Request validation: raw OpenAPI JSON (already decoded) -> the frozen recording spec.

Pure Python: nothing here imports Django, DRF or channels, so the media engine, the REST
API, the dashboard and the tests all validate the same way.

How bodies are read, everywhere:

* Types are strict (``InvalidParameter.Unmarshal``): an Integer takes a JSON integer only
  (not a boolean, a string or ``1.0``), a Float any JSON number, a Boolean only true/false.
  The seed's own request example sends ``"Region": "0"`` in TosConfig; that string is an
  Unmarshal error here, like any other string where an Integer belongs.
* ``null`` means "not sent" for every field; a required string that is empty is missing
  (``MissingParameter``), an optional one that is empty takes its default.
* Unknown fields are ignored, since newer official clients may send them.
* Where the seed is silent: an update keeps the task's canvas size; a stream may appear
  once per list; Index, StreamIndex and storage Region are capped at 2**31-1 and
  MaxRecordTime at 30 days; storage names and keys are length-capped and free of control
  characters; a Pattern names a file, never a folder (no ``/`` or ``\\``); MainVideoStream
  and CustomLayout are validated whenever sent but kept only in the modes that use them.
* Errors are deterministic: the first failing field in the seed's field-table order (top
  to bottom, depth first; this service's extension fields after the table's fields of the
  same object; a list's length, then its elements, then list-wide rules such as unique
  Index), then the cross-field rules in the order given in :mod:`.rules`.
"""

from __future__ import annotations

from recorder.validation.credentials import parse_stored_record, storage_secrets, with_storage_secrets
from recorder.validation.errors import INVALID_PARAMETER, MISSING_PARAMETER, UNMARSHAL, SpecError
from recorder.validation.layout import parse_layout
from recorder.validation.record import (
    apply_update,
    parse_start_record,
    parse_task_identity,
    parse_update_record,
)
from recorder.validation.serialize import layout_to_json, record_spec_to_json

__all__ = [
    "INVALID_PARAMETER",
    "MISSING_PARAMETER",
    "UNMARSHAL",
    "SpecError",
    "apply_update",
    "layout_to_json",
    "parse_layout",
    "parse_start_record",
    "parse_stored_record",
    "parse_task_identity",
    "parse_update_record",
    "record_spec_to_json",
    "storage_secrets",
    "with_storage_secrets",
]
