"""records.blobstore: write-once, SHA-256-addressed storage on a folder and on S3 (moto).

Real files in tmp_path; no database. The S3 tests use a moto server in a child process
(records/tests/conftest.py), so memory measured here is the client's alone.
"""

import datetime as dt
import errno
import hashlib
import io
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from records.blobstore import (
    WRITE_SIZE,
    BlobInfo,
    BlobNotFoundError,
    BlobStoreConfigError,
    BlobStoreError,
    FileSystemBlobStore,
    S3BlobStore,
    blobstore_from_url,
)

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


def random_file(path: Path, size: int, seed: int = 0) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def sparse_file(path: Path, size: int, seed: int = 0) -> Path:
    """A large file that costs nothing to make: holes, with a few random blocks in it."""
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        fh.truncate(size)
        for offset in sorted(rng.randrange(0, size - 4096) for _ in range(16)):
            fh.seek(offset)
            fh.write(rng.randbytes(4096))
    return path


def sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "sha256").rglob("*") if p.is_file())


def run_child(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# --- file system ---------------------------------------------------------------------------------------------


def test_put_stores_the_file_read_only_under_its_hash(tmp_path):
    source = random_file(tmp_path / "clip.mp4", 3 * MiB + 123)
    store = FileSystemBlobStore(tmp_path / "store")

    info = store.put(source)

    expected = sha256_of(source)
    assert info == BlobInfo(expected, source.stat().st_size, existed=False)
    path = tmp_path / "store" / "sha256" / expected[:2] / expected[2:4] / expected
    assert store.path(expected) == path
    assert store.location(expected) == str(path)
    assert stored_files(tmp_path / "store") == [path]
    assert path.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    assert store.exists(expected) and store.size(expected) == info.size
    with store.open(expected) as fh:
        assert fh.read() == source.read_bytes()
    assert store.rehash(expected) == expected
    assert list(store.iter_digests()) == [expected]
    assert "本地文件存储" in store.describe()


def test_same_content_again_is_recognised_and_the_original_left_alone(tmp_path):
    source = random_file(tmp_path / "scan.pdf", 2 * MiB)
    store = FileSystemBlobStore(tmp_path / "store")
    first = store.put(source)
    before = store.path(first.sha256).stat()

    again = store.put(io.BytesIO(source.read_bytes()))
    from_path = store.put(str(source))

    assert again == from_path == BlobInfo(first.sha256, first.size, existed=True)
    after = store.path(first.sha256).stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_nlink) == (before.st_ino, before.st_mtime_ns, 1)
    assert len(stored_files(tmp_path / "store")) == 1
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


