"""Writes to the ledger: appending events (leaves), signing checkpoints and collecting witnesses'
cosignatures for them."""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from ledger import merkle, sequencer, witness
from ledger.keys import WitnessConfig, configured_witnesses, signing_keys
from ledger.models import Checkpoint, Cosignature, Event, Head, Node, Witness, WitnessedCheckpoint
from ledger.note import NoteError, checkpoint_text, cosignatures_in, sign_note

logger = logging.getLogger("zhifa.ledger")
CLOCK_TOLERANCE = timedelta(minutes=10)  # how far ahead of this server a witness's clock may be


def _head_for_update() -> Head:
    """Lock the head row (the sequencer and checkpoint signing; never a writer). The UPDATE takes
    the write lock first on every engine (SQLite included), so two batches can never hand out the
    same leaf number."""
    if not Head.objects.filter(pk=1).update(size=F("size")):
        Head.objects.get_or_create(pk=1)
        Head.objects.filter(pk=1).update(size=F("size"))
    return Head.objects.select_for_update().get(pk=1)


def right_edge(size: int, known: dict) -> list[list]:
    """The complete subtrees on the right edge of a tree of `size` leaves, one per set bit of
    `size`, largest first, as [level, index, hex hash] (what the head row keeps)."""
    frontier, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            i = start >> level
            frontier.append([level, i, known[(level, i)].hex()])
            start += 1 << level
    return frontier


def event_record(
    *, kind: str, subject: models.Model, acting_user=None, agency=None, data: dict | None = None
) -> Event:
    """Append one event for `subject`. Must run inside the transaction of the change it records,
    so that both commit or neither does. The row is written without a number and without any
    shared lock; the sequencer (ledger.sequencer) makes it the next leaf of the ledger once it is
    committed (待入账 until then; with ZHIFA_LEDGER_INTEGRATE = "commit", right after the commit).

    Raises RuntimeError when called outside a transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger events must be written inside the transaction of the change")
    if agency is None:
        agency = getattr(subject, "agency", None)
    event = Event.objects.create(
        index=None,
        kind=kind,
        actor=acting_user if getattr(acting_user, "pk", None) else None,
        agency=agency,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        data=data or {},
        created_at=timezone.now(),
    )
    sequencer.schedule(event)
    return event


def stored_node(level: int, index: int) -> bytes:
    return bytes.fromhex(Node.objects.only("hash").get(level=level, index=index).hash)


@transaction.atomic
def _checkpoint_sign() -> Checkpoint:
    return _sign_head(_head_for_update())


def _head_root(head: Head) -> bytes:
    """The root of the head's tree: its right edge holds exactly the subtrees the root is made of."""
    try:
        edge = {(int(level), int(i)): bytes.fromhex(h) for level, i, h in head.frontier}
    except (TypeError, ValueError):
        edge = {}
    return merkle.tree_root(head.size, lambda level, i: edge.get((level, i)) or stored_node(level, i))


def _sign_head(head: Head) -> Checkpoint:
    """Sign the locked head (C2SP checkpoint); the witnesses are asked once it is committed."""
    existing = Checkpoint.objects.filter(size=head.size).first()
    if existing:
        return existing
    root = _head_root(head)
    conflict = _witnessed_conflict(head.size, root)
    if conflict:
        logger.error("checkpoint %s not signed: %s", head.size, conflict)
        raise CheckpointRefused(conflict)
    signer, _ = signing_keys()
    note = sign_note(checkpoint_text(settings.ZHIFA_LEDGER_ORIGIN, head.size, root), signer)
    checkpoint = Checkpoint.objects.create(size=head.size, root_hash=root.hex(), note=note)
    transaction.on_commit(checkpoint_cosign, robust=True)
    return checkpoint


class CheckpointRefused(Exception):
    """Signing the tree head would contradict a checkpoint a witness cosigned (the database was
    restored to an earlier point); the message says why and what to do, in Chinese."""


RECOVER_NEWER = (
    "请恢复含有这些事件的较新备份或 WAL 归档（zhifa restore … --to-time 更晚的时刻），"
    "再运行 zhifa ledger verify；在台账重新包含该检查点之前不签署新的检查点（事件照常记录）。"
)


