"""Write-once, content-addressed storage for evidence files (执法记录文件).

Every file is stored under its SHA-256 and never overwritten or removed by the application:

* ``FileSystemBlobStore`` keeps ``root/sha256/ab/cd/<hex>`` (read-only files) and streams new
  content through ``root/tmp/<uuid>.part``; a file appears under its final name only after its
  bytes are on disk (fsync, then a hard link, which never replaces an existing name).
* ``S3BlobStore`` keeps ``<prefix>ab/cd/<hex>`` objects (the same layout, so a file store can be
  copied into a bucket as is), optionally under an Object Lock retention in COMPLIANCE mode.

Memory use does not depend on the file size: content is read in fixed chunks into two
preallocated buffers; SHA-256 runs in a helper thread (hashlib releases the GIL) while the
main thread writes the same chunk (in small write() calls, see WRITE_SIZE), so each byte is
read once and copied once; the file store fsyncs once, at the end.

This module does not need Django settings; boto3 is imported only when an S3 store is used.
"""

from __future__ import annotations

import abc
import base64
import contextlib
import dataclasses
import datetime as dt
import errno
import fcntl
import functools
import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_URL",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobStore",
    "BlobStoreConfigError",
    "BlobStoreError",
    "FileSystemBlobStore",
    "S3BlobStore",
    "blobstore_from_url",
]

CHUNK_SIZE = 4 * 1024 * 1024
# Each chunk is handed to write() in slices of this size. On Linux 6.x with ext4's large folios,
# multi-megabyte write() calls into a new file ran 3-4x slower per byte than 8 KiB ones (the size
# coreutils uses); bench/write_size.py measures it on the disk at hand.
WRITE_SIZE = 8 * 1024
DEFAULT_URL = "file:blobs"
TEMP_SUFFIX = ".part"
# A temporary file untouched this long and locked by no process is a leftover of a killed put.
TEMP_GRACE_SECONDS = 60

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_TEMP_RE = re.compile(r"[0-9a-f]{32}\.part")
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

Source = BinaryIO | IO[bytes] | str | os.PathLike[str]
Progress = Callable[[int], None]


class BlobStoreError(Exception):
    """A storage failure; the message (Chinese) is meant for the person operating the system."""


class BlobNotFoundError(BlobStoreError):
    """No blob with that SHA-256 is stored."""


class BlobStoreConfigError(BlobStoreError, ValueError):
    """The storage address or its settings are wrong."""


@dataclasses.dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int
    existed: bool  # True when this content was already stored (nothing was written)


def _check_digest(sha256: str) -> str:
    if not isinstance(sha256, str) or not _DIGEST_RE.fullmatch(sha256):
        raise BlobStoreError(f"不是有效的 SHA-256 值（应为 64 位小写十六进制）：{sha256!r}")
    return sha256


def _shard(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _retain_until_datetime(value: dt.date | None) -> dt.datetime | None:
    """A date means 00:00 UTC of that day; an aware datetime is used as it is."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise BlobStoreError("保留期限的时间必须带时区。")
        return value.astimezone(dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _os_message(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "存储空间已满"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "没有权限"
    if exc.errno == errno.EROFS:
        return "文件系统为只读"
    if exc.errno == errno.EIO:
        return "输入输出错误（磁盘或设备故障）"
    name = errno.errorcode.get(exc.errno or 0, "")
    return f"{name} {exc.strerror or exc}".strip()


# --- streaming: read once, hash in a helper thread, write -------------------------------------------


@contextlib.contextmanager
def _open_source(source: Source) -> Iterator[Any]:
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            stream = open(path, "rb", buffering=0)  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise BlobStoreError(f"找不到要存储的文件：{path}") from None
        except IsADirectoryError:
            raise BlobStoreError(f"要存储的路径是目录而不是文件：{path}") from None
        except OSError as exc:
            raise BlobStoreError(f"无法打开要存储的文件 {path}：{_os_message(exc)}") from exc
        with stream:
            with contextlib.suppress(OSError, AttributeError):
                os.posix_fadvise(stream.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            yield stream
    else:
        if isinstance(source, io.TextIOBase):
            raise BlobStoreError("要存储的文件必须以二进制方式打开（'rb'），而不是文本方式。")
        if not hasattr(source, "readinto") and not hasattr(source, "read"):
            raise BlobStoreError(
                f"无法读取要存储的内容：{type(source).__name__} 既不是文件路径也不是可读的二进制流。"
            )
        yield source


def _fill(stream: Any, view: memoryview) -> int:
    """Read into ``view`` until it is full or the stream ends; the number of bytes read."""
    readinto = getattr(stream, "readinto", None)
    got = 0
    size = len(view)
    while got < size:
        if readinto is not None:
            n = readinto(view[got:])
        else:
            data = stream.read(size - got)
            if data is not None and not isinstance(data, bytes | bytearray | memoryview):
                raise BlobStoreError("要存储的文件必须以二进制方式打开（'rb'），而不是文本方式。")
            n = None if data is None else len(data)
            if n:
                view[got : got + n] = data
        if n is None:
            raise BlobStoreError("要存储的数据流暂时没有数据可读（非阻塞流），无法存储。")
        if n == 0:
            break
        got += n
    return got


def _write_all(fd: int, view: memoryview, write_size: int = WRITE_SIZE) -> None:
    write = os.write
    for start in range(0, len(view), write_size):
        piece = view[start : start + write_size]
        while piece:
            piece = piece[write(fd, piece) :]


@functools.cache
def _sync_file_range() -> Callable[[int, int, int], None] | None:
    """Linux's sync_file_range(2) with SYNC_FILE_RANGE_WRITE (start writing these bytes to the
    disk, without waiting), through libc; None where there is none."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    call.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    call.restype = ctypes.c_int

    def start(fd: int, offset: int, length: int) -> None:
        call(fd, offset, length, 2)  # SYNC_FILE_RANGE_WRITE; a failure leaves it all to fsync()

    return start


