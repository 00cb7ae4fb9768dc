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


# The same bytes as entry_bytes, built without a new encoder per entry (verification at province
# size). Only the data needs a JSON encoder; the other members are formatted directly, in the
# order sort_keys gives: actor, agency, data, index, kind, [sha256], subject, time, v.
_encode_data = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None,  # no circular check: data loaded from JSON cannot be circular
    json.JSONEncoder().default,
    json.encoder.encode_basestring,  # ensure_ascii=False
    None,
    ":",
    ",",
    True,  # sort_keys
    False,
    False,  # allow_nan=False: NaN raises ValueError, as in canonical_json
)
_string = json.encoder.encode_basestring


def entry_text(
    index: int, kind: str, time: str, actor_id, agency_id, subject_type: str, subject_id: str, data
) -> str | None:
    """entry_bytes(...).decode() for values as the database returns them (ids int or None, data
    loaded from JSON), with `time` already written as entry_bytes writes it (UTC, isoformat to the
    microsecond). None for values of other types: the caller then asks entry_bytes, which decides.
    Tests hold it equal to entry_bytes."""
    if type(data) is not dict or _encode_data is None or type(index) is not int:
        return None
    if not (actor_id is None or type(actor_id) is int) or not (agency_id is None or type(agency_id) is int):
        return None
    actor = "null" if actor_id is None else actor_id
    agency = "null" if agency_id is None else agency_id
    sha = data.get("sha256")
    sha = f',"sha256":{_string(sha)}' if isinstance(sha, str) else ""
    body = "".join(_encode_data(data, 0))
    subject = _string(f"{subject_type}:{subject_id}")
    return (
        f'{{"actor":{actor},"agency":{agency},"data":{body},"index":{index},"kind":{_string(kind)}{sha},'
        f'"subject":{subject},"time":"{time}","v":{ENTRY_VERSION}}}'
    )
