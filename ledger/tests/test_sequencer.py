"""The sequencer: writers leave events without a number (待入账), one sequencer at a time gives
them leaf numbers in batches and signs a checkpoint per batch; proofs, verification and the
offline verifier work on what it built."""

import json
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.urls import reverse

from ledger import merkle, sequencer
from ledger.models import Checkpoint, Event, Head, Node
from ledger.selectors import proof_bundle
from ledger.services import event_record
from ledger.tests.test_ledger import _verifier
from ledger.verify import verify_ledger


def _write(agency, n, kind="test.sequenced"):
    with transaction.atomic():
        return [event_record(kind=kind, subject=agency, data={"n": i}) for i in range(n)]


@pytest.fixture
def worker_mode(settings):
    """Production: only the sequencer worker integrates."""
    settings.ZHIFA_LEDGER_INTEGRATE = "worker"
    settings.ZHIFA_LEDGER_CHECKPOINT_INTERVAL = 0
    return settings


@pytest.mark.django_db
def test_an_event_waits_unnumbered_until_the_sequencer_integrates_it(agency, make_staff, login, worker_mode):
    client = login(make_staff("officer"))  # staff creation writes events too
    call_command("ledger", "sequence", stdout=StringIO())
    before = Head.objects.get_or_create(pk=1)[0].size
    events = _write(agency, 3)
    assert [e.index for e in events] == [None] * 3
    assert Event.objects.filter(pk__in=[e.pk for e in events], index__isnull=True, entry="").count() == 3
    assert sequencer.pending_count() == 3 and Head.objects.get(pk=1).size == before
    page = client.get(reverse("ledger:status")).content.decode()
    assert "另有 3 个事件待入账" in page
    # Verification covers only what the head covers, and says what waits.
    assert verify_ledger() == []

    out = StringIO()
    call_command("ledger", "sequence", "--once", stdout=out)
    assert f"本次入账 3 个事件，台账现有 {before + 3} 个事件，待入账 0 个" in out.getvalue()
    rows = list(Event.objects.filter(pk__in=[e.pk for e in events]).order_by("id"))
    assert [r.index for r in rows] == [before, before + 1, before + 2]
    assert all(merkle.leaf_hash(r.entry.encode()).hex() == r.leaf_hash for r in rows)
    assert all(json.loads(r.entry)["index"] == r.index for r in rows)
    checkpoint = Checkpoint.objects.order_by("-size").first()
    assert checkpoint.size == before + 3  # the batch signed its checkpoint
    leaves = [bytes.fromhex(h) for h in Event.objects.order_by("index").values_list("leaf_hash", flat=True)]
    assert checkpoint.root_hash == merkle.root_hash(leaves).hex()
    assert verify_ledger() == []


@pytest.mark.django_db
def test_batches_follow_commit_order_and_each_signs_a_checkpoint(agency, worker_mode):
    first = _write(agency, 3)
    second = _write(agency, 2)
    assert sequencer.integrate_pending(max_batch=2) == 2
    assert sequencer.integrate_pending(max_batch=2) == 2
    assert sequencer.integrate_pending(max_batch=2) == 1
    assert sequencer.integrate_pending(max_batch=2) == 0
    numbers = dict(Event.objects.filter(kind="test.sequenced").values_list("id", "index"))
    assert [numbers[e.pk] for e in first + second] == sorted(numbers.values())
    size = Head.objects.get(pk=1).size
    assert list(Checkpoint.objects.order_by("size").values_list("size", flat=True)) == [
        size - 3,
        size - 1,
        size,
    ]
    assert Node.objects.filter(level=0).count() == Head.objects.get(pk=1).size
    assert verify_ledger() == []


@pytest.mark.django_db
def test_the_checkpoint_interval_limits_signing_to_one_per_interval(agency, worker_mode):
    worker_mode.ZHIFA_LEDGER_CHECKPOINT_INTERVAL = 3600
    for _ in range(3):
        _write(agency, 1)
        sequencer.integrate_pending()
    assert Checkpoint.objects.count() == 1
    worker_mode.ZHIFA_LEDGER_CHECKPOINT_INTERVAL = -1
    _write(agency, 1)
    sequencer.integrate_pending()
    assert Checkpoint.objects.count() == 1 and sequencer.pending_count() == 0


@pytest.mark.django_db
def test_a_proof_of_a_waiting_event_integrates_it_and_checks_out_offline(agency, worker_mode):
    (event,) = _write(agency, 1)
    assert event.index is None
    bundle = proof_bundle(event)
    event.refresh_from_db()
    assert event.index is not None and bundle["leaf"]["index"] == event.index
    assert _verifier().verify_bundle(bundle) == []


