"""The sequencer killed mid-batch (issue 17 item 5), with real `zhifa ledger sequence --loop`
processes on the test database (PostgreSQL: the SQLite test database is in this process's memory).

The first sequencer is stopped deterministically inside its transaction, after writing part of a
large batch (ledger.sequencer.PAUSE_ENV, ignored in production), and killed there with SIGKILL.
Meanwhile a second sequencer waits on the advisory lock and writers go on unblocked; afterwards the
second takes over and every event is integrated exactly once.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from ledger import merkle, sequencer
from ledger.models import Checkpoint, Event, Head, Node
from ledger.services import event_record
from ledger.verify import verify_ledger

ROOT = Path(__file__).resolve().parents[2]
BATCH = 1000  # events waiting when the first sequencer starts: one batch
PAUSE_AFTER = 300  # leaves it writes before it is killed



def _wait(condition, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(step)
    return value


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test database and this process's signing key (so its checkpoints verify here)."""
    from django.conf import settings

    from ledger.keys import signing_keys

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIFA_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        DATABASE_URL=f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
        ZHIFA_DATA_DIR=str(tmp_path),
        ZHIFA_LEDGER_INTEGRATE="worker",
        ZHIFA_LEDGER_CHECKPOINT_INTERVAL="0",
        ZHIFA_LEDGER_SIGNING_KEY=signing_keys()[0],
        ZHIFA_LEDGER_ORIGIN=settings.ZHIFA_LEDGER_ORIGIN,
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def _sequencer(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "manage.py", "ledger", "sequence", "--loop", "--batch", str(BATCH * 2), "--poll", "0.05"],
            env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )


def _write(agency, count: int, kind: str) -> None:
    for start in range(0, count, 500):
        with transaction.atomic():
            for i in range(start, min(count, start + 500)):
                event_record(kind=kind, subject=agency, data={"n": i})


