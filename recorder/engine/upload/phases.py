"""Timing marks for the steps of an upload's finish: DEBUG log records that carry the step's
name in an ``upload_phase`` attribute, so a benchmark (``bench/upload.py``) breaks the time
after StopRecord down from timestamps the code itself records (``LogRecord.created``).

Nothing is formatted or written unless DEBUG is enabled for the logger.
"""

from __future__ import annotations

import logging
from typing import Final

PHASE_ATTRIBUTE: Final = "upload_phase"
SUBJECT_ATTRIBUTE: Final = "upload_subject"


def mark(logger: logging.Logger, phase: str, subject: object) -> None:
    """``phase`` of the upload named ``subject`` (a row's primary key) has just ended."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "upload %s: %s", subject, phase, extra={PHASE_ATTRIBUTE: phase, SUBJECT_ATTRIBUTE: subject}
        )
