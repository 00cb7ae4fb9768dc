"""`zhifa ledger verify` over the records vault (a changed stored file, an edited ledger row), and
proof bundles for a record checked offline with tools/verify_bundle.py, the file included."""

import base64
import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ledger.models import Event
from ledger.selectors import proof_bundle
from records.services import record_ingest
from records.storage import blob_store
from records.tests.clips import make_pdf, make_video

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "verify_bundle.py"
T0 = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)


def _verifier():
    spec = importlib.util.spec_from_file_location("zhifa_verify_bundle", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def records(make_staff, section, tmp_path):
    officer = make_staff("officer")
    versions = []
    for name, path in [
        ("现场检查录像", make_video(tmp_path / "a.mp4", seconds=1, creation_time=T0)),
        ("询问笔录", make_pdf(tmp_path / "b.pdf", text="interview")),
    ]:
        versions.append(
            record_ingest(
                acting_user=officer, section=section, path=path, original_name=path.name, title=name
            ).version
        )
    return versions


def _verify():
    out, err = StringIO(), StringIO()
    try:
        call_command("ledger", "verify", stdout=out, stderr=err)
    except CommandError as exc:
        return exc, out.getvalue()
    return None, out.getvalue()


def test_an_untouched_vault_verifies(records):
    error, out = _verify()
    assert error is None, out
    events = Event.objects.count()
    assert out.startswith(f"核验通过：{events} 个事件")


def test_a_changed_byte_in_a_stored_file_names_the_record(records):
    version = records[0]
    path = blob_store().path(version.sha256)
    path.chmod(0o644)  # the store keeps files read-only; someone with access to the disk changes that
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    error, out = _verify()
    assert isinstance(error, CommandError)
    assert "核验未通过：发现 1 处问题" in str(error)
    assert f"记录 #{version.record_id}“现场检查录像”第1版" in out
    assert "文件内容被改动" in out and version.sha256 in out
    assert hashlib.sha256(bytes(data)).hexdigest() in out
    assert "询问笔录" not in out


def test_a_missing_stored_file_names_the_record(records):
    version = records[1]
    path = blob_store().path(version.sha256)
    path.unlink()
    error, out = _verify()
    assert isinstance(error, CommandError)
    assert f"记录 #{version.record_id}“询问笔录”第1版" in out and "已不在存储中" in out


def test_an_edited_ledger_row_is_named_by_its_index(records):
    call_command("ledger", "checkpoint", stdout=StringIO())
    event = Event.objects.get(kind="record.create", subject_id=str(records[0].record_id))
    forged = {**event.data, "name": "别的文件.mp4"}
    Event.objects.filter(pk=event.pk).update(data=forged)

    error, out = _verify()
    assert isinstance(error, CommandError)
    assert f"台账事件 #{event.index}（record.create，records.record:{records[0].record_id}）" in out
    assert "记录被修改" in out
    # Only that event is named; the signed checkpoint no longer matches either.
    assert set(re.findall(r"台账事件 #(\d+)", out)) == {str(event.index)}
    assert "重新计算的根哈希与已签名的不一致" in out


def test_a_proof_bundle_for_a_record_verifies_offline_with_the_file(records, tmp_path):
    version = records[0]
    event = Event.objects.get(kind="record.create", subject_id=str(version.record_id))
    bundle = proof_bundle(event)
    stored = blob_store().path(version.sha256)

    # In process, with the stdlib-only verifier.
    verifier = _verifier()
    assert verifier.verify_bundle(bundle) == []
    assert verifier.verify_bundle(bundle, file_path=str(stored)) == []

    # As a script, the way a court or a party would run it.
    bundle_file = tmp_path / "证明包.json"
    bundle_file.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    ok = subprocess.run(
        [sys.executable, str(SCRIPT), str(bundle_file), "--file", str(stored)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # One byte changed in a copy of the file: the proof no longer covers it.
    copy = tmp_path / "副本.mp4"
    shutil.copyfile(stored, copy)
    data = bytearray(copy.read_bytes())
    data[0] ^= 0xFF
    copy.write_bytes(bytes(data))
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), str(bundle_file), "--file", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    problems = verifier.verify_bundle(bundle, file_path=str(copy))
    assert problems and any("SHA-256" in p or "sha256" in p for p in problems), problems

    # The bundle of another record's event does not vouch for this file.
    other = Event.objects.get(kind="record.create", subject_id=str(records[1].record_id))
    assert verifier.verify_bundle(proof_bundle(other), file_path=str(stored)) != []


def test_a_bundle_with_an_edited_entry_fails(records):
    event = Event.objects.get(kind="record.create", subject_id=str(records[0].record_id))
    bundle = proof_bundle(event)
    entry = json.loads(base64.b64decode(bundle["leaf"]["entry"]))
    entry["data"]["name"] = "伪造.mp4"
    bundle["leaf"]["entry"] = base64.b64encode(json.dumps(entry, ensure_ascii=False).encode()).decode()
    assert _verifier().verify_bundle(bundle) != []