@pytest.mark.django_db(transaction=True)
def test_a_sequencer_killed_mid_batch_leaves_nothing_half_done_and_a_second_takes_over(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the sequencer processes reach the test database only on PostgreSQL (CI's second pass)")
    from org.tests.factories import AgencyFactory

    settings.ZHIFA_LEDGER_INTEGRATE = "worker"  # only the sequencer processes integrate
    agency = AgencyFactory()
    sequencer.integrate_all()  # what the factory wrote
    numbered = Head.objects.get(pk=1).size
    checkpoints = Checkpoint.objects.count()
    _write(agency, BATCH, "test.before_kill")
    assert sequencer.pending_count() == BATCH

    marker = tmp_path / "paused"
    first_log, second_log = tmp_path / "sequencer-1.log", tmp_path / "sequencer-2.log"
    first = _sequencer(_env(tmp_path, **{sequencer.PAUSE_ENV: f"{PAUSE_AFTER}:{marker}"}), first_log)
    second = None
    try:
        _wait(marker.exists, 60, "the first sequencer to pause mid-batch")
        assert marker.read_text().split() == [str(first.pid), str(PAUSE_AFTER)]
        # It wrote leaves inside its open transaction (the rows carry its transaction id as xmax),
        # and nobody else sees them.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {Event._meta.db_table} WHERE xmax::text <> '0'")  # noqa: S608
            assert cursor.fetchone()[0] == PAUSE_AFTER
        assert sequencer.pending_count() == BATCH and Head.objects.get(pk=1).size == numbered

        # A second sequencer waits on the advisory lock; this process cannot integrate either.
        second = _sequencer(_env(tmp_path), second_log)
        _wait(lambda: "另一个入账进程正在运行" in second_log.read_text(), 60, "the second sequencer to wait")
        assert sequencer.integrate_pending(wait=False) == 0
        # Writers are not blocked by a sequencer in the middle of a batch.
        started = time.monotonic()
        _write(agency, 100, "test.during_pause")
        assert time.monotonic() - started < 10
        assert sequencer.pending_count() == BATCH + 100 and Head.objects.get(pk=1).size == numbered

        first.send_signal(signal.SIGKILL)  # as the OOM killer or a power cut would
        assert first.wait(10) == -signal.SIGKILL
        _wait(lambda: sequencer.pending_count() == 0, 60, "the second sequencer to take over")
        _write(agency, 10, "test.after_kill")  # and it goes on integrating
        _wait(lambda: sequencer.pending_count() == 0, 30, "the second sequencer to integrate new events")
        second.send_signal(signal.SIGTERM)  # finishes its batch, then stops
        assert second.wait(30) == 0
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.kill()
                process.wait(10)
    assert "本次入账" in second_log.read_text()

    # Every event exactly once, numbers contiguous, each leaf and subtree stored once.
    total = Event.objects.count()
    indexes = list(Event.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(total)) and Head.objects.get(pk=1).size == total
    assert Node.objects.filter(level=0).count() == total
    assert Node.objects.values("level", "index").distinct().count() == Node.objects.count()
    kinds = dict(
        (kind, Event.objects.filter(kind=kind).count())
        for kind in ("test.before_kill", "test.during_pause", "test.after_kill")
    )
    assert kinds == {"test.before_kill": BATCH, "test.during_pause": 100, "test.after_kill": 10}
    # The killed batch left no checkpoint; the second signed one per batch, each on its tree.
    signed = list(Checkpoint.objects.order_by("size").values_list("size", "root_hash"))[checkpoints:]
    assert signed and signed[-1][0] == total
    leaves = [bytes.fromhex(h) for h in Event.objects.order_by("index").values_list("leaf_hash", flat=True)]
    for size, root in signed:
        assert merkle.root_hash(leaves[:size]).hex() == root
    assert verify_ledger() == []


@pytest.mark.django_db(transaction=True)
def test_a_second_sequencer_waits_on_the_lock_and_takes_over_when_the_first_stops(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the sequencer processes reach the test database only on PostgreSQL (CI's second pass)")
    from org.tests.factories import AgencyFactory

    settings.ZHIFA_LEDGER_INTEGRATE = "worker"
    agency = AgencyFactory()
    first_log, second_log = tmp_path / "sequencer-1.log", tmp_path / "sequencer-2.log"
    first = _sequencer(_env(tmp_path), first_log)
    second = None
    try:
        _wait(lambda: "入账进程已启动" in first_log.read_text(), 60, "the first sequencer")
        _wait(lambda: sequencer.pending_count() == 0, 30, "the first sequencer to integrate")
        second = _sequencer(_env(tmp_path), second_log)
        _wait(lambda: "另一个入账进程正在运行" in second_log.read_text(), 60, "the second sequencer to wait")
        _write(agency, 5, "test.first")
        _wait(lambda: sequencer.pending_count() == 0, 30, "the first sequencer to integrate")
        first.send_signal(signal.SIGTERM)  # it finishes its batch, releases the lock and stops
        assert first.wait(30) == 0
        _write(agency, 7, "test.second")
        _wait(lambda: sequencer.pending_count() == 0, 30, "the second sequencer to take over")
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.kill()
                process.wait(10)
    assert "本次入账 7 个事件" in second_log.read_text()  # all it integrated came after the first stopped
    indexes = list(Event.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(Event.objects.count()))
    assert verify_ledger() == []


def test_the_pause_is_never_taken_in_production_or_when_malformed(settings, monkeypatch, tmp_path):
    marker = tmp_path / "paused"
    settings.PRODUCTION = False
    monkeypatch.setenv(sequencer.PAUSE_ENV, f"5:{marker}")
    assert sequencer._pause_point() == (5, marker)
    settings.PRODUCTION = True
    assert sequencer._pause_point() is None
    settings.PRODUCTION = False
    for value in ("", "5", "five:/tmp/x", ":/tmp/x", "-1:/tmp/x"):
        monkeypatch.setenv(sequencer.PAUSE_ENV, value)
        assert sequencer._pause_point() is None
