"""The ledger as the platform writes it: every service's event is a leaf, checkpoints are signed,
verification recomputes everything, and proof bundles check out with the standalone verifier."""

import importlib.util
import json
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ledger import merkle
from ledger.models import Checkpoint, Event, Head, Node
from ledger.selectors import proof_bundle
from ledger.services import checkpoint_sign, event_record
from ledger.verify import verify_ledger

ROOT = Path(__file__).resolve().parents[2]


def _verifier():
    spec = importlib.util.spec_from_file_location("verify_bundle", ROOT / "tools" / "verify_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _events(agency, n):
    with transaction.atomic():
        return [event_record(kind="test.event", subject=agency, data={"n": i}) for i in range(n)]


@pytest.mark.django_db
def test_events_are_gapless_leaves_and_the_root_matches(agency):
    before = Event.objects.count()
    _events(agency, 37)
    events = list(Event.objects.order_by("index"))
    assert [e.index for e in events] == list(range(before + 37))
    leaves = [bytes.fromhex(e.leaf_hash) for e in events]
    assert all(merkle.leaf_hash(e.entry.encode()) == bytes.fromhex(e.leaf_hash) for e in events)
    checkpoint = checkpoint_sign()
    assert checkpoint.size == len(events) and checkpoint.root_hash == merkle.root_hash(leaves).hex()
    assert Head.objects.get(pk=1).size == len(events)
    assert verify_ledger() == []


@pytest.mark.django_db
def test_entry_names_the_blob_for_the_file_check(agency):
    with transaction.atomic():
        event = event_record(kind="test.blob", subject=agency, data={"sha256": "ab" * 32})
    assert json.loads(event.entry)["sha256"] == "ab" * 32


@pytest.mark.django_db
def test_an_edited_event_row_is_named(agency):
    events = _events(agency, 10)
    checkpoint_sign()
    Event.objects.filter(pk=events[4].pk).update(data={"n": 400})
    findings = verify_ledger()
    assert any(f"台账事件 #{events[4].index}" in f.subject and "记录被修改" in f.message for f in findings)


@pytest.mark.django_db
def test_a_rewritten_row_with_a_fresh_hash_still_breaks_the_signed_root(agency):
    events = _events(agency, 10)
    checkpoint_sign()
    forged = events[2]
    forged.data = {"n": "forged"}
    from ledger.entries import entry_of

    entry = entry_of(forged)
    Event.objects.filter(pk=forged.pk).update(
        data=forged.data, entry=entry.decode(), leaf_hash=merkle.leaf_hash(entry).hex()
    )
    findings = verify_ledger()
    assert any("根哈希与已签名的不一致" in f.message for f in findings)


@pytest.mark.django_db
def test_a_missing_event_is_reported(agency):
    events = _events(agency, 8)
    checkpoint_sign()
    Event.objects.filter(pk=events[5].pk).delete()
    messages = [str(f) for f in verify_ledger()]
    assert any(f"台账事件 #{events[5].index}：缺失" in m for m in messages)


@pytest.mark.django_db
def test_proof_bundle_verifies_offline_and_fails_when_changed(agency):
    events = _events(agency, 50)
    old = checkpoint_sign()
    _events(agency, 20)
    bundle = proof_bundle(events[17], since=old)
    verifier = _verifier()
    assert verifier.verify_bundle(bundle) == []
    tampered = json.loads(json.dumps(bundle))
    tampered["leaf"]["index"] += 1
    assert verifier.verify_bundle(tampered)
    bundle["inclusion_proof"][0] = bundle["inclusion_proof"][1]
    assert verifier.verify_bundle(bundle)


@pytest.mark.django_db
def test_ledger_commands(agency, tmp_path):
    events = _events(agency, 5)
    out = StringIO()
    call_command("ledger", "checkpoint", stdout=out)
    assert out.getvalue().startswith("zhifa.local/ledger\n")
    out = StringIO()
    call_command("ledger", "verify", stdout=out, stderr=StringIO())
    assert "核验通过" in out.getvalue()
    target = tmp_path / "bundle.json"
    call_command("ledger", "proof", str(events[3].index), "--out", str(target), stderr=StringIO())
    assert _verifier().verify_bundle(json.loads(target.read_text())) == []
    Event.objects.filter(pk=events[1].pk).update(kind="test.other")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("ledger", "verify", stdout=out, stderr=StringIO())
    assert exc.value.returncode == 1 and f"台账事件 #{events[1].index}" in out.getvalue()


@pytest.mark.django_db
def test_a_checkpoint_signed_with_another_key_is_reported(agency, settings):
    from ledger.note import checkpoint_text, generate_signer, sign_note

    _events(agency, 3)
    checkpoint_sign()
    stranger, _ = generate_signer("zhifa.local/ledger")
    Checkpoint.objects.create(
        size=1,
        root_hash="00" * 32,
        note=sign_note(checkpoint_text("zhifa.local/ledger", 1, b"\0" * 32), stranger),
    )
    assert any("签名无效" in f.message for f in verify_ledger())


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_get_distinct_gapless_numbers():
    if connection.vendor != "postgresql":
        pytest.skip(
            "需要 PostgreSQL：SQLite 测试库为内存共享缓存，不支持多线程并发写入（文件库由写锁串行化）"
        )
    from org.tests.factories import AgencyFactory

    agency = AgencyFactory()
    errors = []

    def worker():
        try:
            for _ in range(10):
                with transaction.atomic():
                    event_record(kind="test.concurrent", subject=agency)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    indexes = list(Event.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(len(indexes)))
    assert Node.objects.filter(level=0).count() == len(indexes)
    assert verify_ledger() == []


@pytest.mark.django_db
def test_ledger_page_shows_the_signed_checkpoint_and_offers_the_verifier(login, make_staff, agency):
    _events(agency, 3)
    client = login(make_staff("officer"))
    body = client.get("/ledger/").content.decode()
    assert "最新签名检查点" in body and "zhifa.local/ledger" in body and "如何离线核验" in body
    script = b"".join(client.get("/ledger/verify_bundle.py").streaming_content)
    assert script == (ROOT / "tools" / "verify_bundle.py").read_bytes()


@pytest.mark.django_db
def test_periodic_signing_signs_only_new_heads_once_the_interval_passed(agency):
    from datetime import timedelta

    from ledger.services import checkpoint_sign_if_due

    _events(agency, 3)
    first = checkpoint_sign_if_due(max_age=timedelta(hours=1))
    assert first is not None and first.size == Head.objects.get(pk=1).size
    assert checkpoint_sign_if_due(max_age=timedelta(hours=1)) is None  # nothing new
    _events(agency, 2)
    assert checkpoint_sign_if_due(max_age=timedelta(hours=1)) is None  # signed too recently
    Checkpoint.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(hours=2))
    second = checkpoint_sign_if_due(max_age=timedelta(hours=1))
    assert second is not None and second.size == first.size + 2


@pytest.mark.django_db
def test_a_tampered_right_edge_of_the_head_is_reported(agency):
    _events(agency, 6)
    head = Head.objects.get(pk=1)
    level, index, _ = head.frontier[0]
    head.frontier[0] = [level, index, "00" * 32]
    head.save(update_fields=["frontier"])
    assert any("右边界节点" in f.message for f in verify_ledger())
