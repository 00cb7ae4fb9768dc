"""After a restore to an earlier point (`zhifa restore --to-time`), the witnesses hold a checkpoint
the restored ledger lacks: verify names the events after the restore point as missing (not as
tampered), and the log refuses to sign a checkpoint that would fork from the cosigned one, until
the ledger contains it again. The restore itself is PostgreSQL's (zhifa/tests/test_backup_pitr.py);
here the database is put back to the earlier point row by row, as the recovery leaves it."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from ledger.models import Checkpoint, Event, Head, Node, WitnessedCheckpoint
from ledger.services import (
    CheckpointRefused,
    checkpoint_sign,
    checkpoint_sign_if_due,
    event_record,
    right_edge,
    witnessed_checkpoint_record,
)
from ledger.verify import verify_ledger

pytestmark = pytest.mark.django_db

WITNESS = "witness.test/w1"


def _grow(agency, n):
    with transaction.atomic():
        for i in range(n):
            event_record(kind="test.restored", subject=agency, data={"n": i})
    return Head.objects.get(pk=1).size


def _back_to(size):
    """The database as a recovery to the moment the ledger had `size` events leaves it."""
    Event.objects.filter(index__gte=size).delete()
    for node in Node.objects.all():
        if (node.index + 1) << node.level > size:
            node.delete()
    Checkpoint.objects.filter(size__gt=size).delete()
    known = {(n.level, n.index): bytes.fromhex(n.hash) for n in Node.objects.all()}
    Head.objects.filter(pk=1).update(size=size, frontier=right_edge(size, known))


def test_verify_names_the_lost_events_and_signing_refuses_to_fork(agency):
    restored = _grow(agency, 5)  # the moment restored to; no checkpoint was signed there
    later = checkpoint_sign() if _grow(agency, 3) else None  # the one the witness cosigned
    assert later.size == restored + 3
    _back_to(restored)
    assert verify_ledger() == []  # the restored ledger on its own is sound
    held = witnessed_checkpoint_record(
        witness=WITNESS, size=later.size, root=bytes.fromhex(later.root_hash), note=later.note
    )
    assert held.ledger_size == restored

    (finding,) = verify_ledger()
    assert finding.subject == f"见证方副署的较新检查点（见证方 {WITNESS}，大小 {later.size}）"
    assert "台账已恢复到较早的时刻" in finding.message
    assert (
        f"恢复点之后的 3 个事件（第 {restored + 1}–{later.size} 条，序号 #{restored}–#{later.size - 1}）不在台账中"
    ) in finding.message
    assert "这不表示现有事件被篡改" in finding.message and "较新备份或 WAL 归档" in finding.message
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("ledger", "verify", stdout=out, stderr=StringIO())
    assert "台账已恢复到较早的时刻" in out.getvalue() and "被修改" not in out.getvalue()

    # No new checkpoint over the restored tree, nor over anything appended after the restore.
    signed = Checkpoint.objects.count()
    with pytest.raises(CommandError, match=f"未签署检查点：见证方 {WITNESS} 已副署大小 {later.size} 的检查点"):
        call_command("ledger", "checkpoint", stdout=StringIO(), stderr=StringIO())
    _grow(agency, 1)
    with pytest.raises(CheckpointRefused, match="现在签署将与见证方副署的检查点分叉"):
        checkpoint_sign()
    from datetime import timedelta

    assert checkpoint_sign_if_due(max_age=timedelta(0)) is None
    (finding,) = verify_ledger()
    assert f"恢复后又写入了 1 个事件（#{restored}）" in finding.message
    _grow(agency, 3)  # past the witnessed size: its first events are not those the witness saw
    with pytest.raises(CheckpointRefused, match=f"台账前 {later.size} 个事件的根哈希与之不符"):
        checkpoint_sign()
    (finding,) = verify_ledger()
    assert f"台账前 {later.size} 个事件的根哈希与见证方副署的不符" in finding.message
    assert Checkpoint.objects.count() == signed
    # A witnessed checkpoint the head already covers is not kept.
    assert witnessed_checkpoint_record(witness=WITNESS, size=restored, root=b"\0" * 32, note="") is None


def test_once_the_ledger_holds_the_witnessed_checkpoint_again_all_is_as_before(agency):
    restored = _grow(agency, 5)
    later = checkpoint_sign() if _grow(agency, 3) else None
    # As after recovering the newer WAL: the ledger contains what the witness cosigned.
    WitnessedCheckpoint.objects.create(
        witness=WITNESS, size=later.size, root_hash=later.root_hash, note=later.note, ledger_size=restored
    )
    assert verify_ledger() == []
    _grow(agency, 2)
    assert checkpoint_sign().size == later.size + 2
    assert verify_ledger() == []


def test_pages_say_signing_is_paused_and_a_proof_needing_a_new_checkpoint_is_a_503(
    agency, section, make_staff, client, tmp_path
):
    """After the restore the ledger page tells why no checkpoint is signed, and a proof bundle that
    needs a new checkpoint answers a Chinese 503 saying what to do, not a bare 500."""
    from ledger.services import signing_paused
    from records.services import record_ingest
    from records.tests.clips import make_pdf

    assert signing_paused() is None
    restored = _grow(agency, 4)
    later = checkpoint_sign() if _grow(agency, 2) else None
    _back_to(restored)
    witnessed_checkpoint_record(witness=WITNESS, size=later.size, root=bytes.fromhex(later.root_hash), note=later.note)
    assert "已副署大小" in signing_paused()

    officer = make_staff("officer")
    client.force_login(officer)
    page = client.get("/ledger/").content.decode()
    assert "检查点签署已暂停" in page and f"已副署大小 {later.size}" in page and "较新备份或 WAL 归档" in page

    # A record filed after the restore: its proof would need a checkpoint covering it.
    path = make_pdf(tmp_path / "询问笔录.pdf", text="after restore")
    record = record_ingest(
        acting_user=officer, section=section, path=path, original_name=path.name, title="询问笔录"
    ).version.record
    event = Event.objects.get(kind="record.create", subject_id=str(record.pk))
    signed = Checkpoint.objects.count()
    client.raise_request_exception = False
    response = client.get(f"/api/v1/ledger/events/{event.index}/proof/")
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert "检查点签署已暂停" in detail and "未保存任何内容" in detail and "较新备份或 WAL 归档" in detail
    assert Checkpoint.objects.count() == signed
