#!/usr/bin/env python3
"""Ledger figures, each as a ratio against a baseline measured in the same run.

    .venv/bin/python bench/ledger.py [--appends 20000] [--writers 16] [--events 1000000] [--extra 10000]
    DATABASE_URL=… .venv/bin/python bench/ledger.py --verify-only [--jobs 1 2 8]   # the verify figures alone

Uses a scratch database: SQLite in a temporary data folder, or DATABASE_URL when set (it writes there).
  appends:  WRITERS processes append events through the real service path (event_record, one
            transaction each) while one sequencer process integrates them (as `zhifa ledger
            sequence --loop`), counted until the last is integrated, vs. the same processes
            inserting the same rows with a plain ORM insert; then the integration delay
            (commit → numbered) of every event, p50/p99
  verify:   the full run in one process and on every core vs. only reading the same rows, each
            without and with the comparison of every stored subtree; then an incremental run
            after EXTRA more events. Each full run is its own new process (`--verify-once`), so
            that its peak resident memory (that of the verifying process, and the largest of
            its workers') is printed with its wall and CPU time
  proofs:   inclusion and consistency proof size and time at 10^3 … N events
            vs. fetching one event row by its number
The N-event ledger is built through the bulk path (the same entry, leaf and node code as the
sequencer), since N single transactions would measure only the appends again.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(migrate: bool = True) -> Path | None:
    scratch = None
    if not os.environ.get("DATABASE_URL") and migrate:  # a --verify-once child uses its parent's
        scratch = Path(tempfile.mkdtemp(prefix="zhifa-bench-ledger-"))
        os.environ["ZHIFA_DATA_DIR"] = str(scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0)
    return scratch


def timed(fn, repeat=1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def _bench_agency():
    from org.models import Agency
    from org.services import agency_create

    return Agency.objects.first() or agency_create(
        name="基准测试局",
        uscc="11210400MB0999999" + _check("11210400MB0999999"),
        jurisdiction="测试",
        policy_pack="fushun-city",
    )


def _writer(args) -> list[tuple[int, float]]:
    """One writer process: `count` events, one transaction each; (event id, commit time) for each."""
    mode, count, k, agency_pk = args
    from django.db import connections, transaction

    from ledger.models import Event
    from ledger.services import event_record
    from org.models import Agency

    connections.close_all()
    agency = Agency.objects.get(pk=agency_pk)
    done = []
    for i in range(count):
        data = {"w": k, "i": i, "sha256": "ab" * 32}
        with transaction.atomic():
            if mode == "plain":
                event = Event.objects.create(
                    kind="bench.plain", agency=agency, subject_type="org.agency", subject_id=str(agency.pk),
                    data=data, created_at=datetime.now(UTC),
                )
            else:
                event = event_record(kind="bench.append", subject=agency, data=data)
        done.append((event.pk, time.time()))
    connections.close_all()
    return done


def _sequencer(stop, ready, batches) -> None:
    """The sequencer worker, as `zhifa ledger sequence --loop` runs it, noting (time, head size)
    after each batch so that each event's integration time is known."""
    from django.db import connections

    from ledger import sequencer
    from ledger.models import Head

    connections.close_all()
    assert sequencer.hold_session_lock()
    ready.set()
    while not stop.is_set():
        if sequencer.integrate_pending(max_batch=5000, wait=True):
            batches.append((time.time(), Head.objects.get(pk=1).size))
        else:
            time.sleep(0.01)
    sequencer.release_session_lock()
    connections.close_all()


