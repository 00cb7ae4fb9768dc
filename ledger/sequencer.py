"""The sequencer: gives committed events their leaf numbers and grows the Merkle tree.

The design follows Tessera (the successor of Trillian) and its two steps, *sequencing* and
*integration*, done here together by one worker:

- a change writes its event row in its own transaction, with no number and no shared lock
  (`ledger.services.event_record`), so writers of all agencies never queue behind each other;
- one sequencer at a time (a PostgreSQL advisory lock; on SQLite the database's single-writer lock)
  takes the committed events still without a number, in batches, gives them the next leaf numbers,
  writes each leaf's exact bytes, stores the subtrees they complete, moves the head, and signs a
  checkpoint for the batch (at most one per ZHIFA_LEDGER_CHECKPOINT_INTERVAL, as Tessera publishes
  its checkpoint on an interval).

Commit order: a batch reads the waiting events in one snapshot, which holds every event committed
before it began. An event committed later is in a later batch, so leaf numbers follow commit order
batch by batch; within one batch (events committed at about the same moment) they follow the row id.

Run it as `zhifa ledger sequence --loop` (a worker), or call `integrate_pending()` from a scheduler.
With ZHIFA_LEDGER_INTEGRATE = "commit" (the default: tests, the demo server) every transaction that
wrote an event integrates right after it commits.
"""

import json
import logging
import os
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ledger import merkle
from ledger.entries import ENTRY_COLUMNS, entry_of_values
from ledger.models import Checkpoint, Event, Node

logger = logging.getLogger("zhifa.ledger")

ADVISORY_KEY = 0x7A68_6966_6131  # "zhifa1": the sequencer's PostgreSQL advisory lock
DEFAULT_BATCH = 5000
# Fault injection for the kill test (never in production): "N:FILE" stops a batch inside its
# transaction after its first N leaves are written, writes FILE and waits there to be killed.
PAUSE_ENV = "ZHIFA_SEQUENCER_TEST_PAUSE"
PAUSE_LIMIT = 120  # seconds; then the batch goes on as if nothing had happened


def _lock(*, wait: bool) -> bool:
    """Take the sequencer's lock for the current transaction (PostgreSQL advisory lock; re-entrant
    for a worker that already holds it for its session). SQLite needs none: the head row update
    that follows takes the database's write lock, so two sequencers never overlap."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_KEY])
        return bool(cursor.fetchone()[0])


def hold_session_lock() -> bool:
    """For a long-running worker: hold the sequencer's lock for the whole session, so a second
    worker waits instead of competing (PostgreSQL; always True elsewhere)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
        return bool(cursor.fetchone()[0])


def release_session_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])


def pending_count() -> int:
    """Events committed but not yet integrated (待入账)."""
    return Event.objects.filter(index__isnull=True).count()


def _store(rows: list[tuple[int, int, str, str]], nodes: list[tuple[int, int, str]]) -> None:
    """Write (id, index, entry, leaf hash) into the event rows and insert the new subtrees. On
    PostgreSQL each is one statement with one JSON parameter (quoting long arrays one element at a
    time costs more than the whole batch)."""
    event, node = Event._meta.db_table, Node._meta.db_table
    index = connection.ops.quote_name("index")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {event} AS e SET {index} = v.n, entry = v.entry, leaf_hash = v.leaf "  # noqa: S608 (model names)
                "FROM json_to_recordset(%s::json) AS v(id bigint, n bigint, entry text, leaf text) "
                "WHERE e.id = v.id",
                [
                    json.dumps(
                        [{"id": i, "n": n, "entry": e, "leaf": h} for i, n, e, h in rows], ensure_ascii=False
                    )
                ],
            )
            cursor.execute(
                f"INSERT INTO {node} (level, {index}, hash) "  # noqa: S608 (model names)
                "SELECT v.level, v.i, v.hash FROM json_to_recordset(%s::json) AS v(level int, i bigint, hash text)",
                [json.dumps([{"level": level, "i": i, "hash": h} for level, i, h in nodes])],
            )
        else:
            cursor.executemany(
                f"UPDATE {event} SET {index} = %s, entry = %s, leaf_hash = %s WHERE id = %s",  # noqa: S608
                [(n, e, h, i) for i, n, e, h in rows],
            )
            cursor.executemany(f"INSERT INTO {node} (level, {index}, hash) VALUES (%s, %s, %s)", nodes)  # noqa: S608


def _pause_point() -> tuple[int, Path] | None:
    """The kill test's pause (PAUSE_ENV), or None: unset, malformed, or ZHIFA_ENV=production."""
    value = os.environ.get(PAUSE_ENV, "")
    count, _, path = value.partition(":")
    if settings.PRODUCTION or not count.isdigit() or not path:
        return None
    return int(count), Path(path)


