"""The fast path of `zhifa ledger verify`: entries rebuilt from raw rows (entries.entry_text), parts
hashed level by level, and the findings of a part joined by the parent — the same findings as one
part read through the model, wherever a tampered row, a wrong stored subtree or a bad checkpoint
falls against the parts' boundaries."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection, transaction

from ledger import merkle, verify
from ledger.entries import entry_bytes, entry_of, entry_text
from ledger.models import Checkpoint, Event, Head, Node
from ledger.services import checkpoint_sign, event_record
from ledger.verify import verify_ledger

DATA = [
    {},
    {"n": 1},
    {"sha256": "ab" * 32, "name": "现场照片.jpg", "size": 1024},
    {"sha256": 7, "note": 'quote " backslash \\ newline \n tab \t control \x01 line sep \u2028'},
    {"nested": {"z": [1, 2.5, -0.0, 1e300, None, True, False], "a": {"b": "中文"}}, "emoji": "🚓"},
    {"big": 2**70, "neg": -(2**63), "float": 0.1, "list": [], "obj": {}},
    {"from": "立案审批", "to": "调查取证", "reason": "当事人 张三（身份证号已脱敏）"},
]


def test_entry_text_is_entry_bytes_for_every_kind_of_value():
    times = [
        datetime(2026, 12, 2, 8, 1, 2, 37, tzinfo=UTC),
        datetime(2026, 12, 2, 8, 1, 2, tzinfo=UTC),  # no microseconds: still written to the microsecond
        datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=timezone(timedelta(hours=8))),
    ]
    for data in DATA:
        for actor, agency in [(None, None), (3, None), (None, 2**40), (12, 34)]:
            for created_at in times:
                for kind, subject_type, subject_id in [
                    ("case.transition", "records.case", "17"),
                    ('k"\\', "t\n", "中"),
                ]:
                    expected = entry_bytes(
                        index=41,
                        kind=kind,
                        created_at=created_at,
                        actor_id=actor,
                        agency_id=agency,
                        subject_type=subject_type,
                        subject_id=subject_id,
                        data=data,
                    )
                    time = created_at.astimezone(UTC).isoformat(timespec="microseconds")
                    loaded = json.loads(json.dumps(data))  # as the database gives it back
                    got = entry_text(41, kind, time, actor, agency, subject_type, subject_id, loaded)
                    assert got.encode() == expected
    # Values the database never gives are left to entry_bytes.
    assert entry_text(1, "k", "t", None, None, "s", "1", [1]) is None
    assert entry_text(1, "k", "t", True, None, "s", "1", {}) is None
    assert entry_text(1, "k", "t", None, "7", "s", "1", {}) is None


def _events(agency, data_list):
    with transaction.atomic():
        return [event_record(kind="test.fast", subject=agency, data=data) for data in data_list]


def _grow_to(agency, size):
    """Events until the ledger holds `size`."""
    missing = size - Head.objects.get(pk=1).size
    assert missing >= 0
    _events(agency, [{"n": i, "at": size} for i in range(missing)])
    assert Head.objects.get(pk=1).size == size


@pytest.mark.django_db
def test_intact_rows_of_every_kind_never_need_the_model_path(agency, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an intact row went through the model path")

    with transaction.atomic():
        for data in DATA:
            event_record(kind="test.fast", subject=agency, data=data)
            event_record(kind="test.fast", subject=agency, data=data, agency=None)
    # A time on the whole second (SQLite stores it without a fraction; the entry still has one).
    whole_second = datetime(2026, 12, 2, 8, 0, 0, tzinfo=UTC)
    monkeypatch.setattr("ledger.services.timezone.now", lambda: whole_second)
    _events(agency, [{"n": "整秒"}])
    monkeypatch.undo()
    assert Event.objects.filter(created_at=whole_second, index__isnull=False).exists()
    checkpoint_sign()
    monkeypatch.setattr(verify, "entry_of_values", refuse)
    monkeypatch.setattr(verify, "PART", 4)
    assert verify_ledger() == []


@pytest.mark.django_db
def test_stored_json_in_another_layout_is_judged_by_the_model_path_and_holds(agency):
    (event,) = _events(agency, [{"n": 1, "name": "笔录"}])
    checkpoint_sign()
    with connection.cursor() as cursor:  # leading white space: not a bare JSON value to the fast path
        text = ' {"name": "笔录",  "n": 1}'
        cursor.execute(f"UPDATE {Event._meta.db_table} SET data = %s WHERE id = %s", [text, event.pk])  # noqa: S608
    assert verify_ledger() == []
    Event.objects.filter(pk=event.pk).update(data={"n": 2, "name": "笔录"})
    (finding, *_) = verify_ledger()
    assert (
        finding.subject.startswith(f"台账事件 #{event.index}（test.fast，")
        and "记录被修改" in finding.message
    )


def _tamper_on_boundaries():
    """With parts of 4 events: a changed row on a part's first event, a wrong leaf hash on a part's
    last, an event rewritten with its leaf hash on a part's first, a wrong stored subtree that is a
    whole part, and a checkpoint whose signature no longer holds at a part's end."""
    rows = {e.index: e for e in Event.objects.filter(index__in=[4, 7, 12])}
    Event.objects.filter(pk=rows[4].pk).update(data={"n": "changed"})
    Event.objects.filter(pk=rows[7].pk).update(leaf_hash="0" * 64)
    forged = rows[12]
    forged.data = {"n": "forged"}
    entry = entry_of(forged)
    Event.objects.filter(pk=forged.pk).update(
        data=forged.data, entry=entry.decode(), leaf_hash=merkle.leaf_hash(entry).hex()
    )
    Node.objects.filter(level=2, index=4).update(hash="11" * 32)  # leaves 16–19: on the right edge of 22
    checkpoint = Checkpoint.objects.get(size=8)
    Checkpoint.objects.filter(pk=checkpoint.pk).update(note=checkpoint.note.replace("\n8\n", "\n9\n", 1))