def _copy_and_hash(
    source: Source,
    fd: int,
    progress: Progress | None,
    chunk_size: int,
    target: str,
    write_size: int = WRITE_SIZE,
    writeback: bool = False,
) -> tuple[str, int]:
    """Stream ``source`` into the open file ``fd`` (``target`` names it in messages); its
    SHA-256 (hex) and size.

    Two buffers: while the helper thread hashes chunk k, the main thread writes chunk k and
    reads chunk k+1 into the other buffer; it waits for the hash of chunk k-1 (the other
    buffer's previous content) before overwriting it. A single worker keeps the updates in order.

    ``writeback``: once a chunk is written, the disk starts writing it (sync_file_range) while the
    next chunks are read, hashed and copied, so the fsync that makes the file durable at the end
    finds most of it on the disk already instead of all of it in memory. Durability still rests
    on that fsync alone.
    """
    start_writeback = _sync_file_range() if writeback else None
    digest = hashlib.sha256()
    views = (memoryview(bytearray(chunk_size)), memoryview(bytearray(chunk_size)))
    pending: list[Future[None] | None] = [None, None]
    total = 0
    with _open_source(source) as stream, ThreadPoolExecutor(1, thread_name_prefix="blob-sha256") as pool:
        slot = 0
        while True:
            previous = pending[slot]
            if previous is not None:
                previous.result()
                pending[slot] = None
            try:
                n = _fill(stream, views[slot])
            except OSError as exc:
                raise BlobStoreError(f"读取要存储的文件时出错：{_os_message(exc)}") from exc
            if n == 0:
                break
            chunk = views[slot][:n]
            pending[slot] = pool.submit(digest.update, chunk)
            try:
                _write_all(fd, chunk, write_size)
            except OSError as exc:
                raise BlobStoreError(f"写入{target}时出错：{_os_message(exc)}") from exc
            if start_writeback is not None:
                start_writeback(fd, total, n)
            total += n
            if progress is not None:
                progress(n)
            slot ^= 1
        for future in pending:
            if future is not None:
                future.result()
    return digest.hexdigest(), total


def _hash_file(stream: Any, chunk_size: int = CHUNK_SIZE) -> str:
    digest = hashlib.sha256()
    view = memoryview(bytearray(chunk_size))
    while n := stream.readinto(view):
        digest.update(view[:n])
    return digest.hexdigest()


def _create_temp(directory: Path) -> tuple[Path, int]:
    """A new temporary file, locked (flock) by this process for as long as the descriptor is open:
    the put keeps it open until the name is gone, so a lock that can be taken marks a leftover."""
    path = directory / f"{uuid.uuid4().hex}{TEMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise BlobStoreError(f"无法在 {directory} 创建临时文件：{_os_message(exc)}") from exc
    with contextlib.suppress(OSError):  # a file system without locks: the age check alone protects it
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return path, fd


def _remove_old_temps(directory: Path, older_than_seconds: float) -> int:
    """Remove the leftovers of interrupted puts: only names this module gives its temporary files,
    only files no running put holds locked, and only when untouched for `older_than_seconds` (which
    covers the instant between creating a file and locking it)."""
    if not directory.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for entry in os.scandir(directory):
        if not _TEMP_RE.fullmatch(entry.name):
            continue
        with contextlib.suppress(FileNotFoundError):
            if (
                not entry.is_file(follow_symlinks=False)
                or entry.stat(follow_symlinks=False).st_mtime > cutoff
            ):
                continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a put in another process is still writing or uploading it
                except OSError:
                    pass  # no locks on this file system: the age check decides
                os.unlink(entry.path)
                removed += 1
            finally:
                os.close(fd)
    return removed


