"""`zhifa backup` → wipe → `zhifa restore` → verified, on whichever engine the run uses (CI runs
this file on SQLite and on PostgreSQL): the restored ledger verifies, its root equals the one a
witness cosigned, and every file is back under its hash."""

import hashlib
import json
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ledger.models import Checkpoint, Cosignature, Event
from ledger.note import generate_cosigner
from ledger.tests.test_witness import _serving
from records.models import Record, RecordVersion
from records.services import record_ingest
from records.storage import blob_store
from records.tests.clips import make_pdf

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _wipe(data_dir) -> None:
    """Lose the install: every table dropped, every stored file deleted."""
    tables = connection.introspection.django_table_names(include_views=False)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TABLE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
    shutil.rmtree(data_dir / "blobs")


@pytest.fixture
def witness(tmp_path, settings):
    signer, vkey = generate_cosigner("witness.test/backup")
    with _serving(tmp_path / "witness.json", signer) as server:
        settings.ZHIFA_LEDGER_WITNESSES = [f"{server.url} {vkey}"]
        yield server


def test_backup_wipe_restore_verifies_against_the_witnessed_root(make_staff, tmp_path, _data_dir, witness):
    officer = make_staff("officer")
    digests = []
    for name in ("询问笔录", "现场检查笔录"):
        path = make_pdf(tmp_path / f"{name}.pdf", text=name.encode().hex())
        record_ingest(acting_user=officer, section=officer.section, path=path, original_name=path.name)
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    out = tmp_path / "backup"
    printed = _run("backup", str(out))
    assert "备份完成" in printed and "文件已备份：2 个" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    cosigned = manifest["ledger"]["cosigned"]
    assert cosigned["witnesses"] == ["witness.test/backup"] and cosigned["size"] == Event.objects.count()
    assert sorted(b["sha256"] for b in manifest["blobs"]) == sorted(digests)
    events = list(Event.objects.order_by("index").values_list("index", "leaf_hash"))

    # A second backup into the same folder is refused: an older backup is never overwritten.
    with pytest.raises(CommandError, match="已存在且不为空"):
        _run("backup", str(out))
    # Restoring over a live install needs --force, and changes nothing without it.
    with pytest.raises(CommandError, match="--force"):
        _run("restore", str(out))

    _wipe(_data_dir)
    printed = _run("restore", str(out))
    assert "核验通过" in printed
    assert f"大小 {cosigned['size']}，根哈希 {cosigned['root']}" in printed
    assert list(Event.objects.order_by("index").values_list("index", "leaf_hash")) == events
    assert Record.objects.count() == 2 and Cosignature.objects.count() >= 1
    assert Checkpoint.objects.get(size=cosigned["size"]).root_hash == cosigned["root"]
    store = blob_store()
    for version in RecordVersion.objects.all():
        assert store.rehash(version.sha256) == version.sha256
    assert "核验通过" in _run("ledger", "verify")


def test_a_damaged_backup_is_refused_before_anything_changes(make_staff, tmp_path, _data_dir):
    officer = make_staff("officer")
    path = make_pdf(tmp_path / "笔录.pdf", text="ab")
    record_ingest(acting_user=officer, section=officer.section, path=path, original_name=path.name)
    out = tmp_path / "backup"
    _run("backup", str(out))
    (blob,) = json.loads((out / "manifest.json").read_text())["blobs"]
    sha = blob["sha256"]
    (out / "blobs" / sha[:2] / sha[2:4] / sha).write_bytes(b"tampered")
    before = Event.objects.count()
    with pytest.raises(CommandError, match="已损坏"):
        _run("restore", "--force", str(out))
    assert Event.objects.count() == before and Record.objects.count() == 1


def test_restore_to_a_moment_needs_postgresql_and_a_base_backup(make_staff, tmp_path):
    """On either engine: a backup without a base backup (no WAL archive) is refused clearly."""
    officer = make_staff("officer")
    path = make_pdf(tmp_path / "笔录.pdf", text="ab")
    record_ingest(acting_user=officer, section=officer.section, path=path, original_name=path.name)
    out = tmp_path / "backup"
    _run("backup", str(out))
    before = Event.objects.count()
    expected = "没有基础备份" if connection.vendor == "postgresql" else "只适用于 PostgreSQL"
    with pytest.raises(CommandError, match=expected):
        _run("restore", str(out), "--to-time", "2026-12-02 10:00:00+08", "--pgdata", str(tmp_path),
             "--wal-archive", str(tmp_path))
    with pytest.raises(CommandError, match="同时给出 --to-time"):
        _run("restore", str(out), "--pgdata", str(tmp_path))
    assert Event.objects.count() == before