@pytest.mark.django_db
def test_the_record_history_api_says_waiting_until_integrated(
    login, make_staff, section, tmp_path, worker_mode
):
    from records.services import record_ingest
    from records.tests.clips import make_pdf

    officer = make_staff("officer")
    record = record_ingest(
        acting_user=officer, section=section, path=make_pdf(tmp_path / "笔录.pdf"), original_name="笔录.pdf"
    ).version.record
    client = login(officer)
    rows = client.get(f"/api/v1/records/{record.pk}/history/").json()["results"]
    assert [(r["kind"], r["index"], r["ledger"]) for r in rows] == [
        ("record.create", None, "待入账"),
        ("record.view", None, "待入账"),
    ]
    page = client.get(reverse("records:detail", args=[record.pk]), {"purpose": "复核"})
    assert page.status_code == 200 and "入账后可取" in page.content.decode()
    call_command("ledger", "sequence", stdout=StringIO())
    rows = client.get(f"/api/v1/records/{record.pk}/history/").json()["results"]
    # the page view is numbered now; this history read itself waits, listed last
    assert [r["ledger"] for r in rows] == ["已入账", "已入账", "已入账", "待入账"]
    assert rows[0]["index"] < rows[1]["index"] < rows[2]["index"] and rows[3]["index"] is None


@pytest.mark.django_db
def test_sequence_command_refuses_bad_arguments_in_chinese(agency, worker_mode):
    _write(agency, 1)
    for args, message in [
        (["--batch", "0"], "--batch 应在 1 到"),
        (["--poll", "0"], "--poll 应在"),
        (["--loop", "--max-seconds", "-1"], "--max-seconds 不能为负数"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("ledger", "sequence", *args, stdout=StringIO())
    assert sequencer.pending_count() == 1  # nothing integrated by a refused command


@pytest.mark.django_db
def test_sequence_loop_runs_until_its_time_is_up(agency, worker_mode):
    _write(agency, 4)
    out = StringIO()
    started = time.monotonic()
    call_command("ledger", "sequence", "--loop", "--max-seconds", "0.3", "--batch", "3", stdout=out)
    assert time.monotonic() - started < 5
    assert "入账进程已启动" in out.getvalue() and "本次入账 4 个事件" in out.getvalue()
    assert sequencer.pending_count() == 0


@pytest.mark.django_db(transaction=True)
def test_on_commit_mode_numbers_after_the_commit_and_a_rollback_leaves_nothing(settings):
    from org.tests.factories import AgencyFactory

    settings.ZHIFA_LEDGER_INTEGRATE = "commit"
    agency = AgencyFactory()
    with transaction.atomic():
        event = event_record(kind="test.commit", subject=agency)
        inside = Event.objects.get(pk=event.pk).index
    assert inside is None  # 待入账 while the transaction is open
    assert Event.objects.get(pk=event.pk).index is not None and sequencer.pending_count() == 0
    with pytest.raises(RuntimeError), transaction.atomic():
        event_record(kind="test.rolled_back", subject=agency)
        raise RuntimeError
    assert not Event.objects.filter(kind="test.rolled_back").exists()
    assert sequencer.pending_count() == 0 and verify_ledger() == []


@pytest.mark.django_db(transaction=True)
def test_one_sequencer_at_a_time_and_concurrent_writers_in_worker_mode(settings):
    """PostgreSQL: a worker holds the advisory lock, a second sequencer gets nothing; 8 writers in
    parallel with the worker running end gapless and verified."""
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL：SQLite 测试库为内存共享缓存，不支持多线程并发写入")
    from org.tests.factories import AgencyFactory

    settings.ZHIFA_LEDGER_INTEGRATE = "worker"
    settings.ZHIFA_LEDGER_CHECKPOINT_INTERVAL = 0
    agency = AgencyFactory()
    stop = threading.Event()
    integrated, errors = [], []

    def worker():
        try:
            integrated.append(sequencer.run(loop=True, max_batch=7, poll=0.01, stop=stop.is_set))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def writer(k):
        try:
            for i in range(15):
                with transaction.atomic():
                    event_record(kind="test.parallel", subject=agency, data={"w": k, "i": i})
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    numbered = Event.objects.filter(index__isnull=False).count()
    runner = threading.Thread(target=worker)
    runner.start()
    time.sleep(0.2)
    # The worker holds the lock: a second sequencer (this connection) does nothing.
    _write(agency, 1, kind="test.second")
    assert sequencer.integrate_pending(wait=False) == 0
    writers = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    deadline = time.monotonic() + 10
    while sequencer.pending_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    runner.join()
    assert errors == []
    assert sequencer.pending_count() == 0 and integrated == [Event.objects.count() - numbered]
    indexes = list(Event.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(len(indexes)))
    assert Checkpoint.objects.count() >= 2
    assert verify_ledger() == []


def test_a_mistyped_integration_mode_stops_start_up(settings):
    from ledger.apps import _check_integration

    settings.ZHIFA_LEDGER_INTEGRATE = "workers"
    (error,) = _check_integration(None)
    assert error.id == "ledger.E002" and "commit 或 worker" in error.msg
    settings.ZHIFA_LEDGER_INTEGRATE = "worker"
    assert _check_integration(None) == []
