"""`zhifa ledger verify` when the database was tampered with in ways that used to crash it or hide
the event: a head row that disagrees with the events, an event rewritten with its leaf hash."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from ledger import merkle
from ledger.entries import entry_of
from ledger.models import Event, Head, Node
from ledger.services import checkpoint_sign, event_record
from ledger.verify import verify_ledger

pytestmark = pytest.mark.django_db


def _events(agency, n):
    with transaction.atomic():
        return [event_record(kind="test.event", subject=agency, data={"n": i}) for i in range(n)]


def _rewrite(event, data):
    """What someone with write access to the database does: new content and a matching leaf hash."""
    event.data = data
    entry = entry_of(event)
    Event.objects.filter(pk=event.pk).update(
        data=data, entry=entry.decode(), leaf_hash=merkle.leaf_hash(entry).hex()
    )


def _verify_command():
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("ledger", "verify", stdout=out, stderr=StringIO())
    return exc.value, out.getvalue()


def test_a_head_that_disagrees_with_the_events_is_a_finding_and_earlier_findings_are_kept(agency):
    events = _events(agency, 10)
    events += _events(agency, -Head.objects.get(pk=1).size % 4)
    Event.objects.filter(pk=events[2].pk).update(data={"n": "changed"})
    # The newest event is removed and the head's size moved back, its right edge left as it was
    # (the size is now odd: its right edge needs a single leaf that the old edge does not hold).
    Event.objects.filter(pk=events[-1].pk).delete()
    Head.objects.filter(pk=1).update(size=events[-1].index)

    messages = [str(f) for f in verify_ledger()]
    assert any(f"台账事件 #{events[2].index}" in m and "记录被修改" in m for m in messages)
    assert any("台账状态" in m and "右边界节点与记录的大小" in m for m in messages)

    error, out = _verify_command()
    assert error.returncode == 1
    assert f"台账事件 #{events[2].index}" in out and "右边界节点与记录的大小" in out
    assert "Traceback" not in out and "KeyError" not in out


def test_a_malformed_head_row_is_a_finding(agency):
    _events(agency, 5)
    Head.objects.filter(pk=1).update(frontier=[["x"]])
    assert any("右边界节点与记录的大小" in f.message for f in verify_ledger())


def test_an_event_rewritten_with_its_leaf_hash_is_named_by_index(agency):
    events = _events(agency, 40)
    checkpoint_sign()
    _rewrite(events[13], {"n": "forged"})
    findings = verify_ledger()
    named = [f for f in findings if f.subject == f"台账事件 #{events[13].index}"]
    assert named and "一并改写" in named[0].message
    # No other event is accused.
    assert not [f for f in findings if f.subject.startswith("台账事件 #") and f not in named]


def test_a_rewritten_event_after_the_last_checkpoint_is_named_too(agency):
    events = _events(agency, 12)
    checkpoint_sign()
    more = _events(agency, 9)
    _rewrite(more[4], {"n": "forged"})
    subjects = [f.subject for f in verify_ledger()]
    # The event is named; the signed checkpoint still holds; the head's right edge, kept from
    # before the rewrite, no longer matches.
    assert [s for s in subjects if s.startswith(("台账事件", "检查点"))] == [f"台账事件 #{more[4].index}"]
    assert "台账状态" in subjects and events


def test_when_the_stored_subtrees_were_rewritten_too_the_checkpoints_bound_the_range(agency):
    events = _events(agency, 8)
    checkpoint_sign()
    middle = _events(agency, 8)
    checkpoint_sign()
    _rewrite(middle[3], {"n": "forged"})
    # Rebuild every stored node from the forged leaves, as a careful forger would.
    leaves = [bytes.fromhex(h) for h in Event.objects.order_by("index").values_list("leaf_hash", flat=True)]
    for node in Node.objects.all():
        span = leaves[node.index << node.level : (node.index + 1) << node.level]
        Node.objects.filter(pk=node.pk).update(hash=merkle.root_hash(span).hex())
    messages = [str(f) for f in verify_ledger()]
    start, end = events[-1].index + 1, middle[-1].index
    assert any(f"台账事件 #{start}–#{end}" in m and "被改写的事件在此范围内" in m for m in messages)


def test_a_mistyped_witness_list_is_a_finding_not_a_crash(agency, settings):
    _events(agency, 2)
    settings.ZHIFA_LEDGER_WITNESSES = ["http://127.0.0.1:1"]
    (finding,) = verify_ledger()
    assert finding.subject == "见证方配置" and "应为“地址 公钥”" in finding.message
    with pytest.raises(CommandError, match="ZHIFA_LEDGER_WITNESSES 第 1 项格式错误"):
        call_command("ledger", "status", stdout=StringIO())