def _publish(temp: Path, final: Path) -> bool:
    """Give the complete temp file its final name; False when that name exists already.

    A hard link never replaces an existing name, so two puts of the same content cannot
    overwrite each other. Where the file system has no hard links (some network and FAT
    file systems), a rename after a look: it would replace a name made in the instant between,
    but a name fixes its content, so the bytes under it stay the same.
    """
    try:
        os.link(temp, final)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK):
            raise
    if os.path.lexists(final):
        return False
    os.rename(temp, final)
    return True


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- the interface ---------------------------------------------------------------------------------------


class BlobStore(abc.ABC):
    """Write-once storage of files addressed by their SHA-256 (lowercase hex)."""

    chunk_size: int = CHUNK_SIZE
    write_size: int = WRITE_SIZE

    @abc.abstractmethod
    def put(
        self, source: Source, *, retain_until: dt.date | None = None, progress: Progress | None = None
    ) -> BlobInfo:
        """Store the bytes of ``source`` (a binary stream, read to its end, or a file path).

        ``progress`` is called with the number of bytes of each chunk as it is stored.
        ``retain_until``: keep the content at least until then where the store can enforce it.
        """

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A readable binary stream of the stored bytes; the caller closes it."""

    @abc.abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def size(self, sha256: str) -> int: ...

    @abc.abstractmethod
    def rehash(self, sha256: str) -> str:
        """Read the stored bytes again and return their actual SHA-256 (streaming)."""

    @abc.abstractmethod
    def describe(self) -> str:
        """One line (Chinese) naming the store, for logs and the operator."""

    @abc.abstractmethod
    def location(self, sha256: str) -> str:
        """Where the blob lives (a path or an s3:// address), for display."""

    @abc.abstractmethod
    def iter_digests(self) -> Iterator[str]:
        """The SHA-256 of every stored blob (any order)."""

    @abc.abstractmethod
    def cleanup_temp(self, older_than_seconds: float = TEMP_GRACE_SECONDS) -> int:
        """Remove temporary files left by interrupted puts (never one a running put holds, in any
        process, nor a stored blob); how many were removed."""

    def retain(self, sha256: str, until: dt.date) -> bool:
        """Keep a stored blob at least until `until` where the store can enforce it (S3 Object Lock):
        a retention is only ever extended, never shortened. False where the store has no such lock
        (the file system store never removes a blob anyway)."""
        return False

    def retained_until(self, sha256: str) -> dt.datetime | None:
        """The date the store keeps the blob locked until, None when it has no lock."""
        return None

    def remove(self, sha256: str) -> dt.datetime | None:
        """Destroy a stored blob for good: only for a disposal the law allows and a leader approved
        (archive.services.disposal_decide), never otherwise. Returns None when the bytes are gone
        (or were gone already); where a store lock still keeps them, nothing is removed and the
        latest retain-until date is returned."""
        raise BlobStoreError(f"{self.describe()}不支持物理删除。")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


# --- local file system -------------------------------------------------------------------------------------


class FileSystemBlobStore(BlobStore):
    """``root/sha256/ab/cd/<hex>``, read-only files; ``root/tmp`` for puts in progress.

    ``retain_until`` is accepted and not enforced: the application never removes blobs, and
    the files are read-only; protecting the folder itself is the job of the system operator.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        chunk_size: int = CHUNK_SIZE,
        write_size: int = WRITE_SIZE,
        writeback: bool = True,
    ):
        self.root = Path(root)
        self.objects_dir = self.root / "sha256"
        self.temp_dir = self.root / "tmp"
        self.chunk_size = chunk_size
        self.write_size = write_size
        self.writeback = writeback  # start writing each chunk to disk as soon as it is copied

    def path(self, sha256: str) -> Path:
        return self.objects_dir / _shard(_check_digest(sha256))

    def put(
        self, source: Source, *, retain_until: dt.date | None = None, progress: Progress | None = None
    ) -> BlobInfo:
        _retain_until_datetime(retain_until)  # validated, not enforced here
        temp, fd = _create_temp(self.temp_dir)
        try:
            sha256, size = _copy_and_hash(
                source, fd, progress, self.chunk_size, f"存储（{self.root}）", self.write_size, self.writeback
            )
            final = self.path(sha256)
            if final.exists():
                return self._existing(final, sha256, size)
            os.fchmod(fd, 0o444)
            os.fsync(fd)
            try:
                self._make_parents(final.parent)
                if not _publish(temp, final):  # stored meanwhile by another put
                    return self._existing(final, sha256, size)
                _fsync_directory(final.parent)
            except OSError as exc:
                raise BlobStoreError(f"无法保存文件 {final}：{_os_message(exc)}") from exc
            return BlobInfo(sha256, size, existed=False)
        except OSError as exc:
            raise BlobStoreError(f"存储文件时出错（{self.root}）：{_os_message(exc)}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            os.close(fd)  # the lock goes with it, after the name

    def _existing(self, final: Path, sha256: str, size: int) -> BlobInfo:
        stored = final.stat().st_size
        if stored != size:
            raise BlobStoreError(
                f"存储中已有同一 SHA-256 的文件 {final}，但大小为 {stored} 字节而不是 {size} 字节："
                "已存文件可能已损坏，请立即进行完整性校验并从备份恢复。新内容未保存。"
            )
        return BlobInfo(sha256, size, existed=True)

    def _make_parents(self, directory: Path) -> None:
        missing = []
        while not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):
                path.mkdir(mode=0o755)
            _fsync_directory(path.parent)

    def open(self, sha256: str) -> BinaryIO:
        path = self.path(sha256)
        try:
            return open(path, "rb")  # the caller closes it
        except FileNotFoundError:
            raise BlobNotFoundError(f"存储中没有 SHA-256 为 {sha256} 的文件（{path}）。") from None
        except OSError as exc:
            raise BlobStoreError(f"无法读取已存文件 {path}：{_os_message(exc)}") from exc

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def remove(self, sha256: str) -> dt.datetime | None:
        path = self.path(sha256)
        try:
            os.unlink(path)  # read-only files: unlinking needs only the folder's write permission
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BlobStoreError(f"无法删除已存文件 {path}：{_os_message(exc)}") from exc
        _fsync_directory(path.parent)
        return None

    def size(self, sha256: str) -> int:
        path = self.path(sha256)
        try:
            return path.stat().st_size
        except FileNotFoundError:
            raise BlobNotFoundError(f"存储中没有 SHA-256 为 {sha256} 的文件（{path}）。") from None

    def rehash(self, sha256: str) -> str:
        with self.open(sha256) as stream:
            with contextlib.suppress(OSError, AttributeError):
                os.posix_fadvise(stream.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            try:
                return _hash_file(stream.raw, self.chunk_size)
            except OSError as exc:
                raise BlobStoreError(f"读取已存文件 {self.path(sha256)} 时出错：{_os_message(exc)}") from exc

    def describe(self) -> str:
        return f"本地文件存储（{self.root}）"

    def location(self, sha256: str) -> str:
        return str(self.path(sha256))

    def iter_digests(self) -> Iterator[str]:
        if not self.objects_dir.is_dir():
            return
        for first in sorted(os.scandir(self.objects_dir), key=lambda e: e.name):
            if not first.is_dir() or len(first.name) != 2:
                continue
            for second in sorted(os.scandir(first.path), key=lambda e: e.name):
                if not second.is_dir() or len(second.name) != 2:
                    continue
                for entry in sorted(os.scandir(second.path), key=lambda e: e.name):
                    name = entry.name
                    if _DIGEST_RE.fullmatch(name) and name[:2] == first.name and name[2:4] == second.name:
                        yield name

    def cleanup_temp(self, older_than_seconds: float = TEMP_GRACE_SECONDS) -> int:
        return _remove_old_temps(self.temp_dir, older_than_seconds)


# --- S3 (AWS, Ceph radosgw, MinIO, moto) ------------------------------------------------------------------


class S3BlobStore(BlobStore):
    """Objects ``<prefix>ab/cd/<hex>`` in one bucket (with Object Lock for retention).

    A put spools the content to ``spool_dir`` while hashing it (the key is the hash), then
    uploads the spool file: one PUT, with the SHA-256 for the server to verify, below
    ``multipart_threshold``; a multipart upload from the file (parts read from disk, never
    buffered whole) above it. With ``retain_until`` the object is locked in COMPLIANCE mode;
    the lock is read back after the upload and set explicitly where the server did not apply
    it (moto ignores the lock headers of multipart uploads), or extended when the same content
    is put again with a later date.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "sha256/",
        spool_dir: Path | str,
        multipart_threshold: int = 16 * 1024 * 1024,
        multipart_chunksize: int = 8 * 1024 * 1024,
        max_concurrency: int = 4,
        max_attempts: int = 3,
        connect_timeout: float = 10,
        read_timeout: float = 120,
        chunk_size: int = CHUNK_SIZE,
        write_size: int = WRITE_SIZE,
    ):
        if not _BUCKET_RE.fullmatch(bucket or ""):
            raise BlobStoreConfigError(f"存储桶名称无效：{bucket!r}（3–63 个小写字母、数字、点或连字符）。")
        if (access_key is None) != (secret_key is None):
            raise BlobStoreConfigError("对象存储的 access_key 和 secret_key 必须同时提供。")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.prefix = prefix.lstrip("/")
        if self.prefix and not self.prefix.endswith("/"):
            self.prefix += "/"
        self.spool_dir = Path(spool_dir)
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        self.max_concurrency = max_concurrency
        self.chunk_size = chunk_size
        self.write_size = write_size
        self._access_key = access_key
        self._secret_key = secret_key
        self._max_attempts = max_attempts
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout

    # -- client and errors

    @functools.cached_property
    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            aws_access_key_id=self._access_key,
            aws_secret_access_key=self._secret_key,
            region_name=self.region,
        )
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if self.endpoint_url else "auto"},
            retries={"max_attempts": self._max_attempts, "mode": "standard"},
            connect_timeout=self._connect_timeout,
            read_timeout=self._read_timeout,
            max_pool_connections=max(10, self.max_concurrency * 2),
        )
        return session.client("s3", endpoint_url=self.endpoint_url, config=config)

    def _server(self) -> str:
        return self.endpoint_url or f"AWS S3（{self.region}）"

    def _error(self, exc: Exception, action: str, key: str | None = None) -> BlobStoreError:
        from botocore import exceptions as bx

        where = f"存储桶“{self.bucket}”" + (f"中的对象 {key}" if key else "")
        if isinstance(exc, bx.ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket":
                return BlobStoreError(
                    f"{action}失败：对象存储 {self._server()} 上没有存储桶“{self.bucket}”。"
                    "请先创建（启用对象锁定）或检查存储地址。"
                )
            if code in ("NoSuchKey", "NotFound", "404", "NoSuchVersion"):
                return BlobNotFoundError(f"{action}失败：{where}不存在。")
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"):
                return BlobStoreError(
                    f"{action}失败：对象存储 {self._server()} 不接受所配置的访问密钥（{code}）。"
                )
            if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled") or status == 403:
                return BlobStoreError(
                    f"{action}失败：无权访问{where}（AccessDenied），请检查访问密钥和存储桶策略。"
                )
            message = error.get("Message") or ""
            return BlobStoreError(
                f"{action}失败：对象存储 {self._server()} 返回错误 {code or status} {message}".rstrip()
            )
        if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
            return BlobStoreError(
                f"{action}失败：没有对象存储的访问密钥。请在存储地址中提供 access_key 和 secret_key，"
                "或设置环境变量 AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY。"
            )
        if isinstance(exc, bx.ConnectTimeoutError | bx.ReadTimeoutError):
            return BlobStoreError(f"{action}失败：连接对象存储服务 {self._server()} 超时。")
        if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError | bx.ConnectionError):
            return BlobStoreError(
                f"{action}失败：无法连接对象存储服务 {self._server()}（连接被拒绝或网络不可达）。"
            )
        if isinstance(exc, bx.FlexibleChecksumError):
            return BlobStoreError(f"{action}失败：{where}传输校验失败（{exc}）。")
        if isinstance(exc, OSError):
            return BlobStoreError(f"{action}失败：{_os_message(exc)}")
        return BlobStoreError(f"{action}失败：{type(exc).__name__}: {exc}")

    @contextlib.contextmanager
    def _errors(self, action: str, key: str | None = None) -> Iterator[None]:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, action, key) from exc
        except Boto3Error as exc:
            # upload_file wraps the failure of a part (S3UploadFailedError): report the cause.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ClientError | BotoCoreError):
                raise self._error(cause, action, key) from exc
            raise self._error(exc, action, key) from exc

    @staticmethod
    def _code(exc: Exception) -> str:
        response = getattr(exc, "response", None) or {}
        return str(response.get("Error", {}).get("Code", ""))

    # -- keys

    def key(self, sha256: str) -> str:
        return self.prefix + _shard(_check_digest(sha256))

    def _head(self, key: str, action: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            code = self._code(exc)
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            if code in ("403", "AccessDenied"):
                # HEAD answers have no body: ask the bucket whether it exists at all.
                self._check_bucket(action)
            raise self._error(exc, action, key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, action, key) from exc

    def _check_bucket(self, action: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if self._code(exc) in ("404", "NoSuchBucket", "NotFound"):
                raise self._error(
                    ClientError({"Error": {"Code": "NoSuchBucket"}}, "HeadBucket"), action
                ) from exc

    # -- the interface

    def put(
        self, source: Source, *, retain_until: dt.date | None = None, progress: Progress | None = None
    ) -> BlobInfo:
        until = _retain_until_datetime(retain_until)
        spool, fd = _create_temp(self.spool_dir)
        try:
            sha256, size = _copy_and_hash(
                source,
                fd,
                progress,
                self.chunk_size,
                f"本地暂存文件（{self.spool_dir}）",
                self.write_size,
            )
            key = self.key(sha256)
            head = self._head(key, "存储")
            if head is not None:
                self._check_size(head, key, size)
                if until is not None:
                    self._ensure_retention(key, head, until)
                return BlobInfo(sha256, size, existed=True)
            created = self._upload(spool, key, sha256, size, until)
            head = self._head(key, "存储")
            if head is None:
                raise BlobStoreError(f"存储失败：上传后在存储桶“{self.bucket}”中找不到对象 {key}。")
            self._check_size(head, key, size)
            if until is not None:
                self._ensure_retention(key, head, until)
            return BlobInfo(sha256, size, existed=not created)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(spool)
            os.close(fd)  # held (and locked) while the spool is uploaded, so no cleanup removes it

    def _check_size(self, head: dict[str, Any], key: str, size: int) -> None:
        stored = head.get("ContentLength")
        if stored != size:
            raise BlobStoreError(
                f"存储桶“{self.bucket}”中已有对象 {key}，但大小为 {stored} 字节而不是 {size} 字节："
                "已存对象可能已损坏，请立即进行完整性校验。新内容未保存。"
            )

    def _upload(self, spool: Path, key: str, sha256: str, size: int, until: dt.datetime | None) -> bool:
        """Upload the spool file; False when the object appeared meanwhile (conditional PUT)."""
        from botocore.exceptions import ClientError

        lock = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until} if until else {}
        with self._errors("上传", key):
            if size < self.multipart_threshold:
                with open(spool, "rb") as body:
                    # Content-MD5 too: some S3 engines (radosgw 16) check only MD5, not the SHA-256 checksum.
                    md5 = hashlib.md5(usedforsecurity=False)
                    for chunk in iter(lambda: body.read(2**20), b""):
                        md5.update(chunk)
                    body.seek(0)
                    try:
                        self.client.put_object(
                            Bucket=self.bucket,
                            Key=key,
                            Body=body,
                            ContentLength=size,
                            ContentType="application/octet-stream",
                            # Servers that know checksums (AWS) verify it: the stored bytes are the hashed ones.
                            ChecksumAlgorithm="SHA256",
                            ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode("ascii"),
                            ContentMD5=base64.b64encode(md5.digest()).decode("ascii"),
                            IfNoneMatch="*",
                            **lock,
                        )
                    except ClientError as exc:
                        if self._code(exc) in ("PreconditionFailed", "412"):
                            return False
                        raise
            else:
                from boto3.s3.transfer import TransferConfig

                config = TransferConfig(
                    multipart_threshold=self.multipart_threshold,
                    multipart_chunksize=self.multipart_chunksize,
                    max_concurrency=self.max_concurrency,
                    use_threads=self.max_concurrency > 1,
                )
                extra = {"ContentType": "application/octet-stream", **lock}
                self.client.upload_file(str(spool), self.bucket, key, ExtraArgs=extra, Config=config)
        return True

    def _ensure_retention(self, key: str, head: dict[str, Any], until: dt.datetime) -> None:
        current = head.get("ObjectLockRetainUntilDate")
        if head.get("ObjectLockMode") == "COMPLIANCE" and current is not None and current >= until:
            return
        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Retention": {"Mode": "COMPLIANCE", "RetainUntilDate": until},
        }
        if head.get("VersionId") and head["VersionId"] != "null":
            args["VersionId"] = head["VersionId"]
        with self._errors("设置保留期限", key):
            self.client.put_object_retention(**args)

    def retain(self, sha256: str, until: dt.date) -> bool:
        key = self.key(sha256)
        head = self._head(key, "设置保留期限")
        if head is None:
            raise BlobNotFoundError(f"存储桶“{self.bucket}”中没有对象 {key}，无法延长保留期限。")
        self._ensure_retention(key, head, _retain_until_datetime(until))
        return True

    def retained_until(self, sha256: str) -> dt.datetime | None:
        key = self.key(sha256)
        head = self._head(key, "查询")
        return None if head is None else head.get("ObjectLockRetainUntilDate")

    def remove(self, sha256: str) -> dt.datetime | None:
        """Every version of the object and its delete markers, once no version is locked any more
        (a COMPLIANCE lock cannot be lifted: the removal waits for it)."""
        key = self.key(sha256)
        objects: list[str] = []
        markers: list[str] = []  # a delete marker holds no bytes and no lock
        with self._errors("删除", key):
            for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=key):
                objects += [v["VersionId"] for v in page.get("Versions", []) if v["Key"] == key]
                markers += [v["VersionId"] for v in page.get("DeleteMarkers", []) if v["Key"] == key]
            now = dt.datetime.now(dt.UTC)
            locked = None
            for version in objects:
                head = self.client.head_object(Bucket=self.bucket, Key=key, VersionId=version)
                until = head.get("ObjectLockRetainUntilDate")
                if head.get("ObjectLockMode") and until is not None and until > now:
                    locked = until if locked is None else max(locked, until)
            if locked is not None:
                return locked
            for version in objects + markers:
                self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
        return None

    def open(self, sha256: str) -> BinaryIO:
        """A seekable reader of the object: each read after a seek is a ranged GET from that
        position, so a player's range request fetches only the bytes it asks for."""
        key = self.key(sha256)
        head = self._head(key, "读取")
        if head is None:
            raise BlobNotFoundError(f"存储桶“{self.bucket}”中没有对象 {key}。")
        return io.BufferedReader(_S3Reader(self, key, int(head["ContentLength"])), buffer_size=self.chunk_size)

    def exists(self, sha256: str) -> bool:
        return self._head(self.key(sha256), "查询") is not None

    def size(self, sha256: str) -> int:
        key = self.key(sha256)
        head = self._head(key, "查询")
        if head is None:
            raise BlobNotFoundError(f"存储桶“{self.bucket}”中没有对象 {key}。")
        return int(head["ContentLength"])

    def rehash(self, sha256: str) -> str:
        from botocore.exceptions import FlexibleChecksumError

        key = self.key(sha256)
        digest = hashlib.sha256()
        with self._errors("校验读取", key):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                while chunk := body.read(self.chunk_size):
                    digest.update(chunk)
            except FlexibleChecksumError:
                # botocore compares the server's own checksum once the body is read to its
                # end: every byte has been hashed already, and the digest tells the caller.
                pass
            finally:
                body.close()
        return digest.hexdigest()

    def describe(self) -> str:
        return f"S3 对象存储（{self._server()}，存储桶 {self.bucket}，前缀 {self.prefix or '无'}）"

    def location(self, sha256: str) -> str:
        return f"s3://{self.bucket}/{self.key(sha256)}"

    def iter_digests(self) -> Iterator[str]:
        with self._errors("列出对象"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"].rsplit("/", 1)[-1]
                    if _DIGEST_RE.fullmatch(name) and item["Key"] == self.key(name):
                        yield name

    def cleanup_temp(self, older_than_seconds: float = TEMP_GRACE_SECONDS) -> int:
        return _remove_old_temps(self.spool_dir, older_than_seconds)

    def ensure_bucket(self, object_lock: bool = True) -> bool:
        """Create the bucket (with Object Lock when asked) when it is missing; True if created.

        An existing bucket without Object Lock is refused when ``object_lock`` is asked for:
        retention could not be enforced there.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
            exists = True
        except ClientError as exc:
            if self._code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise self._error(exc, "检查存储桶") from exc
            exists = False
        except BotoCoreError as exc:
            raise self._error(exc, "检查存储桶") from exc
        if not exists:
            args: dict[str, Any] = {"Bucket": self.bucket}
            if self.region and self.region != "us-east-1":
                args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            if object_lock:
                args["ObjectLockEnabledForBucket"] = True
            try:
                self.client.create_bucket(**args)
                return True
            except ClientError as exc:
                if self._code(exc) != "BucketAlreadyOwnedByYou":
                    raise self._error(exc, "创建存储桶") from exc
        if object_lock:
            try:
                config = self.client.get_object_lock_configuration(Bucket=self.bucket)
            except ClientError as exc:
                if self._code(exc) != "ObjectLockConfigurationNotFoundError":
                    raise self._error(exc, "检查存储桶的对象锁定") from exc
                config = {}
            if config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
                raise BlobStoreError(
                    f"存储桶“{self.bucket}”未启用对象锁定（Object Lock），无法保证执法记录不被删除或覆盖。"
                    "对象锁定只能在创建存储桶时启用：请另建启用对象锁定的存储桶。"
                )
        return False


# --- configuration -----------------------------------------------------------------------------------------

_S3_PARAMETERS = {"endpoint", "region", "access_key", "secret_key", "prefix", "write_size"}
_FILE_PARAMETERS = {"write_size", "writeback"}
_WRITE_SIZE_MIN = 4096


class _S3Reader(io.RawIOBase):
    """A seekable, read-only view of one S3 object. Reading streams one GET with
    `Range: bytes=<position>-`; a seek elsewhere drops that stream and the next read starts a
    new ranged GET, so nothing before the position is fetched."""

    def __init__(self, store: S3BlobStore, key: str, size: int):
        super().__init__()
        self._store, self._key, self._size = store, key, size
        self._position = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        position = base + offset
        if position < 0:
            raise ValueError("负的读取位置。")
        if position != self._position:
            self._drop()
            self._position = position
        return position

    def readinto(self, buffer) -> int:
        if self._position >= self._size or len(buffer) == 0:
            return 0
        if self._body is None:
            with self._store._errors("读取", self._key):
                self._body = self._store.client.get_object(
                    Bucket=self._store.bucket, Key=self._key, Range=f"bytes={self._position}-"
                )["Body"]
        with self._store._errors("读取", self._key):
            data = self._body.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self._position += count
        return count

    def _drop(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()


def _redact(url: str) -> str:
    url = re.sub(r"(secret_key=)[^&#]*", r"\1***", url)
    return re.sub(r"//[^/?#@]*@", "//***@", url)


def blobstore_from_url(url: str | None, *, data_dir: Path | str) -> BlobStore:
    """The store an address names.

    * ``file:blobs`` (the default), ``file:relative/path``: a folder under ``data_dir``;
      ``file:///absolute/path``: that folder.
    * Both kinds take ``?write_size=N``: the bytes per write() call (see WRITE_SIZE).
    * ``file:`` takes ``?writeback=0``: no early write-back while copying (see _copy_and_hash).
    * ``s3://bucket?endpoint=http://127.0.0.1:9000&region=…&access_key=…&secret_key=…&prefix=…``;
      without keys in the address, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or boto3's own
      configuration) are used. Uploads are spooled in ``data_dir/spool``.
    """
    data_dir = Path(data_dir)
    url = (url or DEFAULT_URL).strip()
    scheme, colon, _ = url.partition(":")
    if not colon or not scheme:
        raise BlobStoreConfigError(
            f"存储地址格式不正确：{_redact(url)}。示例：file:blobs、file:///srv/zhifa/blobs 或 "
            "s3://存储桶?endpoint=http://127.0.0.1:9000"
        )
    scheme = scheme.lower()
    if scheme == "file":
        if "#" in url:
            raise BlobStoreConfigError(f"file: 存储地址不能带“#”：{url}")
        location, _, query = url.partition("?")
        params = _parameters("file", query, _FILE_PARAMETERS, url)
        path = _file_path(location, data_dir)
        return FileSystemBlobStore(
            path, write_size=_write_size(params, url), writeback=_writeback(params, url)
        )
    if scheme == "s3":
        return _s3_store(url, data_dir)
    raise BlobStoreConfigError(f"不支持的存储地址类型“{scheme}:”（{_redact(url)}）：仅支持 file: 和 s3:。")


def _file_path(url: str, data_dir: Path) -> Path:
    rest = url.partition(":")[2]
    if rest.startswith("//"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise BlobStoreConfigError(f"file: 存储地址不能指定其他主机（{parts.netloc}）：{url}")
        path = Path(unquote(parts.path))
        if not parts.path or not path.is_absolute():
            raise BlobStoreConfigError(f"file:// 存储地址需要绝对路径，例如 file:///srv/zhifa/blobs：{url}")
        return path
    if not rest.strip():
        raise BlobStoreConfigError(f"file: 存储地址缺少路径，例如 file:blobs：{url}")
    path = Path(unquote(rest))
    return path if path.is_absolute() else data_dir / path


def _parameters(scheme: str, query: str, allowed: set[str], shown: str) -> dict[str, str]:
    """The address's ``?name=value`` parameters, each known and given once."""
    try:
        parsed = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise BlobStoreConfigError(f"{scheme}: 存储地址的参数格式不正确：{shown}") from None
    unknown = sorted(set(parsed) - allowed)
    if unknown:
        raise BlobStoreConfigError(
            f"{scheme}: 存储地址有不认识的参数 {'、'.join(unknown)}（可用：{'、'.join(sorted(allowed))}）：{shown}"
        )
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        raise BlobStoreConfigError(f"{scheme}: 存储地址的参数 {'、'.join(repeated)} 出现了多次：{shown}")
    return {name: values[0] for name, values in parsed.items()}


