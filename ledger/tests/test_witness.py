"""Checkpoints that leave the database: witnesses (c2sp.org/tlog-witness) started on loopback in the
test cosign consistent checkpoints and refuse rolled-back or forked ones; a witness that is down
blocks nothing and is tried again; `zhifa ledger verify --against` names what a rollback lost."""

import base64
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from ledger import merkle, witness
from ledger.keys import signing_keys, verifier_key
from ledger.models import Checkpoint, Cosignature, Event, Head, Node, Witness
from ledger.note import (
    NoteError,
    checkpoint_text,
    cosign,
    cosignatures_in,
    generate_cosigner,
    generate_signer,
    open_note,
    sign_note,
)
from ledger.selectors import published_note
from ledger.services import checkpoint_sign, checkpoint_sign_if_due, event_record, right_edge, stored_node
from ledger.verify import verify_ledger

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "zhifa.local/ledger"


def _events(agency, n):
    with transaction.atomic():
        return [event_record(kind="test.event", subject=agency, data={"n": i}) for i in range(n)]


@contextmanager
def _serving(state: Path, signer: str, port: int = 0, clock=time.time):
    """A witness on loopback for the length of the block (and never longer than a minute)."""
    server = witness.WitnessServer(
        witness.Witness(signer_key=signer, logs={ORIGIN: [verifier_key()]}, state_path=state, clock=clock),
        "127.0.0.1",
        port,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    guard = threading.Timer(60, server.shutdown)
    guard.daemon = True
    guard.start()
    try:
        yield server
    finally:
        guard.cancel()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def witness_key():
    return generate_cosigner("witness.test/w1")


@pytest.fixture
def running(witness_key, tmp_path, settings):
    signer, vkey = witness_key
    with _serving(tmp_path / "witness.json", signer) as server:
        settings.ZHIFA_LEDGER_WITNESSES = [f"{server.url} {vkey}"]
        yield server


def _sign(capture):
    with capture(execute=True):
        return checkpoint_sign()


def _note(size: int, root: bytes, signer: str | None = None) -> str:
    return sign_note(checkpoint_text(ORIGIN, size, root), signer or signing_keys()[0])


# --- cosignatures --------------------------------------------------------------------------------


def test_a_cosignature_verifies_and_breaks_when_the_checkpoint_changes(witness_key):
    signer, vkey = witness_key
    note = _note(5, b"\x11" * 32)
    text = open_note(note, verifier_key())
    cosigned = cosignatures_in(note + cosign(text, signer, 1_760_000_000), vkey)
    assert [(c.name, c.timestamp) for c in cosigned] == [("witness.test/w1", 1_760_000_000)]
    assert cosignatures_in(note, vkey) == []  # none by this key
    forged = _note(5, b"\x22" * 32)
    with pytest.raises(NoteError, match="副署与检查点不符"):
        cosignatures_in(forged + cosign(text, signer, 1_760_000_000), vkey)
    # The server's own signature still verifies with the cosignature line after it.
    assert open_note(note + cosign(text, signer, 1), verifier_key()) == text


# --- the witness ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_witness_cosigns_consistent_checkpoints_and_refuses_a_rolled_back_or_forked_one(
    agency, running, witness_key, tmp_path, django_capture_on_commit_callbacks, login, make_staff
):
    _, vkey = witness_key
    _events(agency, 10)
    first = _sign(django_capture_on_commit_callbacks)
    _events(agency, 7)
    second = _sign(django_capture_on_commit_callbacks)
    for checkpoint in (first, second):
        (cosigned,) = cosignatures_in(published_note(checkpoint), vkey)
        assert cosigned.name == "witness.test/w1"
    assert Witness.objects.get().size == second.size and Witness.objects.get().failures == 0

    def submit(old, note, proof=()):
        return witness.submit(running.url, old_size=old, proof=list(proof), note=note, timeout=5)

    # Rolled back: a smaller checkpoint, from the size the witness holds or from the older one.
    old_note = _note(first.size, bytes.fromhex(first.root_hash))
    assert (submit(second.size, old_note).status, submit(first.size, old_note).status) == (400, 409)
    reply = submit(0, old_note)
    assert reply.status == 409 and reply.content_type.startswith("text/x.tlog.size")
    assert reply.body == f"{second.size}\n"
    # Forked: the same size with another root, or a bigger tree whose proof does not hold.
    assert submit(second.size, _note(second.size, b"\x01" * 32)).status == 409
    proof = merkle.consistency_proof(first.size, second.size, stored_node)
    assert submit(second.size, _note(second.size + 3, b"\x02" * 32), proof).status == 422
    # Another log, or a checkpoint signed with a key the witness does not trust.
    assert submit(0, sign_note(checkpoint_text("other.log", 1, b"\x03" * 32), generate_signer("other.log")[0])).status == 404
    assert submit(second.size, _note(second.size + 1, b"\x04" * 32, generate_signer(ORIGIN)[0])).status == 403
    for body in (b"old 01\n\n" + old_note.encode(), b"old 0\n!!\n\n" + old_note.encode(), b"\xff"):
        assert witness._http(running.url + "/add-checkpoint", timeout=5, limit=999, data=body).status == 400
    # It still holds the second checkpoint, and kept the refusals as evidence.
    kept = witness.fetch_note(witness.witness_checkpoint_url(running.url, ORIGIN), timeout=5)
    assert open_note(kept, verifier_key()).split("\n")[1] == str(second.size)
    assert cosignatures_in(kept, vkey)
    state = running.witness.state
    assert {r["reason"][:2] for r in state["refused"]} >= {"回退", "分叉", "一致"}
    # zhifa's own view: the ledger page shows the witness, verify checks the stored cosignatures.
    body = login(make_staff("officer")).get("/ledger/").content.decode()
    assert "witness.test/w1" in body and "正常" in body
    assert verify_ledger() == []
    Cosignature.objects.filter(checkpoint=first).update(line=Cosignature.objects.get(checkpoint=second).line)
    assert [str(f) for f in verify_ledger()] == [
        f"检查点（大小 {first.size}）：见证方 witness.test/w1 的副署无效：witness.test/w1 的副署与检查点不符（检查点或副署已被改动）"
    ]


