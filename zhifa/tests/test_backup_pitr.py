"""Point-in-time recovery on a real PostgreSQL (issue 17 item 4): `zhifa backup` takes a base
backup when WAL archiving is on, and `zhifa restore --to-time` recovers the cluster to a moment
from it and the WAL archive, puts the files back, verifies the ledger and names the events the
witness cosigned after that moment.

The test needs a second server with WAL archiving whose data directory the command may replace
(tools/pgserver.py --wal-archive), so it is marked `stack` and runs in CI's PostgreSQL pass only.
The Django connection is pointed at that server for the test (the schema copied from the test
database with pg_dump) and back at the test database afterwards.
"""

import contextlib
import datetime as dt
import hashlib
import importlib.util
import json
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from ledger.models import Checkpoint, Event, Head
from ledger.services import CheckpointRefused, checkpoint_sign, event_record
from ledger.verify import LATER, verify_ledger
from records.models import Record
from records.services import record_ingest
from records.storage import blob_store
from records.tests.clips import make_pdf
from zhifa.tests.test_backup import witness  # noqa: F401 - a witness server cosigning checkpoints

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def _pgserver():
    spec = importlib.util.spec_from_file_location("zhifa_tools_pgserver", ROOT / "tools" / "pgserver.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@contextlib.contextmanager
def _using(server):
    """Point the default connection at `server` for the block (then back at the test database)."""
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict.update(NAME="zhifa", HOST=server.host, PORT=server.port, USER="zhifa", PASSWORD="")
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)


@pytest.fixture
def archived(tmp_path):
    """A second PostgreSQL with WAL archiving on, holding the test database's schema."""
    if connection.vendor != "postgresql":
        pytest.skip("point-in-time recovery is PostgreSQL's (CI's second pass)")
    pgserver = _pgserver()
    s = connection.settings_dict
    with pgserver.running_server(log=lambda _message: None, wal_archive=True) as server:
        pgserver.copy_database(server, s, tmp_path / "schema.pgdump")
        yield server


def _ingest(officer, tmp_path, name: str) -> str:
    path = make_pdf(tmp_path / f"{name}.pdf", text=name.encode().hex())
    record_ingest(acting_user=officer, section=officer.section, path=path, original_name=path.name)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _now() -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _only_the_loss(size_a: int, size_b: int) -> None:
    """The recovered ledger is sound; verify names the witness's newer checkpoint it lacks and the
    events after the moment, as missing, not as tampered."""
    (finding,) = verify_ledger()
    assert finding.subject.startswith(LATER) and f"大小 {size_b}）" in finding.subject
    assert f"恢复点之后的 {size_b - size_a} 个事件（第 {size_a + 1}–{size_b} 条" in finding.message
    assert "这不表示现有事件被篡改" in finding.message


def test_restore_to_a_moment_keeps_what_came_before_and_names_what_was_lost(
    archived, tmp_path, _data_dir, witness  # noqa: F811
):
    from org.tests.factories import AgencyFactory, SectionFactory, StaffFactory

    out = tmp_path / "backup"
    with _using(archived):
        agency = AgencyFactory()
        officer = StaffFactory(roles=("officer",), agency=agency, section=SectionFactory(agency=agency))
        first = _ingest(officer, tmp_path, "询问笔录")
        printed = _run("backup", str(out))
        assert "基础备份已完成：base/base.tar.gz" in printed
        manifest = json.loads((out / "manifest.json").read_text())
        assert (out / "base" / "base.tar.gz").is_file() and manifest["base_backup"]["server_version"].startswith("15")
        backed_up = Head.objects.get(pk=1).size

        _ingest(officer, tmp_path, "现场检查笔录")  # events A
        size_a = Head.objects.get(pk=1).size
        moment = _now()
        time.sleep(0.05)
        _ingest(officer, tmp_path, "陈述申辩笔录")  # events B
        checkpoint_sign()  # the witness cosigns the ledger with B in it
        size_b = Head.objects.get(pk=1).size
        assert backed_up < size_a < size_b and Checkpoint.objects.filter(size=size_b).exists()

        where = ["--pgdata", str(archived.data_dir), "--wal-archive", archived.wal_archive]
        base_done = dt.datetime.fromisoformat(manifest["base_backup"]["finished_at"])
        for when, message in [
            ("上周五上午十点", "无法识别恢复时间"),
            ((_now() + dt.timedelta(hours=1)).isoformat(), "晚于现在"),
            ((base_done - dt.timedelta(seconds=5)).isoformat(), "早于该备份的基础备份完成时刻"),
        ]:
            with pytest.raises(CommandError, match=message):
                _run("restore", str(out), "--to-time", when, *where)
        with pytest.raises(CommandError, match="--wal-archive"):
            _run("restore", str(out), "--to-time", moment.isoformat(), "--pgdata", str(archived.data_dir))
        tarball = out / "base" / "base.tar.gz"
        sound = tarball.read_bytes()
        tarball.write_bytes(sound[:-100] + bytes(100))
        with pytest.raises(CommandError, match=r"基础备份 base/base\.tar\.gz 已损坏"):
            _run("restore", str(out), "--to-time", moment.isoformat(), *where)
        tarball.write_bytes(sound)
        # Refused input changed nothing: the server runs on with every event.
        assert Head.objects.get(pk=1).size == size_b and Record.objects.count() == 3

        blob_store_path = next(_data_dir.glob(f"blobs/**/{first}"))
        blob_store_path.chmod(0o600)
        blob_store_path.unlink()  # the object store lost the backed-up file too
        printed = _run("restore", str(out), "--to-time", moment.isoformat(), *where)

        assert "数据库已恢复到" in printed and "核验通过" in printed, printed
        lost = f"第 {size_b} 条事件（序号 #{size_a}）" if size_b == size_a + 1 else (
            f"第 {size_a + 1}–{size_b} 条事件（序号 #{size_a}–#{size_b - 1}）"
        )
        assert (
            f"已副署大小 {size_b} 的检查点，恢复后的台账只有 {size_a} 个事件：{lost}写于恢复时刻之后，已丢失"
        ) in printed, printed
        assert Head.objects.get(pk=1).size == size_a == Event.objects.count()
        titles = set(Record.objects.values_list("title", flat=True))
        assert {"询问笔录", "现场检查笔录"} <= titles and "陈述申辩笔录" not in titles
        assert blob_store().rehash(first) == first
        assert "zhifa ledger verify 会列出缺失的事件，也不会签署新的检查点" in printed
        _only_the_loss(size_a, size_b)
        kept = list(archived.data_dir.parent.glob("data.before-restore-*"))
        assert len(kept) == 1 and (kept[0] / "PG_VERSION").is_file()  # the old cluster is kept aside

        # To a moment after the last transaction (here: now): the end of the WAL, on the new timeline.
        printed = _run("restore", str(out), "--to-time", _now().isoformat(), *where)
        assert "目标时刻之后再无事务" in printed and "核验通过" in printed, printed
        assert Head.objects.get(pk=1).size == size_a
        _only_the_loss(size_a, size_b)
        assert len(list(archived.data_dir.parent.glob("data.before-restore-*"))) == 2

        # A new event after the recovery is recorded, but no checkpoint forks from the witnessed one.
        with transaction.atomic():
            event_record(kind="test.after_restore", subject=agency, data={})
        assert Head.objects.get(pk=1).size == size_a + 1
        signed = Checkpoint.objects.count()
        with pytest.raises(CheckpointRefused, match=f"已副署大小 {size_b} 的检查点"):
            checkpoint_sign()
        assert Checkpoint.objects.count() == signed

