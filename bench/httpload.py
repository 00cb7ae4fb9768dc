"""A closed-loop HTTP load for the bench scripts: `concurrency` clients, each sending the next GET
as soon as the last answered, over fresh loopback connections, for `seconds`.

Only 200s count as served; anything else (or a refused connection) is an error."""

import asyncio
import os
import random
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


async def get(host: str, port: int, path: str, cookie: str = "") -> tuple[int, float]:
    """One GET: (status, seconds)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    headers = f"Cookie: sessionid={cookie}\r\n" if cookie else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data[9:12]) if data[:5] == b"HTTP/" else 0
    return status, time.perf_counter() - started


async def load(host, port, paths, seconds, concurrency, seed, cookie: str = "") -> dict:
    """Requests served, errors, requests per second, p50/p99 in ms and the mean load average."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int):
        nonlocal errors
        rng = random.Random(seed * 1000 + n)
        while time.perf_counter() < deadline:
            try:
                status, elapsed = await get(host, port, rng.choice(paths), cookie)
            except OSError:
                errors += 1
                continue
            if status != 200:
                errors += 1
                continue
            latencies.append(elapsed)

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
        "load": round((load_before + os.getloadavg()[0]) / 2, 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_start(gunicorn: Path, *, port: int, workers: int, env: dict, cwd: Path) -> subprocess.Popen:
    """The product under gunicorn on loopback, with bench/site on the path for the bench settings."""
    return subprocess.Popen(
        [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--pythonpath", "bench/site",
         "--log-level", "warning", "--backlog", "2048", "zhifa.wsgi:application"],
        cwd=cwd, env=env,
    )  # fmt: skip


def wait_ready(url: str, *, tries: int, timeout: float = 1) -> None:
    """Poll `url` every 0.2 s until it answers; exit the bench when it never does."""
    for _ in range(tries):
        try:
            urllib.request.urlopen(url, timeout=timeout).read()  # noqa: S310 (loopback http)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")
