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


# The event columns an entry is made of, in the order entry_of_values takes them (a `values_list`).
ENTRY_COLUMNS = ("kind", "created_at", "actor_id", "agency_id", "subject_type", "subject_id", "data")


def entry_of_values(index: int, values) -> bytes:
    """The entry numbered `index` of an event whose ENTRY_COLUMNS values are given in that order
    (the sequencer numbering a waiting row, verification recomputing a numbered one)."""
    return entry_bytes(index=index, **dict(zip(ENTRY_COLUMNS, values, strict=True)))


def entry_of(event) -> bytes:
    """Recompute an event row's entry from its fields (what verification compares)."""
    return entry_of_values(event.index, [getattr(event, column) for column in ENTRY_COLUMNS])