def _witnessed_conflict(size: int, root: bytes) -> str | None:
    """Why a checkpoint of `size` leaves with `root` would contradict one a witness cosigned and
    this database was restored without (WitnessedCheckpoint): a smaller tree (its events after the
    restore point are not those the witness saw, and cannot be shown to be), or one whose first
    events no longer hash to the witnessed root (a fork). None when there is no such checkpoint."""
    for held in WitnessedCheckpoint.objects.order_by("size", "witness"):
        if size < held.size:
            return (
                f"见证方 {held.witness} 已副署大小 {held.size} 的检查点，而台账恢复到较早的时刻后只有 {size} 个事件"
                f"（恢复时 {held.ledger_size} 个）：现在签署将与见证方副署的检查点分叉。{RECOVER_NEWER}"
            )
        try:
            at = root if size == held.size else merkle.tree_root(held.size, stored_node)
        except Node.DoesNotExist:
            at = None
        if at is None or at.hex() != held.root_hash:
            return (
                f"见证方 {held.witness} 已副署大小 {held.size} 的检查点，台账前 {held.size} 个事件的根哈希与之不符："
                f"恢复后写入的事件（序号 #{held.ledger_size} 起）与丢失的事件分叉。{RECOVER_NEWER}"
            )
    return None


def signing_paused() -> str | None:
    """Why no checkpoint can be signed over the current head (a witness cosigned a tree this
    restored database lacks), in Chinese; None when signing works. One query when nothing is held."""
    if not WitnessedCheckpoint.objects.exists():
        return None
    head = Head.objects.filter(pk=1).first()
    if head is None:
        return None
    return _witnessed_conflict(head.size, _head_root(head))


def witnessed_checkpoint_record(*, witness: str, size: int, root: bytes, note: str) -> WitnessedCheckpoint | None:
    """Keep a checkpoint `witness` cosigned (`note`, already opened with this log's key) that is
    beyond the ledger's head, as `zhifa restore --to-time` finds them: from then on verify names
    the events it lacks and signing refuses to fork from it. None when the head covers it (verify
    compares such checkpoints with the tree). Not a ledger event: appending one would itself grow
    the tree the record guards."""
    with transaction.atomic():
        head = Head.objects.filter(pk=1).first()
        ledger_size = head.size if head else 0
        if size <= ledger_size:
            return None
        held, _ = WitnessedCheckpoint.objects.get_or_create(
            witness=witness,
            size=size,
            defaults={"root_hash": root.hex(), "note": note, "ledger_size": ledger_size},
        )
    return held


def checkpoint_sign() -> Checkpoint:
    """Sign the current tree head (C2SP checkpoint). Signing the same size twice returns the
    existing checkpoint: a size has one root. Once the signature is committed, the checkpoint goes
    to the configured witnesses (never while the head is locked: a slow witness must not hold up
    the writes of everyone else)."""
    return _checkpoint_sign()


class _Refused(Exception):
    """A witness did not cosign; the message says why, in Chinese."""


def checkpoint_cosign(*, checkpoint: Checkpoint | None = None) -> list[str]:
    """Submit `checkpoint` (default: the latest) to every configured witness that has not cosigned
    it yet (c2sp.org/tlog-witness add-checkpoint, with a consistency proof from the size that
    witness last cosigned), and keep each cosignature with the checkpoint. A witness that is down or
    refuses is recorded on its `Witness` row (reason, consecutive failures) and tried again at the
    next checkpoint or periodic run. Returns one line per witness tried, in Chinese."""
    witnesses = configured_witnesses()
    checkpoint = checkpoint or Checkpoint.objects.order_by("-size").first()
    if not witnesses or checkpoint is None:
        return []
    done = set(checkpoint.cosignatures.values_list("witness", flat=True))
    return [_cosign_one(config, checkpoint) for config in witnesses if config.name not in done]


