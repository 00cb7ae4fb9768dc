#!/usr/bin/env python3
"""Ledger figures, each as a ratio against a baseline measured in the same run.

    .venv/bin/python bench/ledger.py [--events 1000000] [--appends 3000]

Uses a scratch database: SQLite in a temporary data folder, or DATABASE_URL when set.
  appends:  events/s through the real service path (event_record, one transaction each)
            vs. the same number of one-row inserts, one transaction each (no hashing, no tree)
  verify:   verify_ledger() over N events vs. only reading the same rows in index order
  proofs:   inclusion and consistency proof size and time at 10^3 … N events
            vs. fetching one event row by its number
The N-event ledger is built through the bulk path (the same entry, leaf and node code as the
service), since N single transactions would measure only the appends again.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django() -> Path | None:
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = Path(tempfile.mkdtemp(prefix="zhifa-bench-ledger-"))
        os.environ["ZHIFA_DATA_DIR"] = str(scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return scratch


def timed(fn, repeat=1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def bench_appends(count: int) -> None:
    from django.db import transaction

    from ledger.models import Node
    from ledger.services import event_record
    from org.models import Agency
    from org.services import agency_create

    agency = Agency.objects.first() or agency_create(
        name="基准测试局",
        uscc="11210400MB0999999" + _check("11210400MB0999999"),
        jurisdiction="测试",
        policy_pack="fushun-city",
    )

    def appends():
        for i in range(count):
            with transaction.atomic():
                event_record(kind="bench.append", subject=agency, data={"i": i, "sha256": "ab" * 32})

    def inserts():
        for i in range(count):
            with transaction.atomic():
                Node.objects.create(level=99, index=i, hash="cd" * 32)

    base = timed(inserts)
    Node.objects.filter(level=99).delete()
    ours = timed(appends)
    print(
        f"appends: {count / ours:,.0f} events/s through event_record; {count / base:,.0f} plain one-row inserts/s; ratio {base / ours:.2f}"
    )


def _check(prefix: str) -> str:
    from stdnum.cn import uscc

    return uscc.calc_check_digit(prefix)


def build(total: int) -> list[int]:
    """Grow the ledger to `total` events in bulk; sign a checkpoint at each power of ten."""
    from django.db import transaction
    from django.utils import timezone

    from ledger import merkle
    from ledger.entries import entry_bytes
    from ledger.models import Event, Head, Node
    from ledger.services import checkpoint_sign, right_edge

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
            data = {"n": index, "sha256": f"{index:064x}"}
            entry = entry_bytes(
                index=index,
                kind="bench.bulk",
                created_at=now,
                actor_id=None,
                agency_id=None,
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
                    created_at=now,
                    entry=entry.decode(),
                    leaf_hash=leaf.hex(),
                )
            )
            for lvl, i, h in merkle.new_nodes(index, leaf, lambda lvl, i, known=known: known[(lvl, i)]):
                known[(lvl, i)] = h
                nodes.append(Node(level=lvl, index=i, hash=h.hex()))
        with transaction.atomic():
            Event.objects.bulk_create(events, batch_size=5000)
            Node.objects.bulk_create(nodes, batch_size=5000)
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


def bench_verify() -> None:
    from ledger.models import Event
    from ledger.verify import verify_ledger

    def scan():
        for _ in Event.objects.order_by("index").values_list("entry", flat=True).iterator(chunk_size=5000):
            pass

    base = timed(scan)
    started = time.perf_counter()
    findings = verify_ledger()
    ours = time.perf_counter() - started
    count = Event.objects.count()
    print(
        f"verify: {count:,} events in {ours:.1f} s ({count / ours:,.0f}/s), {len(findings)} findings; reading the rows alone {base:.1f} s; ratio {ours / base:.2f}"
    )


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
    parser.add_argument("--appends", type=int, default=3000)
    args = parser.parse_args()
    scratch = setup_django()
    try:
        from django.db import connection

        print(f"database: {connection.vendor}")
        bench_appends(args.appends)
        marks = build(args.events)
        bench_verify()
        bench_proofs(marks)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
