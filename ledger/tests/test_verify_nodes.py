"""The full `zhifa ledger verify` compares every stored subtree with the recomputed one, not only
those on the right edge and down the branches that differ: a wrong or missing node deep in the
tree (proofs built from it would fail for every client) is named by level and number, inside a
part, on a part's boundary, above the parts, in several processes, and by `--incremental` for
the nodes completed since its last clean run."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ledger import merkle, verify
from ledger.entries import entry_of
from ledger.models import Event, Head, Node, VerifiedState
from ledger.services import checkpoint_sign, event_record
from ledger.verify import verify_ledger


def _grow_to(agency, size):
    with transaction.atomic():
        for n in range(size - Head.objects.get(pk=1).size):
            event_record(kind="test.nodes", subject=agency, data={"n": n})
    assert Head.objects.get(pk=1).size == size


def _build(agency):
    """30 events (right edge: levels 4, 3, 2, 1), checkpoints inside and at the end."""
    for size in (9, 30):
        _grow_to(agency, size)
        checkpoint_sign()


# Wrong stored nodes, none on the right edge of 30, nor an ancestor of another one or of the
# rewritten event #20. With parts of 4 events: (3, 0) is above the parts, (2, 3) is the whole part
# 12–15, (1, 4) lies inside the part 8–11, (0, 11) is a leaf whose parent is intact.
WRONG = [(0, 11), (1, 4), (2, 3), (3, 0)]
DELETED = (1, 9)  # events 18–19


def _tamper():
    for level, index in WRONG:
        assert Node.objects.filter(level=level, index=index).update(hash="ab" * 32) == 1
    assert Node.objects.filter(level=DELETED[0], index=DELETED[1]).delete()[0] == 1
    event = Event.objects.get(index=20)  # rewritten with its leaf hash: its ancestors differ, rightly
    event.data = {"n": "forged"}
    entry = entry_of(event)
    Event.objects.filter(pk=event.pk).update(
        data=event.data, entry=entry.decode(), leaf_hash=merkle.leaf_hash(entry).hex()
    )


def _node_findings(findings):
    return [f for f in findings if f.subject.startswith("树节点")]


def _expect(findings):
    nodes = _node_findings(findings)
    assert [f.subject for f in nodes] == [
        "树节点（第 0 层第 11 个）",
        "树节点（第 1 层第 4 个）",
        "树节点（第 1 层第 9 个）",
        "树节点（第 2 层第 3 个）",
        "树节点（第 3 层第 0 个）",
    ]
    by = {f.subject.removeprefix("树节点"): f.message for f in nodes}
    assert by["（第 0 层第 11 个）"].startswith("存储的叶子节点与事件 #11 不符，而其上层节点正确")
    assert "事件 #10 的" in by["（第 0 层第 11 个）"]
    assert by["（第 1 层第 4 个）"].startswith("存储的子树哈希与其两个子节点不符（覆盖事件 #8–#9）")
    assert "事件 #10–#11 的）" in by["（第 1 层第 4 个）"] and "将无法通过" in by["（第 1 层第 4 个）"]
    assert by["（第 1 层第 9 个）"].startswith("写入时存储的子树（覆盖事件 #18–#19）已不在数据库中")
    assert "事件 #16–#17 的" in by["（第 1 层第 9 个）"]
    assert "覆盖事件 #12–#15" in by["（第 2 层第 3 个）"] and "事件 #8–#11 的" in by["（第 2 层第 3 个）"]
    assert "覆盖事件 #0–#7" in by["（第 3 层第 0 个）"]
    # The rewritten event is named by its leaf; its ancestors, which differ because of it, are not.
    others = [str(f) for f in findings if f not in nodes]
    assert others == [
        "检查点（大小 30）：重新计算的根哈希与已签名的不一致：已签名的事件被修改、删除或改写",
        "台账事件 #20：事件与叶子哈希被一并改写：重新计算的叶子与写入时存储的树节点不一致",
        "台账状态：右边界节点与重新计算的树不一致",
    ]


@pytest.mark.django_db
def test_every_stored_node_is_compared_in_one_part_and_in_parts(agency, monkeypatch):
    _build(agency)
    assert verify_ledger() == []
    monkeypatch.setattr(verify, "PART", 4)
    assert verify_ledger() == []
    _tamper()
    parts = verify_ledger()
    _expect(parts)
    monkeypatch.setattr(verify, "PART", 1 << 16)
    assert verify_ledger() == parts
    for part in (8, 16):  # (2, 3) inside a part, (3, 0) a whole part; then both inside one
        monkeypatch.setattr(verify, "PART", part)
        assert verify_ledger() == parts
    monkeypatch.setattr(
        verify, "PART", 1 << 16
    )  # one part: the command's processes would not see this test's data
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("ledger", "verify", stdout=out, stderr=StringIO())
    assert "树节点（第 1 层第 9 个）：写入时存储的子树（覆盖事件 #18–#19）已不在数据库中" in out.getvalue()


@pytest.mark.django_db
def test_many_wrong_nodes_are_counted_beyond_those_named(agency, monkeypatch):
    _build(agency)
    Node.objects.filter(level=0, index__lt=6).delete()
    monkeypatch.setattr(verify, "MAX_LOCATED", 3)
    findings = verify_ledger()
    assert [str(f) for f in findings][:3] == [
        str(verify._node_finding(0, i, "missing", 30)) for i in range(3)
    ]
    assert [str(f) for f in findings[3:]] == ["树节点：另有 3 个存储的子树哈希有误或缺失（仅列出前 3 个）"]
    assert not VerifiedState.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_several_processes_compare_every_node(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL：SQLite 测试库在内存中，其他进程看不到")
    from org.tests.factories import AgencyFactory

    _build(AgencyFactory())
    monkeypatch.setattr(verify, "PART", 4)
    assert verify_ledger(jobs=3) == []
    _tamper()
    findings = verify_ledger(jobs=3)
    _expect(findings)
    assert verify_ledger(jobs=1) == findings


@pytest.mark.django_db
def test_incremental_compares_the_nodes_completed_since_its_last_clean_run(agency, monkeypatch):
    _build(agency)
    assert verify_ledger() == []
    monkeypatch.setattr(verify, "PART", 4)  # after the first part, parts begin on a multiple of PART
    _grow_to(agency, 45)
    checkpoint_sign()
    Node.objects.filter(level=1, index=3).update(hash="ab" * 32)  # before 30: left to the full run
    Node.objects.filter(level=2, index=7).update(hash="ab" * 32)  # events 28–31: completed since 30
    Node.objects.filter(level=0, index=40).delete()
    findings = verify_ledger(incremental=True)
    assert [f.subject for f in _node_findings(findings)] == [
        "树节点（第 0 层第 40 个）",
        "树节点（第 2 层第 7 个）",
    ]
    assert findings[-1].subject == "增量核验"
    full = [f.subject for f in _node_findings(verify_ledger())]
    assert full == ["树节点（第 0 层第 40 个）", "树节点（第 1 层第 3 个）", "树节点（第 2 层第 7 个）"]
    Node.objects.create(level=0, index=40, hash=Event.objects.get(index=40).leaf_hash)
    for level, index in [(1, 3), (2, 7)]:
        lo, hi = index << level, (index + 1) << level
        leaves = [
            bytes.fromhex(h)
            for h in Event.objects.filter(index__gte=lo, index__lt=hi)
            .order_by("index")
            .values_list("leaf_hash", flat=True)
        ]
        Node.objects.filter(level=level, index=index).update(hash=merkle.root_hash(leaves).hex())
    assert verify_ledger() == []
    _grow_to(agency, 50)
    assert verify_ledger(incremental=True) == []


@pytest.mark.django_db
def test_the_parent_holds_the_leaves_only_of_parts_a_descent_may_enter(agency, monkeypatch):
    """Its memory is bounded by the number of parts: a whole part whose stored subtree agrees sends
    no leaves; with no part held at all (each read again when a descent enters it), and with a gap
    that moves the parts after it, the findings are those of one part."""
    _build(agency)
    monkeypatch.setattr(verify, "PART", 4)
    held = []
    hold = verify._Range.hold

    def spy(self, part, leaves):
        held.append(part)
        return hold(self, part, leaves)

    monkeypatch.setattr(verify._Range, "hold", spy)
    assert verify_ledger() == []
    assert held == [7]  # 30 events: parts 0–6 whole and intact; the last one, 28–29, is held
    _tamper()
    held.clear()
    findings = verify_ledger()
    _expect(findings)
    # The part 12–15 (its stored node is wrong), the part of the rewritten event #20, the last.
    assert held[:3] == [3, 5, 7]
    monkeypatch.setattr(verify._Range, "HELD", 0)
    assert verify_ledger() == findings
    Event.objects.filter(index=7).delete()  # the last event of a part: the parts after it move
    monkeypatch.setattr(verify._Range, "HELD", 8)
    parts = [str(f) for f in verify_ledger()]
    monkeypatch.setattr(verify, "PART", 1 << 16)
    assert [str(f) for f in verify_ledger()] == parts
    assert "台账事件 #7：缺失：该序号的事件已不在数据库中" in parts
