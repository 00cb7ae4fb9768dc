"""`zhifa ledger verify`: recompute everything from the database and report what does not hold.

- every event row against the bytes it was hashed from (an edited row is named by its index);
- the leaf numbers (a missing event leaves a gap);
- the tree root at each signed checkpoint, each checkpoint's signature (a rewritten log) and the
  cosignatures of the configured witnesses stored with it;
- an event rewritten together with its leaf hash: the stored subtrees (written when each leaf was
  appended) are compared with the recomputed ones, top down, to name the event;
- the head (size and right edge) against the recomputed tree;
- optionally a checkpoint kept outside the database (a file, the portal, a witness): a database
  that was rolled back below it, or that diverges from it, is reported with the lost range;
- the newer checkpoints the witnesses cosigned that a restore to an earlier point left out
  (WitnessedCheckpoint): the events after the restore point are named as missing, not as
  tampered, until the ledger contains the checkpoint again;
- whatever other apps register (the records app re-hashes every stored file).

Verification never stops at the first surprise: whatever it finds, it reports as a finding and
goes on, so no finding already made is lost.
"""

import hashlib
import inspect
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.utils import timezone

from ledger import merkle
from ledger.entries import ENTRY_COLUMNS, entry_of_values, entry_text
from ledger.keys import configured_witnesses, verifier_key
from ledger.models import Checkpoint, Event, Head, Node, VerifiedState, WitnessedCheckpoint
from ledger.note import NoteError, cosignatures_in, open_note, parse_checkpoint

MAX_LOCATED = 100  # events named by the subtree descent; more than this is one finding


@dataclass(frozen=True)
class Finding:
    """One thing that does not hold, named by what it concerns."""

    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}：{self.message}"


@dataclass(frozen=True)
class KeptCheckpoint:
    """A checkpoint someone kept outside the database (already opened with the log's key)."""

    size: int
    root: bytes
    source: str
    witnesses: frozenset[str] = frozenset()  # configured witnesses whose valid cosignature it carries


# Other apps add checks here (AppConfig.ready): each yields Findings.
EXTRA_CHECKS: list[Callable[[Callable[[str], None]], Iterator[Finding]]] = []


class _Range:
    """The right edge of a tree being rebuilt (a compact range from index 0), and what is needed to
    recompute any of its complete subtrees: the hash of each whole part (from its worker), and the
    leaf hashes of the few parts whose inside a descent may enter (held, or read again), so that
    the memory needed is bounded by the number of parts, not of events. An incremental run keeps
    the leaves it adds (`keep`) for _new_nodes."""

    HELD = 8  # parts whose leaf hashes are held at most (2 MiB each); others are recomputed when needed

    def __init__(self, fetch: Callable[[int], bytes] | None = None, *, keep: bool = False):
        self.stack: list[tuple[int, bytes]] = []  # (level, hash), levels strictly decreasing
        self.size = 0
        self.offset = 0  # leaves before this (an incremental run) are not kept
        self.keep = keep
        self.leaves = bytearray()  # every leaf since `offset`, only when `keep`
        self._fetch = fetch  # part number → its recomputed leaf hashes, concatenated
        self._parts: dict[int, bytes] = {}  # part number → leaf hashes held, least recently used first
        self._memo: dict[tuple[int, int], bytes] = {}

    def resume(self, size: int, edge: list[tuple[int, int, bytes]]) -> None:
        """Continue a tree of `size` leaves from its right edge (an incremental run). Subtrees
        inside the old part cannot be recomputed then, so locating rewritten events needs a full run."""
        self.stack = [(level, node) for level, _, node in edge]
        self.size = self.offset = size

    def add_subtree(self, level: int, node: bytes, leaves: bytes | None = None) -> None:
        """Add a complete subtree of 2^level leaves whose hash is `node` (computed elsewhere);
        the tree's size must be a multiple of 2^level. `leaves` are needed only when kept."""
        if self.keep:
            self.leaves += leaves
        self.size += 1 << level
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            node = merkle.node_hash(left, node)
            level += 1
        self.stack.append((level, node))

    def add(self, leaf: bytes) -> None:
        if self.keep:
            self.leaves += leaf
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

    def edge(self) -> list[tuple[int, int, bytes]]:
        """The complete subtrees of the whole tree as (level, index, hash), largest first."""
        result, start = [], 0
        for level, node in self.stack:
            result.append((level, start >> level, node))
            start += 1 << level
        return result

    def seed(self, level: int, index: int, node: bytes) -> None:
        """Remember complete subtree (level, index), computed elsewhere (a part's worker)."""
        self._memo[(level, index)] = node

    def hold(self, part: int, leaves: bytes) -> None:
        """Hold the leaf hashes of part number `part` (a descent may enter it), the oldest held
        given up beyond HELD."""
        self._parts.pop(part, None)
        self._parts[part] = leaves
        while len(self._parts) > self.HELD:
            del self._parts[next(iter(self._parts))]

    def _leaf(self, index: int) -> bytes:
        part, at = divmod(index, PART)
        leaves = self._parts.get(part)
        if leaves is None:
            leaves = self._fetch(part)
        self.hold(part, leaves)
        return leaves[at * 32 : at * 32 + 32]

    def subtree(self, level: int, index: int) -> bytes:
        """The recomputed hash of complete subtree (level, index). Subtrees of 16 leaves or more
        are remembered, so a descent computes each one once."""
        if level == 0:
            return self._leaf(index)
        node = self._memo.get((level, index))
        if node is None:
            node = merkle.node_hash(
                self.subtree(level - 1, 2 * index), self.subtree(level - 1, 2 * index + 1)
            )
            if level >= 4:
                self._memo[(level, index)] = node
        return node