def bench_appends(count: int, writers: int) -> None:
    """`writers` processes append `count` events in all through event_record while one sequencer
    process integrates them, against the same processes inserting the same rows with a plain
    ORM insert (no ledger); then the integration delay (commit → numbered) of each event."""
    import multiprocessing

    from django.db import connections

    from ledger import sequencer
    from ledger.models import Event

    os.environ["ZHIFA_LEDGER_INTEGRATE"] = "worker"
    from django.conf import settings

    settings.ZHIFA_LEDGER_INTEGRATE = "worker"
    agency = _bench_agency()
    sequencer.integrate_all()
    per = count // writers
    jobs = [(None, per, k, agency.pk) for k in range(writers)]
    connections.close_all()
    ctx = multiprocessing.get_context("fork")

    cpu0 = _cpu()
    started = time.perf_counter()
    with ctx.Pool(writers) as pool:
        pool.map(_writer, [("plain", *job[1:]) for job in jobs])
    base = time.perf_counter() - started
    cpu_base = _cpu_since(cpu0)
    Event.objects.filter(kind="bench.plain").delete()
    connections.close_all()

    manager = ctx.Manager()
    stop, ready, batches = manager.Event(), manager.Event(), manager.list()
    cpu0 = _cpu()
    worker = ctx.Process(target=_sequencer, args=(stop, ready, batches))
    worker.start()
    ready.wait()
    started = time.perf_counter()
    with ctx.Pool(writers) as pool:
        commits = [row for rows in pool.map(_writer, [("ledger", *job[1:]) for job in jobs]) for row in rows]
    written = time.perf_counter() - started
    while sequencer.pending_count():
        time.sleep(0.005)
    ours = time.perf_counter() - started
    stop.set()
    worker.join()
    cpu_ours = _cpu_since(cpu0)
    total = per * writers
    print(
        f"appends ({writers} writers, {total:,} events, one transaction each): "
        f"{total / ours:,.0f} events/s written and integrated ({total / written:,.0f}/s written); "
        f"plain inserts of the same rows {total / base:,.0f}/s; ratio {base / ours:.2f}"
    )
    for label, (python, server) in (("plain inserts", cpu_base), ("appends, sequencer included", cpu_ours)):
        per_event = (python + (server or 0.0)) / total
        print(
            f"  CPU per event, {label}: {python / total * 1e6:,.0f} µs in the Python processes"
            + (f" + {server / total * 1e6:,.0f} µs in PostgreSQL" if server is not None else "")
            + f"; 10,000 events/s would need {per_event * 10_000:.1f} cores of this machine's"
            + f" (load average {os.getloadavg()[0]:.1f})"
        )
    numbered = dict(Event.objects.filter(pk__in=[pk for pk, _ in commits]).values_list("pk", "index"))
    marks = list(batches)
    delays = []
    for pk, committed in commits:
        index = numbered[pk]
        at = next(t for t, size in marks if size > index)  # the first batch that covers it
        delays.append(max(0.0, at - committed))
    delays.sort()
    p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] * 1000  # noqa: E731
    print(
        f"integration delay under that load (commit → numbered): p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, "
        f"max {delays[-1] * 1000:.0f} ms; {len(marks)} batches, {total / len(marks):.0f} events per batch"
    )
    manager.shutdown()


def _check(prefix: str) -> str:
    from stdnum.cn import uscc

    return uscc.calc_check_digit(prefix)


def _bulk_insert(events, nodes) -> None:
    """COPY on PostgreSQL (bulk_create quotes each value on the client); bulk_create elsewhere."""
    from django.db import connection

    from ledger.models import Event, Node

    if connection.vendor != "postgresql":
        Event.objects.bulk_create(events, batch_size=5000)
        Node.objects.bulk_create(nodes, batch_size=5000)
        return
    with connection.cursor() as cursor:
        raw = cursor.cursor
        columns = '"index", kind, agency_id, subject_type, subject_id, data, created_at, entry, leaf_hash'
        with raw.copy(f"COPY ledger_event ({columns}) FROM STDIN") as copy:
            for e in events:
                copy.write_row(
                    (e.index, e.kind, e.agency_id, e.subject_type, e.subject_id, json.dumps(e.data), e.created_at, e.entry, e.leaf_hash)
                )
        with raw.copy('COPY ledger_node (level, "index", hash) FROM STDIN') as copy:
            for n in nodes:
                copy.write_row((n.level, n.index, n.hash))


STATUSES = ("立案审批", "调查取证", "告知", "法制审核", "集体讨论决定", "作出决定", "送达", "执行", "结案")


