"""Fetching BackgroundImage / AlternateImage URLs safely (SPEC §13), against a real HTTP server
on loopback: formats, limits, redirects, timeouts, refused addresses and the cache."""

from __future__ import annotations

import socket
import threading
import time
from ipaddress import ip_network

import pytest
from PIL import Image

from recorder.engine.images import FetchFailure, ImageCache, ImageFetchError, ImagePolicy, fetch_image
from recorder.engine.images import fetch as fetch_module
from tests.images.image_server import (
    ImageServer,
    encode,
    image_server,
    png_bomb,
    solid_png,
)

RED, GREEN = (255, 0, 0), (0, 255, 0)
LOOPBACK_ALLOWED = ImagePolicy(allow_private=True, timeout_seconds=2.0)
# Loopback opened by name while every other non-public range stays refused.
ONLY_LOOPBACK = ImagePolicy(allowed_networks=(ip_network("127.0.0.0/8"),), timeout_seconds=2.0)


@pytest.fixture
def server():
    with image_server() as running:
        yield running


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return png_bomb()


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a fetch connects to (the real connection is still made)."""
    seen: list[str] = []
    real = fetch_module._open_socket

    def recording(address, port, timeout):
        seen.append(str(address))
        return real(address, port, timeout)

    monkeypatch.setattr(fetch_module, "_open_socket", recording)
    return seen


def failure(url: str, policy: ImagePolicy = LOOPBACK_ALLOWED) -> ImageFetchError:
    with pytest.raises(ImageFetchError) as caught:
        fetch_image(url, policy)
    return caught.value


# ---- formats --------------------------------------------------------------------------------


def test_it_fetches_and_decodes_a_png(server: ImageServer) -> None:
    image = fetch_image(server.add("/red.png", solid_png(RED, (8, 6))), LOOPBACK_ALLOWED)
    assert (image.mode, image.size) == ("RGB", (8, 6))
    assert image.getpixel((4, 3)) == RED


def test_it_fetches_and_decodes_a_jpeg(server: ImageServer) -> None:
    body = encode(Image.new("RGB", (40, 30), GREEN), "JPEG", quality=95)
    image = fetch_image(server.add("/green.jpg", body), LOOPBACK_ALLOWED)
    assert (image.mode, image.size) == ("RGB", (40, 30))
    assert all(abs(a - b) <= 3 for a, b in zip(image.getpixel((20, 15)), GREEN, strict=True))


def test_it_sniffs_the_format_and_ignores_the_content_type(server: ImageServer) -> None:
    url = server.add("/misnamed", solid_png(RED), headers={"Content-Type": "text/plain"})
    assert fetch_image(url, LOOPBACK_ALLOWED).size == (8, 6)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (encode(Image.new("RGB", (4, 4)), "GIF"), "image/gif"),
        (b"hello, this is text\n" * 10, "image/png"),
        (encode(Image.new("RGB", (4, 4)), "WEBP"), "image/webp"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    ],
    ids=["gif", "text", "webp", "svg"],
)
def test_it_refuses_anything_but_jpeg_and_png(server: ImageServer, body: bytes, content_type: str) -> None:
    error = failure(server.add("/other", body, headers={"Content-Type": content_type}))
    assert error.reason is FetchFailure.NOT_JPEG_OR_PNG
    assert str(error) == "the file is not a JPEG or PNG image"


def test_it_refuses_a_damaged_png(server: ImageServer) -> None:
    error = failure(server.add("/cut.png", solid_png(RED, (64, 64))[:60]))
    assert error.reason is FetchFailure.UNDECODABLE


def test_it_keeps_transparency_for_the_compositor_to_flatten(server: ImageServer) -> None:
    body = encode(Image.new("RGBA", (4, 4), (255, 0, 0, 0)), "PNG")
    image = fetch_image(server.add("/clear.png", body), LOOPBACK_ALLOWED)
    assert image.mode == "RGBA"
    assert image.getpixel((1, 1))[3] == 0


def test_it_converts_palette_and_greyscale_images_to_rgb(server: ImageServer) -> None:
    grey = fetch_image(server.add("/grey.png", encode(Image.new("L", (4, 4), 128), "PNG")), LOOPBACK_ALLOWED)
    palette = Image.new("RGB", (4, 4), GREEN).convert("P")
    indexed = fetch_image(server.add("/palette.png", encode(palette, "PNG")), LOOPBACK_ALLOWED)
    sixteen = Image.new("I;16", (4, 4), 65535)
    deep = fetch_image(server.add("/deep.png", encode(sixteen, "PNG")), LOOPBACK_ALLOWED)
    assert (grey.mode, grey.getpixel((0, 0))) == ("RGB", (128, 128, 128))
    assert (indexed.mode, indexed.getpixel((0, 0))) == ("RGB", GREEN)
    assert (deep.mode, deep.getpixel((0, 0))) == ("RGB", (255, 255, 255))


def test_it_applies_the_exif_orientation(server: ImageServer) -> None:
    # Stored 40 wide x 20 high with orientation 6 ("rotate 90 clockwise to display").
    stored = Image.new("RGB", (40, 20), RED)
    stored.paste(GREEN, (0, 0, 20, 20))  # left half green
    exif = Image.Exif()
    exif[0x0112] = 6
    image = fetch_image(server.add("/phone.jpg", encode(stored, "JPEG", exif=exif)), LOOPBACK_ALLOWED)
    assert image.size == (20, 40)
    top = image.getpixel((10, 5))  # the stored left half ends up on top
    assert top[1] > 200 and top[0] < 60


# ---- limits ---------------------------------------------------------------------------------


def test_it_refuses_a_body_over_the_size_cap_by_its_declared_length(server: ImageServer) -> None:
    url = server.add("/huge.png", solid_png(RED) + b"\x00" * (11 * 1024 * 1024))
    error = failure(url)
    assert error.reason is FetchFailure.TOO_LARGE
    assert str(error) == "the image is larger than 10 MiB, the limit"


def test_it_enforces_the_size_cap_while_streaming(server: ImageServer) -> None:
    # No Content-Length: the server would send 4 MiB; the fetch stops after the first 64 KiB.
    url = server.add("/stream.png", solid_png(RED) + b"\x00" * (4 * 1024 * 1024), send_length=False)
    policy = ImagePolicy(allow_private=True, max_bytes=64 * 1024)
    started = time.monotonic()
    error = failure(url, policy)
    assert error.reason is FetchFailure.TOO_LARGE
    assert "64 KiB" in str(error)
    assert time.monotonic() - started < 1.0


def test_it_refuses_a_png_bomb_before_decoding(server: ImageServer, bomb: bytes) -> None:
    assert len(bomb) < 1024 * 1024  # small on the wire, 2.5 GB decoded
    started = time.monotonic()
    error = failure(server.add("/bomb.png", bomb))
    assert error.reason is FetchFailure.TOO_MANY_PIXELS
    assert "at most 40 megapixels" in str(error)
    assert time.monotonic() - started < 1.0


def test_the_pixel_cap_is_explicit_and_names_the_declared_size(server: ImageServer) -> None:
    url = server.add("/big.png", png_bomb(3000, 2000))  # 6 Mpx: under Pillow's own guard
    error = failure(url, ImagePolicy(allow_private=True, max_pixels=5_000_000))
    assert error.reason is FetchFailure.TOO_MANY_PIXELS
    assert str(error) == "the image is too large (3000x2000): at most 5 megapixels are accepted"
    assert fetch_image(url, ImagePolicy(allow_private=True, max_pixels=6_000_000)).size == (3000, 2000)


def test_it_times_out_on_a_slow_server(server: ImageServer) -> None:
    url = server.add("/slow.png", solid_png(RED), delay_seconds=5)
    started = time.monotonic()
    error = failure(url, ImagePolicy(allow_private=True, timeout_seconds=0.5))
    assert error.reason is FetchFailure.TIMEOUT
    assert str(error) == "the image did not arrive within 0.5 s"
    assert time.monotonic() - started < 1.5


def test_the_timeout_covers_the_whole_body_not_each_read(server: ImageServer) -> None:
    # Headers at once, then a byte every 0.1 s: every single read is quick, the whole is not.
    url = server.add("/drip.png", solid_png(RED), drip_seconds=0.1)
    started = time.monotonic()
    error = failure(url, ImagePolicy(allow_private=True, timeout_seconds=0.6))
    assert error.reason is FetchFailure.TIMEOUT
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("status", [403, 404, 500])
def test_it_reports_the_http_status(server: ImageServer, status: int) -> None:
    error = failure(server.add("/status", b"no", status=status))
    assert error.reason is FetchFailure.HTTP_STATUS
    assert str(error).startswith(f"the server answered HTTP {status} ")


def test_it_reports_a_refused_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        error = failure(f"http://127.0.0.1:{port}/x.png")
    assert error.reason is FetchFailure.CONNECTION_FAILED
    assert str(error) == "could not fetch from '127.0.0.1': the connection was refused"


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "file:///etc/passwd", "http:///a.png"])
def test_it_fetches_only_http_urls_with_a_host(url: str) -> None:
    assert failure(url).reason is FetchFailure.INVALID_URL


# ---- redirects ------------------------------------------------------------------------------


def test_it_follows_up_to_three_redirects(server: ImageServer) -> None:
    server.add("/final.png", solid_png(GREEN))
    server.redirect("/r3", "/final.png", 303)
    server.redirect("/r2", server.url("/r3"), 307)
    server.redirect("/r1", "r2", 308)  # relative to the current URL
    image = fetch_image(server.url("/r1"), LOOPBACK_ALLOWED)

    assert image.getpixel((0, 0)) == GREEN
    assert server.requests["/final.png"] == 1


def test_it_refuses_a_fourth_redirect(server: ImageServer) -> None:
    server.redirect("/loop", "/loop")
    error = failure(server.url("/loop"))
    assert error.reason is FetchFailure.TOO_MANY_REDIRECTS
    assert server.requests["/loop"] == 4  # the URL and three redirects, no more


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/x.png", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/x.png"]
)
def test_it_refuses_a_redirect_to_a_private_address_before_connecting(
    server: ImageServer, connections: list[str], target: str
) -> None:
    error = failure(server.redirect("/away", target), ONLY_LOOPBACK)
    assert error.reason is FetchFailure.PRIVATE_ADDRESS
    assert connections == ["127.0.0.1"]  # the first hop only


def test_it_refuses_a_redirect_to_another_scheme(server: ImageServer) -> None:
    error = failure(server.redirect("/file", "file:///etc/passwd"))
    assert error.reason is FetchFailure.INVALID_URL


# ---- refused addresses ----------------------------------------------------------------------


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(address, port, timeout):
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(fetch_module, "_open_socket", refuse)


@pytest.mark.usefixtures("no_connections")
@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8000/a.png", "loopback"),
        ("http://127.9.9.9/a.png", "loopback"),
        ("http://10.1.2.3/a.png", "private"),
        ("http://192.168.1.20/a.png", "private"),
        ("http://172.16.0.1/a.png", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0/a.png", "unspecified"),
        ("http://224.0.0.1/a.png", "multicast"),
        ("http://100.64.0.1/a.png", "non-public"),
        ("http://[::1]/a.png", "loopback"),
        ("http://[::ffff:127.0.0.1]/a.png", "loopback"),
        ("http://[::ffff:10.0.0.1]/a.png", "private"),
        ("http://[fe80::1]/a.png", "link-local"),
        ("http://[fc00::1]/a.png", "private"),
        ("http://localhost/a.png", "loopback"),
    ],
)
def test_it_refuses_non_public_addresses_without_connecting(url: str, kind: str) -> None:
    error = failure(url, ImagePolicy())
    assert error.reason is FetchFailure.PRIVATE_ADDRESS
    assert f" a {kind} address;" in str(error)


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """``getaddrinfo`` answering from ``answers`` (successive answers per name); returns the log."""
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        replies = answers[host]
        addresses = replies.pop(0) if len(replies) > 1 else replies[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.usefixtures("no_connections")
def test_it_refuses_a_name_that_resolves_to_a_private_address(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"images.example": [["10.0.0.7"]]})
    error = failure("https://images.example/a.png", ImagePolicy())
    assert str(error) == (
        "the host 'images.example' resolves to a private address;"
        " this server only fetches images from public internet addresses"
    )


@pytest.mark.usefixtures("no_connections")
def test_it_refuses_a_name_with_any_private_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"mixed.example": [["93.184.216.34", "127.0.0.1"]]})
    assert failure("http://mixed.example/a.png", ImagePolicy()).reason is FetchFailure.PRIVATE_ADDRESS


def test_it_connects_to_the_address_it_checked_and_sends_the_name(
    server: ImageServer, connections: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebinding resolver: allowed the first time, private afterwards. One lookup per hop.
    asked = fake_dns(monkeypatch, {"pinned.example": [["127.0.0.1"], ["10.0.0.1"]]})
    server.add("/a.png", solid_png(RED))
    image = fetch_image(server.url("/a.png", host="pinned.example"), ONLY_LOOPBACK)
    assert image.getpixel((0, 0)) == RED
    assert asked == ["pinned.example"]
    assert connections == ["127.0.0.1"]
    assert server.hosts == [f"pinned.example:{server.port}"]


def test_it_reports_an_unknown_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    error = failure("http://nowhere.invalid/a.png", ImagePolicy())
    assert (error.reason, str(error)) == (
        FetchFailure.HOST_NOT_FOUND,
        "the host 'nowhere.invalid' was not found",
    )


# ---- cache ----------------------------------------------------------------------------------


def test_the_cache_fetches_a_url_once(server: ImageServer) -> None:
    cache = ImageCache(ttl_seconds=60, max_bytes=1024 * 1024)
    url = server.add("/cached.png", solid_png(RED))
    first = cache.get(url, LOOPBACK_ALLOWED)
    assert cache.get(url, LOOPBACK_ALLOWED) is first
    assert server.requests["/cached.png"] == 1
    assert cache.size_bytes == 8 * 6 * 3


def test_the_cache_expires_entries(server: ImageServer) -> None:
    now = [0.0]
    cache = ImageCache(ttl_seconds=60, max_bytes=1024 * 1024, clock=lambda: now[0])
    url = server.add("/ttl.png", solid_png(RED))
    cache.get(url, LOOPBACK_ALLOWED)
    now[0] = 59.0
    cache.get(url, LOOPBACK_ALLOWED)
    now[0] = 61.0
    cache.get(url, LOOPBACK_ALLOWED)
    assert server.requests["/ttl.png"] == 2


def test_the_cache_remembers_failures_briefly(server: ImageServer) -> None:
    now = [0.0]
    cache = ImageCache(ttl_seconds=60, max_bytes=1024 * 1024, failure_ttl_seconds=10, clock=lambda: now[0])
    url = server.add("/gone.png", b"gone", status=404)
    for _ in range(3):
        with pytest.raises(ImageFetchError, match="HTTP 404"):
            cache.get(url, LOOPBACK_ALLOWED)
    assert server.requests["/gone.png"] == 1
    now[0] = 11.0
    with pytest.raises(ImageFetchError):
        cache.get(url, LOOPBACK_ALLOWED)
    assert server.requests["/gone.png"] == 2


def test_the_cache_keeps_to_its_byte_budget(server: ImageServer) -> None:
    one_image = 8 * 6 * 3
    cache = ImageCache(ttl_seconds=60, max_bytes=2 * one_image)
    urls = [server.add(f"/{n}.png", solid_png(RED)) for n in range(3)]
    for url in urls:
        cache.get(url, LOOPBACK_ALLOWED)
    cache.get(urls[2], LOOPBACK_ALLOWED)  # still cached
    cache.get(urls[0], LOOPBACK_ALLOWED)  # evicted (least recently used): fetched again
    assert (server.requests["/0.png"], server.requests["/2.png"]) == (2, 1)
    assert cache.size_bytes <= 2 * one_image


def test_the_cache_key_includes_the_policy(server: ImageServer) -> None:
    cache = ImageCache(ttl_seconds=60, max_bytes=1024 * 1024)
    url = server.add("/policy.png", solid_png(RED))
    with pytest.raises(ImageFetchError):
        cache.get(url, ImagePolicy())  # loopback refused by this policy
    assert cache.get(url, LOOPBACK_ALLOWED).size == (8, 6)


def test_concurrent_requests_for_one_url_share_one_fetch(server: ImageServer) -> None:
    cache = ImageCache(ttl_seconds=60, max_bytes=1024 * 1024)
    url = server.add("/shared.png", solid_png(RED), delay_seconds=0.3)
    results: list[Image.Image] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get(url, LOOPBACK_ALLOWED))) for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 5
    assert server.requests["/shared.png"] == 1
