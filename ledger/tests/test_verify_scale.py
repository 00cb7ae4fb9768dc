"""Verification at province size: in parts (several processes on PostgreSQL) and incrementally from
the last clean run."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ledger import verify
from ledger.models import Event, VerifiedState
from ledger.services import checkpoint_sign, event_record
from ledger.verify import verify_ledger


def _events(agency, n):
    with transaction.atomic():
        return [event_record(kind="test.scale", subject=agency, data={"n": i}) for i in range(n)]


@pytest.mark.django_db
def test_parts_are_joined_in_order_and_gaps_across_parts_are_named(agency, monkeypatch):
    monkeypatch.setattr(verify, "PART", 4)
    events = _events(agency, 10)
    checkpoint_sign()  # a root inside a part, taken from the worker's right edge
    events += _events(agency, -Event.objects.filter(index__isnull=False).count() % 4)
    checkpoint_sign()  # a root at a part's end
    events += _events(agency, 11)
    checkpoint_sign()
    assert verify_ledger() == []
    Event.objects.filter(pk=events[8].pk).update(data={"n": "changed"})
    Event.objects.filter(pk=events[12].pk).delete()  # a part's first event
    messages = [str(f) for f in verify_ledger()]
    assert any(f"台账事件 #{events[8].index}" in m and "记录被修改" in m for m in messages)
    assert any(f"台账事件 #{events[12].index}：缺失" in m for m in messages)
    assert any("重新计算的根哈希与已签名的不一致" in m for m in messages)


@pytest.mark.django_db
def test_an_incremental_run_checks_only_what_came_after_the_last_clean_run(agency):
    old = _events(agency, 6)
    checkpoint_sign()
    assert verify_ledger() == []
    clean = VerifiedState.objects.get()
    assert clean.full and clean.size == Event.objects.filter(index__isnull=False).count()

    new = _events(agency, 5)
    checkpoint_sign()
    out = StringIO()
    call_command("ledger", "verify", "--incremental", stdout=out, stderr=StringIO())
    assert f"增量核验通过：大小 {clean.size} 之后的 5 个事件" in out.getvalue()
    latest = VerifiedState.objects.order_by("-size").first()
    assert latest.size == clean.size + 5 and not latest.full

    # An event added since changed: the incremental run finds it and asks for a full run.
    newer = _events(agency, 3)
    Event.objects.filter(pk=newer[1].pk).update(data={"n": "forged"})
    messages = [str(f) for f in verify_ledger(incremental=True)]
    assert any(f"台账事件 #{newer[1].index}" in m and "记录被修改" in m for m in messages)
    assert any(m.startswith("增量核验：") for m in messages)
    assert VerifiedState.objects.order_by("-size").first().size == latest.size  # not moved on
    # An old event changed: only the full run (the scheduled one) sees it.
    Event.objects.filter(pk=newer[1].pk).update(data={"n": 1})
    Event.objects.filter(pk=old[1].pk).update(data={"n": "forged"})
    assert verify_ledger(incremental=True) == []
    assert any(f"台账事件 #{old[1].index}" in str(f) for f in verify_ledger())
    assert new[0].index > old[-1].index


@pytest.mark.django_db
def test_verify_options_are_checked(agency):
    _events(agency, 2)
    with pytest.raises(CommandError, match="--jobs 应在"):
        call_command("ledger", "verify", "--jobs", "-1", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="去掉 --incremental"):
        call_command(
            "ledger", "verify", "--incremental", "--against", "x.txt", stdout=StringIO(), stderr=StringIO()
        )
    err = StringIO()
    call_command("ledger", "verify", "--incremental", stdout=StringIO(), stderr=err)
    assert "尚无无问题的核验记录，本次做完整核验" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_several_processes_verify_the_same_as_one(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL：SQLite 测试库在内存中，其他进程看不到")
    from org.tests.factories import AgencyFactory

    monkeypatch.setattr(verify, "PART", 4)
    agency = AgencyFactory()
    events = _events(agency, 13)
    checkpoint_sign()
    events += _events(agency, 17)
    checkpoint_sign()
    assert verify_ledger(jobs=3) == []
    Event.objects.filter(pk=events[17].pk).update(data={"n": "changed"})
    one = [str(f) for f in verify_ledger(jobs=1)]
    assert [str(f) for f in verify_ledger(jobs=3)] == one
    events[17].refresh_from_db()  # numbered after the commit
    assert any(f"台账事件 #{events[17].index}" in m and "记录被修改" in m for m in one)