def build(total: int) -> list[int]:
    """Grow the ledger to `total` events in bulk; sign a checkpoint at each power of ten."""
    from django.db import transaction
    from django.utils import timezone

    from ledger import merkle
    from ledger.entries import entry_bytes
    from ledger.models import Event, Head, Node
    from ledger.services import checkpoint_sign, right_edge

    agency = _bench_agency().pk  # creating it records an event: before the head is read
    head = Head.objects.get(pk=1)
    known = {(lvl, i): bytes.fromhex(h) for lvl, i, h in head.frontier}
    size, marks, batch = head.size, [], 20_000
    started = time.perf_counter()
    targets = sorted({10**k for k in range(3, 8) if 10**k <= total} | {total})
    now = timezone.now()
    while size < total:
        events, nodes = [], []
        end = min(total, size + batch, next(t for t in targets if t > size))
        for index in range(size, end):
            # as real events: each its own time, an agency, a little Chinese text and a file hash
            created_at = now + timedelta(microseconds=37 * index)
            data = {"n": index, "status": STATUSES[index % len(STATUSES)], "sha256": f"{index:064x}"}
            entry = entry_bytes(
                index=index,
                kind="bench.bulk",
                created_at=created_at,
                actor_id=None,
                agency_id=agency,
                subject_type="bench.item",
                subject_id=str(index),
                data=data,
            )
            leaf = merkle.leaf_hash(entry)
            events.append(
                Event(
                    index=index,
                    kind="bench.bulk",
                    subject_type="bench.item",
                    subject_id=str(index),
                    data=data,
                    created_at=created_at,
                    agency_id=agency,
                    entry=entry.decode(),
                    leaf_hash=leaf.hex(),
                )
            )
            for lvl, i, h in merkle.new_nodes(index, leaf, lambda lvl, i, known=known: known[(lvl, i)]):
                known[(lvl, i)] = h
                nodes.append(Node(level=lvl, index=i, hash=h.hex()))
        with transaction.atomic():
            _bulk_insert(events, nodes)
            size = end
            frontier = right_edge(size, known)
            Head.objects.filter(pk=1).update(size=size, frontier=frontier)
        # keep only the right edge in memory
        keep = {(lvl, i) for lvl, i, _ in frontier}
        known = {k: v for k, v in known.items() if k in keep}
        if size in targets:
            checkpoint_sign()
            marks.append(size)
            print(f"  built {size:,} events ({time.perf_counter() - started:.0f} s)", flush=True)
    return marks


def _server_cpu() -> float | None:
    """CPU seconds used so far by the local PostgreSQL server's processes (the postmaster started
    with this connection's port, and its children), from /proc; None when not found."""
    from django.db import connection

    if connection.vendor != "postgresql" or not Path("/proc").is_dir():
        return None
    port, tick = str(connection.settings_dict["PORT"]), os.sysconf("SC_CLK_TCK")
    stats = {}
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # utime + stime; with cutime + cstime (ended backends, reaped by the postmaster)
        stats[proc.name] = (cmdline, int(fields[1]), sum(map(int, fields[11:13])), sum(map(int, fields[11:15])))
    master = next(
        (pid for pid, (cmd, *_) in stats.items() if cmd[0].endswith(b"postgres") and port.encode() in cmd),
        None,
    )
    if master is None:
        return None
    children = sum(cpu for _, ppid, cpu, _ in stats.values() if str(ppid) == master)
    return (stats[master][3] + children) / tick


def _cpu() -> tuple[float, float | None]:
    """(CPU seconds of this process and its finished children, of the database server)."""
    import resource

    own = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )
    return own, _server_cpu()


def _cpu_since(before: tuple[float, float | None]) -> tuple[float, float | None]:
    """CPU seconds (Python processes, database server) used since `before` (from _cpu())."""
    own, server = _cpu()
    return own - before[0], (server - before[1]) if server is not None and before[1] is not None else None


def verify_once(jobs: int, nodes: bool) -> None:
    """One full verify in this process (run by bench_verify as a new process): prints as JSON its
    wall time, findings, CPU seconds and peak resident memory (MiB) of this process and of its
    workers (the largest one; ru_maxrss is in KiB on Linux)."""
    import resource

    from ledger import verify

    def cpu() -> float:  # this process's start (Django's imports) is left out
        return sum(
            getattr(resource.getrusage(who), field)
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            for field in ("ru_utime", "ru_stime")
        )

    verify.COMPARE_NODES = nodes
    before, started = cpu(), time.perf_counter()
    findings = verify.verify_ledger(jobs=jobs)
    wall = time.perf_counter() - started
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "wall": wall,
                "findings": len(findings),
                "cpu": cpu() - before,
                "rss_parent": own.ru_maxrss / 1024,
                "rss_workers": workers.ru_maxrss / 1024,
            }
        )
    )