def _cosign_one(config: WitnessConfig, checkpoint: Checkpoint) -> str:
    row, _ = Witness.objects.get_or_create(name=config.name, defaults={"url": config.url})
    now = timezone.now()
    try:
        cosigned, size = _submit(config, checkpoint, row.size)
    except _Refused as exc:
        size = exc.args[1] if len(exc.args) > 1 else row.size
        Witness.objects.filter(pk=row.pk).update(
            url=config.url, size=size, last_attempt_at=now, last_error=exc.args[0], failures=F("failures") + 1
        )
        logger.warning("witness %s did not cosign checkpoint %s: %s", config.name, checkpoint.size, exc.args[0])
        return f"见证方 {config.name}：未副署，{exc.args[0]}"
    with transaction.atomic():
        Cosignature.objects.get_or_create(
            checkpoint=checkpoint,
            witness=config.name,
            defaults={"line": cosigned.line, "signed_at": datetime.fromtimestamp(cosigned.timestamp, UTC)},
        )
        Witness.objects.filter(pk=row.pk).update(
            url=config.url, size=size, last_attempt_at=now, last_success_at=now, last_error="", failures=0
        )
    return f"见证方 {config.name}：已副署大小为 {checkpoint.size} 的检查点"


def _submit(config: WitnessConfig, checkpoint: Checkpoint, old: int):
    """(verified cosignature, size) or _Refused(reason, size the witness holds)."""
    for attempt in range(2):
        if old > checkpoint.size:
            raise _Refused(
                f"该见证方已副署大小为 {old} 的检查点，而本台账现在只有 {checkpoint.size} 个事件："
                f"台账可能已被回退，请立即核查（zhifa ledger verify --against {config.url}）",
                old,
            )
        try:
            proof = merkle.consistency_proof(old, checkpoint.size, stored_node)
        except Node.DoesNotExist:
            raise _Refused("本台账缺少计算一致性证明所需的树节点，请运行 zhifa ledger verify", old) from None
        try:
            reply = witness.submit(
                config.url,
                old_size=old,
                proof=proof,
                note=checkpoint.note,
                timeout=settings.ZHIFA_LEDGER_WITNESS_TIMEOUT,
            )
        except witness.WitnessError as exc:
            raise _Refused(f"{exc}；下次签署检查点时重试", old) from None
        if reply.status == 200:
            try:
                found = cosignatures_in(checkpoint.note + reply.body, config.vkey)
            except NoteError as exc:
                raise _Refused(f"应答中的副署无效：{exc}", old) from None
            if not found:
                raise _Refused("应答中没有该见证方公钥的副署（请核对 ZHIFA_LEDGER_WITNESSES 中的公钥）", old)
            if found[0].timestamp > timezone.now().timestamp() + CLOCK_TOLERANCE.total_seconds():
                raise _Refused("副署时间晚于本机当前时间，不予采用（请核对见证方的时钟）", old)
            return found[0], checkpoint.size
        if reply.status == 409 and reply.content_type.startswith(witness.SIZE_TYPE):
            held = reply.body.strip()
            if not held.isdigit():
                raise _Refused("见证方的应答无法解析", old)
            if int(held) == old or attempt:
                raise _Refused(
                    f"该见证方在大小 {held} 记有与本台账不同的根哈希：台账已分叉或被回退后重写，请立即核查", int(held)
                )
            old = int(held)  # the witness holds another size: prove consistency from that one
            continue
        if reply.status == 422:
            raise _Refused(
                f"该见证方认为从大小 {old} 到 {checkpoint.size} 的一致性证明不成立："
                "本台账与其此前副署的检查点不一致（被回退或分叉），请立即核查",
                old,
            )
        reasons = {
            403: "该见证方不信任本台账的签名公钥（请把本台账的核验公钥交给见证方配置）",
            404: f"该见证方未配置本台账（来源 {settings.ZHIFA_LEDGER_ORIGIN}）",
        }
        raise _Refused(reasons.get(reply.status, f"见证方返回 {reply.status}：{reply.body.strip()[:200]}"), old)
    raise AssertionError("unreachable")


def checkpoint_sign_if_due(*, max_age: timedelta) -> Checkpoint | None:
    """Sign the tree head when events were added since the last checkpoint and that one is older
    than `max_age` (the periodic signing that `zhifa serve` runs). Returns the new checkpoint.
    Otherwise, witnesses that have not cosigned the latest checkpoint are tried again."""
    head = Head.objects.filter(pk=1).first()
    latest = Checkpoint.objects.order_by("-size").first()
    if (
        head is None
        or head.size == 0
        or (latest and latest.size >= head.size)
        or (latest and timezone.now() - latest.created_at < max_age)
    ):
        checkpoint_cosign()  # witnesses that were down last time are tried again
        return None
    try:
        return checkpoint_sign()
    except CheckpointRefused:  # logged; `zhifa ledger verify` names it until the ledger holds it again
        return None
