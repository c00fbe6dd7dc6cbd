"""Which source URLs a stream may be published from (SPEC §5, §13), and how they are shown back.

A URL is handed to FFmpeg by the recorder, so anything FFmpeg could be tricked with is refused
here: unknown schemes (``concat:``, ``subfile:``, ``data:``...), control characters, and files
outside the directories the operator opened with ``PUBLISH_FILE_ROOTS``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from django.conf import settings

from recorder.errors import INVALID_PARAMETER, ApiError

MAX_URL_CHARS = 2048
SYNTHETIC_SCHEME = "synthetic"
FILE_SCHEME = "file"
NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "srt", "udp", "http", "https"})
ALLOWED_SCHEMES = NETWORK_SCHEMES | {FILE_SCHEME, SYNTHETIC_SCHEME}
# Sources FFmpeg can seek back to the start of; live protocols cannot loop.
LOOPABLE_SCHEMES = frozenset({FILE_SCHEME, "http", "https"})
MASK = "***"
# Query parameters that carry credentials in common source URLs (SRT passphrase, signed HTTP URLs).
SECRET_QUERY_PARAMETERS = frozenset(
    {"passphrase", "password", "pass", "pwd", "secret", "token", "key", "sig", "signature", "auth"}
)
FIELD = "Url"


def check_source_url(url: str) -> str:
    """The URL to store, or InvalidParameter naming ``Url``; ``file:`` URLs become canonical paths."""
    if len(url) > MAX_URL_CHARS:
        raise _invalid(f"is {len(url)} characters long, at most {MAX_URL_CHARS} are allowed")
    if any(_is_control(char) for char in url):
        raise _invalid("must not contain control characters")
    scheme, _, _ = url.partition(":")
    scheme = scheme.lower()
    if not url.strip() or scheme not in ALLOWED_SCHEMES or ":" not in url:
        shown = _clip(mask_credentials(url))
        raise _invalid(f"the scheme must be one of {', '.join(sorted(ALLOWED_SCHEMES))}; got {shown!r}")
    if scheme == SYNTHETIC_SCHEME:
        return _check_synthetic(url)
    if scheme == FILE_SCHEME:
        return _check_file(url)
    parts = _split(url)
    if not parts.netloc:
        raise _invalid(f"a {scheme}:// URL needs a host or port, e.g. {scheme}://host:port/...")
    return url


def is_loopable(url: str) -> bool:
    return url.partition(":")[0].lower() in LOOPABLE_SCHEMES


def mask_credentials(url: str) -> str:
    """The URL with its password and secret-looking query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in SECRET_QUERY_PARAMETERS for name, _ in pairs):
            query = urlencode(
                [(name, MASK if name.lower() in SECRET_QUERY_PARAMETERS else value) for name, value in pairs],
                safe="*",
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- parsing the port is what detects "host:notaport"
    except ValueError as error:
        raise _invalid(f"is not a valid URL ({error})") from None
    return parts


def _check_synthetic(url: str) -> str:
    parts = _split(url)
    if parts.netloc or parts.path not in ("", "/"):
        raise _invalid(
            "the synthetic source is 'synthetic:' with optional parameters, e.g. synthetic:?tone=440"
        )
    return url


def _check_file(url: str) -> str:
    roots = [Path(root).resolve() for root in settings.PUBLISH_FILE_ROOTS]
    if not roots:
        raise _invalid(
            "file:// sources are disabled on this server; the operator can allow directories with the "
            "PUBLISH_FILE_ROOTS setting"
        )
    parts = _split(url)
    if parts.netloc not in ("", "localhost"):
        raise _invalid("a file:// URL must name a local file: file:///absolute/path")
    raw_path = unquote(parts.path)
    if not raw_path.startswith("/") or "\x00" in raw_path:
        raise _invalid("a file:// URL must name an absolute path: file:///absolute/path")
    # Resolved before the check, so neither ``..`` nor a symlink can lead out of an allowed directory.
    path = Path(raw_path).resolve()
    if not any(path.is_relative_to(root) for root in roots):
        raise _invalid("the file is outside the directories this server may read (PUBLISH_FILE_ROOTS)")
    if not path.is_file():
        raise _invalid(f"no readable file at {raw_path!r}")
    return path.as_uri()


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def _clip(text: str, limit: int = 64) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _invalid(detail: str) -> ApiError:
    return ApiError(INVALID_PARAMETER, f"{FIELD}: {detail}", field=FIELD)