def _store_pausing(rows, nodes, first: int, pause: tuple[int, Path]) -> None:
    """_store in two parts with the pause between: the first leaves and the subtrees they complete,
    then the rest (the same rows in the same transaction as one _store)."""
    count, marker = pause
    end = first + count
    _store(rows[:count], [n for n in nodes if (n[1] + 1) << n[0] <= end])
    marker.write_text(f"{os.getpid()} {count}\n")
    logger.warning("sequencer paused mid-batch after %d leaves (%s)", count, PAUSE_ENV)
    time.sleep(PAUSE_LIMIT)
    _store(rows[count:], [n for n in nodes if (n[1] + 1) << n[0] > end])


def integrate_pending(*, max_batch: int = DEFAULT_BATCH, wait: bool = False, sign: bool = True) -> int:
    """Integrate one batch of at most `max_batch` committed events; returns how many (0 when none
    is waiting, or when another sequencer holds the lock and `wait` is false).

    `sign`: sign a checkpoint for the batch unless the latest one is younger than
    ZHIFA_LEDGER_CHECKPOINT_INTERVAL seconds (a negative interval: never; checkpoints are then
    signed on demand and by the periodic signer). Witnesses are asked once it is committed."""
    from ledger.services import _head_for_update, _sign_head, right_edge

    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")
    with transaction.atomic():
        if not _lock(wait=wait):
            return 0
        head = _head_for_update()
        waiting = list(
            Event.objects.filter(index__isnull=True)
            .order_by("id")
            .values_list("id", *ENTRY_COLUMNS)[:max_batch]
        )
        if not waiting:
            return 0
        known = {(level, i): bytes.fromhex(h) for level, i, h in head.frontier}
        rows, nodes = [], []
        for number, (pk, *values) in enumerate(waiting, start=head.size):
            entry = entry_of_values(number, values)
            leaf = merkle.leaf_hash(entry)
            rows.append((pk, number, entry.decode(), leaf.hex()))
            for level, i, h in merkle.new_nodes(number, leaf, lambda level, i: known[(level, i)]):
                known[(level, i)] = h
                nodes.append((level, i, h.hex()))
        pause = _pause_point()
        if pause and 0 < pause[0] < len(rows):
            _store_pausing(rows, nodes, head.size, pause)
        else:
            _store(rows, nodes)
        head.size += len(rows)
        head.frontier = right_edge(head.size, known)
        head.save(update_fields=["size", "frontier"])
        if sign and _checkpoint_due():
            _sign_head(head)
    return len(rows)


def _checkpoint_due() -> bool:
    interval = settings.ZHIFA_LEDGER_CHECKPOINT_INTERVAL
    if interval < 0:
        return False
    latest = Checkpoint.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    return latest is None or (timezone.now() - latest).total_seconds() >= interval


def integrate_all(*, max_batch: int = DEFAULT_BATCH, wait: bool = True, sign: bool = True) -> int:
    """Integrate batches until nothing committed is waiting; returns how many events."""
    total = 0
    while True:
        done = integrate_pending(max_batch=max_batch, wait=wait, sign=sign)
        total += done
        if done < max_batch:
            return total


def integrate_committed() -> None:
    """The commit hook (ZHIFA_LEDGER_INTEGRATE = "commit"): integrate what this transaction wrote,
    waiting for a sequencer that is busy so that nothing committed is left behind. No checkpoint
    is signed here: checkpoints come on demand and from the periodic signer, as before."""
    try:
        integrate_all(wait=True, sign=False)
    except Exception:  # the change itself is committed; the worker or the next commit integrates it
        logger.exception("integrating ledger events after commit failed")


def schedule(event: Event) -> None:
    """Called by event_record for each new event (inside the writer's transaction)."""
    if settings.ZHIFA_LEDGER_INTEGRATE != "commit":
        return  # the sequencer worker integrates
    conn = transaction.get_connection()
    if conn.atomic_blocks and conn.atomic_blocks[0]._from_testcase:
        # A test's transaction never commits: integrate at once, as the commit would have.
        integrate_all(wait=True, sign=False)
        event.index, event.entry, event.leaf_hash = (
            Event.objects.filter(pk=event.pk).values_list("index", "entry", "leaf_hash").get()
        )
        return
    if not any(func is integrate_committed for _, func, _ in conn.run_on_commit):
        transaction.on_commit(integrate_committed)


def run(
    *, loop: bool, max_batch: int = DEFAULT_BATCH, poll: float = 0.1, log=lambda message: None, stop=None
) -> int:
    """The worker behind `zhifa ledger sequence`: one pass (`loop` false), or batches until `stop()`
    says so, polling every `poll` seconds when idle. Returns how many events it integrated."""
    total = 0
    if not loop:
        return integrate_all(max_batch=max_batch, wait=True)
    waited = False
    while not hold_session_lock():
        if not waited:
            log("另一个入账进程正在运行，本进程等待其退出后接替。")
            waited = True
        if stop and stop():
            return 0
        time.sleep(1)
    try:
        while not (stop and stop()):
            done = integrate_pending(max_batch=max_batch, wait=True)
            total += done
            if done < max_batch:
                time.sleep(poll)
    finally:
        release_session_lock()
    return total