@pytest.mark.django_db
def test_a_cosignature_dated_in_the_future_is_not_taken(
    agency, witness_key, tmp_path, settings, django_capture_on_commit_callbacks
):
    signer, vkey = witness_key
    with _serving(tmp_path / "w.json", signer, clock=lambda: time.time() + 3600) as server:
        settings.ZHIFA_LEDGER_WITNESSES = [f"{server.url} {vkey}"]
        _events(agency, 2)
        checkpoint = _sign(django_capture_on_commit_callbacks)
    assert not checkpoint.cosignatures.exists() and "副署时间晚于本机当前时间" in Witness.objects.get().last_error


@pytest.mark.django_db
def test_a_witness_that_is_down_blocks_no_write_and_is_tried_again(
    agency, witness_key, tmp_path, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    signer, vkey = witness_key
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ZHIFA_LEDGER_WITNESSES = [f"http://127.0.0.1:{port} {vkey}"]
    _events(agency, 4)
    checkpoint = _sign(django_capture_on_commit_callbacks)
    assert Checkpoint.objects.filter(pk=checkpoint.pk).exists()
    row = Witness.objects.get()
    assert row.failures == 1 and "无法连接" in row.last_error and not Cosignature.objects.exists()
    status = StringIO()
    call_command("ledger", "status", stdout=status)
    assert "见证方 witness.test/w1" in status.getvalue() and "连续 1 次未副署" in status.getvalue()
    _events(agency, 1)  # writes go on
    with _serving(tmp_path / "w.json", signer, port), django_capture_on_commit_callbacks(execute=True):
        assert checkpoint_sign_if_due(max_age=timedelta(hours=1)) is None  # nothing due: retry only
    row.refresh_from_db()
    assert row.failures == 0 and row.size == checkpoint.size
    assert Cosignature.objects.get().checkpoint == checkpoint


# --- rollback below a witnessed checkpoint ------------------------------------------------------


def _roll_back(size: int) -> None:
    """What someone with the database does: remove the newest events, their subtrees, the head's
    memory of them and every checkpoint above `size`, leaving a ledger that verifies on its own."""
    Event.objects.filter(index__gte=size).delete()
    for node in Node.objects.all():
        if (node.index + 1) << node.level > size:
            node.delete()
    Cosignature.objects.filter(checkpoint__size__gt=size).delete()
    Checkpoint.objects.filter(size__gt=size).delete()
    known = {(n.level, n.index): bytes.fromhex(n.hash) for n in Node.objects.all()}
    Head.objects.filter(pk=1).update(size=size, frontier=right_edge(size, known))
    Witness.objects.update(size=0)


def _verify(*args):
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("ledger", "verify", *args, stdout=out, stderr=StringIO())
    return exc.value, out.getvalue()


@pytest.mark.django_db
def test_a_rollback_below_a_witnessed_checkpoint_fails_verify_against_the_witness_naming_the_range(
    agency, running, tmp_path, django_capture_on_commit_callbacks
):
    _events(agency, 20)
    earlier = _sign(django_capture_on_commit_callbacks)
    _events(agency, 30)
    witnessed = _sign(django_capture_on_commit_callbacks)
    assert witnessed.cosignatures.count() == 1
    kept = tmp_path / "checkpoint.txt"
    kept.write_text(published_note(witnessed))
    total = witnessed.size
    lost_from = total - 25

    _roll_back(lost_from)
    assert verify_ledger() == []  # the database alone cannot tell

    expected = f"检查点记录 {total} 条，数据库仅有 {lost_from} 条：第 {lost_from + 1}–{total} 条事件缺失"
    for against in (["--against", running.url], ["--against", str(kept)], ["--against-witnesses"]):
        error, out = _verify(*against)
        assert error.returncode == 1 and expected in out, out
    assert "带有见证方 witness.test/w1 的副署" in out

    # Writing on after the rollback forks the log: the witness refuses to cosign, and verify against
    # it says the first events no longer hash to what it holds.
    _events(agency, 40)
    forked = _sign(django_capture_on_commit_callbacks)
    assert not forked.cosignatures.exists()
    row = Witness.objects.get()
    assert row.failures == 1 and ("分叉" in row.last_error or "回退" in row.last_error)
    error, out = _verify("--against", running.url)
    assert f"数据库前 {total} 条事件的根哈希与检查点不符" in out
    # The earlier checkpoint, cosigned by the same witness, still holds: the fork lies after it.
    assert f"被改写或分叉的事件在第 {earlier.size + 1}–{total} 条之间" in out
    error, out = _verify("--against", str(kept))  # the file carries the same witness's cosignature
    assert f"被改写或分叉的事件在第 {earlier.size + 1}–{total} 条之间" in out


@pytest.mark.django_db
def test_verify_against_a_checkpoint_it_cannot_trust_or_read_says_so(agency, tmp_path):
    _events(agency, 3)
    stranger = tmp_path / "stranger.txt"
    stranger.write_text(_note(3, b"\x05" * 32, generate_signer(ORIGIN)[0]))
    with pytest.raises(CommandError, match="无法用本台账的公钥核验"):
        call_command("ledger", "verify", "--against", str(stranger), stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="无法读取"):
        call_command("ledger", "verify", "--against", str(tmp_path / "none"), stdout=StringIO())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CommandError, match="无法取得所持检查点"):
        call_command("ledger", "verify", "--against", f"http://127.0.0.1:{port}", stdout=StringIO())


