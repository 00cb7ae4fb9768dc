"""Writes to the ledger: appending events (leaves) and signing checkpoints."""

from datetime import timedelta

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from ledger import merkle
from ledger.entries import entry_of
from ledger.keys import signing_keys
from ledger.models import Checkpoint, Event, Head, Node
from ledger.note import checkpoint_text, sign_note


def _head_for_update() -> Head:
    """Lock the head row. The UPDATE takes the write lock first on every engine (SQLite included),
    so two appends can never hand out the same leaf number."""
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


def _append(head: Head, leaf: bytes) -> None:
    """Add leaf number head.size: store the subtrees it completes and move the right edge."""
    index = head.size
    known = {(level, i): bytes.fromhex(h) for level, i, h in head.frontier}
    created = merkle.new_nodes(index, leaf, lambda level, i: known[(level, i)])
    Node.objects.bulk_create(Node(level=level, index=i, hash=h.hex()) for level, i, h in created)
    for level, i, h in created:
        known[(level, i)] = h
    size = index + 1
    frontier = right_edge(size, known)
    head.size = size
    head.frontier = frontier
    head.save(update_fields=["size", "frontier"])


def event_record(
    *, kind: str, subject: models.Model, acting_user=None, agency=None, data: dict | None = None
) -> Event:
    """Append one event for `subject`, as the next leaf of the ledger. Must run inside the
    transaction of the change it records, so that both commit or neither does.

    Raises RuntimeError when called outside a transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger events must be written inside the transaction of the change")
    if agency is None:
        agency = getattr(subject, "agency", None)
    head = _head_for_update()
    event = Event(
        index=head.size,
        kind=kind,
        actor=acting_user if getattr(acting_user, "pk", None) else None,
        agency=agency,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        data=data or {},
        created_at=timezone.now(),
    )
    entry = entry_of(event)
    leaf = merkle.leaf_hash(entry)
    event.entry = entry.decode()
    event.leaf_hash = leaf.hex()
    event.save()
    _append(head, leaf)
    return event


def stored_node(level: int, index: int) -> bytes:
    return bytes.fromhex(Node.objects.only("hash").get(level=level, index=index).hash)


@transaction.atomic
def checkpoint_sign() -> Checkpoint:
    """Sign the current tree head (C2SP checkpoint). Signing the same size twice returns the
    existing checkpoint: a size has one root."""
    head = _head_for_update()
    existing = Checkpoint.objects.filter(size=head.size).first()
    if existing:
        return existing
    root = merkle.tree_root(head.size, stored_node)
    signer, _ = signing_keys()
    from django.conf import settings

    note = sign_note(checkpoint_text(settings.ZHIFA_LEDGER_ORIGIN, head.size, root), signer)
    return Checkpoint.objects.create(size=head.size, root_hash=root.hex(), note=note)


def checkpoint_sign_if_due(*, max_age: timedelta) -> Checkpoint | None:
    """Sign the tree head when events were added since the last checkpoint and that one is older
    than `max_age` (the periodic signing that `zhifa serve` runs). Returns the new checkpoint."""
    head = Head.objects.filter(pk=1).first()
    latest = Checkpoint.objects.order_by("-size").first()
    if head is None or head.size == 0 or (latest and latest.size >= head.size):
        return None
    if latest and timezone.now() - latest.created_at < max_age:
        return None
    return checkpoint_sign()