def verify_ledger(
    progress: Callable[[str], None] = lambda _: None,
    *,
    against: list[KeptCheckpoint] = (),
    jobs: int = 1,
    incremental: bool = False,
) -> list[Finding]:
    """Everything that does not hold. `jobs` processes recompute the leaves (each with its own
    database connection; 1: in this process). `incremental`: start from the right edge kept by
    the last run that found nothing (VerifiedState) and check only the events and checkpoints added
    since, and the files registered since; the full run stays the scheduled one. A clean run
    records where it got to."""
    findings: list[Finding] = []
    started = timezone.now()
    resume = None
    if incremental and not against:
        resume = VerifiedState.objects.order_by("-size", "-id").first()
    checkpoints = Checkpoint.objects.prefetch_related("cosignatures")
    if resume is not None:
        checkpoints = checkpoints.filter(size__gte=resume.size)
    checkpoints = sorted(checkpoints, key=lambda c: c.size)
    vkey = verifier_key()
    wanted: dict[int, list[Checkpoint]] = {}
    witnessed: dict[int, set[str]] = {}  # size → witnesses whose valid cosignature is stored
    try:
        witness_keys = {w.name: w.vkey for w in configured_witnesses()}
    except ImproperlyConfigured as exc:
        witness_keys = {}
        findings.append(Finding("见证方配置", f"{exc}；本次未核验副署"))
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
        for witness in _check_cosignatures(findings, checkpoint, witness_keys):
            witnessed.setdefault(checkpoint.size, set()).add(witness)
    # The head is read after the checkpoints: every checkpoint read is then within it, even while
    # the sequencer integrates. Only events numbered below it are checked (numbered events never
    # change; those integrated during this run are checked next time).
    head = Head.objects.filter(pk=1).first()
    bound = head.size if head else 0
    kept: dict[int, list[KeptCheckpoint]] = {}
    for checkpoint in against:
        kept.setdefault(checkpoint.size, []).append(checkpoint)
    later = list(WitnessedCheckpoint.objects.order_by("size", "witness"))
    rooted = set(wanted) | set(kept) | {held.size for held in later}  # sizes whose root is wanted
    roots: dict[int, bytes] = {}  # recomputed root at each signed or kept size
    tree = _Range(_refetch(bound), keep=resume is not None)
    roots[0] = tree.root()
    gaps = 0
    flagged: set[int] = set()  # events already named as edited
    expected = 0
    start = 0
    if resume is not None:  # incremental: continue the tree from the last clean run's right edge
        tree.resume(resume.size, [(int(lv), int(i), bytes.fromhex(h)) for lv, i, h in resume.edge])
        roots[resume.size] = tree.root()
        start = expected = resume.size
    marks = sorted(size for size in rooted if start < size <= bound)
    node_faults: list[tuple[int, int, str]] = []  # stored subtrees wrong in themselves, from the parts
    node_total = 0
    tops: dict[int, bool | None] = {}  # part number → whether the stored node of the whole part is bad
    # An incremental run compares the nodes completed since in the parent (_new_nodes), where the
    # right edge it resumes from is known.
    compare = COMPARE_NODES and resume is None
    keep = resume is not None  # an incremental run keeps the leaves it adds, for _new_nodes
    for part_start, present, leaves, count, top, problems, whole, nodes in _ranges(
        start, bound, jobs, marks, compare, keep
    ):
        if nodes is not None:
            node_faults += nodes[0]
            node_total += nodes[1]
            tops[part_start // PART] = nodes[2]
        if top is not None:
            tree.seed(PART.bit_length() - 1, part_start // PART, top)
        if leaves is not None:  # a part whose inside a descent may enter (its worker's judgement)
            tree.hold(part_start // PART, leaves)
        if whole is not None and tree.size == part_start and expected == part_start and not problems:
            # An aligned part without gaps or problems: its subtrees and the roots inside it came
            # from the worker.
            subtrees, edges = whole
            for size, local in edges:
                roots[size] = _fold([n for _, n in tree.stack] + local)
            at = 0
            for level, node in subtrees:
                tree.add_subtree(level, node, leaves[at : at + (32 << level)] if leaves is not None else None)
                at += 32 << level
            expected = tree.size
            if tree.size // 100_000 != part_start // 100_000:
                progress(f"已核对 {tree.size} 个事件")
            continue
        if leaves is None:  # its worker found it whole, but a gap before it moved it: read it again
            leaves = _check_part((part_start, part_start + count, [], False, True))[2]
        problems = iter(problems)
        problem = next(problems, None)
        positions = range(part_start, part_start + count) if present is None else present
        for n, index in enumerate(positions):
            while expected < index:
                findings.append(Finding(f"台账事件 #{expected}", "缺失：该序号的事件已不在数据库中"))
                expected += 1
                gaps += 1
                tree.add(b"\x00" * 32)  # keep positions; the checkpoint comparison will fail as it should
                if tree.size in rooted:
                    roots[tree.size] = tree.root()
            expected = index + 1
            while problem is not None and problem[0] == index:
                findings.append(Finding(problem[1], problem[2]))
                flagged.add(index)
                problem = next(problems, None)
            tree.add(leaves[n * 32 : n * 32 + 32])
            if tree.size in rooted:
                roots[tree.size] = tree.root()
            if tree.size % 100_000 == 0:
                progress(f"已核对 {tree.size} 个事件")
    failing = []
    for size, group in sorted(wanted.items()):
        if size in roots:
            failing += _compare(findings, group, roots[size])
        else:
            findings.append(
                Finding(
                    f"检查点（大小 {size}）",
                    f"台账现有 {tree.size} 个事件，少于已签名的大小：事件被删除或台账被截断",
                )
            )
    if resume is None:  # an incremental run does not hold the old leaves to descend into
        _locate(findings, tree, failing, [size for size in wanted if size in roots], gaps, flagged)
    if COMPARE_NODES and not gaps:  # a gap changes every subtree after it; the missing events are named
        if resume is None:
            more, extra = _upper_nodes(tree, tops)
        else:
            edge = [(int(lv), int(i), bytes.fromhex(h)) for lv, i, h in resume.edge]
            more = _new_nodes(tree, resume.size, edge)
            extra = len(more)
        node_faults += more
        node_total += extra
        _report_nodes(findings, node_faults, node_total, tree.size)
    _check_head(findings, tree, head)
    for held in later:
        _check_later(findings, held, tree.size, roots.get(held.size))
    for size, group in sorted(kept.items()):
        for checkpoint in group:
            # The largest checkpoint in the database that a witness of the kept one also cosigned and
            # that still holds: that witness saw both, so the two agree up to its size.
            held = [
                c
                for c, names in witnessed.items()
                if c <= size and names & checkpoint.witnesses and c in roots and c not in failing
            ]
            _compare_kept(findings, checkpoint, tree.size, roots.get(size), max(held, default=0))
    if resume is not None and findings:
        findings.append(
            Finding(
                "增量核验",
                f"自大小 {resume.size} 之后发现问题；请运行完整核验（zhifa ledger verify --full）以定位全部问题",
            )
        )
    since = resume.started_at if resume is not None else None
    for check in EXTRA_CHECKS:
        try:
            with transaction.atomic():  # a check that fails leaves the others a usable connection
                if since is not None and "since" in inspect.signature(check).parameters:
                    findings.extend(check(progress, since=since))
                elif since is None:
                    findings.extend(check(progress))
        except Exception as exc:  # a broken check must not lose the findings already made
            findings.append(Finding("核验程序", f"{getattr(check, '__name__', check)} 未能完成：{exc!r}"))
    if not findings and bound:
        VerifiedState.objects.create(
            size=tree.size,
            root_hash=tree.root().hex(),
            edge=[[lv, i, h.hex()] for lv, i, h in tree.edge()],
            full=resume is None,
            started_at=started,
        )
    return findings


_FIELDS = ("index", *ENTRY_COLUMNS, "entry", "leaf_hash")


def _subject(index: int, values) -> str:
    """An event named for a finding, from its ENTRY_COLUMNS values."""
    row = dict(zip(ENTRY_COLUMNS, values, strict=True))
    return f"台账事件 #{index}（{row['kind']}，{row['subject_type']}:{row['subject_id']}）"


PART = 1 << 16  # events per task of a parallel run (a power of two: a full part is one subtree)


def _fold(nodes: list[bytes]) -> bytes:
    """The root over complete subtrees given left to right, sizes not increasing."""
    node = nodes[-1]
    for left in reversed(nodes[:-1]):
        node = merkle.node_hash(left, node)
    return node


def _part_levels(leaves: bytes) -> list[bytes]:
    """Every complete subtree over `leaves` (concatenated hashes, aligned on a power of two at
    least their number), level by level: levels[L] holds the hashes of level L, left to right."""
    digest, prefix = hashlib.sha256, b"\x01"
    levels = [leaves]
    while len(levels[-1]) >= 64:
        below = levels[-1]
        levels.append(
            b"".join([digest(prefix + below[i : i + 64]).digest() for i in range(0, len(below) - 63, 64)])
        )
    return levels


def _part_subtrees(start: int, levels: list[bytes], marks: list[int]) -> tuple[list, list]:
    """For leaves that begin at `start`, a multiple of PART (so every complete subtree inside is
    aligned), hashed into `levels` (_part_levels): the complete subtrees they make, largest first,
    as (level, hash), and for each size in `marks` that falls among them (size, the right edge of
    the first size - start leaves)."""
    leaves = levels[0]

    def edge(count: int) -> list[tuple[int, bytes]]:
        nodes, pos = [], 0
        for level in range(count.bit_length() - 1, -1, -1):
            if count >> level & 1:
                at = (pos >> level) * 32
                nodes.append((level, levels[level][at : at + 32]))
                pos += 1 << level
        return nodes

    edges = [(size, [node for _, node in edge(size - start)]) for size in marks]
    return edge(len(leaves) // 32), edges


# The time of an entry (UTC, isoformat to the microsecond) as PostgreSQL writes it.
_PG_TIME = """to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def _part_rows(start: int, end: int):
    """The rows of the events numbered [start, end) in order, as they are stored: (index, kind, time,
    actor_id, agency_id, subject_type, subject_id, data as JSON text, entry, leaf_hash), `time`
    written as entry_bytes writes it. Read with one plain query, without model instances."""
    postgresql = connection.vendor == "postgresql"
    columns = ", ".join(
        [
            '"index"',
            "kind",
            _PG_TIME if postgresql else "created_at",
            "actor_id",
            "agency_id",
            "subject_type",
            "subject_id",
            "data::text" if postgresql else "data",
            "entry",
            "leaf_hash",
        ]
    )
    table = Event._meta.db_table
    convert = None if postgresql else connection.ops.convert_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {columns} FROM {table} WHERE "index" >= %s AND "index" < %s ORDER BY "index"',  # noqa: S608
            [start, end],
        )
        while rows := cursor.fetchmany(10_000):
            if not postgresql:
                rows = [
                    (
                        r[0],
                        r[1],
                        convert(r[2], None, connection).astimezone(UTC).isoformat(timespec="microseconds"),
                        *r[3:],
                    )
                    for r in rows
                ]
            yield from rows


def _check_part(task: tuple) -> tuple:
    """Recompute the leaves of the events numbered [start, end): (start, their numbers or None when
    none is missing, the leaf hashes concatenated or None (below), how many, for a whole part (PART
    events from a multiple of PART, none missing) the hash of its subtree, (index, subject,
    message) for each row that does not match what was hashed, and for a part without gaps or
    problems that starts on a multiple of PART: (its complete subtrees as (level, hash), largest
    first, [(size, right edge of the part's first size - start leaves)] for each size in `marks`)),
    and when told to `compare` for a part without gaps that starts on a multiple of PART, its
    stored subtrees against the recomputed ones (_part_nodes).

    The leaf hashes are returned only when the parent may need them (`keep`, or a part that is
    not whole, has gaps or problems, or whose stored subtree differs from the recomputed one: a
    descent may enter only such a part), so that what the parent receives and holds does not grow
    with the number of events.

    Each row's entry is rebuilt from its columns (entries.entry_text) and must equal the stored
    entry; a row where it does not is read again through the model and judged by entry_bytes
    itself, so a finding and its wording are those of the plain path."""
    start, end, marks, compare, keep = task
    present, leaves, problems, again = [], bytearray(), [], []
    digest, zero = hashlib.sha256, bytes(32)
    scan = json.JSONDecoder().scan_once  # json.loads without its whitespace checks: text that
    # is not one bare JSON value is left to the model path
    for index, kind, time, actor, agency, subject_type, subject_id, data, entry, leaf_hash in _part_rows(
        start, end
    ):
        present.append(index)
        try:
            value, stop = scan(data, 0)
            text = (
                entry_text(index, kind, time, actor, agency, subject_type, subject_id, value)
                if stop == len(data)
                else None
            )
        except (StopIteration, TypeError, ValueError):
            text = None
        if text is None or text != entry:
            again.append(index)
            leaves += zero  # filled in below
            continue
        leaf = digest(b"\x00" + text.encode()).digest()
        if leaf.hex() != leaf_hash:
            problems.append(
                (index, f"台账事件 #{index}（{kind}，{subject_type}:{subject_id}）", "叶子哈希与内容不符")
            )
        leaves += leaf
    if again:
        position = {index: n for n, index in enumerate(present)}
        for n in range(0, len(again), 5000):
            rows = Event.objects.filter(index__in=again[n : n + 5000]).order_by("index").values_list(*_FIELDS)
            for index, *values, entry, leaf_hash in rows:
                recomputed = entry_of_values(index, values)
                if recomputed != entry.encode():
                    problems.append(
                        (index, _subject(index, values), "记录被修改：字段内容与登记时写入台账的内容不一致")
                    )
                leaf = merkle.leaf_hash(recomputed)
                if leaf.hex() != leaf_hash:
                    problems.append((index, _subject(index, values), "叶子哈希与内容不符"))
                at = position[index] * 32
                leaves[at : at + 32] = leaf
        problems.sort(key=lambda problem: problem[0])  # stable: a row's own findings keep their order
    contiguous = len(present) == end - start
    whole = nodes = top = None
    if contiguous and start % PART == 0 and present:
        levels = _part_levels(bytes(leaves))
        if compare:
            nodes = _part_nodes(start, levels)
        if not problems:
            whole = _part_subtrees(start, levels, marks)
        if len(leaves) == 32 * PART:
            top = levels[-1]
            level = PART.bit_length() - 1
            stale = nodes[2] if nodes is not None else _stored(level, start // PART) != top
            keep = keep or bool(problems) or stale
        else:
            keep = True
    else:
        keep = True
    return (
        start,
        None if contiguous else present,
        bytes(leaves) if keep else None,
        len(present),
        top,
        problems,
        whole,
        nodes,
    )


def _refetch(bound: int) -> Callable[[int], bytes]:
    """Part number → its leaf hashes, recomputed again here (a full run without gaps: the part's
    events are those it numbers), for a descent into a part no longer held."""

    def fetch(part: int) -> bytes:
        start = part * PART
        return _check_part((start, min(bound, start + PART), [], False, True))[2]

    return fetch


def _worker_start() -> None:
    import signal

    from django.db import connections

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # whatever the parent set, a worker stops when told
    connections.close_all()  # never share the parent's connection


def _ranges(start: int, end: int, jobs: int, marks: list[int], compare: bool = False, keep: bool = False):
    """The parts of [start, end) in order, aligned on PART, recomputed in `jobs` processes (or
    here when 1); each is told which of `marks` (tree sizes whose root is wanted) fall in it,
    whether to compare the stored subtrees inside it, and whether to return its leaves always."""
    cuts = [start, *range((start // PART + 1) * PART, end, PART), end] if start < end else []
    tasks = [(a, b, [m for m in marks if a < m <= b], compare, keep) for a, b in itertools.pairwise(cuts)]
    if jobs <= 1 or len(tasks) <= 1:
        yield from map(_check_part, tasks)
        return
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each process opens its own connection
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_start)
    try:
        yield from pool.imap(_check_part, tasks)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    connections.close_all()


def _check_cosignatures(findings: list[Finding], checkpoint: Checkpoint, keys: dict[str, str]) -> list[str]:
    """Each stored cosignature of a configured witness must verify on the checkpoint. Returns the
    witnesses whose cosignature does."""
    good = []
    for cosignature in checkpoint.cosignatures.all():
        if cosignature.witness not in keys:
            continue
        try:
            valid = cosignatures_in(checkpoint.note + cosignature.line, keys[cosignature.witness])
        except NoteError as exc:
            valid, reason = [], str(exc)
        else:
            reason = "不是该见证方公钥的副署"
        if not valid:
            findings.append(
                Finding(
                    f"检查点（大小 {checkpoint.size}）", f"见证方 {cosignature.witness} 的副署无效：{reason}"
                )
            )
        else:
            good.append(cosignature.witness)
    return good


def _compare(findings: list[Finding], checkpoints: list[Checkpoint], root: bytes) -> list[int]:
    failed = []
    for checkpoint in checkpoints:
        if checkpoint.root_hash != root.hex():
            failed.append(checkpoint.size)
            findings.append(
                Finding(
                    f"检查点（大小 {checkpoint.size}）",
                    "重新计算的根哈希与已签名的不一致：已签名的事件被修改、删除或改写",
                )
            )
    return failed


COMPARE_NODES = True  # compare every stored subtree with the recomputed one (off: to measure its cost)
NODE_CHUNK = 1 << 15  # stored nodes read per query


def _level_diff(level: int, first: int, expected: bytes) -> tuple[list[int], list[int]]:
    """The stored nodes of `level` numbered from `first` against the recomputed ones (`expected`,
    their hashes concatenated), read NODE_CHUNK at a time: (numbers that differ, numbers missing)."""
    table, want, end = Node._meta.db_table, expected.hex(), first + len(expected) // 32
    differ, missing = [], []
    with connection.cursor() as cursor:
        for low in range(first, end, NODE_CHUNK):
            high = min(end, low + NODE_CHUNK)
            cursor.execute(
                f'SELECT "index", hash FROM {table} WHERE level = %s AND "index" >= %s AND "index" < %s '  # noqa: S608
                'ORDER BY "index"',
                [level, low, high],
            )
            rows = cursor.fetchall()
            if (
                len(rows) == high - low
                and "".join(h for _, h in rows) == want[(low - first) * 64 : (high - first) * 64]
            ):
                continue
            seen = set()
            for index, stored in rows:
                seen.add(index)
                at = (index - first) * 32
                try:
                    same = bytes.fromhex(stored) == expected[at : at + 32]
                except (TypeError, ValueError):
                    same = False
                if not same:
                    differ.append(index)
            missing += [index for index in range(low, high) if index not in seen]
    return differ, missing


def _node_faults(bad: dict[int, tuple[set[int], set[int]]], exists: Callable[[int, int], bool]) -> list:
    """Of the stored nodes that differ from the recomputed ones or are missing (level → (differing,
    missing)), those wrong in themselves, as (level, index, kind): a missing node; a node whose two
    children agree ("wrong"); a leaf whose parent agrees ("leaf"). A node that differs because events
    below it were rewritten is none of these: those events are named by their rows and _locate."""
    faults = []
    for level in sorted(bad):
        differ, missing = bad[level]
        below, above = bad.get(level - 1), bad.get(level + 1)
        for index in sorted(differ | missing):
            if index in missing:
                faults.append((level, index, "missing"))
            elif level == 0:
                parent = index >> 1
                if above is not None and exists(1, parent) and parent not in above[0] | above[1]:
                    faults.append((0, index, "leaf"))
            elif below is None or not {2 * index, 2 * index + 1} & (below[0] | below[1]):
                faults.append((level, index, "wrong"))
    return faults


def _part_nodes(start: int, levels: list[bytes]) -> tuple[list, int, bool | None]:
    """Every stored subtree inside the part that begins at `start` against the recomputed `levels`:
    (the nodes wrong in themselves, at most MAX_LOCATED + 1, how many in all, and for a full part
    whether the stored node of the whole part differs or is missing)."""
    bad, spans = {}, {}
    for level, hashes in enumerate(levels):
        if hashes:
            spans[level] = (start >> level, (start >> level) + len(hashes) // 32)
            differ, missing = _level_diff(level, start >> level, hashes)
            bad[level] = (set(differ), set(missing))
    faults = _node_faults(
        bad, lambda level, index: level in spans and spans[level][0] <= index < spans[level][1]
    )
    top = None
    if len(levels[0]) == 32 * PART:
        differ, missing = bad[PART.bit_length() - 1]
        top = bool(differ or missing)
    return faults[: MAX_LOCATED + 1], len(faults), top


def _upper_nodes(tree: _Range, tops: dict[int, bool | None]) -> tuple[list, int]:
    """The stored subtrees above the parts (each made of whole parts) against the recomputed ones,
    in the parent: (the nodes wrong in themselves, how many)."""
    part = PART.bit_length() - 1
    bad = {part: ({k for k, top in tops.items() if top is not False}, set())}
    level = part + 1
    while tree.size >> level:
        expected = b"".join(tree.subtree(level, index) for index in range(tree.size >> level))
        differ, missing = _level_diff(level, 0, expected)
        bad[level] = (set(differ), set(missing))
        level += 1
    faults = [f for f in _node_faults(bad, lambda lv, i: i < tree.size >> lv) if f[0] > part]
    return faults, len(faults)


def _new_nodes(tree: _Range, since: int, edge: list[tuple[int, int, bytes]]) -> list:
    """An incremental run: the subtrees completed by the events from `since` (whose leaves the tree
    holds), built on the right edge the last clean run kept, against the stored ones."""
    known = {(level, index): node for level, index, node in edge}
    made: dict[int, list] = {}  # level → [first index, hashes concatenated]
    for number in range(since, tree.size):
        at = (number - since) * 32
        created = merkle.new_nodes(number, bytes(tree.leaves[at : at + 32]), lambda lv, i: known.pop((lv, i)))
        for level, index, node in created:
            made.setdefault(level, [index, bytearray()])[1] += node
        level, index, node = created[-1]
        known[(level, index)] = node
    bad, spans = {}, {}
    for level, (first, hashes) in made.items():
        spans[level] = (first, first + len(hashes) // 32)
        differ, missing = _level_diff(level, first, bytes(hashes))
        bad[level] = (set(differ), set(missing))
    return _node_faults(
        bad, lambda level, index: level in spans and spans[level][0] <= index < spans[level][1]
    )


def _span(first: int, last: int) -> str:
    return f"#{first}" if first == last else f"#{first}–#{last}"


def _node_finding(level: int, index: int, kind: str, size: int) -> Finding:
    """A stored subtree wrong in itself, in a tree of `size` events: which events it covers and
    whose proofs it breaks."""
    width = 1 << level
    first, sibling = index * width, (index ^ 1) * width
    uses = (
        f"用到它的包含证明（如事件 {_span(sibling, min(sibling + width, size) - 1)} 的）和一致性证明"
        if sibling < size
        else "用到它的包含证明（此后写入的事件的）和一致性证明"
    )
    if kind == "missing":
        message = (
            f"写入时存储的子树（覆盖事件 {_span(first, first + width - 1)}）已不在数据库中：{uses}无法生成"
        )
    elif kind == "leaf":
        message = f"存储的叶子节点与事件 #{index} 不符，而其上层节点正确：{uses}将无法通过"
    else:
        message = f"存储的子树哈希与其两个子节点不符（覆盖事件 {_span(first, first + width - 1)}）：{uses}将无法通过"
    return Finding(f"树节点（第 {level} 层第 {index} 个）", message)


def _report_nodes(findings: list[Finding], faults: list, total: int, size: int) -> None:
    """The stored subtrees wrong in themselves, by level and number, those already named left out."""
    faults = sorted(faults)
    for level, index, kind in faults[:MAX_LOCATED]:
        finding = _node_finding(level, index, kind, size)
        if finding not in findings:
            findings.append(finding)
    if total > MAX_LOCATED:
        findings.append(
            Finding(
                "树节点",
                f"另有 {total - MAX_LOCATED} 个存储的子树哈希有误或缺失（仅列出前 {MAX_LOCATED} 个）",
            )
        )


def _stored(level: int, index: int) -> bytes | None:
    row = Node.objects.filter(level=level, index=index).values_list("hash", flat=True).first()
    try:
        return bytes.fromhex(row) if row else None
    except ValueError:
        return None


def _locate(
    findings: list[Finding],
    tree: _Range,
    failing: list[int],
    passing: list[int],
    gaps: int,
    flagged: set[int],
) -> None:
    """Name events rewritten together with their leaf hash. Each complete subtree was stored when
    its last leaf was appended; comparing the recomputed subtrees with the stored ones, from the
    largest down to the leaves, follows only the branches that differ (a logarithmic number of
    lookups per rewritten event). When the stored subtrees were rewritten too, the signed
    checkpoints still bound where the change lies."""
    if gaps:
        return  # missing events are named already; a gap changes every subtree after it
    named: list[tuple[int, bool]] = []  # (leaf index, whether its stored node exists)
    pending = [(level, index, node) for level, index, node in tree.edge()]
    while pending and len(named) <= MAX_LOCATED:
        level, index, node = pending.pop(0)
        stored = _stored(level, index)
        if stored == node:
            continue
        if level == 0:
            named.append((index, stored is not None))
            continue
        children = [(level - 1, 2 * index + side) for side in (0, 1)]
        differing = [(lv, i, tree.subtree(lv, i)) for lv, i in children]
        differing = [(lv, i, h) for lv, i, h in differing if _stored(lv, i) != h]
        if not differing and stored is not None:
            findings.append(_node_finding(level, index, "wrong", tree.size))
        pending.extend(differing)
    for index, exists in named[:MAX_LOCATED]:
        if index in flagged:
            continue
        findings.append(
            Finding(
                f"台账事件 #{index}",
                "事件与叶子哈希被一并改写：重新计算的叶子与写入时存储的树节点不一致"
                if exists
                else "写入时存储的叶子节点已不在数据库中，无法确认该事件未被改写",
            )
        )
    if len(named) > MAX_LOCATED:
        findings.append(Finding("台账事件", f"另有更多事件与存储的树节点不一致（仅列出前 {MAX_LOCATED} 个）"))
    if failing and not named:
        first = min(failing)
        below = [size for size in passing if size < first and size not in failing]
        start = max(below, default=0)
        findings.append(
            Finding(
                f"台账事件 #{start}–#{first - 1}",
                f"被改写的事件在此范围内：大小 {start} 的检查点仍然成立，大小 {first} 的已不成立"
                "（存储的树节点也被一并改写）",
            )
        )


def _check_head(findings: list[Finding], tree: _Range, head: Head | None) -> None:
    """`head` as read before the events. Events numbered at or beyond its size must have been
    integrated since: the head now covers them, or it was moved back."""
    bound = head.size if head else 0
    beyond = Event.objects.filter(index__gte=bound).aggregate(n=models.Count("id"), last=models.Max("index"))
    if beyond["n"]:
        now = Head.objects.filter(pk=1).values_list("size", flat=True).first() or 0
        if now <= beyond["last"]:
            subject = "状态记录缺失" if head is None else f"记录的大小为 {now}"
            findings.append(
                Finding(
                    "台账状态",
                    f"{subject}，而数据库中有序号到 #{beyond['last']} 的事件（共 {tree.size + beyond['n']} 个）",
                )
            )
            return
    if head is None:
        return
    if head.size != tree.size:
        findings.append(Finding("台账状态", f"记录的大小为 {head.size}，实际事件数为 {tree.size}"))
        return
    if not head.size:
        return
    try:
        edge = {(int(level), int(index)): bytes.fromhex(h) for level, index, h in head.frontier}
        root = merkle.tree_root(head.size, lambda level, index: edge[(level, index)])
    except (KeyError, TypeError, ValueError):
        findings.append(
            Finding("台账状态", f"右边界节点与记录的大小 {head.size} 不符：状态记录被改动或未随事件一同回退")
        )
        return
    if root != tree.root():
        findings.append(Finding("台账状态", "右边界节点与重新计算的树不一致"))


LATER = "见证方副署的较新检查点"  # the subject of what _check_later finds


def _check_later(findings: list[Finding], held: WitnessedCheckpoint, size: int, root: bytes | None) -> None:
    """A checkpoint a witness cosigned that a restore to an earlier point left out, against the
    ledger of `size` events (`root`: its recomputed root at the checkpoint's size, when known)."""
    from ledger.services import RECOVER_NEWER

    subject = f"{LATER}（见证方 {held.witness}，大小 {held.size}）"
    lost = held.size - held.ledger_size
    span = _span(held.ledger_size, held.size - 1)
    when = timezone.localtime(held.recorded_at).strftime("%Y-%m-%d %H:%M")
    if size < held.size:
        since = (
            f"；恢复后又写入了 {size - held.ledger_size} 个事件（{_span(held.ledger_size, size - 1)}），"
            "占用了丢失事件的序号，与见证方副署的检查点分叉，未签署检查点"
            if size > held.ledger_size
            else ""
        )
        findings.append(
            Finding(
                subject,
                f"台账已恢复到较早的时刻（{when} 记录，恢复后 {held.ledger_size} 个事件），不包含见证方副署的这一较新检查点："
                f"恢复点之后的 {lost} 个事件（第 {held.ledger_size + 1}–{held.size} 条，序号 {span}）不在台账中{since}。"
                f"这不表示现有事件被篡改。{RECOVER_NEWER}",
            )
        )
    elif root is not None and root.hex() != held.root_hash:
        findings.append(
            Finding(
                subject,
                f"台账前 {held.size} 个事件的根哈希与见证方副署的不符：恢复到较早的时刻（{when} 记录）后写入的事件"
                f"（序号 #{held.ledger_size} 起）与丢失的事件分叉。{RECOVER_NEWER}",
            )
        )


def _compare_kept(
    findings: list[Finding], kept: KeptCheckpoint, size: int, root: bytes | None, agreed: int
) -> None:
    subject = f"所持检查点（{kept.source}，大小 {kept.size}）"
    if root is None:
        findings.append(
            Finding(
                subject,
                f"检查点记录 {kept.size} 条，数据库仅有 {size} 条："
                f"第 {size + 1}–{kept.size} 条事件缺失（序号 #{size}–#{kept.size - 1}），台账被回退或截断",
            )
        )
    elif root != kept.root:
        where = (
            f"大小 {agreed} 的检查点经同一见证方副署且仍然成立，被改写或分叉的事件在第 {agreed + 1}–{kept.size} 条之间"
            f"（序号 #{agreed}–#{kept.size - 1}）"
            if agreed
            else f"第 1–{kept.size} 条中有事件被改写、删除，或台账被回退后重新写入（分叉）"
        )
        findings.append(Finding(subject, f"数据库前 {kept.size} 条事件的根哈希与检查点不符：{where}"))