@pytest.mark.django_db
def test_verify_against_a_kept_checkpoint_that_still_holds_passes(agency, tmp_path):
    _events(agency, 6)
    kept = tmp_path / "kept.txt"
    kept.write_text(checkpoint_sign().note)
    _events(agency, 2)
    out = StringIO()
    call_command("ledger", "verify", "--against", str(kept), stdout=out, stderr=StringIO())
    assert "与所持检查点（kept.txt，大小" in out.getvalue()


# --- `zhifa witness` as a command ----------------------------------------------------------------


def test_zhifa_witness_serve_runs_cosigns_and_stops_itself(tmp_path):
    env = {**os.environ, "ZHIFA_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    key = tmp_path / "witness.key"
    made = subprocess.run(
        [sys.executable, "manage.py", "witness", "key", "sfj.test/witness", "--out", str(key)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    vkey = made.stdout.strip().splitlines()[-1]
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    log_signer, log_vkey = generate_signer("test.agency/ledger")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "witness", "serve", "--key", str(key), "--state", str(tmp_path / "s.json"),
         "--log", log_vkey, "--port", "0", "--max-seconds", "30"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        url = server.stdout.readline().strip().rsplit("：", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        leaf = merkle.leaf_hash(b"first")
        note = sign_note(checkpoint_text("test.agency/ledger", 1, leaf), log_signer)
        reply = witness.submit(url, old_size=0, proof=[], note=note, timeout=10)
        assert reply.status == 200
        assert cosignatures_in(note + reply.body, vkey)[0].name == "sfj.test/witness"
        second = merkle.node_hash(leaf, merkle.leaf_hash(b"second"))
        bad = sign_note(checkpoint_text("test.agency/ledger", 2, second), log_signer)
        assert witness.submit(url, old_size=1, proof=[base64.b64decode("AA==") * 32], note=bad, timeout=10).status in (400, 422)
        assert witness.submit(url, old_size=1, proof=[merkle.leaf_hash(b"second")], note=bad, timeout=10).status == 200
    finally:
        server.terminate()
        server.wait(15)


@pytest.mark.django_db
def test_a_proof_bundle_carries_the_cosignature_and_the_offline_verifier_checks_it(
    agency, running, witness_key, tmp_path, django_capture_on_commit_callbacks
):
    import importlib.util
    import json

    from ledger.selectors import proof_bundle

    spec = importlib.util.spec_from_file_location("verify_bundle_w", ROOT / "tools" / "verify_bundle.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    _, vkey = witness_key
    events = _events(agency, 9)
    _sign(django_capture_on_commit_callbacks)
    bundle = proof_bundle(events[4])
    assert tool.verify_bundle(bundle, witness_keys=[vkey]) == []
    stranger = generate_cosigner("witness.test/w2")[1]
    assert tool.verify_bundle(bundle, witness_keys=[stranger]) == ["检查点没有见证方 witness.test/w2 的副署"]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "verify_bundle.py"), str(path), "--witness", vkey],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0 and "见证方 witness.test/w1 已副署该检查点" in result.stdout
    head, _, last = bundle["checkpoint"].rstrip("\n").rpartition(" ")
    blob = bytearray(base64.b64decode(last))
    blob[-1] ^= 1  # one bit of the witness's signature
    tampered = {**bundle, "checkpoint": f"{head} {base64.b64encode(bytes(blob)).decode()}\n"}
    assert tool.verify_bundle(tampered, witness_keys=[vkey]) == [
        "见证方 witness.test/w1 的副署与检查点不符：检查点或副署已被改动"
    ]
