"""The identifier rule shared by AppId, RoomId, TaskId, BusinessId and UserId (SPEC §2)."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator

ID_PATTERN = r"[a-zA-Z0-9_@\-.]{1,128}"
ID_MAX_LENGTH = 128
ID_RE = re.compile(rf"^{ID_PATTERN}\Z")

validate_id = RegexValidator(ID_RE, "Use 1-128 letters, digits and _ @ - . only.")
