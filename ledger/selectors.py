"""Reads of the ledger: events of a subject, checkpoints, and proof bundles a court can check offline."""

import base64

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, QuerySet

from ledger import merkle
from ledger.keys import verifier_key
from ledger.models import Checkpoint, Event
from ledger.services import checkpoint_sign, stored_node

BUNDLE_FORMAT = "zhifa-proof-bundle/1"


def events_of(subject: models.Model) -> QuerySet[Event]:
    """The history of one object (callers check that the viewer may see the object)."""
    return (
        Event.objects.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk))
        .select_related("actor")
        .order_by(F("index").asc(nulls_last=True), "id")  # 待入账 (not yet numbered) last
    )


def latest_checkpoint(*, covering: int | None = None) -> Checkpoint:
    """The newest signed checkpoint; signs one when none covers leaf `covering` yet."""
    checkpoint = Checkpoint.objects.order_by("-size").first()
    if checkpoint is None or (covering is not None and checkpoint.size <= covering):
        checkpoint = checkpoint_sign()
    return checkpoint


def published_note(checkpoint: Checkpoint) -> str:
    """The checkpoint as published: the server's signed note followed by every witness's
    cosignature line (c2sp.org/tlog-cosignature), so a reader can check both."""
    lines = checkpoint.cosignatures.order_by("witness").values_list("line", flat=True)
    return checkpoint.note + "".join(lines)


def published_checkpoints() -> QuerySet[Checkpoint]:
    """Every signed checkpoint, newest first, with its cosignatures."""
    return Checkpoint.objects.order_by("-size", "-id").prefetch_related("cosignatures")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def integrated(event: Event) -> Event:
    """`event` with its leaf number. One the sequencer has not reached yet (待入账) is integrated at
    once, with every other committed event waiting (Tessera's synchronous integration): an export
    may prove an event it has just written. This takes the sequencer's lock until the caller's
    transaction ends, so it belongs to exports and proof downloads, never to the write path."""
    if event.index is None:
        event.refresh_from_db(fields=["index", "entry", "leaf_hash"])
    if event.index is None:
        from ledger.sequencer import integrate_all

        integrate_all(wait=True, sign=False)
        event.refresh_from_db(fields=["index", "entry", "leaf_hash"])
    if event.index is None:
        raise ValidationError("该台账事件待入账（尚未编入台账），暂无证明；请稍后再试。")
    return event


def proof_bundle(event: Event, *, since: Checkpoint | None = None) -> dict:
    """Everything needed to prove offline that `event` is in the signed log (tools/verify_bundle.py)."""
    event = integrated(event)
    checkpoint = latest_checkpoint(covering=event.index)
    bundle = {
        "format": BUNDLE_FORMAT,
        "verifier_key": verifier_key(),
        "checkpoint": published_note(checkpoint),
        "leaf": {"index": event.index, "entry": _b64(event.entry.encode())},
        "inclusion_proof": [
            _b64(h) for h in merkle.inclusion_proof(event.index, checkpoint.size, stored_node)
        ],
    }
    if since is not None and since.size < checkpoint.size:
        bundle["consistency"] = [
            {
                "old_checkpoint": since.note,
                "proof": [
                    _b64(h) for h in merkle.consistency_proof(since.size, checkpoint.size, stored_node)
                ],
            }
        ]
    return bundle


def consistency(old: Checkpoint, new: Checkpoint) -> list[str]:
    return [_b64(h) for h in merkle.consistency_proof(old.size, new.size, stored_node)]
