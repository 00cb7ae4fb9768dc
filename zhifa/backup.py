"""`zhifa backup` and `zhifa restore`: the database and the blob store together, in one folder.

    OUT/manifest.json       what was saved: engine, ledger head (the checkpoint signed for the
                            backup, the latest one a witness cosigned), every file with its size
    OUT/database.sqlite3    SQLite: a consistent copy made with SQLite's online backup API
    OUT/database.pgdump     PostgreSQL: pg_dump's custom format (one snapshot)
    OUT/blobs/ab/cd/<sha256> every stored file, named by its SHA-256 (checked when copied and again
                            before a restore)

The database is saved first and the files after it: a file is stored before the row naming it is
committed, so every file the saved database names is in the folder. Point in time on PostgreSQL is
the WAL archive `bin/deploy` configures together with a base backup (see the README); restoring
one is PostgreSQL's own recovery, after which `zhifa restore --verify-only BACKUP` checks the
result against the manifest of the backup whose files it uses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.utils import timezone

FORMAT = "zhifa-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class BackupError(Exception):
    """What went wrong, in Chinese, for the person running the command."""


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持备份 {vendor} 数据库（仅支持 SQLite 和 PostgreSQL）。")
    return vendor


def _blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_tool(name: str) -> str:
    """A PostgreSQL client program: the newest installed in /usr/lib/postgresql, else on PATH."""
    base = Path("/usr/lib/postgresql")
    if base.is_dir():
        versions = sorted(
            (p for p in base.iterdir() if p.name.isdigit() and (p / "bin" / name).exists()),
            key=lambda p: int(p.name),
        )
        if versions:
            return str(versions[-1] / "bin" / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"找不到 PostgreSQL 客户端程序 {name}。请安装 postgresql-client-15 后重试。")
    return found


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore from Django's live settings."""
    s = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    args = ["--dbname", s["NAME"]]
    if s.get("HOST"):
        args += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", str(s["USER"])]
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(
        cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-10:])
        raise BackupError(f"{what}失败（退出码 {result.returncode}）：\n{tail}")


def _ledger_state() -> dict:
    from ledger.models import Checkpoint, Event

    latest = Checkpoint.objects.order_by("-size", "-pk").first()
    cosigned = (
        Checkpoint.objects.filter(cosignatures__isnull=False).order_by("-size", "-pk").distinct().first()
    )
    return {
        "events": Event.objects.count(),
        "checkpoint": {"size": latest.size, "root": latest.root_hash} if latest else None,
        "cosigned": (
            {
                "size": cosigned.size,
                "root": cosigned.root_hash,
                "witnesses": sorted(set(cosigned.cosignatures.values_list("witness", flat=True))),
            }
            if cosigned
            else None
        ),
    }


# --- backup -----------------------------------------------------------------------------------


