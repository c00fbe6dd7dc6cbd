"""OpenAPI latency and throughput: signed StartRecord + GetRecordTask + StopRecord.

    python bench/api.py                 # embedded server (Daphne + SQLite), then a table
    python bench/api.py --seconds 20    # longer phases

Phase 1 sends requests at a fixed 60 requests/s (the reference service's per-AppId limit) and
reports p50/p99 latency. Phase 2 runs a closed loop with many concurrent clients to find the
maximum sustained rate. Each "cycle" is one task: StartRecord, GetRecordTask, StopRecord.
Targets (issue: foundation): p99 <= 50 ms at 60 req/s; aim for >= 600 req/s sustained.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import Server, running_server

VERSION = "2023-11-01"
FIXED_RATE = 60  # requests per second


def sign(server: Server, method: str, query: dict[str, str], body: bytes) -> dict[str, str]:
    """The SDK's SignerV4 algorithm, inlined so the client costs little CPU next to the server."""
    x_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    body_hash = hashlib.sha256(body).hexdigest()
    headers = {"Content-Type": "application/json", "Host": server.host_header, "X-Content-Sha256": body_hash}
    headers["X-Date"] = x_date
    signed = sorted(name.lower() for name in headers)
    lower = {name.lower(): value for name, value in headers.items()}
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    canonical = "\n".join(
        [
            method,
            "/",
            canonical_query,
            "".join(f"{n}:{lower[n]}\n" for n in signed),
            ";".join(signed),
            body_hash,
        ]
    )
    scope = f"{x_date[:8]}/cn-north-1/rtc/request"
    to_sign = "\n".join(["HMAC-SHA256", x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = server.sk.encode()
    for part in (x_date[:8], "cn-north-1", "rtc", "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"HMAC-SHA256 Credential={server.ak}/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    return headers


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)


async def one_request(
    session: aiohttp.ClientSession, server: Server, action: str, params: dict[str, object], results: Results
) -> None:
    if action == "GetRecordTask":
        query = {"Action": action, "Version": VERSION, **{k: str(v) for k, v in params.items()}}
        method, body = "GET", b""
    else:
        query = {"Action": action, "Version": VERSION}
        method, body = "POST", json.dumps(params).encode()
    headers = sign(server, method, query, body)
    started = time.perf_counter()
    async with session.request(
        method, f"{server.base_url}/?{urlencode(query)}", data=body or None, headers=headers
    ) as response:
        content = await response.read()
        ok = response.status == 200
    results.latencies_ms.append((time.perf_counter() - started) * 1000)
    if not ok:
        results.errors += 1
        if len(results.first_errors) < 3:
            results.first_errors.append(f"{action} {response.status} {content[:300]!r}")


def cycle_requests(server: Server, task_number: int) -> list[tuple[str, dict[str, object]]]:
    identity: dict[str, object] = {
        "AppId": server.app_id,
        "RoomId": "bench-room",
        "TaskId": f"t{task_number}",
    }
    start = {
        **identity,
        "StorageConfig": {"Type": 2, "CustomConfig": {"Bucket": "b", "AccessKey": "a", "SecretKey": "s"}},
    }
    return [("StartRecord", start), ("GetRecordTask", identity), ("StopRecord", identity)]


async def fixed_rate(server: Server, seconds: float, task_numbers: itertools.count[int]) -> Results:
    """Cycles start at FIXED_RATE / 3 per second, so requests arrive at FIXED_RATE per second;
    inside a cycle the three requests go in order, as a real caller's would."""
    results = Results()
    requests_per_cycle = 3
    interval = requests_per_cycle / FIXED_RATE

    async def one_cycle(session: aiohttp.ClientSession, number: int) -> None:
        for action, params in cycle_requests(server, number):
            await one_request(session, server, action, params, results)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
        pending: list[asyncio.Task[None]] = []
        begin = time.perf_counter()
        for started in itertools.count():
            due = begin + started * interval
            if due - begin >= seconds:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            pending.append(asyncio.create_task(one_cycle(session, next(task_numbers))))
        await asyncio.gather(*pending)
    return results


async def closed_loop(
    server: Server, seconds: float, concurrency: int, task_numbers: itertools.count[int]
) -> tuple[Results, float]:
    results = Results()
    deadline = time.perf_counter() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            for action, params in cycle_requests(server, next(task_numbers)):
                await one_request(session, server, action, params, results)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        begin = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - begin
    return results, len(results.latencies_ms) / elapsed


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=1000)[int(fraction * 1000) - 1] if len(values) > 1 else values[0]


PY = [sys.executable, "-m"]
SERVERS = {
    # What `manage.py serve` runs (access log off here: we measure the server, not the terminal).
    "daphne, 1 process, sqlite": PY
    + shlex.split("daphne -v 0 -b 127.0.0.1 -p {port} dashboard.asgi:application"),
    # The scale-out web tier: one uvicorn worker per core.
    "uvicorn, 2 workers, sqlite": PY
    + shlex.split(
        "uvicorn --workers 2 --no-access-log --log-level warning --host 127.0.0.1 --port {port} "
        "dashboard.asgi:application"
    ),
    # An API tier on WSGI: threads keep their database connections between requests.
    "gunicorn 2x4 threads, sqlite": PY
    + shlex.split(
        "gunicorn -k gthread --workers 2 --threads 4 --bind 127.0.0.1:{port} --log-level warning "
        "dashboard.wsgi:application"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--concurrency", type=int, default=16, help="clients in the closed loop")
    args = parser.parse_args()

    rows = []
    for name, command in SERVERS.items():
        with running_server(command) as server:
            task_numbers = itertools.count()
            # Warm up: imports, connection setup, first queries.
            asyncio.run(fixed_rate(server, 1.0, task_numbers))
            paced = asyncio.run(fixed_rate(server, args.seconds, task_numbers))
            loaded, rate = asyncio.run(closed_loop(server, args.seconds, args.concurrency, task_numbers))
        rows.append((name, paced, loaded, rate))

    print()
    print(
        f"{'server':34} {'60 req/s p50':>13} {'60 req/s p99':>13} {'errors':>7} "
        f"{'max req/s':>10} {'p50 @max':>9} {'p99 @max':>9} {'errors':>7}"
    )
    for name, paced, loaded, rate in rows:
        paced_p50, paced_p99 = percentile(paced.latencies_ms, 0.5), percentile(paced.latencies_ms, 0.99)
        loaded_p50, loaded_p99 = percentile(loaded.latencies_ms, 0.5), percentile(loaded.latencies_ms, 0.99)
        print(
            f"{name:34} {paced_p50:11.1f}ms {paced_p99:11.1f}ms {paced.errors:7d} {rate:10.0f} "
            f"{loaded_p50:7.1f}ms {loaded_p99:7.1f}ms {loaded.errors:7d}"
        )
    for name, paced, loaded, _ in rows:
        for error in paced.first_errors + loaded.first_errors:
            print(f"error ({name}): {error}")
    print("\ntargets: p99 <= 50 ms at 60 req/s; >= 600 req/s sustained")
    print("(2-core machine; the client runs on the same cores as the server)")


if __name__ == "__main__":
    main()