def _build_for_boundaries(agency):
    for size in (8, 13, 16, 22):  # checkpoints at part ends and inside parts
        _grow_to(agency, size)
        checkpoint_sign()


def _expect_named(messages):
    assert any(m.startswith("台账事件 #4（") and "记录被修改" in m for m in messages)
    assert any(m.startswith("台账事件 #7（") and "叶子哈希与内容不符" in m for m in messages)
    assert any(m.startswith("台账事件 #12：") and "一并改写" in m for m in messages)
    assert any(m.startswith("树节点（第 2 层第 4 个）") for m in messages)
    assert any(m.startswith("检查点（大小 8）：签名无效") for m in messages)
    assert any(m.startswith("检查点（大小 13）：重新计算的根哈希与已签名的不一致") for m in messages)


@pytest.mark.django_db
def test_parts_find_what_one_part_finds_at_their_boundaries(agency, monkeypatch):
    _build_for_boundaries(agency)
    monkeypatch.setattr(verify, "PART", 4)
    assert verify_ledger() == []
    _tamper_on_boundaries()
    parts = [str(f) for f in verify_ledger()]
    monkeypatch.setattr(verify, "PART", 1 << 16)
    whole = [str(f) for f in verify_ledger()]
    assert parts == whole
    _expect_named(parts)


@pytest.mark.django_db(transaction=True)
def test_several_processes_find_what_one_finds_at_the_boundaries(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL：SQLite 测试库在内存中，其他进程看不到")
    from org.tests.factories import AgencyFactory

    _build_for_boundaries(AgencyFactory())
    monkeypatch.setattr(verify, "PART", 4)
    assert verify_ledger(jobs=3) == []
    _tamper_on_boundaries()
    one = [str(f) for f in verify_ledger(jobs=1)]
    assert [str(f) for f in verify_ledger(jobs=3)] == one
    _expect_named(one)


@pytest.mark.django_db
def test_a_part_that_ends_the_ledger_joins_as_its_subtrees(agency, monkeypatch):
    """The last part is not a power of two long: it is joined as its complete subtrees, and the
    roots at checkpoints inside it come from its right edges, as leaf by leaf."""
    monkeypatch.setattr(verify, "PART", 8)
    for size in (3, 8, 11, 21):
        _grow_to(agency, size)
        checkpoint_sign()
    calls = []
    joined = verify._Range.add_subtree

    def spy(self, level, node, leaves):
        calls.append(level)
        return joined(self, level, node, leaves)

    monkeypatch.setattr(verify._Range, "add_subtree", spy)
    assert verify_ledger() == []
    assert calls == [3, 3, 2, 0]  # 8 + 8 + 4 + 1 = 21
    leaves = [bytes.fromhex(h) for h in Event.objects.order_by("index").values_list("leaf_hash", flat=True)]
    assert Checkpoint.objects.get(size=11).root_hash == merkle.root_hash(leaves[:11]).hex()