def _writeback(params: dict[str, str], shown: str) -> bool:
    value = params.get("writeback", "1")
    if value not in ("0", "1"):
        raise BlobStoreConfigError(f"存储地址的 writeback 应为 0 或 1：{shown}")
    return value == "1"


def _write_size(params: dict[str, str], shown: str) -> int:
    value = params.get("write_size")
    if value is None:
        return WRITE_SIZE
    if not value.isdigit() or not _WRITE_SIZE_MIN <= int(value) <= CHUNK_SIZE:
        raise BlobStoreConfigError(
            f"存储地址的 write_size 应为 {_WRITE_SIZE_MIN} 到 {CHUNK_SIZE} 之间的字节数：{shown}"
        )
    return int(value)


def _s3_store(url: str, data_dir: Path) -> S3BlobStore:
    shown = _redact(url)
    parts = urlsplit(url)
    if not parts.netloc:
        raise BlobStoreConfigError(f"s3: 存储地址缺少存储桶名称，例如 s3://zhifa-records：{shown}")
    if "@" in parts.netloc:
        raise BlobStoreConfigError(
            f"s3: 存储地址不能在主机部分写访问密钥，请用 access_key 和 secret_key 参数：{shown}"
        )
    if parts.path not in ("", "/"):
        raise BlobStoreConfigError(f"s3: 存储地址在存储桶名称之后不能有路径，请用 prefix 参数：{shown}")
    params = _parameters("s3", parts.query, _S3_PARAMETERS, shown)
    endpoint = params.get("endpoint") or None
    if endpoint is not None:
        endpoint_parts = urlsplit(endpoint)
        if endpoint_parts.scheme not in ("http", "https") or not endpoint_parts.hostname:
            raise BlobStoreConfigError(f"s3: 存储地址的 endpoint 应为 http:// 或 https:// 地址：{endpoint}")
    access_key = params.get("access_key") or os.environ.get("AWS_ACCESS_KEY_ID") or None
    secret_key = params.get("secret_key") or os.environ.get("AWS_SECRET_ACCESS_KEY") or None
    if (access_key is None) != (secret_key is None):
        raise BlobStoreConfigError(
            "对象存储的 access_key 和 secret_key 必须同时提供（在存储地址中，或环境变量 "
            f"AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY）：{shown}"
        )
    return S3BlobStore(
        parts.netloc,
        endpoint_url=endpoint,
        region=params.get("region") or "us-east-1",
        access_key=access_key,
        secret_key=secret_key,
        prefix=params.get("prefix", "sha256/"),
        spool_dir=data_dir / "spool",
        write_size=_write_size(params, shown),
    )
