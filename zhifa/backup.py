"""`zhifa backup` and `zhifa restore`: the database and the blob store together, in one folder.

    OUT/manifest.json       what was saved: engine, ledger head (the checkpoint signed for the
                            backup, the latest one a witness cosigned), every file with its size
    OUT/database.sqlite3    SQLite: a consistent copy made with SQLite's online backup API
    OUT/database.pgdump     PostgreSQL: pg_dump's custom format (one snapshot)
    OUT/base/base.tar.gz    PostgreSQL with WAL archiving on: a base backup (pg_basebackup, tar),
                            the start of a point-in-time recovery with the WAL archive
    OUT/blobs/ab/cd/<sha256> every stored file, named by its SHA-256 (checked when copied and again
                            before a restore)

The database is saved first and the files after it: a file is stored before the row naming it is
committed, so every file the saved database names is in the folder. Point in time on PostgreSQL:
`restore_to_time` recovers the cluster in a data directory it controls from the base backup and
the WAL archive (PostgreSQL's own recovery) up to a moment, puts the files back and verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection
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
    from ledger.services import CheckpointRefused, checkpoint_sign
    from records.storage import blob_store

    report = report or Report()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"备份目录 {out} 已存在且不为空。请指定一个新目录，以免覆盖以前的备份。")
    engine = _engine()
    out.mkdir(parents=True, exist_ok=True)
    if Event.objects.exists():
        try:
            checkpoint_sign()  # the backup's tree head is signed (and sent to the witnesses) first
        except CheckpointRefused as exc:  # after a restore to an earlier point: back up all the same
            report.say(f"未签署检查点：{exc}")
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
    base = _base_backup(out) if engine == "postgresql" and _archiving() else None
    if base:
        report.say(f"基础备份已完成：{base['file']}（完成于 {base['finished_at']}，可据 WAL 归档按时间点恢复）")
    elif engine == "postgresql":
        report.say("数据库未开启 WAL 归档：未做基础备份，只能恢复到备份时刻（不能按时间点恢复）")
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
        "base_backup": base,
        "blob_store": store.describe(),
        "ledger": ledger,
        "blobs": blobs,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    report.say(f"文件已备份：{len(blobs)} 个，共 {total} 字节，均已核对哈希")
    return manifest


def _archiving() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW archive_mode")
        return cursor.fetchone()[0] in ("on", "always")


def _base_backup(out: Path) -> dict:
    """pg_basebackup in tar format without WAL (-X none: the archive has it), beside the dump."""
    args, env = _pg_env()
    target = out / "base"
    connection_args = args[2:]  # without --dbname NAME: a replication connection names no database
    result = subprocess.run(
        [_pg_tool("pg_basebackup"), "-D", str(target), "-Ft", "-z", "-X", "none", "--checkpoint=fast",
         "--no-password", *connection_args],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise BackupError(
            "基础备份（pg_basebackup）失败：数据库已开启 WAL 归档，但未能做基础备份。"
            f"应用所用的数据库角色须有 REPLICATION 权限（ALTER ROLE … REPLICATION），pg_hba.conf 须允许其复制连接。\n{tail}"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp(), current_setting('server_version')")
        finished, version = cursor.fetchone()
    tarball = target / "base.tar.gz"
    return {
        "file": "base/base.tar.gz",
        "sha256": _hash_file(tarball),
        "size": tarball.stat().st_size,
        "finished_at": finished.isoformat(),
        "server_version": version,
    }


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
    _put_back_files(source, manifest, report)
    return verify_restored(manifest, report=report)


def _put_back_files(source: Path, manifest: dict, report: Report) -> None:
    from records.storage import blob_store

    store = blob_store()
    for blob in manifest["blobs"]:
        until = dt.date.fromisoformat(blob["retain_until"]) if blob["retain_until"] else None
        stored = store.put(_blob_path(source / "blobs", blob["sha256"]), retain_until=until)
        if stored.sha256 != blob["sha256"]:
            raise BackupError(f"文件 {blob['sha256']} 写入存储后哈希为 {stored.sha256}，恢复中止。")
    report.say(f"文件已恢复到 {store.describe()}：{len(manifest['blobs'])} 个")


def verify_restored(
    manifest: dict, *, report: Report | None = None, against=(), losses_named: bool = False
) -> list[str]:
    """`zhifa ledger verify` on the restored install, and its checkpoints against the manifest's
    (and against `against`: checkpoints kept outside, e.g. the witnesses'). `losses_named`: the
    caller has named the events the witnesses' newer checkpoints hold and the restore left out, so
    those findings are not counted against the restored ledger."""
    from ledger.models import Checkpoint
    from ledger.verify import LATER, verify_ledger

    report = report or Report()
    problems = [
        str(f) for f in verify_ledger(against=list(against)) if not (losses_named and f.subject.startswith(LATER))
    ]
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


# --- point in time (PostgreSQL) ---------------------------------------------------------------

TIME_EXAMPLE = "2026-12-02 10:00:00+08"
WAL_FILE = re.compile(r"^([0-9A-F]{24}|[0-9A-F]{8}\.history)$")
TARGET_NOT_REACHED = "recovery ended before configured recovery target was reached"
PROMOTE_TIMEOUT = 600  # seconds for PostgreSQL to replay the archive up to the moment


def parse_target_time(text: str) -> dt.datetime:
    """A moment as an operator writes it; without a zone it is the install's (北京时间)."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise BackupError(
            f"无法识别恢复时间“{text[:60]}”：请写成 {TIME_EXAMPLE} 这样的格式（日期、时刻，可带时区），未作任何改动。"
        ) from None
    return timezone.make_aware(when) if timezone.is_naive(when) else when


