"""Temporary files of killed stores are removed when a writing process starts, and only those: a
put still running in another process keeps its file, a stored blob is never touched."""

import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from records.blobstore import FileSystemBlobStore

ROOT = Path(__file__).resolve().parents[2]
PUT_FROM_STDIN = """
import sys
from records.blobstore import FileSystemBlobStore
print(FileSystemBlobStore(sys.argv[1]).put(sys.stdin.buffer).sha256, flush=True)
"""
HOURS_AGO = time.time() - 2 * 3600


def _putter(root: Path) -> subprocess.Popen:
    """A put in its own process, reading its content from a pipe: it waits, its temporary file open."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(PUT_FROM_STDIN), str(root)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )


def _new_temp(temp_dir: Path, known: set[Path]) -> Path:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        fresh = set(temp_dir.glob("*.part")) - known if temp_dir.is_dir() else set()
        if fresh:
            (path,) = fresh
            return path
        time.sleep(0.01)
    raise AssertionError("the child never created its temporary file")


def test_cleanup_removes_a_killed_put_s_file_and_keeps_a_running_one(tmp_path):
    root = tmp_path / "store"
    store = FileSystemBlobStore(root)
    stored = store.put(io.BytesIO(b"a stored blob"))
    temp_dir = root / "tmp"

    running = _putter(root)
    running_temp = _new_temp(temp_dir, set())
    killed = _putter(root)
    killed_temp = _new_temp(temp_dir, {running_temp})
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    for path in (running_temp, killed_temp):
        os.utime(path, (HOURS_AGO, HOURS_AGO))  # both look abandoned by their age alone

    assert store.cleanup_temp() == 1
    assert not killed_temp.exists() and running_temp.exists()
    assert store.exists(stored.sha256)

    # The running put finishes undisturbed.
    content = b"evidence" * 1000
    out, _ = running.communicate(content, timeout=30)
    assert running.returncode == 0
    assert out.decode().strip() == hashlib.sha256(content).hexdigest()
    assert store.open(hashlib.sha256(content).hexdigest()).read() == content
    assert list(temp_dir.iterdir()) == []


def test_a_fresh_unlocked_file_is_left_for_its_grace_period(tmp_path):
    store = FileSystemBlobStore(tmp_path / "store")
    temp = tmp_path / "store" / "tmp" / ("c" * 32 + ".part")
    temp.parent.mkdir(parents=True)
    temp.write_bytes(b"just created, not yet locked")
    assert store.cleanup_temp() == 0 and temp.exists()


def test_the_s3_spool_of_a_killed_put_is_removed_too(tmp_path):
    from records.blobstore import S3BlobStore

    spool = tmp_path / "spool"
    spool.mkdir()
    left = spool / ("d" * 32 + ".part")
    left.write_bytes(b"half")
    os.utime(left, (HOURS_AGO, HOURS_AGO))
    store = S3BlobStore("zhifa-bucket", endpoint_url="http://127.0.0.1:9", spool_dir=spool)
    assert store.cleanup_temp() == 1 and not left.exists()


def test_the_server_clears_leftovers_when_it_starts(tmp_path):
    data = tmp_path / "data"
    left = data / "blobs" / "tmp" / ("e" * 32 + ".part")
    left.parent.mkdir(parents=True)
    left.write_bytes(b"half a clip")
    os.utime(left, (HOURS_AGO, HOURS_AGO))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZHIFA_BLOB_STORE", "ZHIFA_ENV")}
    env.update(ZHIFA_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="zhifa.settings", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", "import zhifa.wsgi"], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    assert not left.exists()


def test_zhifa_ingest_clears_leftovers_when_it_starts(tmp_path, _data_dir, db):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    left = _data_dir / "blobs" / "tmp" / ("f" * 32 + ".part")
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_bytes(b"half a clip")
    os.utime(left, (HOURS_AGO, HOURS_AGO))
    err = StringIO()
    with pytest.raises(CommandError, match="未登记"):  # the cleanup comes first all the same
        call_command("ingest", str(tmp_path), "--device", "DSJ-404", stdout=StringIO(), stderr=err)
    assert not left.exists()
    assert "已清理 1 个中断的存储留下的暂存文件" in err.getvalue()
