"""The exact bytes of a ledger leaf. Changing this format breaks verification of existing logs:
add a new version number instead."""

import json
from datetime import UTC

ENTRY_VERSION = 1


def canonical_json(value) -> bytes:
    """Sorted keys, no spaces, UTF-8: one byte string for one value, on any machine."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def entry_bytes(
    *, index: int, kind: str, created_at, actor_id, agency_id, subject_type: str, subject_id: str, data: dict
) -> bytes:
    entry = {
        "v": ENTRY_VERSION,
        "index": index,
        "kind": kind,
        "time": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "agency": agency_id,
        "subject": f"{subject_type}:{subject_id}",
        "data": data,
    }
    if isinstance(data.get("sha256"), str):
        entry["sha256"] = data["sha256"]  # the blob this event is about, for `verify_bundle.py --file`
    return canonical_json(entry)


def entry_of(event) -> bytes:
    """Recompute an event row's entry from its fields (what verification compares)."""
    return entry_bytes(
        index=event.index,
        kind=event.kind,
        created_at=event.created_at,
        actor_id=event.actor_id,
        agency_id=event.agency_id,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        data=event.data,
    )
