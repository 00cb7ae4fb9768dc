"""`zhifa ledger verify`: recompute everything from the database and report what does not hold.

- every event row against the bytes it was hashed from (an edited row is named by its index);
- the leaf numbers (a missing event leaves a gap);
- the tree root at each signed checkpoint, and each checkpoint's signature (a rewritten log);
- the head (size and right edge) against the recomputed tree;
- whatever other apps register (the records app re-hashes every stored file).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ledger import merkle
from ledger.entries import entry_of
from ledger.keys import verifier_key
from ledger.models import Checkpoint, Event, Head
from ledger.note import NoteError, open_note, parse_checkpoint


@dataclass(frozen=True)
class Finding:
    """One thing that does not hold, named by what it concerns."""

    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}：{self.message}"


# Other apps add checks here (AppConfig.ready): each yields Findings.
EXTRA_CHECKS: list[Callable[[Callable[[str], None]], Iterator[Finding]]] = []


class _Range:
    """The right edge of a tree being rebuilt leaf by leaf (a compact range from index 0)."""

    def __init__(self):
        self.stack: list[tuple[int, bytes]] = []  # (level, hash), levels strictly decreasing
        self.size = 0

    def add(self, leaf: bytes) -> None:
        level, node = 0, leaf
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            node = merkle.node_hash(left, node)
            level += 1
        self.stack.append((level, node))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return merkle.root_hash([])
        node = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            node = merkle.node_hash(left, node)
        return node


def verify_ledger(progress: Callable[[str], None] = lambda _: None) -> list[Finding]:
    findings: list[Finding] = []
    checkpoints = sorted(Checkpoint.objects.all(), key=lambda c: c.size)
    vkey = verifier_key()
    wanted: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        try:
            parsed = parse_checkpoint(open_note(checkpoint.note, vkey))
        except NoteError as exc:
            findings.append(Finding(f"检查点（大小 {checkpoint.size}）", f"签名无效：{exc}"))
            continue
        if parsed.size != checkpoint.size or parsed.root.hex() != checkpoint.root_hash:
            findings.append(
                Finding(f"检查点（大小 {checkpoint.size}）", "数据库中的大小或根哈希与签名内容不一致")
            )
        wanted.setdefault(parsed.size, []).append(checkpoint)
    tree = _Range()
    if 0 in wanted:
        _compare(findings, wanted.pop(0), tree.root())
    expected = 0
    for event in Event.objects.order_by("index").iterator(chunk_size=5000):
        subject = f"台账事件 #{event.index}（{event.kind}，{event.subject_type}:{event.subject_id}）"
        while expected < event.index:
            findings.append(Finding(f"台账事件 #{expected}", "缺失：该序号的事件已不在数据库中"))
            expected += 1
            tree.add(b"\x00" * 32)  # keep positions; the checkpoint comparison will fail as it should
        expected = event.index + 1
        recomputed = entry_of(event)
        if recomputed != event.entry.encode():
            findings.append(Finding(subject, "记录被修改：字段内容与登记时写入台账的内容不一致"))
        leaf = merkle.leaf_hash(recomputed)
        if leaf.hex() != event.leaf_hash:
            findings.append(Finding(subject, "叶子哈希与内容不符"))
        tree.add(leaf)
        if tree.size in wanted:
            _compare(findings, wanted.pop(tree.size), tree.root())
        if tree.size % 100_000 == 0:
            progress(f"已核对 {tree.size} 个事件")
    for size in wanted:
        findings.append(
            Finding(
                f"检查点（大小 {size}）",
                f"台账现有 {tree.size} 个事件，少于已签名的大小：事件被删除或台账被截断",
            )
        )
    head = Head.objects.filter(pk=1).first()
    if head and head.size != tree.size:
        findings.append(Finding("台账状态", f"记录的大小为 {head.size}，实际事件数为 {tree.size}"))
    elif head and head.size and _frontier_root(head) != tree.root():
        findings.append(Finding("台账状态", "右边界节点与重新计算的树不一致"))
    for check in EXTRA_CHECKS:
        findings.extend(check(progress))
    return findings


def _compare(findings: list[Finding], checkpoints: list[Checkpoint], root: bytes) -> None:
    for checkpoint in checkpoints:
        if checkpoint.root_hash != root.hex():
            findings.append(
                Finding(
                    f"检查点（大小 {checkpoint.size}）",
                    "重新计算的根哈希与已签名的不一致：已签名的事件被修改、删除或改写",
                )
            )


def _frontier_root(head: Head) -> bytes:
    """The root the head's right edge stands for (its subtrees are all a root needs)."""
    edge = {(level, index): bytes.fromhex(h) for level, index, h in head.frontier}
    return merkle.tree_root(head.size, lambda level, index: edge[(level, index)])