def _show(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S%z")


def _pg_ctl(bindir: Path, owner: str, pgdata: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pg_ctl on the data directory, as its owner (PostgreSQL refuses to run as root)."""
    command = [str(bindir / "pg_ctl"), "-D", str(pgdata), *args]
    if os.geteuid() == 0 and owner != "root":
        command = ["runuser", "-u", owner, "--", *command]
    return subprocess.run(
        command, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd="/", check=False, timeout=PROMOTE_TIMEOUT
    )


def _chown_tree(root: Path, owner: str) -> None:
    if os.geteuid() != 0:
        return
    account = pwd.getpwnam(owner)
    for folder, dirs, files in os.walk(root):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, account.pw_uid, account.pw_gid)


def _postmaster_port(pgdata: Path) -> int | None:
    """The port of the server running in pgdata (line 4 of postmaster.pid), None when none runs."""
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[3])
    except (OSError, ValueError, IndexError):
        return None


def _check_target(source: Path, manifest: dict, to_time: str, pgdata: Path | None, wal_archive: Path | None):
    """Everything a point-in-time restore needs, checked before anything changes."""
    if _engine() != "postgresql" or manifest["engine"] != "postgresql":
        raise BackupError(
            "按时间点恢复只适用于 PostgreSQL（依靠基础备份与 WAL 归档）；SQLite 请用不带 --to-time 的 zhifa restore。未作任何改动。"
        )
    base = manifest.get("base_backup")
    if not base:
        raise BackupError(
            f"备份 {source} 中没有基础备份（备份时数据库未开启 WAL 归档），不能按时间点恢复。未作任何改动。"
        )
    target = parse_target_time(to_time)
    now = timezone.now()
    if target > now:
        raise BackupError(f"恢复时间 {_show(target)} 晚于现在（{_show(now)}）：不能恢复到将来的时刻。未作任何改动。")
    finished = dt.datetime.fromisoformat(base["finished_at"])
    if target < finished:
        raise BackupError(
            f"恢复时间 {_show(target)} 早于该备份的基础备份完成时刻（{_show(finished)}）：只能恢复到其后的时刻，"
            "更早的时刻请用更早的备份。未作任何改动。"
        )
    tarball = source / base["file"]
    if not tarball.is_file():
        raise BackupError(f"备份中缺少基础备份文件 {base['file']}，未作任何改动。")
    if tarball.stat().st_size != base["size"] or _hash_file(tarball) != base["sha256"]:
        raise BackupError(f"备份中的基础备份 {base['file']} 已损坏（内容与记录的哈希不符），未作任何改动。")
    if pgdata is None or not (pgdata / "PG_VERSION").is_file():
        raise BackupError(
            f"须用 --pgdata 指明数据库服务器的数据目录（bin/deploy：PREFIX/postgresql）；{pgdata or '未指明'} 不是 "
            "PostgreSQL 数据目录。未作任何改动。"
        )
    if wal_archive is None or not wal_archive.is_dir() or "'" in str(wal_archive):
        raise BackupError(
            f"须用 --wal-archive 指明 WAL 归档目录（bin/deploy：PREFIX/wal-archive）；{wal_archive or '未指明'} 不是目录。未作任何改动。"
        )
    major = (pgdata / "PG_VERSION").read_text().strip()
    if base["server_version"].split(".")[0] != major:
        raise BackupError(
            f"基础备份来自 PostgreSQL {base['server_version']}，数据目录是 PostgreSQL {major} 的。未作任何改动。"
        )
    bindir = Path(f"/usr/lib/postgresql/{major}/bin")
    if not (bindir / "pg_ctl").is_file():
        raise BackupError(f"找不到 PostgreSQL {major} 的 pg_ctl（{bindir}）。请安装 postgresql-{major}，未作任何改动。")
    owner = pgdata.owner()
    if os.geteuid() not in (0, pwd.getpwnam(owner).pw_uid):
        raise BackupError(f"须以 root 或数据目录所有者 {owner} 的身份运行，才能停止并恢复数据库服务器。未作任何改动。")
    port = int(connection.settings_dict.get("PORT") or 5432)
    running = _postmaster_port(pgdata)
    if running is not None and running != port:
        raise BackupError(
            f"数据目录 {pgdata} 的服务器监听端口 {running}，而本应用的数据库配置（DATABASE_URL）是端口 {port}："
            "不是同一台服务器。未作任何改动。"
        )
    return target, base, bindir, owner, port


def _witness_checkpoints(report: Report):
    """The latest checkpoint each configured witness cosigned (opened with this ledger's key)."""
    from django.conf import settings

    from ledger.keys import configured_witnesses, verifier_key
    from ledger.note import NoteError, open_note, parse_checkpoint
    from ledger.witness import WitnessError, fetch_note, witness_checkpoint_url

    kept = []
    for witness in configured_witnesses():
        try:
            note = fetch_note(witness_checkpoint_url(witness.url, settings.ZHIFA_LEDGER_ORIGIN), timeout=10)
            checkpoint = parse_checkpoint(open_note(note, verifier_key()), settings.ZHIFA_LEDGER_ORIGIN)
        except (WitnessError, NoteError) as exc:
            report.say(f"未能取得见证方 {witness.name} 副署的检查点：{exc}")
            continue
        kept.append((witness.name, checkpoint, note))
    return kept


def restore_to_time(
    source: Path,
    *,
    to_time: str,
    pgdata: Path | None,
    wal_archive: Path | None,
    report: Report | None = None,
) -> list[str]:
    """Recover the PostgreSQL cluster in `pgdata` to the moment `to_time` from the backup's base
    backup and the WAL archive, put the backup's files back, verify the whole ledger, and name the
    events the witnesses cosigned after that moment (lost). Returns the verification's findings.

    The server is stopped (when running), its data directory kept beside it as
    `<pgdata>.before-restore-<time>` (its unarchived WAL is replayed too, as PostgreSQL's manual
    says), the base backup unpacked in its place, and PostgreSQL's own recovery replays the archive
    up to the moment and promotes. A server that was stopped is stopped again at the end."""
    from ledger.models import Head
    from ledger.services import RECOVER_NEWER, witnessed_checkpoint_record
    from ledger.verify import KeptCheckpoint

    report = report or Report()
    source = Path(source)
    manifest = read_manifest(source)
    pgdata = Path(pgdata).absolute() if pgdata else None
    wal_archive = Path(wal_archive).absolute() if wal_archive else None
    target, base, bindir, owner, port = _check_target(source, manifest, to_time, pgdata, wal_archive)
    check_backup(source, manifest)
    report.say(f"备份完好：基础备份、数据库文件及 {len(manifest['blobs'])} 个文件均在且与哈希一致")

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    kept = pgdata.with_name(f"{pgdata.name}.before-restore-{stamp}")
    for n in range(2, 100):
        if not kept.exists():
            break
        kept = pgdata.with_name(f"{pgdata.name}.before-restore-{stamp}-{n}")
    connection.close()
    was_running = _pg_ctl(bindir, owner, pgdata, "status").returncode == 0
    if was_running:
        stopped = _pg_ctl(bindir, owner, pgdata, "stop", "-m", "fast", "-w", "-t", "120")
        if stopped.returncode != 0:
            raise BackupError(f"无法停止数据库服务器（pg_ctl stop）：{stopped.stderr.strip()}。未作任何改动。")
    pgdata.rename(kept)
    report.say(f"数据库服务器已停止；原数据目录保存为 {kept}")
    try:
        pgdata.mkdir(mode=0o700)
        with tarfile.open(source / base["file"]) as tar:
            tar.extractall(pgdata, filter="tar")
        copied = 0
        (pgdata / "pg_wal").mkdir(exist_ok=True)
        for segment in sorted((kept / "pg_wal").iterdir()):
            if WAL_FILE.match(segment.name) and not (wal_archive / segment.name).exists():
                shutil.copy2(segment, pgdata / "pg_wal" / segment.name)  # not yet archived: replay it too
                copied += 1
        recovery = (
            f"\n# zhifa restore --to-time ({stamp})\n"
            f"restore_command = 'cp {wal_archive}/%f %p'\n"
            f"recovery_target_time = '{target.isoformat(sep=' ')}'\n"
            "recovery_target_action = 'promote'\n"
        )
        auto_conf = pgdata / "postgresql.auto.conf"
        plain_conf = auto_conf.read_text() if auto_conf.exists() else ""
        auto_conf.write_text(plain_conf + recovery)
        (pgdata / "recovery.signal").touch()
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
        _chown_tree(pgdata, owner)
        report.say(f"基础备份已解开，原目录中未归档的 WAL {copied} 个一并重放；开始恢复到 {_show(target)}")
        log = pgdata / "zhifa-restore.log"

        def start_and_promote() -> bool:
            """Start the server and wait until it has replayed and promoted itself; False when it
            stopped instead (it may first accept connections as a hot standby, then stop)."""
            started = _pg_ctl(bindir, owner, pgdata, "start", "-w", "-t", str(PROMOTE_TIMEOUT), "-l", str(log),
                              "-o", f"-p {port}")
            if started.returncode != 0:
                return False
            deadline = time.monotonic() + PROMOTE_TIMEOUT
            while True:
                connection.close()
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_is_in_recovery()")
                        if not cursor.fetchone()[0]:
                            return True
                except DatabaseError:
                    if _pg_ctl(bindir, owner, pgdata, "status").returncode != 0:
                        connection.close()
                        return False
                if time.monotonic() > deadline:
                    raise BackupError(f"数据库服务器在 {PROMOTE_TIMEOUT} 秒内未完成恢复，请查看 {log}")
                time.sleep(0.2)

        promoted = start_and_promote()
        log_text = log.read_text(errors="replace") if log.exists() else ""
        if not promoted and TARGET_NOT_REACHED in log_text:
            # No transaction after the moment anywhere in the WAL: the state at the moment is the last one.
            _pg_ctl(bindir, owner, pgdata, "stop", "-m", "fast", "-w")
            auto_conf.write_text(plain_conf + recovery.replace("recovery_target_time", "# recovery_target_time"))
            report.say("WAL 中目标时刻之后再无事务：恢复到其中的最后一个事务，即目标时刻的状态")
            promoted = start_and_promote()
            log_text = log.read_text(errors="replace") if log.exists() else ""
        if not promoted:
            raise BackupError("数据库服务器恢复失败：\n" + "\n".join(log_text.strip().splitlines()[-8:]))
    except (BackupError, OSError, tarfile.TarError, subprocess.SubprocessError, DatabaseError) as exc:
        raise BackupError(f"恢复中断：{exc}\n原数据目录保存在 {kept}：可停止服务器后移回 {pgdata}。") from None
    last = re.findall(r"last completed transaction was at log time (.+)", log_text)
    size = Head.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    report.say(
        f"数据库已恢复到 {_show(target)}（最后一个事务：{last[-1].strip() if last else '未知'}）：台账 {size} 个事件"
    )
    _put_back_files(source, manifest, report)
    within, later = [], 0
    for name, checkpoint, note in _witness_checkpoints(report):
        if checkpoint.size > size:
            # kept: verify names the lost events until the ledger holds them, and no checkpoint is
            # signed meanwhile (it would fork from what the witness cosigned)
            witnessed_checkpoint_record(witness=name, size=checkpoint.size, root=checkpoint.root, note=note)
            later += 1
            lost = (
                f"第 {checkpoint.size} 条事件（序号 #{size}）"
                if checkpoint.size == size + 1
                else f"第 {size + 1}–{checkpoint.size} 条事件（序号 #{size}–#{checkpoint.size - 1}）"
            )
            report.say(
                f"见证方 {name} 已副署大小 {checkpoint.size} 的检查点，恢复后的台账只有 {size} 个事件："
                f"{lost}写于恢复时刻之后，已丢失"
            )
        else:
            within.append(KeptCheckpoint(checkpoint.size, checkpoint.root, f"见证方 {name}", frozenset({name})))
    problems = verify_restored(manifest, report=report, against=within, losses_named=True)
    if later:
        report.say(
            "见证方保留着较新的检查点：在台账重新包含它之前，zhifa ledger verify 会列出缺失的事件，"
            f"也不会签署新的检查点（否则与见证方副署的分叉）。{RECOVER_NEWER}"
        )
    if not was_running:
        _pg_ctl(bindir, owner, pgdata, "stop", "-m", "fast", "-w", "-t", "120")
        connection.close()
        report.say("数据库服务器已按原状停止（恢复前未运行）；请启动各项服务（bin/deploy）")
    return problems