class ReadOnlyStream:
    """A stream without readinto that hands out data in small, uneven pieces."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def read(self, n: int) -> bytes:
        n = min(n, random.randint(1, 70_000))
        piece = self.data[self.pos : self.pos + n]
        self.pos += len(piece)
        return piece


@pytest.mark.parametrize("kind", ["path", "str", "open file", "BytesIO", "read-only stream", "raw file"])
def test_put_from_paths_and_streams(tmp_path, kind):
    source = random_file(tmp_path / "in.bin", MiB + 17, seed=3)
    data = source.read_bytes()
    store = FileSystemBlobStore(tmp_path / "store", chunk_size=256 * 1024)
    if kind == "path":
        info = store.put(source)
    elif kind == "str":
        info = store.put(str(source))
    elif kind == "open file":
        with open(source, "rb") as fh:
            info = store.put(fh)
    elif kind == "raw file":
        with open(source, "rb", buffering=0) as fh:
            info = store.put(fh)
    elif kind == "BytesIO":
        info = store.put(io.BytesIO(data))
    else:
        info = store.put(ReadOnlyStream(data))
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert store.path(info.sha256).read_bytes() == data


@pytest.mark.parametrize("write_size", [1000, 8192, 4 * MiB])
def test_put_writes_in_slices_and_survives_short_writes(tmp_path, monkeypatch, write_size):
    """Each chunk goes to write() in slices; a write() that takes fewer bytes is continued."""
    source = random_file(tmp_path / "in.bin", MiB + 4321, seed=5)
    real_write, sizes = os.write, []

    def short_write(fd, data):
        sizes.append(len(data))
        return real_write(fd, bytes(data[: max(1, len(data) * 3 // 4)]))

    monkeypatch.setattr(os, "write", short_write)
    store = FileSystemBlobStore(tmp_path / "store", chunk_size=256 * 1024, write_size=write_size)
    info = store.put(source)
    monkeypatch.undo()
    assert store.path(info.sha256).read_bytes() == source.read_bytes()
    assert max(sizes) == min(write_size, 256 * 1024)


def test_empty_file(tmp_path):
    store = FileSystemBlobStore(tmp_path / "store")
    info = store.put(io.BytesIO(b""))
    assert info == BlobInfo(hashlib.sha256(b"").hexdigest(), 0, existed=False)
    assert store.path(info.sha256).read_bytes() == b""


def test_progress_reports_every_chunk(tmp_path):
    source = random_file(tmp_path / "in.bin", 5 * MiB + 1)
    store = FileSystemBlobStore(tmp_path / "store", chunk_size=MiB)
    calls = []
    info = store.put(source, progress=calls.append)
    assert sum(calls) == info.size == 5 * MiB + 1
    assert calls == [MiB] * 5 + [1]


def test_rehash_finds_a_flipped_byte(tmp_path):
    source = random_file(tmp_path / "in.bin", 3 * MiB)
    store = FileSystemBlobStore(tmp_path / "store")
    info = store.put(source)
    path = store.path(info.sha256)

    path.chmod(0o644)
    with open(path, "r+b") as fh:
        fh.seek(2 * MiB + 5)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0x01]))

    actual = store.rehash(info.sha256)
    assert actual != info.sha256
    assert store.size(info.sha256) == info.size


def test_existing_file_of_another_size_is_reported_not_replaced(tmp_path):
    source = random_file(tmp_path / "in.bin", MiB)
    store = FileSystemBlobStore(tmp_path / "store")
    info = store.put(source)
    path = store.path(info.sha256)
    path.chmod(0o644)
    path.write_bytes(b"truncated")

    with pytest.raises(BlobStoreError, match=r"大小为 9 字节.*可能已损坏"):
        store.put(source)
    assert path.read_bytes() == b"truncated"
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_a_concurrent_put_of_the_same_content_is_never_overwritten(tmp_path, monkeypatch):
    """Another process links the same blob between our existence check and our link."""
    source = random_file(tmp_path / "in.bin", MiB)
    store = FileSystemBlobStore(tmp_path / "store")
    other = FileSystemBlobStore(tmp_path / "store")
    real_link = os.link
    winner = {}

    def racing_link(src, dst):
        if not winner:
            monkeypatch.setattr("records.blobstore.os.link", real_link)
            winner["info"] = other.put(source)
            winner["inode"] = os.stat(dst).st_ino
        return real_link(src, dst)

    monkeypatch.setattr("records.blobstore.os.link", racing_link)
    info = store.put(source)

    assert winner["info"].existed is False
    assert info == BlobInfo(winner["info"].sha256, MiB, existed=True)
    assert store.path(info.sha256).stat().st_ino == winner["inode"]
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_file_systems_without_hard_links(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr("records.blobstore.os.link", no_links)
    source = random_file(tmp_path / "in.bin", MiB)
    store = FileSystemBlobStore(tmp_path / "store")
    info = store.put(source)
    assert info.existed is False
    assert store.path(info.sha256).read_bytes() == source.read_bytes()
    assert stat.S_IMODE(store.path(info.sha256).stat().st_mode) == 0o444
    assert store.put(source).existed is True
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_failure_midway_leaves_no_blob_and_no_temp_file(tmp_path):
    source = random_file(tmp_path / "in.bin", 4 * MiB)
    store = FileSystemBlobStore(tmp_path / "store", chunk_size=MiB)
    seen = []

    def progress(n):
        seen.append(n)
        if sum(seen) >= 2 * MiB:
            raise KeyboardInterrupt  # what an operator's Ctrl-C looks like mid-copy

    with pytest.raises(KeyboardInterrupt):
        store.put(source, progress=progress)
    assert stored_files(tmp_path / "store") == []
    assert list((tmp_path / "store" / "tmp").iterdir()) == []

    info = store.put(source)
    assert info.existed is False and store.rehash(info.sha256) == sha256_of(source)


def test_sigkill_at_a_random_moment_leaves_nothing_or_the_complete_blob(tmp_path):
    size = 200 * MiB
    source = sparse_file(tmp_path / "bodycam.mp4", size, seed=7)
    expected = sha256_of(source)
    root = tmp_path / "store"
    child_code = """
        import sys
        from records.blobstore import FileSystemBlobStore

        store = FileSystemBlobStore(sys.argv[1], chunk_size=1 << 20)
        def progress(n):
            sys.stdout.write(f"{n}\\n")
            sys.stdout.flush()
        store.put(sys.argv[2], progress=progress)
        print("done", flush=True)
    """
    rng = random.Random()
    # One kill mid-stream; one once the last chunk is written, during fsync and link or after.
    for threshold, delay in ((rng.randrange(1, size), 0.0), (size, rng.uniform(0, 0.3))):
        child = run_child(child_code, str(root), str(source))
        written = 0
        for line in child.stdout:
            if line.strip().isdigit():
                written += int(line)
            if written >= threshold:
                time.sleep(delay)
                child.send_signal(signal.SIGKILL)
                break
        child.wait(30)
        child.stdout.close()

        files = stored_files(root)
        assert files in ([], [FileSystemBlobStore(root).path(expected)]), (
            f"killed after {written} bytes: {files}"
        )
        for path in files:
            assert path.stat().st_size == size and sha256_of(path) == expected

    store = FileSystemBlobStore(root)
    left = list((root / "tmp").glob("*.part"))
    assert store.cleanup_temp(0) == len(left)
    assert list((root / "tmp").iterdir()) == []
    info = store.put(source)
    assert info.sha256 == expected and info.size == size
    assert stored_files(root) == [store.path(expected)]


def test_memory_does_not_grow_with_the_file_size(tmp_path):
    # The peak resident size of the child itself (VmHWM, reset to the current size first where
    # the kernel allows): ru_maxrss would carry over the size of this forked pytest process.
    source = sparse_file(tmp_path / "big.mp4", 300 * MiB)
    child = run_child(
        """
        import contextlib, sys
        from records.blobstore import FileSystemBlobStore

        def status(field):
            with open("/proc/self/status") as fh:
                return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))

        store = FileSystemBlobStore(sys.argv[1])
        with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        before = status("VmRSS")
        info = store.put(sys.argv[2])
        print(before, status("VmHWM"), info.size)
        """,
        str(tmp_path / "store"),
        str(source),
    )
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    before_kib, peak_kib, size = map(int, out.split())
    assert size == 300 * MiB
    growth = (peak_kib - before_kib) * 1024
    assert growth < 50 * MiB, f"peak resident size grew {growth / MiB:.1f} MiB while storing 300 MiB"


def test_cleanup_temp_removes_only_old_part_files(tmp_path):
    store = FileSystemBlobStore(tmp_path / "store")
    store.put(io.BytesIO(b"x"))
    temp = tmp_path / "store" / "tmp"
    old = temp / ("a" * 32 + ".part")
    fresh = temp / ("b" * 32 + ".part")
    other = temp / "notes.txt"
    for path in (old, fresh, other):
        path.write_bytes(b"partial")
    os.utime(old, (0, 0))
    os.utime(other, (0, 0))

    assert store.cleanup_temp(3600) == 1
    assert sorted(p.name for p in temp.iterdir()) == sorted([fresh.name, other.name])
    assert FileSystemBlobStore(tmp_path / "elsewhere").cleanup_temp() == 0


def test_missing_blobs_and_bad_hashes(tmp_path):
    store = FileSystemBlobStore(tmp_path / "store")
    missing = "0" * 64
    assert store.exists(missing) is False
    with pytest.raises(BlobNotFoundError, match="存储中没有"):
        store.open(missing)
    with pytest.raises(BlobNotFoundError):
        store.size(missing)
    with pytest.raises(BlobNotFoundError):
        store.rehash(missing)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, ""):
        with pytest.raises(BlobStoreError, match="不是有效的 SHA-256"):
            store.path(bad)
    with pytest.raises(BlobStoreError, match="找不到要存储的文件"):
        store.put(tmp_path / "nope.mp4")
    with pytest.raises(BlobStoreError, match="二进制方式"):
        store.put(io.StringIO("text"))
    assert list(store.iter_digests()) == []


# --- S3 (moto) -------------------------------------------------------------------------------------------


def head(store: S3BlobStore, sha256: str, **kwargs) -> dict:
    return store.client.head_object(Bucket=store.bucket, Key=store.key(sha256), **kwargs)


def test_s3_put_open_exists_size_rehash(s3_store, tmp_path):
    data = random.Random(1).randbytes(MiB + 5)
    expected = hashlib.sha256(data).hexdigest()
    calls = []

    info = s3_store.put(io.BytesIO(data), progress=calls.append)

    assert info == BlobInfo(expected, len(data), existed=False)
    assert sum(calls) == len(data)
    assert s3_store.key(expected) == f"sha256/{expected[:2]}/{expected[2:4]}/{expected}"
    assert (
        s3_store.location(expected)
        == f"s3://{s3_store.bucket}/sha256/{expected[:2]}/{expected[2:4]}/{expected}"
    )
    assert s3_store.exists(expected) and s3_store.size(expected) == len(data)
    body = s3_store.open(expected)
    try:
        assert body.read() == data
    finally:
        body.close()
    assert s3_store.rehash(expected) == expected
    assert list(s3_store.iter_digests()) == [expected]
    assert list(tmp_path.glob("spool-*/*")) == []
    assert not s3_store.exists("f" * 64)
    with pytest.raises(BlobNotFoundError):
        s3_store.size("f" * 64)
    with pytest.raises(BlobNotFoundError):
        s3_store.open("f" * 64)
    assert s3_store.bucket in s3_store.describe()


def test_s3_same_content_is_stored_once(s3_store, tmp_path):
    source = random_file(tmp_path / "in.bin", 300_000)
    first = s3_store.put(source)
    again = s3_store.put(io.BytesIO(source.read_bytes()))
    assert first.existed is False
    assert again == BlobInfo(first.sha256, first.size, existed=True)
    versions = s3_store.client.list_object_versions(Bucket=s3_store.bucket)["Versions"]
    assert [v["Key"] for v in versions] == [s3_store.key(first.sha256)]


def test_s3_retention_in_compliance_mode_and_locked_versions_cannot_be_deleted(s3_store):
    until = dt.date.today() + dt.timedelta(days=400)
    info = s3_store.put(io.BytesIO(b"interview recording"), retain_until=until)

    # moto 5.2.5 answers GetObjectRetention with a 500; HEAD reports the lock.
    meta = head(s3_store, info.sha256)
    assert meta["ObjectLockMode"] == "COMPLIANCE"
    assert meta["ObjectLockRetainUntilDate"] == dt.datetime(until.year, until.month, until.day, tzinfo=dt.UTC)

    client, bucket, key = s3_store.client, s3_store.bucket, s3_store.key(info.sha256)
    with pytest.raises(ClientError) as denied:
        client.delete_object(Bucket=bucket, Key=key, VersionId=meta["VersionId"])
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as denied:
        client.delete_object(
            Bucket=bucket, Key=key, VersionId=meta["VersionId"], BypassGovernanceRetention=True
        )
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # A plain delete only hides it behind a delete marker; the locked version stays readable.
    client.delete_object(Bucket=bucket, Key=key)
    assert not s3_store.exists(info.sha256)
    kept = client.get_object(Bucket=bucket, Key=key, VersionId=meta["VersionId"])["Body"].read()
    assert kept == b"interview recording"


def test_s3_putting_again_with_a_later_date_extends_the_retention(s3_store):
    soon = dt.date.today() + dt.timedelta(days=30)
    later = dt.date.today() + dt.timedelta(days=3000)
    info = s3_store.put(io.BytesIO(b"photo"), retain_until=soon)
    assert s3_store.put(io.BytesIO(b"photo"), retain_until=later).existed
    assert head(s3_store, info.sha256)["ObjectLockRetainUntilDate"].date() == later
    assert s3_store.put(io.BytesIO(b"photo"), retain_until=soon).existed
    assert head(s3_store, info.sha256)["ObjectLockRetainUntilDate"].date() == later


def test_s3_large_file_goes_through_multipart_from_disk(s3_store, tmp_path):
    source = random_file(tmp_path / "bodycam.mp4", 20 * MiB, seed=5)
    until = dt.date.today() + dt.timedelta(days=180)
    assert s3_store.multipart_threshold <= 16 * MiB and s3_store.multipart_chunksize == 8 * MiB

    tracemalloc.start()
    try:
        info = s3_store.put(source, retain_until=until)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert info.sha256 == sha256_of(source) and info.size == 20 * MiB
    meta = head(s3_store, info.sha256)
    assert meta["ETag"].strip('"').endswith("-3")  # three parts: 8 + 8 + 4 MiB
    assert meta["ContentLength"] == 20 * MiB
    assert meta["ObjectLockMode"] == "COMPLIANCE"
    assert meta["ObjectLockRetainUntilDate"].date() == until
    # Two 4 MiB hashing buffers and small reads: neither the file nor a whole part in memory.
    print(f"traced peak {peak / MiB:.1f} MiB while storing 20 MiB")
    assert peak < 12 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert s3_store.rehash(info.sha256) == info.sha256
    assert list(tmp_path.glob("spool-*/*")) == []


def test_s3_errors_are_reported_in_chinese(make_s3_store, s3_endpoint, tmp_path):
    store = make_s3_store()
    missing = S3BlobStore(
        "zhifa-no-such-bucket",
        endpoint_url=s3_endpoint,
        access_key="testing",
        secret_key="testing",
        spool_dir=tmp_path / "spool",
    )
    with pytest.raises(BlobStoreError, match="没有存储桶“zhifa-no-such-bucket”"):
        missing.put(io.BytesIO(b"x"))
    missing.multipart_threshold = missing.multipart_chunksize = 5 * MiB
    with pytest.raises(BlobStoreError, match="没有存储桶“zhifa-no-such-bucket”"):
        missing.put(io.BytesIO(bytes(6 * MiB)))
    assert list((tmp_path / "spool").iterdir()) == []

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = S3BlobStore(
        "zhifa-records",
        endpoint_url=f"http://127.0.0.1:{port}",
        access_key="testing",
        secret_key="testing",
        spool_dir=tmp_path / "spool",
        max_attempts=1,
    )
    with pytest.raises(BlobStoreError, match="无法连接对象存储服务"):
        refused.exists("0" * 64)
    with pytest.raises(BlobStoreError, match="无法连接对象存储服务"):
        refused.put(io.BytesIO(b"x"))

    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject")
    assert "无权访问" in str(store._error(denied, "上传", "sha256/x"))

    plain = S3BlobStore(
        "zhifa-test-no-lock",
        endpoint_url=s3_endpoint,
        access_key="k",
        secret_key="s",
        spool_dir=tmp_path / "s",
    )
    assert plain.ensure_bucket(object_lock=False) is True
    with pytest.raises(BlobStoreError, match="未启用对象锁定"):
        plain.ensure_bucket(object_lock=True)
    assert store.ensure_bucket(object_lock=True) is False


# --- addresses ----------------------------------------------------------------------------------------------


def test_file_addresses(tmp_path):
    def root(url):
        store = blobstore_from_url(url, data_dir=tmp_path)
        assert isinstance(store, FileSystemBlobStore)
        return store.root

    assert root("file:blobs") == tmp_path / "blobs"
    assert root("") == root(None) == tmp_path / "blobs"
    assert root("file:archive/2026") == tmp_path / "archive" / "2026"
    assert root("file:///srv/zhifa/blobs") == Path("/srv/zhifa/blobs")
    assert root("file://localhost/srv/zhifa/blobs") == Path("/srv/zhifa/blobs")
    assert root("file:/srv/zhifa/blobs") == Path("/srv/zhifa/blobs")
    assert root("FILE:%E8%AE%B0%E5%BD%95") == tmp_path / "记录"


def test_s3_addresses(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    store = blobstore_from_url(
        "s3://zhifa-records?endpoint=http://127.0.0.1:9000&region=cn-north-1&access_key=AK&secret_key=SK&prefix=evidence",
        data_dir=tmp_path,
    )
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.endpoint_url, store.region) == (
        "zhifa-records",
        "http://127.0.0.1:9000",
        "cn-north-1",
    )
    assert (store._access_key, store._secret_key, store.prefix) == ("AK", "SK", "evidence/")
    assert store.spool_dir == tmp_path / "spool"
    assert "SK" not in store.describe() and "http://127.0.0.1:9000" in store.describe()

    plain = blobstore_from_url("s3://zhifa-records", data_dir=tmp_path)
    assert (plain.endpoint_url, plain.region, plain.prefix, plain._access_key) == (
        None,
        "us-east-1",
        "sha256/",
        None,
    )

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET")
    from_env = blobstore_from_url("s3://zhifa-records?endpoint=https://s3.example.cn", data_dir=tmp_path)
    assert (from_env._access_key, from_env._secret_key) == ("ENVKEY", "ENVSECRET")


def test_write_size_from_the_address(tmp_path):
    assert blobstore_from_url("file:blobs", data_dir=tmp_path).write_size == WRITE_SIZE
    store = blobstore_from_url("file:///srv/zhifa/blobs?write_size=65536", data_dir=tmp_path)
    assert (store.root, store.write_size) == (Path("/srv/zhifa/blobs"), 65536)
    relative = blobstore_from_url("file:vault?write_size=131072", data_dir=tmp_path)
    assert (relative.root, relative.write_size) == (tmp_path / "vault", 131072)
    s3 = blobstore_from_url(
        "s3://zhifa-records?write_size=16384&access_key=A&secret_key=B", data_dir=tmp_path
    )
    assert s3.write_size == 16384


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/blobs", "不支持的存储地址类型“ftp:”"),
        ("/srv/blobs", "存储地址格式不正确"),
        ("file:", "缺少路径"),
        ("file://fileserver/blobs", "不能指定其他主机"),
        ("file:blobs?mode=x", "不认识的参数 mode"),
        ("file:blobs#x", "不能带“#”"),
        ("file:blobs?write_size=8k", "write_size 应为 4096 到 4194304 之间"),
        ("file:blobs?write_size=512", "write_size 应为"),
        ("file:blobs?write_size=1&write_size=2", "出现了多次"),
        ("s3://zhifa-records?write_size=0", "write_size 应为"),
        ("s3://", "缺少存储桶名称"),
        ("s3://Bad_Bucket", "存储桶名称无效"),
        ("s3://zhifa-records/evidence", "请用 prefix 参数"),
        ("s3://zhifa-records?endpiont=http://127.0.0.1:9000", "不认识的参数 endpiont"),
        ("s3://zhifa-records?region=a&region=b", "出现了多次"),
        ("s3://zhifa-records?endpoint=127.0.0.1:9000", "endpoint 应为 http:// 或 https://"),
        ("s3://zhifa-records?access_key=AK&secret_key=", "必须同时提供"),
        ("s3://AK:SECRET@zhifa-records", "不能在主机部分写访问密钥"),
    ],
)
def test_bad_addresses_are_explained_in_chinese(tmp_path, monkeypatch, url, message):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    with pytest.raises(BlobStoreConfigError, match=message):
        blobstore_from_url(url, data_dir=tmp_path)


def test_secret_keys_are_not_repeated_in_errors(tmp_path):
    with pytest.raises(BlobStoreConfigError) as error:
        blobstore_from_url("s3://zhifa-records?secret_key=TOPSECRET&access_key=AK&bogus=1", data_dir=tmp_path)
    assert "TOPSECRET" not in str(error.value) and "secret_key=***" in str(error.value)


def test_s3_open_is_seekable_with_ranged_reads(s3_store):
    data = random.Random(7).randbytes(3 * MiB + 11)
    info = s3_store.put(io.BytesIO(data))
    calls = []
    s3_store.client.meta.events.register(
        "before-call.s3.GetObject", lambda params, **kw: calls.append(params.get("headers", {}).get("Range"))
    )
    with s3_store.open(info.sha256) as body:
        assert body.seekable()
        assert body.seek(0, io.SEEK_END) == len(data)
        body.seek(2 * MiB + 5)
        assert body.read(1000) == data[2 * MiB + 5 : 2 * MiB + 1005]
        body.seek(10)
        assert body.read(20) == data[10:30]
    assert calls == [f"bytes={2 * MiB + 5}-", "bytes=10-"]


def test_remove_deletes_a_file_and_every_unlocked_s3_version_but_never_a_locked_one(tmp_path, s3_store):
    """Physical removal (an approved disposal): the file store unlinks the read-only file; S3 deletes
    every version and delete marker once no version is locked, and otherwise removes nothing."""
    local = FileSystemBlobStore(tmp_path / "blobs")
    info = local.put(io.BytesIO(b"destroy me"))
    assert local.remove(info.sha256) is None and not local.exists(info.sha256)
    assert local.remove(info.sha256) is None  # already gone: nothing to do

    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    locked = s3_store.put(io.BytesIO(b"locked evidence"), retain_until=until)
    waits = s3_store.remove(locked.sha256)
    assert waits is not None and abs(waits - until) < dt.timedelta(seconds=1)
    assert s3_store.exists(locked.sha256)

    free = s3_store.put(io.BytesIO(b"expired evidence"))
    key = s3_store.key(free.sha256)
    s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key)  # a delete marker hides the version
    s3_store.put(io.BytesIO(b"expired evidence"))  # stored again: a second version
    listed = s3_store.client.list_object_versions(Bucket=s3_store.bucket, Prefix=key)
    assert len(listed.get("Versions", [])) == 2 and len(listed.get("DeleteMarkers", [])) == 1
    assert s3_store.remove(free.sha256) is None
    listed = s3_store.client.list_object_versions(Bucket=s3_store.bucket, Prefix=key)
    assert not listed.get("Versions") and not listed.get("DeleteMarkers")


@pytest.mark.parametrize("writeback", [True, False])
def test_put_with_and_without_early_writeback(tmp_path, monkeypatch, writeback):
    """With write-back on (the default), each chunk's range is handed to sync_file_range as soon
    as it is written, in order and covering the whole file; the fsync at the end stays."""
    import records.blobstore as blobstore

    source = random_file(tmp_path / "in.bin", 3 * MiB + 77, seed=8)
    real_start, ranges, fsynced = blobstore._sync_file_range(), [], []
    assert real_start is not None  # Linux, glibc: the call exists

    def start(fd, offset, length):
        ranges.append((offset, length))
        real_start(fd, offset, length)

    monkeypatch.setattr(blobstore, "_sync_file_range", lambda: start)
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: fsynced.append(fd) or real_fsync(fd))
    store = FileSystemBlobStore(tmp_path / "store", chunk_size=MiB, writeback=writeback)
    info = store.put(source)
    assert store.path(info.sha256).read_bytes() == source.read_bytes()
    expected = [(0, MiB), (MiB, MiB), (2 * MiB, MiB), (3 * MiB, 77)]
    assert ranges == (expected if writeback else [])
    assert len(fsynced) >= 2  # the file, then its folder


def test_writeback_from_the_address(tmp_path):
    assert blobstore_from_url("file:blobs", data_dir=tmp_path).writeback is True
    assert blobstore_from_url("file:blobs?writeback=0", data_dir=tmp_path).writeback is False
    assert blobstore_from_url("file:blobs?writeback=1&write_size=65536", data_dir=tmp_path).writeback is True
    with pytest.raises(BlobStoreConfigError, match="writeback 应为 0 或 1"):
        blobstore_from_url("file:blobs?writeback=yes", data_dir=tmp_path)
    with pytest.raises(BlobStoreConfigError, match="不认识的参数 writeback"):
        blobstore_from_url("s3://zhifa-records?writeback=0&access_key=A&secret_key=B", data_dir=tmp_path)
