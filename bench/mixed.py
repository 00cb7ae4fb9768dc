#!/usr/bin/env python3
"""A mixed load on loopback, for minutes: the public searching the portal, staff reading records,
matters moving through their steps and a body-camera dock being ingested, all at the same time.

    .venv/bin/python bench/mixed.py [--minutes 10] [--decisions 20000] [--search-rate 10]
        [--read-rate 5] [--transition-rate 0.5] [--dock-clips 5] [--dock-size 100] [--dock-every 60] [--workers 5]

The stack, as `tools/deploy.py` runs its application part: PostgreSQL (DATABASE_URL when set, else a
throw-away server from tools/pgserver.py, which runs with fsync off), gunicorn with sync workers
(zhifa.wsgi, persistent database connections, DEBUG off), and the sequencer as its own worker
(`zhifa ledger sequence --loop`; web processes and the ingest only append, ZHIFA_LEDGER_INTEGRATE
= worker). The data: `zhifa demo` (the 抚顺 demo agency with its staff) and `decisions` published
decisions bulk-inserted as bench/portal.py does.

Each kind runs at a bounded rate (requests are started on a fixed schedule, at most `--inflight`
at a time per kind; a request that would exceed that is counted as skipped, not sent):
  search      GET /public/decisions/?… from bench/portal.py's query mix (anonymous)
  read        GET /api/v1/records/<id>/ as an officer (a logged read: one ledger event each)
  transition  one matter at a time through the API: opened, 立案申请 (with its 文书), 立案审批
              (each a POST counted as one transition)
  dock        `zhifa ingest` of a fresh folder of `dock-clips` camera clips (bench/ingest.py's
              make_clip), one starting every `dock-every` seconds (a camera's shift docked each
              minute), each folder made before its run starts; it stops early rather than fill the disk
Meanwhile a poller reads which events the sequencer numbered every 0.1 s: the integration delay of
each event is the time from its creation (inside its transaction) to the poll that first saw it
numbered. The load average is sampled every 10 s.

Reported per kind: requests, server errors (5xx or a dropped connection: must be 0), other errors
(4xx), skipped, p50/p99/max latency; the dock's files, bytes and MB/s; the integration delay.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from httpload import wait_ready  # noqa: E402
from ingest import PYTHON, make_clip  # noqa: E402
from portal import LOAD, free_port, search_paths  # noqa: E402

GUNICORN = PYTHON.parent / "gunicorn"
HOST = "127.0.0.1"
DEMO_PASSWORD = "zhifa-demo-2026"  # noqa: S105 - zhifa.demo's, for the scratch install only

SETUP = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
django.setup()
from equipment.services import device_register
from org.models import Agency, Staff
officer = Staff.objects.get(username="officer1")
device_register(agency=officer.agency, section=officer.section, kind="body_camera", serial="BENCH-MIX")
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- HTTP (one connection per request: gunicorn's sync workers close them) ----------------------


async def request(port: int, method: str, path: str, token: str | None = None, body: dict | None = None):
    """(status, parsed JSON or None, seconds); status 0 for a dropped connection."""
    payload = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    if token:
        head.append(f"Authorization: Token {token}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        data = await reader.read()
        writer.close()
    except OSError:
        return 0, None, time.perf_counter() - started
    elapsed = time.perf_counter() - started
    status = int(data[9:12]) if data[:5] == b"HTTP/" else 0
    headers, _, content = data.partition(b"\r\n\r\n")
    parsed = None
    if b"application/json" in headers.lower():
        if b"transfer-encoding: chunked" in headers.lower():
            chunks, rest = [], content
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line.split(b";")[0] or b"0", 16)
                if not size:
                    break
                chunks.append(rest[:size])
                rest = rest[size + 2 :]
            content = b"".join(chunks)
        try:
            parsed = json.loads(content)
        except ValueError:
            parsed = None
    return status, parsed, elapsed


class Kind:
    """What one kind of request measured."""

    def __init__(self, name: str):
        self.name = name
        self.latencies: list[float] = []
        self.server_errors = 0
        self.client_errors = 0
        self.skipped = 0
        self.samples: list[str] = []  # the first few errors, for the report
        self.steps: dict[str, list[float]] = {}  # latencies by step, where a kind has several

    def record(self, status: int, elapsed: float, what: str, detail=None, step: str | None = None) -> bool:
        self.latencies.append(elapsed)
        if step:
            self.steps.setdefault(step, []).append(elapsed)
        if status >= 500 or status == 0:
            self.server_errors += 1
        elif status >= 400:
            self.client_errors += 1
        else:
            return True
        if len(self.samples) < 5:
            self.samples.append(
                f"{status} {what} {json.dumps(detail, ensure_ascii=False)[:200] if detail else ''}"
            )
        return False


async def paced(kind: Kind, rate: float, inflight: int, stop: float, make) -> None:
    """Start `make()` every 1/rate s until `stop`, never more than `inflight` at a time."""
    running: set[asyncio.Task] = set()
    interval = 1 / rate
    next_at = time.perf_counter()
    while next_at < stop:
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        next_at += interval
        if len(running) >= inflight:
            kind.skipped += 1
            continue
        task = asyncio.create_task(make())
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running)


# --- the stack ----------------------------------------------------------------------------------


def prepare(env: dict, decisions: int) -> None:
    run = lambda *cmd, **kw: subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kw)  # noqa: E731
    started = time.perf_counter()
    run(PYTHON, "manage.py", "migrate", "-v0")
    log(f"migrated in {time.perf_counter() - started:.0f} s")
    if decisions:
        started = time.perf_counter()
        run(PYTHON, "-c", LOAD, str(decisions), stdout=subprocess.DEVNULL)
        code = (  # the rows came with their ids: move the sequence past them
            "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','zhifa.settings');django.setup();"
            "from django.db import connection;c=connection.cursor();"
            "c.execute(\"SELECT setval(pg_get_serial_sequence('publicity_publication','id'),"
            ' (SELECT max(id) FROM publicity_publication))")'
        )
        run(PYTHON, "-c", code)
        log(f"inserted {decisions} published decisions in {time.perf_counter() - started:.0f} s")
    run(PYTHON, "manage.py", "demo", stdout=subprocess.DEVNULL)
    run(PYTHON, "-c", SETUP)
    log("demo agency loaded")


def token(port: int, username: str) -> str:
    data = json.dumps({"username": username, "password": DEMO_PASSWORD}).encode()
    req = urllib.request.Request(
        f"http://{HOST}:{port}/api/v1/auth/token/", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310 - loopback http
        return json.loads(response.read())["token"]


def readable_records(port: int, key: str) -> list[int]:
    req = urllib.request.Request(
        f"http://{HOST}:{port}/api/v1/records/?page_size=200", headers={"Authorization": f"Token {key}"}
    )
    with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310 - loopback http
        return [r["id"] for r in json.loads(response.read())["results"]]


# --- the load -----------------------------------------------------------------------------------


async def transitions(kind: Kind, port: int, tokens: dict, rate: float, stop: float) -> None:
    """Matters one after another: open, 立案申请, 立案审批 (three POSTs), `rate` POSTs a second at most."""
    interval = 1 / rate
    number = 0
    while time.perf_counter() < stop:
        number += 1
        steps = [
            ("officer1", "/api/v1/matters/", {"kind": "penalty", "title": f"混合负载测试事项{number}"}),
            ("officer1", "request_filing", {"data": {"facts": "未在储罐区设置安全警示标志", "basis": "安全生产法第九十九条"}}),
            ("chief1", "approve_filing", {"data": {"opinion": "同意立案"}}),
        ]  # fmt: skip
        matter = None
        for user, what, body in steps:
            started = time.perf_counter()
            path = what if what.startswith("/") else f"/api/v1/matters/{matter}/transitions/{what}/"
            status, parsed, elapsed = await request(port, "POST", path, tokens[user], body)
            if not kind.record(status, elapsed, what, parsed, step="open" if matter is None else what):
                break
            if matter is None:
                matter = parsed["id"]
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))


def dock_loop(
    stop: float, env: dict, work: Path, clips: int, mib: int, results: list, failures: list, every: float = 60
) -> None:
    """Fresh dock folders ingested until `stop`, one starting every `every` seconds at most (a run
    already started finishes). The store keeps every ingested file, so a fast disk would otherwise
    fill up: the loop also stops while less than four folders' worth and 2 GiB are free."""
    cycle = 0
    next_start = time.time()
    while time.time() < stop:
        time.sleep(max(0.0, min(next_start, stop) - time.time()))
        if time.time() >= stop:
            break
        next_start = time.time() + every
        free = shutil.disk_usage(work).free
        if free < 4 * clips * mib * 2**20 + 2 * 2**30:
            log(f"dock: stopped, {free / 2**30:.1f} GiB free on the work folder's disk")
            break
        cycle += 1
        folder = work / f"dock-{cycle}"
        folder.mkdir()
        start = time.time() - 3 * 3600 + cycle * clips * 100
        from datetime import UTC, datetime

        for n in range(clips):
            make_clip(
                folder / f"BENCH-MIX_{cycle:03d}_{n:04d}.mp4",
                mib,
                datetime.fromtimestamp(start + n * 100, UTC),
                seed=cycle * 1000 + n,
            )
        if time.time() >= stop:
            shutil.rmtree(folder, ignore_errors=True)
            break
        size = sum(p.stat().st_size for p in folder.iterdir())
        started = time.perf_counter()
        done = subprocess.run(
            [PYTHON.parent / "zhifa", "ingest", str(folder), "--device", "BENCH-MIX"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            failures.append(done.stderr[-2000:])
        results.append((clips, size, seconds))
        log(
            f"dock {cycle}: {clips} files, {size / 2**20:.0f} MiB in {seconds:.1f} s (exit {done.returncode})"
        )
        shutil.rmtree(folder, ignore_errors=True)


def integration_poller(url: str, stop: threading.Event, delays: list, counts: dict) -> None:
    """Every 0.1 s: the events numbered since the last look, and how long after creation."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        last = conn.execute('SELECT coalesce(max("index"), -1) FROM ledger_event').fetchone()[0]
        while not stop.is_set():
            time.sleep(0.1)
            rows = conn.execute(
                'SELECT "index", extract(epoch FROM now() - created_at) FROM ledger_event WHERE "index" > %s',
                [last],
            ).fetchall()
            for index, delay in rows:
                last = max(last, index)
                delays.append(float(delay))
            counts["waiting"] = max(
                counts.get("waiting", 0),
                conn.execute('SELECT count(*) FROM ledger_event WHERE "index" IS NULL').fetchone()[0],
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--decisions", type=int, default=20_000, help="published decisions for the portal")
    parser.add_argument("--search-rate", type=float, default=10, help="portal searches per second")
    parser.add_argument("--read-rate", type=float, default=5, help="staff record reads per second")
    parser.add_argument("--transition-rate", type=float, default=0.5, help="matter POSTs per second at most")
    parser.add_argument("--inflight", type=int, default=8, help="requests of one kind in flight at most")
    parser.add_argument("--dock-clips", type=int, default=5, help="clips per dock folder (0: no ingest)")
    parser.add_argument("--dock-size", type=int, default=100, help="MiB per clip")
    parser.add_argument("--dock-every", type=float, default=60, help="seconds between the starts of dock ingests")
    parser.add_argument("--workers", type=int, default=min(2 * (os.cpu_count() or 1) + 1, 9))
    parser.add_argument("--dir", help="work folder (default: a temporary one, removed afterwards)")
    args = parser.parse_args()

    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="zhifa-mixed-"))
    work.mkdir(parents=True, exist_ok=True)
    pg_state = work / "pg.json"
    processes: list[subprocess.Popen] = []
    url = os.environ.get("DATABASE_URL")
    try:
        if not url:
            url = subprocess.run(
                [PYTHON, "tools/pgserver.py", "start", "--state", str(pg_state)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        env = os.environ | {
            "DATABASE_URL": url,
            "ZHIFA_DATA_DIR": str(work / "data"),
            "PYTHONPATH": str(ROOT),  # this checkout, also where the environment holds another editable
            "BENCH_DIR": str(BENCH),
            "DEBUG": "false",
            "LOG_LEVEL": "ERROR",
            "CONN_MAX_AGE": "600",
            "ZHIFA_LEDGER_INTEGRATE": "worker",
            "ALLOWED_HOSTS": f"{HOST},localhost",
        }
        (work / "data").mkdir(exist_ok=True)
        prepare(env, args.decisions)
        port = free_port()
        processes.append(
            subprocess.Popen([PYTHON.parent / "zhifa", "ledger", "sequence", "--loop"], cwd=ROOT, env=env)
        )
        server = [GUNICORN, "zhifa.wsgi:application", "--bind", f"{HOST}:{port}", "--workers", str(args.workers),
                  "--timeout", "600", "--log-level", "warning", "--backlog", "2048"]  # fmt: skip
        processes.append(subprocess.Popen(server, cwd=ROOT, env=env))
        wait_ready(f"http://{HOST}:{port}/public/", tries=300, timeout=2)
        tokens = {user: token(port, user) for user in ("officer1", "chief1")}
        records = readable_records(port, tokens["officer1"])
        paths = search_paths(random.Random(11))
        log(
            f"stack up on port {port}; {len(records)} records readable by officer1; load for {args.minutes} min"
        )

        kinds = {name: Kind(name) for name in ("search", "read", "transition")}
        dock_results, dock_failures, delays, counts, loads = [], [], [], {}, []
        polling = threading.Event()
        poller = threading.Thread(target=integration_poller, args=(url, polling, delays, counts), daemon=True)
        poller.start()
        seconds = args.minutes * 60
        dock = None
        if args.dock_clips:
            dock = threading.Thread(
                target=dock_loop,
                args=(
                    time.time() + seconds,
                    env,
                    work,
                    args.dock_clips,
                    args.dock_size,
                    dock_results,
                    dock_failures,
                    args.dock_every,
                ),
            )
            dock.start()

        async def run_all() -> None:
            rng = random.Random(5)
            stop = time.perf_counter() + seconds

            async def search():
                path = rng.choice(paths)
                status, _, elapsed = await request(port, "GET", path)
                kinds["search"].record(status, elapsed, path)

            async def read():
                path = f"/api/v1/records/{rng.choice(records)}/"
                status, parsed, elapsed = await request(port, "GET", path, tokens["officer1"])
                kinds["read"].record(status, elapsed, path, parsed)

            async def sample_load():
                while time.perf_counter() < stop:
                    loads.append(os.getloadavg()[0])
                    await asyncio.sleep(10)

            async def refresh_records():  # the dock's clips become readable as they arrive
                nonlocal records
                while time.perf_counter() < stop:
                    await asyncio.sleep(30)
                    records = await asyncio.to_thread(readable_records, port, tokens["officer1"]) or records

            await asyncio.gather(
                paced(kinds["search"], args.search_rate, args.inflight, stop, search),
                paced(kinds["read"], args.read_rate, args.inflight, stop, read),
                transitions(kinds["transition"], port, tokens, args.transition_rate, stop),
                sample_load(),
                refresh_records(),
            )

        started = time.perf_counter()
        asyncio.run(run_all())
        if dock is not None:
            dock.join()
        time.sleep(3)  # the last events reach the sequencer
        polling.set()
        poller.join()
        wall = time.perf_counter() - started
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        if pg_state.exists():
            subprocess.run(
                [PYTHON, "tools/pgserver.py", "stop", "--state", str(pg_state)], cwd=ROOT, check=False
            )
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nmixed load, {wall / 60:.1f} min, {os.cpu_count()} cores, {args.workers} gunicorn workers")
    print(
        f"load average (1 min), sampled every 10 s: median {statistics.median(loads):.1f}, max {max(loads):.1f}"
    )
    print(
        f"{'kind':<11} {'requests':>8} {'per s':>6} {'5xx':>4} {'4xx':>4} {'skipped':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for kind in kinds.values():
        p50, p99 = percentile(kind.latencies, 0.5), percentile(kind.latencies, 0.99)
        print(
            f"{kind.name:<11} {len(kind.latencies):>8} {len(kind.latencies) / wall:>6.1f} {kind.server_errors:>4} "
            f"{kind.client_errors:>4} {kind.skipped:>7} {1000 * (p50 or 0):>7.0f} {1000 * (p99 or 0):>7.0f} "
            f"{1000 * max(kind.latencies, default=0):>7.0f}"
        )
        for step, latencies in kind.steps.items():
            print(
                f"  {step:<17} {len(latencies):>4} {'':>22} {1000 * percentile(latencies, 0.5):>7.0f} "
                f"{1000 * percentile(latencies, 0.99):>7.0f} {1000 * max(latencies):>7.0f}"
            )
        for sample in kind.samples:
            print(f"    {sample}")
    if dock_results:
        files = sum(r[0] for r in dock_results)
        size = sum(r[1] for r in dock_results)
        busy = sum(r[2] for r in dock_results)
        print(
            f"dock        {len(dock_results)} runs, {files} files, {size / 2**30:.1f} GiB, "
            f"{size / 1e6 / busy:.0f} MB/s while ingesting, {len(dock_failures)} failed runs"
        )
        for failure in dock_failures[:3]:
            print("    " + failure.replace("\n", "\n    "))
    print(
        f"integration delay (created → numbered, 0.1 s polls): {len(delays)} events, "
        f"p50 {1000 * (percentile(delays, 0.5) or 0):.0f} ms, p99 {1000 * (percentile(delays, 0.99) or 0):.0f} ms, "
        f"max {1000 * max(delays, default=0):.0f} ms; at most {counts.get('waiting', 0)} waiting at once"
    )
    failed = sum(k.server_errors for k in kinds.values()) + len(dock_failures)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