def _verify_in_new_process(jobs: int, nodes: bool) -> dict:
    import subprocess

    done = subprocess.run(
        [sys.executable, __file__, "--verify-once", str(jobs), str(int(nodes))],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"verify in a new process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_verify(extra: int, jobs_list: list[int] | None = None) -> None:
    """The full run in one process and on every core, against reading the rows alone (the entries
    through the ORM, and every column verification reads, with its own query); then an incremental
    run after `extra` more events. Files are not part of it: the bulk events register none."""
    from ledger.models import Event
    from ledger.verify import PART, _part_rows, verify_ledger

    def scan():
        for _ in Event.objects.order_by("index").values_list("entry", flat=True).iterator(chunk_size=5000):
            pass

    count = Event.objects.count()

    def columns():  # in the parts verification reads them in
        for start in range(0, count, PART):
            for _ in _part_rows(start, min(count, start + PART)):
                pass

    base, raw = timed(scan), timed(columns)
    print(
        f"reading the {count:,} rows alone: the entries {base:.2f} s; every column verification reads {raw:.2f} s "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    cores = os.cpu_count() or 1
    for jobs in jobs_list or sorted({1, cores}):
        for nodes in (False, True):  # without, then with the comparison of every stored subtree
            load, cpu = os.getloadavg()[0], _server_cpu()
            run = _verify_in_new_process(jobs, nodes)
            used, ours = _server_cpu(), run["wall"]
            server = f", the database server {(used - cpu) / count * 1e6:.1f} µs" if cpu is not None else ""
            print(
                f"verify, full, {jobs} process(es), {'every stored node' if nodes else 'right-edge nodes only'}: "
                f"{count:,} events in {ours:.1f} s ({count / ours:,.0f}/s), {run['findings']} findings; "
                f"ratio to reading the entries {ours / base:.2f}; load average {load:.1f} before, "
                f"{os.getloadavg()[0]:.1f} after; CPU per event: verify {run['cpu'] / count * 1e6:.1f} µs"
                f"{server}; peak RSS: verifying process {run['rss_parent']:.0f} MiB, "
                f"largest worker {run['rss_workers']:.0f} MiB"
            )
    build(count + extra)
    started = time.perf_counter()
    findings = verify_ledger(incremental=True, jobs=cores)
    ours = time.perf_counter() - started
    print(f"verify, incremental: {extra:,} new events after {count:,} in {ours:.2f} s, {len(findings)} findings")


def bench_proofs(marks: list[int]) -> None:
    from ledger import merkle
    from ledger.models import Event
    from ledger.services import stored_node

    rng = random.Random(7)
    print(
        f"{'events':>10} {'inclusion hashes':>17} {'bytes':>6} {'ms/proof':>9} {'consistency hashes':>19} {'ms/proof':>9} {'row fetch ms':>13} {'ratio':>6}"
    )
    for size in marks:
        picks = [rng.randrange(size) for _ in range(100)]
        lengths, times, ctimes, clen = [], [], [], []
        for index in picks:
            started = time.perf_counter()
            proof = merkle.inclusion_proof(index, size, stored_node)
            times.append(time.perf_counter() - started)
            lengths.append(len(proof))
        for old in picks[:30]:
            old = max(1, old)
            started = time.perf_counter()
            proof = merkle.consistency_proof(old, size, stored_node)
            ctimes.append(time.perf_counter() - started)
            clen.append(len(proof))
        fetch = statistics.median(timed(lambda i=i: Event.objects.get(index=i)) for i in picks[:50])
        ms = statistics.median(times) * 1000
        print(
            f"{size:>10,} {max(lengths):>17} {max(lengths) * 32:>6} {ms:>9.2f} {max(clen):>19} {statistics.median(ctimes) * 1000:>9.2f} {fetch * 1000:>13.3f} {ms / (fetch * 1000):>6.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=20_000, help="events appended in all by the writers")
    parser.add_argument("--extra", type=int, default=10_000, help="events added before the incremental run")
    parser.add_argument("--skip-appends", action="store_true")
    parser.add_argument("--appends-only", action="store_true")
    parser.add_argument(
        "--verify-only",
        action="store_true",
        help="only build the ledger (or reuse one already that size in DATABASE_URL) and verify it",
    )
    parser.add_argument(
        "--jobs", type=int, nargs="*", help="process counts for the full verify (default: 1 and every core)"
    )
    parser.add_argument("--writers", type=int, default=16, help="concurrent writer processes")
    parser.add_argument(
        "--verify-once", type=int, nargs=2, metavar=("JOBS", "NODES"), help=argparse.SUPPRESS
    )  # one full verify in this new process, its figures as JSON (bench_verify runs it)
    args = parser.parse_args()
    if args.verify_once:
        setup_django(migrate=False)
        verify_once(args.verify_once[0], bool(args.verify_once[1]))
        return
    scratch = setup_django()
    try:
        from django.db import connection

        print(f"database: {connection.vendor}")
        if not args.skip_appends and not args.verify_only:
            bench_appends(args.appends, args.writers)
        if args.appends_only:
            return
        marks = build(args.events)
        bench_verify(args.extra, args.jobs)
        if not args.verify_only:
            bench_proofs(marks)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
