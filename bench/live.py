"""Live monitoring fan-out: 500 WebSocket clients watching while 2 recordings run.

    python bench/live.py                    # 500 clients, 2 recordings, 30 s measured
    python bench/live.py --clients 100 --seconds 10

The service runs as ``manage.py serve`` runs it (Daphne, the local dispatcher, SQLite, the
in-memory channel layer) with a fresh data directory. Two rooms get two synthetic streams each;
every client logs in with the same dashboard session, opens ``/ws/live/`` and subscribes to all
of the AppId's events; then both recordings start from the REST API. The recorder stamps each
line it writes with ``emitted_at`` (Unix time); a client's latency for an event is its arrival
time minus that stamp, for every event that carries one (progress once a second per recording,
thumbnails, stream states). Also printed: the two halves of that path (recorder to database,
i.e. the event's ``at``; database to client), events lost or repeated per client (sequence
numbers must be consecutive per task), and CPU use. Target (issue 6): p99 <= 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import ROOT, Server, free_port, running_server, wait_for_port

PASSWORD = "bench live password"
CONNECT_CONCURRENCY = 50
_MAKE_USER = f"""
from django.contrib.auth.models import User
from recorder.models import Account, Membership, MembershipRole
user = User.objects.create_user("bench-viewer", password={PASSWORD!r})
Membership.objects.create(account=Account.objects.get(name="bench"), user=user, role=MembershipRole.MEMBER)
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Client:
    latencies_ms: list[float] = field(default_factory=list)
    to_database_ms: list[float] = field(default_factory=list)
    to_client_ms: list[float] = field(default_factory=list)
    last_seq: dict[str, int] = field(default_factory=dict)
    received: int = 0
    missing: int = 0
    repeated: int = 0
    closed_early: bool = False
    close: str = ""  # how a socket that closed early ended


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def log_in(session: aiohttp.ClientSession, server: Server) -> None:
    async with session.get(f"{server.base_url}/login/") as response:
        page = await response.text()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    form = {"username": "bench-viewer", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    async with session.post(f"{server.base_url}/login/", data=form, allow_redirects=False) as response:
        assert response.status == 302, f"login refused: {response.status}"


async def rest(
    session: aiohttp.ClientSession, server: Server, method: str, path: str, body: object = None
) -> dict[str, object]:
    headers = {"Authorization": aiohttp.encode_basic_auth(server.ak, server.sk)}
    async with session.request(method, f"{server.base_url}{path}", json=body, headers=headers) as response:
        answer: dict[str, object] = await response.json()
        assert response.status < 300, f"{method} {path}: {response.status} {answer}"
        return answer


async def watch(
    session: aiohttp.ClientSession,
    sockets_url: str,
    client: Client,
    ready: asyncio.Event,
    window: list[float],
) -> None:
    origin = sockets_url.replace("ws", "http", 1)
    async with session.ws_connect(f"{sockets_url}/ws/live/", headers={"Origin": origin}) as socket:
        hello = await socket.receive_json()
        assert hello["type"] == "hello", hello
        await socket.send_json({"type": "subscribe"})
        while (await socket.receive_json())["type"] != "replayed":
            pass
        ready.set()
        async for message in socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                client.close = f"{message.type.name} {message.data!r} {message.extra!r}"
                break
            arrived = time.time()
            frame = json.loads(message.data)
            if frame["type"] != "event":
                continue
            client.received += 1
            last = client.last_seq.get(frame["task"])
            if last is not None:
                client.missing += max(0, frame["seq"] - last - 1)
                client.repeated += frame["seq"] <= last
            client.last_seq[frame["task"]] = max(frame["seq"], last or 0)
            emitted = frame["data"].get("emitted_at")
            if isinstance(emitted, float) and window[0] <= emitted <= window[1]:
                persisted = datetime.fromisoformat(frame["at"]).timestamp()
                client.latencies_ms.append((arrived - emitted) * 1000)
                client.to_database_ms.append((persisted - emitted) * 1000)
                client.to_client_ms.append((arrived - persisted) * 1000)
    client.closed_early = True
    client.close = client.close or f"closed with code {socket.close_code}"


async def wait_for_state(session: aiohttp.ClientSession, server: Server, task: str, states: set[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (await rest(session, server, "GET", f"/api/v1/tasks/{task}/"))["state"] in states:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"task {task} did not reach {states}")


async def run(
    server: Server, sockets: tuple[str, int], clients: int, recordings: int, seconds: float
) -> dict[str, object]:
    sockets_url, sockets_pid = sockets
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(cookie_jar=jar, connector=connector) as session:
        await log_in(session, server)
        for room in range(recordings):
            for user in ("a", "b"):
                color = "red" if user == "a" else "blue"
                body = {"UserId": f"{user}{room}", "Url": f"synthetic:?color={color}"}
                streams = f"/api/v1/apps/{server.app_id}/rooms/room{room}/streams/"
                await rest(session, server, "POST", streams, body)

        watchers = [Client() for _ in range(clients)]
        window = [float("inf"), float("inf")]  # emitted_at range that counts
        running: list[asyncio.Task[None]] = []
        connect_started = time.perf_counter()
        for first in range(0, clients, CONNECT_CONCURRENCY):
            batch = watchers[first : first + CONNECT_CONCURRENCY]
            ready = [asyncio.Event() for _ in batch]
            for client, subscribed in zip(batch, ready, strict=True):
                running.append(asyncio.create_task(watch(session, sockets_url, client, subscribed, window)))
            await asyncio.wait_for(asyncio.gather(*(event.wait() for event in ready)), 120)
        connect_seconds = time.perf_counter() - connect_started

        tasks = []
        storage = {"Type": 1, "VodConfig": {"AccountId": "bench", "Space": "library"}}
        for room in range(recordings):
            start: dict[str, object] = {
                "RoomId": f"room{room}",
                "TaskId": f"live{room}",
                "StorageConfig": storage,
            }
            created = await rest(session, server, "POST", f"/api/v1/apps/{server.app_id}/tasks/", start)
            tasks.append(str(created["public_id"]))
        for task in tasks:
            await wait_for_state(session, server, task, {"recording"})
        await asyncio.sleep(2)  # past the start-up burst

        recorder_pids = children_of(server.pid)
        cpu_before = {pid: cpu_seconds(pid) for pid in {server.pid, sockets_pid, *recorder_pids}}
        client_cpu_before = time.process_time()
        window[0] = time.time()
        window[1] = window[0] + seconds
        await asyncio.sleep(seconds)
        cpu = {pid: cpu_seconds(pid) - before for pid, before in cpu_before.items()}
        client_cpu = time.process_time() - client_cpu_before
        server_rss = rss_mb(server.pid)
        await asyncio.sleep(1)  # events emitted at the end of the window arrive

        for task in tasks:
            await rest(session, server, "POST", f"/api/v1/tasks/{task}/stop")
        for task in tasks:
            await wait_for_state(session, server, task, {"completed", "failed"})
        await asyncio.sleep(1)
        for task_handle in running:
            task_handle.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    return {
        "watchers": watchers,
        "connect_seconds": connect_seconds,
        "server_cpu": cpu[server.pid] / seconds,
        "sockets_cpu": cpu[sockets_pid] / seconds if sockets_pid != server.pid else None,
        "recorder_cpu": sum(cpu[pid] for pid in recorder_pids) / seconds / max(1, len(recorder_pids)),
        "client_cpu": client_cpu / seconds,
        "server_rss": server_rss,
    }


@contextmanager
def sockets_server(kind: str, server: Server, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """Where the clients connect: the served app itself, or a Uvicorn process beside it."""
    if kind == "daphne":
        yield server.base_url.replace("http", "ws", 1), server.pid
        return
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning", "dashboard.asgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_for_port(port, process)
        yield f"ws://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def percentile(values: list[float], fraction: float) -> float:
    # Inclusive: with few samples the default method extrapolates past the largest one.
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(fraction * 1000) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500, help="WebSocket clients")
    parser.add_argument("--recordings", type=int, default=2, help="recordings running meanwhile")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the measured window")
    parser.add_argument(
        "--server",
        choices=["daphne", "uvicorn"],
        default="daphne",
        help="daphne: the sockets on manage.py serve itself (default); uvicorn: a separate Uvicorn "
        "process serves the sockets, events reach it through Redis (the scale-out layout)",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/11",
        help="with --server uvicorn: the channel layer (a database of its own: group names are fixed)",
    )
    args = parser.parse_args()

    command = [sys.executable, str(ROOT / "manage.py"), "serve", "--no-bootstrap", "--port", "{port}"]
    with tempfile.TemporaryDirectory(prefix="bench-live-") as data_dir:
        env = {"DATA_DIR": data_dir, "RECORDER_MAX_CONCURRENT": str(max(4, args.recordings))}
        if args.server == "uvicorn":
            env["REDIS_URL"] = args.redis_url
        with running_server(command, env) as server:
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "shell", "-c", _MAKE_USER],
                cwd=ROOT,
                env={**os.environ, **env},
                check=True,
            )
            with sockets_server(args.server, server, {**os.environ, **env}) as sockets:
                result = asyncio.run(run(server, sockets, args.clients, args.recordings, args.seconds))
    watchers: list[Client] = result["watchers"]  # type: ignore[assignment]
    latencies = [value for client in watchers for value in client.latencies_ms]
    to_database = [value for client in watchers for value in client.to_database_ms]
    to_client = [value for client in watchers for value in client.to_client_ms]
    if not latencies:
        received = sum(client.received for client in watchers)
        closed = sum(client.closed_early for client in watchers)
        raise SystemExit(
            f"no stamped event arrived ({received} events in all, {closed} sockets closed early)"
        )
    per_client = statistics.mean(len(client.latencies_ms) for client in watchers)
    print()
    print(
        f"{'clients':>7} {'recordings':>10} {'stamped/client':>14} {'p50':>8} {'p90':>8} {'p99':>8} "
        f"{'max':>8} {'missing':>8} {'repeated':>8} {'dropped':>8}"
    )
    print(
        f"{len(watchers):7d} {args.recordings:10d} {per_client:14.1f} {percentile(latencies, 0.5):6.1f}ms "
        f"{percentile(latencies, 0.9):6.1f}ms {percentile(latencies, 0.99):6.1f}ms {max(latencies):6.1f}ms "
        f"{sum(c.missing for c in watchers):8d} {sum(c.repeated for c in watchers):8d} "
        f"{sum(c.closed_early for c in watchers):8d}"
    )
    print()
    print(f"{'path':28} {'p50':>8} {'p99':>8}")
    for name, values in [("recorder -> database", to_database), ("database -> client", to_client)]:
        print(f"{name:28} {percentile(values, 0.5):6.1f}ms {percentile(values, 0.99):6.1f}ms")
    print()
    print(f"connecting {len(watchers)} clients (subscribed): {result['connect_seconds']:.1f} s")
    sockets_cpu = result["sockets_cpu"]
    uvicorn = f"Uvicorn (the sockets) {sockets_cpu:.0%}, " if isinstance(sockets_cpu, float) else ""
    print(
        f"CPU, share of one core: server (Daphne + dispatcher) {result['server_cpu']:.0%}, {uvicorn}"
        f"each recorder {result['recorder_cpu']:.0%}, bench clients {result['client_cpu']:.0%}; "
        f"server RSS {result['server_rss']:.0f} MB"
    )
    for reason in sorted({client.close for client in watchers if client.closed_early}):
        print(f"a socket closed early: {reason}")
    print("target: p99 <= 200 ms (2-core machine; clients, server and recorders share the cores)")


if __name__ == "__main__":
    main()