def backup(out: Path, *, report: Report | None = None) -> dict:
    """Write a backup of the database and every stored file into `out` (new or empty)."""
    from ledger.models import Event
    from ledger.services import checkpoint_sign
    from records.storage import blob_store

    report = report or Report()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"备份目录 {out} 已存在且不为空。请指定一个新目录，以免覆盖以前的备份。")
    engine = _engine()
    out.mkdir(parents=True, exist_ok=True)
    if Event.objects.exists():
        checkpoint_sign()  # the backup's tree head is signed (and sent to the witnesses) first
    ledger = _ledger_state()
    if engine == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(out / "database.sqlite3")
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        database = "database.sqlite3"
    else:
        args, env = _pg_env()
        _run(
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--file",
                str(out / "database.pgdump"),
                *args,
            ],
            env,
            "pg_dump 导出数据库",
        )
        database = "database.pgdump"
    report.say(f"数据库已备份：{database}（{engine}，台账 {ledger['events']} 个事件）")
    store = blob_store()
    blobs = []
    total = 0
    for sha256 in store.iter_digests():
        path = _blob_path(out / "blobs", sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with store.open(sha256) as src, path.open("wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        if digest.hexdigest() != sha256:
            raise BackupError(
                f"存储中的文件 {sha256} 内容与其哈希不符（现为 {digest.hexdigest()}），备份中止。请先运行 zhifa ledger verify 查明。"
            )
        until = store.retained_until(sha256)
        blobs.append(
            {"sha256": sha256, "size": size, "retain_until": until.date().isoformat() if until else None}
        )
        total += size
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "engine": engine,
        "database": database,
        "blob_store": store.describe(),
        "ledger": ledger,
        "blobs": blobs,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    report.say(f"文件已备份：{len(blobs)} 个，共 {total} 字节，均已核对哈希")
    return manifest


# --- restore ----------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((Path(source) / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} 不是 zhifa 备份目录（缺少 {MANIFEST}）。") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"无法读取 {source}/{MANIFEST}：{exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} 的备份格式“{manifest.get('format')}”不是本版本支持的 {FORMAT}。")
    return manifest


def check_backup(source: Path, manifest: dict) -> None:
    """Every file in the backup hashes to its name and has its size; the database file is there."""
    if not (Path(source) / manifest["database"]).is_file():
        raise BackupError(f"备份中缺少数据库文件 {manifest['database']}，未作任何改动。")
    for blob in manifest["blobs"]:
        path = _blob_path(Path(source) / "blobs", blob["sha256"])
        if not path.is_file():
            raise BackupError(f"备份中缺少文件 {blob['sha256']}，未作任何改动。")
        if path.stat().st_size != blob["size"] or _hash_file(path) != blob["sha256"]:
            raise BackupError(f"备份中的文件 {blob['sha256']} 已损坏（内容与其哈希不符），未作任何改动。")


def _database_in_use() -> bool:
    from django.db import DatabaseError

    from ledger.models import Event

    try:
        return Event.objects.exists()
    except DatabaseError:
        connection.close()
        return False


def restore(source: Path, *, force: bool = False, report: Report | None = None) -> list[str]:
    """Restore a backup made by `backup` into the configured database and blob store, then verify.
    Returns the verification's findings (empty when everything holds)."""
    from records.storage import blob_store

    report = report or Report()
    source = Path(source)
    manifest = read_manifest(source)
    engine = _engine()
    if manifest["engine"] != engine:
        raise BackupError(
            f"备份来自 {manifest['engine']} 数据库，当前配置的是 {engine}；只能恢复到同类数据库，未作任何改动。"
        )
    check_backup(source, manifest)
    report.say(f"备份完好：数据库文件及 {len(manifest['blobs'])} 个文件均与哈希一致")
    if not force and _database_in_use():
        raise BackupError(
            "当前数据库中已有台账数据。恢复会整体替换它：确认后加 --force 再运行，未作任何改动。"
        )
    if engine == "sqlite":
        connection.close()
        connection.ensure_connection()
        src = sqlite3.connect(source / manifest["database"])
        try:
            src.backup(connection.connection)
        finally:
            src.close()
    else:
        connection.close()
        args, env = _pg_env()
        _run(
            [
                _pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                *args,
                str(source / manifest["database"]),
            ],
            env,
            "pg_restore 恢复数据库",
        )
    report.say(f"数据库已恢复（{engine}）")
    store = blob_store()
    for blob in manifest["blobs"]:
        until = dt.date.fromisoformat(blob["retain_until"]) if blob["retain_until"] else None
        stored = store.put(_blob_path(source / "blobs", blob["sha256"]), retain_until=until)
        if stored.sha256 != blob["sha256"]:
            raise BackupError(f"文件 {blob['sha256']} 写入存储后哈希为 {stored.sha256}，恢复中止。")
    report.say(f"文件已恢复到 {store.describe()}：{len(manifest['blobs'])} 个")
    return verify_restored(manifest, report=report)


def verify_restored(manifest: dict, *, report: Report | None = None) -> list[str]:
    """`zhifa ledger verify` on the restored install, and its checkpoints against the manifest's."""
    from ledger.models import Checkpoint
    from ledger.verify import verify_ledger

    report = report or Report()
    problems = [str(f) for f in verify_ledger()]
    ledger = manifest["ledger"]
    for label, wanted in (
        ("备份时签署的检查点", ledger["checkpoint"]),
        ("见证方副署的检查点", ledger["cosigned"]),
    ):
        if not wanted:
            continue
        held = Checkpoint.objects.filter(size=wanted["size"]).values_list("root_hash", flat=True).first()
        if held != wanted["root"]:
            problems.append(f"{label}（大小 {wanted['size']}）在恢复后的台账中不存在或根哈希不同")
        elif label.startswith("见证方"):
            report.say(
                f"台账根哈希与见证方（{'、'.join(wanted['witnesses'])}）副署的检查点一致："
                f"大小 {wanted['size']}，根哈希 {wanted['root']}"
            )
        else:
            report.say(f"台账根哈希与备份时签署的检查点一致：大小 {wanted['size']}，根哈希 {wanted['root']}")
    if not problems:
        report.say("核验通过：台账、签名检查点、副署及全部文件的哈希均与记录一致")
    return problems
