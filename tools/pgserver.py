#!/usr/bin/env python3
"""A throw-away PostgreSQL server for the test suite (standard library only).

    python tools/pgserver.py start [--state FILE] [--wal-archive]
                                                    start one; print its DATABASE_URL
    python tools/pgserver.py url [--state FILE]     print the DATABASE_URL of the running one
    python tools/pgserver.py describe [--state FILE]  print "PostgreSQL 15.x on 127.0.0.1:PORT"
    python tools/pgserver.py stop [--state FILE]    stop it and delete its files
    python tools/pgserver.py start --replication [--state FILE]
                                                    a primary that streams WAL to replicas
    python tools/pgserver.py replica --state PRIMARY [--replica-state FILE]
                                                    start a streaming replica of it; print its URL
    python tools/pgserver.py promote --state REPLICA  make the replica a primary (failover)

From Python:

    with running_server() as server:
        os.environ["DATABASE_URL"] = server.url

What `start` does:

* finds the server binaries in /usr/lib/postgresql/15/bin (else the newest
  /usr/lib/postgresql/*/bin). If there are none and we are root, installs Debian's
  `postgresql` package with apt-get, telling it not to create its own "main" cluster
  (and stopping any cluster it started anyway): nothing here uses port 5432.
* creates a new cluster in /tmp/zhifa-pg-XXXXXXXX (UTF8, locale C.UTF-8 or C). PostgreSQL
  refuses to run as root, so as root the cluster belongs to the system user `zhifa-pg`
  (created when missing) and initdb/pg_ctl run through `runuser -u zhifa-pg --`.
* starts it listening on 127.0.0.1 only, on a free port, with the unix socket in the
  cluster directory, trust authentication for local connections only, and durability
  switched off (fsync=off and friends): the data is thrown away anyway.
* creates the login role `zhifa` (CREATEDB, so Django can create test_zhifa) and its
  database `zhifa`, and records the server in a state file so `stop` can find it.
* with `--wal-archive` (`wal_archive=True`): WAL archiving as in production (`wal_level=replica`,
  every segment copied to the cluster's `wal-archive` folder), replication connections allowed and
  the role given REPLICATION, so `zhifa backup` takes a base backup and `zhifa restore --to-time`
  can recover the cluster to a moment (its tests).
* with `--replication` (`replication=True`): `wal_level=replica`, WAL senders and replication slots,
  replication connections allowed (no archive), so `replica` can stream from it.

What `replica` does (`start_replica(primary)`): a hot standby of a running `--replication` server,
as production builds one: `pg_basebackup -R` (writes `standby.signal` and `primary_conninfo`) with
its own replication slot on the primary (`-C -S`, so the primary keeps the WAL the replica has not
received), `hot_standby = on`, its own folder, socket and free port, run as the same unprivileged
user. `stop` stops it and drops its slot on the primary; `promote` runs `pg_ctl promote` and waits
until it accepts writes. `halt_server` stops a server keeping its files, `restart_server` starts it
again. `wait_for_replay(primary, replica)` waits until the replica has replayed
everything the primary has written (`pg_last_wal_replay_lsn()`).

Messages go to stderr; stdout carries only the answer (the URL), so
`DATABASE_URL=$(python tools/pgserver.py start)` works.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_LIB = Path("/usr/lib/postgresql")
PREFERRED_MAJOR = "15"
SERVICE_USER = "zhifa-pg"
SUPERUSER = "postgres"
DB_USER = "zhifa"
DB_NAME = "zhifa"
HOST = "127.0.0.1"
# Not $TMPDIR: the service user must reach it, and socket paths must stay short. Folders in it
# are made with mkdtemp (private, unpredictable names).
TMP = Path("/tmp")  # noqa: S108
DIR_PREFIX = "zhifa-pg-"
DEBIAN_DROPIN = Path("/etc/postgresql-common/createcluster.d/zhifa-no-main-cluster.conf")

# Settings for a disposable test server: fast, not durable, reachable from this machine only.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_permissions": "0700",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "archive_mode": "off",
    "max_wal_size": "'1GB'",
    "checkpoint_timeout": "'30min'",
    "autovacuum": "off",
    "jit": "off",
    "max_parallel_workers_per_gather": "0",  # no /dev/shm-hungry parallel workers in small containers
    "shared_buffers": "'128MB'",
    "max_connections": "100",
    "logging_collector": "off",
    "log_min_messages": "warning",
    "log_checkpoints": "off",
}

PG_HBA = """\
# Throw-away test cluster made by tools/pgserver.py: no passwords, and only from this machine.
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
"""

# --wal-archive: production's WAL settings (as bin/deploy writes them), for point-in-time tests.
ARCHIVE_SETTINGS = {
    "wal_level": "replica",
    "archive_mode": "on",
    "max_wal_senders": "4",
    "full_page_writes": "on",
}
PG_HBA_REPLICATION = """\
local   replication   all                  trust
host    replication   all   127.0.0.1/32   trust
"""
ARCHIVE_DIR = "wal-archive"

# --replication: a primary that replicas stream from (no archive: the slot keeps the WAL they need).
REPLICATION_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "4",
    "max_replication_slots": "4",
    "full_page_writes": "on",
}
# A streaming replica's own settings, after those copied from its primary. hot_standby_feedback keeps
# the primary from vacuuming rows a replica's query still reads (no cancelled portal reads).
STANDBY_SETTINGS = {"hot_standby": "on", "hot_standby_feedback": "on"}


class PgServerError(RuntimeError):
    """Something a person has to fix; the message says what."""


Log = Callable[[str], None]


def _stderr_log(message: str) -> None:
    print(f"pgserver: {message}", file=sys.stderr, flush=True)


@dataclasses.dataclass
class Server:
    directory: str
    port: int
    pid: int
    version: str
    bindir: str
    owner: str
    host: str = HOST
    wal_archive: str = ""  # the archive folder when started with --wal-archive
    replication: bool = False  # replicas may stream from it (--replication or --wal-archive)
    standby_of: int = 0  # a replica: its primary's port (0: a primary, or promoted)
    slot: str = ""  # a replica: its replication slot on the primary

    @property
    def url(self) -> str:
        return database_url(self.host, self.port)

    @property
    def data_dir(self) -> Path:
        return Path(self.directory) / "data"

    @property
    def major(self) -> str:
        return self.version.split(".")[0]

    def describe(self) -> str:
        return f"PostgreSQL {self.major} on {self.host}:{self.port}"

    def to_json(self) -> str:
        return json.dumps({**dataclasses.asdict(self), "url": self.url}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Server:
        data = json.loads(text)
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


# --- small helpers (no server needed) -------------------------------------------------------


def database_url(host: str, port: int, user: str = DB_USER, name: str = DB_NAME) -> str:
    return f"postgres://{user}@{host}:{port}/{name}"


def find_free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the kernel picks it when binding to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def default_state_path() -> Path:
    """One state file per checkout and user, so two checkouts never stop each other's server."""
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:10]
    return TMP / f"zhifa-pgserver-{os.getuid()}-{digest}.json"


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def find_bindir() -> Path | None:
    """PostgreSQL 15's bin directory, else the newest installed one, else None."""
    preferred = PG_LIB / PREFERRED_MAJOR / "bin"
    if (preferred / "postgres").is_file():
        return preferred
    found = [path.parent for path in PG_LIB.glob("*/bin/postgres") if path.is_file()]
    if not found:
        return None
    return max(found, key=lambda path: _version_key(path.parent.name))


def _is_root() -> bool:
    return os.geteuid() == 0


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without PG* variables, so a developer's PGPORT or PGDATA cannot interfere."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(extra)
    return env


def _run(
    cmd: list[str], *, cwd: Path | str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=_clean_env() if env is None else env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", SERVICE_USER, "--", *cmd] if _is_root() else cmd


# --- installation -----------------------------------------------------------------------------


def _online_debian_clusters() -> list[tuple[str, str]]:
    if not shutil.which("pg_lsclusters"):
        return []
    result = _run(["pg_lsclusters", "--no-header"])
    clusters = []
    for line in result.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3].startswith("online"):
            clusters.append((fields[0], fields[1]))
    return clusters


def install_postgres(log: Log = _stderr_log) -> None:
    """Install Debian's postgresql package (root only) without leaving a server on port 5432."""
    if not shutil.which("apt-get"):
        raise PgServerError("PostgreSQL is not installed and there is no apt-get to install it with.")
    # Debian's postinst creates and starts a "main" cluster on 5432 unless told not to.
    DEBIAN_DROPIN.parent.mkdir(parents=True, exist_ok=True)
    DEBIAN_DROPIN.write_text(
        "# Written by zhifa's tools/pgserver.py: the tests start their own throw-away clusters.\n"
        "create_main_cluster = false\n"
    )
    already_online = set(_online_debian_clusters())
    env = _clean_env(DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true")
    install = [
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "-o",
        "Dpkg::Options::=--force-confdef",
        "-o",
        "Dpkg::Options::=--force-confold",
        "postgresql",
    ]
    started = time.monotonic()
    log("PostgreSQL is not installed; installing Debian's postgresql package with apt-get ...")
    result = _run(install, env=env, timeout=900)
    if result.returncode != 0:
        log("apt-get install failed; running apt-get update and trying again ...")
        update = _run(["apt-get", "update", "-q"], env=env, timeout=600)
        if update.returncode != 0:
            raise PgServerError("apt-get update failed:\n" + _tail(update.stdout + update.stderr))
        result = _run(install, env=env, timeout=900)
        if result.returncode != 0:
            raise PgServerError("apt-get install postgresql failed:\n" + _tail(result.stdout + result.stderr))
    for version, name in _online_debian_clusters():
        if (version, name) not in already_online:
            log(f"stopping the Debian cluster {version}/{name} that the package started (not used)")
            _run(["pg_ctlcluster", version, name, "stop"])
    log(f"installed PostgreSQL in {time.monotonic() - started:.0f}s")


def ensure_postgres(log: Log = _stderr_log) -> Path:
    """The bin directory of an installed PostgreSQL, installing it first when root."""
    bindir = find_bindir()
    if bindir:
        return bindir
    if not _is_root():
        raise PgServerError(
            f"PostgreSQL is not installed (no {PG_LIB}/*/bin/postgres), and only root can install it "
            "here. Install it with:\n    sudo apt-get install --no-install-recommends postgresql-15\n"
            "or run this as root once."
        )
    install_postgres(log)
    bindir = find_bindir()
    if not bindir:
        raise PgServerError(
            f"the postgresql package was installed, but there is still no {PG_LIB}/*/bin/postgres."
        )
    return bindir


def ensure_service_user() -> pwd.struct_passwd:
    """The unprivileged system user that owns clusters made by root; created when missing."""
    result = None
    for _attempt in range(3):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(SERVICE_USER)
        shell = next((s for s in ("/usr/sbin/nologin", "/sbin/nologin") if os.path.exists(s)), "/bin/false")
        result = _run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                shell,
                SERVICE_USER,
            ]
        )
        if result.returncode != 0:
            time.sleep(0.3)  # perhaps a concurrent start is creating it right now
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(SERVICE_USER)
    detail = (result.stderr or result.stdout).strip() if result else ""
    raise PgServerError(f"could not create the system user {SERVICE_USER}: {detail}")


# --- the server -------------------------------------------------------------------------------


def _initdb(bindir: Path, directory: Path, log: Log) -> None:
    data = directory / "data"
    for locale in ("C.UTF-8", "C"):
        result = _run(
            _as_owner(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    SUPERUSER,
                    "-E",
                    "UTF8",
                    f"--locale={locale}",
                    "--auth=trust",
                    "--no-sync",
                ]
            ),
            cwd=directory,
        )
        if result.returncode == 0:
            return
        output = result.stdout + result.stderr
        shutil.rmtree(data, ignore_errors=True)
        if locale != "C" and "locale" in output.lower():
            log(f"locale {locale} is not available; using C")
            continue
        raise PgServerError("initdb failed:\n" + _tail(output))


def _configure(directory: Path, archive: Path | None = None, *, replication: bool = False) -> None:
    data = directory / "data"
    settings = {**SERVER_SETTINGS, "unix_socket_directories": f"'{directory}'"}
    if replication:
        settings.update(REPLICATION_SETTINGS)
    if archive is not None:
        settings.update(ARCHIVE_SETTINGS, archive_command=f"'test ! -f {archive}/%f && cp %p {archive}/%f'")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n# --- tools/pgserver.py: disposable test server ---\n")
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
    allowed = archive is not None or replication
    (data / "pg_hba.conf").write_text(PG_HBA + (PG_HBA_REPLICATION if allowed else ""))


def _read_pid(data: Path) -> int | None:
    try:
        return int((data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _is_postgres_process(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else (zhifa-pg, when we are not root)
    try:
        return b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # the command name (field 2) may contain spaces; the parent pid follows the closing ")"
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _psql(
    bindir: Path, port: int, *args: str, database: str = "postgres"
) -> subprocess.CompletedProcess[str]:
    return _run(
        [
            str(bindir / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            HOST,
            "-p",
            str(port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            *args,
        ],
        timeout=60,
    )


def _wait_for_connections(bindir: Path, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = _run(
            [str(bindir / "pg_isready"), "-q", "-h", HOST, "-p", str(port), "-U", SUPERUSER], timeout=10
        )
        if result.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise PgServerError(
                f"the server did not accept connections on {HOST}:{port} within {timeout:.0f}s"
            )
        time.sleep(0.1)


def _start_postmaster(bindir: Path, directory: Path) -> tuple[int, int]:
    """Start the server on a free port; returns (port, pid). Retries when the port was taken meanwhile."""
    data = directory / "data"
    logfile = directory / "server.log"
    for _attempt in range(5):
        port = find_free_port()
        result = _run(
            _as_owner(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(logfile),
                    "-o",
                    f"-p {port}",
                    "-w",
                    "-t",
                    "60",
                    "-s",
                    "start",
                ]
            ),
            cwd=directory,
            timeout=90,
        )
        pid = _read_pid(data)
        if result.returncode == 0 and pid:
            return port, pid
        log_text = logfile.read_text(errors="replace") if logfile.exists() else ""
        if "could not bind" in log_text or "already in use" in log_text:
            _stop_postmaster(bindir, directory, pid)
            logfile.unlink(missing_ok=True)
            continue
        raise PgServerError("the server did not start:\n" + _tail(result.stdout + result.stderr + log_text))
    raise PgServerError("could not find a free port to listen on after 5 attempts")


def _stop_postmaster(bindir: Path, directory: Path, pid: int | None) -> None:
    data = directory / "data"
    pid = _read_pid(data) or pid
    if (data / "postmaster.pid").exists():
        for mode in ("fast", "immediate"):
            result = _run(
                _as_owner(
                    [str(bindir / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "-t", "30", "-s", "stop"]
                ),
                cwd=directory,
                timeout=60,
            )
            if result.returncode == 0:
                break
    if _is_postgres_process(pid):
        assert pid
        for victim in [pid, *_children(pid)]:
            with contextlib.suppress(OSError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _is_postgres_process(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def _remove_directory(directory: Path) -> None:
    # Guard against a damaged state file: only ever delete our own /tmp/zhifa-pg-* folders.
    if directory.parent == TMP and directory.name.startswith(DIR_PREFIX):
        shutil.rmtree(directory, ignore_errors=True)


def start_server(
    state_path: Path | None = None, log: Log = _stderr_log, *, wal_archive: bool = False, replication: bool = False
) -> Server:
    """Create and start a new cluster; write its state to state_path (and into its directory).
    `wal_archive`: archive every WAL segment into DIRECTORY/wal-archive (point-in-time tests).
    `replication`: replicas may stream from it (start_replica)."""
    bindir = ensure_postgres(log)
    started = time.monotonic()
    owner = ensure_service_user() if _is_root() else pwd.getpwuid(os.getuid())
    directory = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=TMP))
    pid = None
    try:
        if _is_root():
            os.chown(directory, owner.pw_uid, owner.pw_gid)
        _initdb(bindir, directory, log)
        archive = directory / ARCHIVE_DIR if wal_archive else None
        if archive is not None:
            archive.mkdir(mode=0o700)
            if _is_root():
                os.chown(archive, owner.pw_uid, owner.pw_gid)
        _configure(directory, archive, replication=replication)
        port, pid = _start_postmaster(bindir, directory)
        _wait_for_connections(bindir, port)
        result = _psql(
            bindir,
            port,
            "-c",
            f"CREATE ROLE {DB_USER} LOGIN CREATEDB" + (" REPLICATION" if wal_archive or replication else ""),
            "-c",
            f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}",
            "-c",
            "SHOW server_version",
        )
        if result.returncode != 0:
            raise PgServerError(f"could not create the role and database {DB_NAME}:\n" + _tail(result.stderr))
        version = result.stdout.strip().split()[0]
        server = Server(
            directory=str(directory),
            port=port,
            pid=pid,
            version=version,
            bindir=str(bindir),
            owner=owner.pw_name,
            wal_archive=str(archive or ""),
            replication=wal_archive or replication,
        )
        _write_state(directory / "state.json", server)
        if state_path:
            _write_state(state_path, server)
    except BaseException:
        _stop_postmaster(bindir, directory, pid)
        _remove_directory(directory)
        raise
    log(
        f"PostgreSQL {server.version} ready on {HOST}:{port} in {time.monotonic() - started:.1f}s "
        f"(cluster in {directory}, owned by {owner.pw_name})"
    )
    return server


def stop_server(server: Server, log: Log = _stderr_log) -> None:
    """Stop the server and delete its directory. Safe to call when it is already gone. A replica's
    slot is dropped on its primary (when that still runs), so the primary stops keeping WAL for it."""
    directory = Path(server.directory)
    _stop_postmaster(Path(server.bindir), directory, server.pid)
    _remove_directory(directory)
    if server.standby_of and server.slot:
        _drop_slot(Path(server.bindir), server.standby_of, server.slot)
    log(f"stopped PostgreSQL on {server.host}:{server.port} and removed {directory}")


def halt_server(server: Server, log: Log = _stderr_log) -> None:
    """Stop the server and keep its files (restart_server starts it again)."""
    _stop_postmaster(Path(server.bindir), Path(server.directory), server.pid)
    log(f"halted PostgreSQL on {server.host}:{server.port} (files kept in {server.directory})")


def restart_server(server: Server, state_path: Path | None = None, log: Log = _stderr_log) -> Server:
    """Start a halted server again, on a free port (a replica resumes streaming through its slot)."""
    bindir, directory = Path(server.bindir), Path(server.directory)
    port, pid = _start_postmaster(bindir, directory)
    _wait_for_connections(bindir, port)
    restarted = dataclasses.replace(server, port=port, pid=pid)
    _write_state(directory / "state.json", restarted)
    if state_path:
        _write_state(state_path, restarted)
    log(f"restarted {restarted.describe()}")
    return restarted


# --- streaming replicas -----------------------------------------------------------------------


def _drop_slot(bindir: Path, port: int, slot: str, timeout: float = 10) -> None:
    """Drop a replica's slot on its primary once its WAL sender has gone; nothing when the primary
    or the slot is gone."""
    deadline = time.monotonic() + timeout
    while True:
        result = _psql(
            bindir,
            port,
            "-c",
            f"SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots "  # noqa: S608
            f"WHERE slot_name = '{slot}' AND NOT active",
            "-c",
            f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'",  # noqa: S608
        )
        if result.returncode != 0 or result.stdout.split()[-1:] == ["0"] or time.monotonic() > deadline:
            return
        time.sleep(0.1)  # its WAL sender is still active; it ends with the replica's connection


def copy_database(server: Server, source: dict, dump: Path, timeout: float = 120) -> None:
    """Copy the database that Django settings `source` name (HOST, PORT, USER, NAME) into `server`'s,
    schema and rows, through pg_dump's custom format at `dump` (tests that need a server of their own
    with the test database's tables)."""
    bindir = Path(server.bindir)
    subprocess.run(
        [bindir / "pg_dump", "-Fc", "--no-owner", "-f", dump, "-h", source["HOST"], "-p", str(source["PORT"]),
         "-U", source["USER"], source["NAME"]],
        check=True, capture_output=True, timeout=timeout,
    )
    subprocess.run(
        [bindir / "pg_restore", "--no-owner", "--exit-on-error", "-h", server.host, "-p", str(server.port),
         "-U", DB_USER, "-d", DB_NAME, dump],
        check=True, capture_output=True, timeout=timeout,
    )


def start_replica(primary: Server, state_path: Path | None = None, log: Log = _stderr_log) -> Server:
    """Start a hot-standby streaming replica of `primary` (started with replication=True) in a new
    folder, as the same user; write its state to state_path (and into its directory)."""
    if not primary.replication:
        raise PgServerError("the primary does not allow replication: start it with --replication.")
    if not is_running(primary):
        raise PgServerError(f"the primary ({primary.describe()}) is not running.")
    bindir = Path(primary.bindir)
    started = time.monotonic()
    owner = pwd.getpwnam(primary.owner)
    directory = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=TMP))
    # mkdtemp's names are lower-case letters, digits and "_": a valid slot name.
    slot = "replica_" + directory.name.removeprefix(DIR_PREFIX)
    pid = None
    try:
        if _is_root():
            os.chown(directory, owner.pw_uid, owner.pw_gid)
        data = directory / "data"
        result = _run(
            _as_owner(
                [
                    str(bindir / "pg_basebackup"),
                    "-D",
                    str(data),
                    "-h",
                    HOST,
                    "-p",
                    str(primary.port),
                    "-U",
                    SUPERUSER,
                    "-R",  # standby.signal and primary_conninfo
                    "-X",
                    "stream",
                    "-C",  # create the slot ...
                    "-S",
                    slot,  # ... and stream through it from now on
                    "-c",
                    "fast",
                    "--no-sync",
                ]
            ),
            cwd=directory,
            timeout=300,
        )
        if result.returncode != 0:
            raise PgServerError("pg_basebackup failed:\n" + _tail(result.stdout + result.stderr))
        settings = {"unix_socket_directories": f"'{directory}'", **STANDBY_SETTINGS}
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\n# --- tools/pgserver.py: streaming replica ---\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        port, pid = _start_postmaster(bindir, directory)
        _wait_for_connections(bindir, port)
        server = Server(
            directory=str(directory),
            port=port,
            pid=pid,
            version=primary.version,
            bindir=str(bindir),
            owner=primary.owner,
            replication=True,
            standby_of=primary.port,
            slot=slot,
        )
        _write_state(directory / "state.json", server)
        if state_path:
            _write_state(state_path, server)
    except BaseException:
        _stop_postmaster(bindir, directory, pid)
        _remove_directory(directory)
        _drop_slot(bindir, primary.port, slot)
        raise
    log(
        f"streaming replica of {primary.host}:{primary.port} ready on {HOST}:{port} "
        f"in {time.monotonic() - started:.1f}s (slot {slot}, cluster in {directory})"
    )
    return server


def promote(server: Server, state_path: Path | None = None, log: Log = _stderr_log) -> Server:
    """Failover: make the replica a primary (`pg_ctl promote`), waiting until it accepts writes."""
    if not server.standby_of:
        raise PgServerError(f"{server.describe()} is not a replica; there is nothing to promote.")
    bindir, directory = Path(server.bindir), Path(server.directory)
    result = _run(
        _as_owner([str(bindir / "pg_ctl"), "-D", str(directory / "data"), "-w", "-t", "60", "-s", "promote"]),
        cwd=directory,
        timeout=90,
    )
    if result.returncode != 0:
        raise PgServerError("pg_ctl promote failed:\n" + _tail(result.stdout + result.stderr))
    deadline = time.monotonic() + 30
    while _psql(bindir, server.port, "-c", "SELECT pg_is_in_recovery()").stdout.strip() != "f":
        if time.monotonic() > deadline:
            raise PgServerError(f"{server.describe()} was promoted but still does not accept writes after 30s")
        time.sleep(0.1)
    promoted = dataclasses.replace(server, standby_of=0, slot="")
    _write_state(directory / "state.json", promoted)
    if state_path:
        _write_state(state_path, promoted)
    log(f"promoted {promoted.describe()}: it is a primary now (move DATABASE_URL to it)")
    return promoted


def wait_for_replay(primary: Server, replica: Server, timeout: float = 30) -> str:
    """Wait until the replica has replayed all WAL the primary has inserted so far; returns that LSN.
    The insert position, not the write position: with synchronous_commit off (the test servers), a
    commit can sit in the WAL buffers, past pg_current_wal_lsn(), until the WAL writer's next round."""
    result = _psql(Path(primary.bindir), primary.port, "-c", "SELECT pg_current_wal_insert_lsn()")
    if result.returncode != 0:
        raise PgServerError("could not read the primary's WAL position:\n" + _tail(result.stderr))
    target = result.stdout.strip()
    deadline = time.monotonic() + timeout
    query = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
    while _psql(Path(replica.bindir), replica.port, "-c", query).stdout.strip() != "t":
        if time.monotonic() > deadline:
            raise PgServerError(f"the replica on port {replica.port} did not replay up to {target} in {timeout:.0f}s")
        time.sleep(0.05)
    return target


def _write_state(path: Path, server: Server) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(server.to_json())
    temporary.replace(path)


def read_state(path: Path) -> Server | None:
    try:
        return Server.from_json(path.read_text())
    except (OSError, ValueError, TypeError):
        return None


def is_running(server: Server) -> bool:
    return Path(server.directory).is_dir() and _is_postgres_process(server.pid)


@contextlib.contextmanager
def running_server(log: Log = _stderr_log, *, wal_archive: bool = False, replication: bool = False) -> Iterator[Server]:
    """A fresh server for the duration of the `with` block; stopped and deleted afterwards."""
    server = start_server(state_path=None, log=log, wal_archive=wal_archive, replication=replication)
    try:
        yield server
    finally:
        stop_server(server, log=log)


@contextlib.contextmanager
def running_replica(primary: Server, log: Log = _stderr_log) -> Iterator[Server]:
    """A streaming replica of `primary` for the `with` block; stopped and deleted afterwards."""
    replica = start_replica(primary, log=log)
    try:
        yield replica
    finally:
        stop_server(replica, log=log)


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state", type=Path, default=None, help=f"state file (default: {default_state_path()})"
    )
    parser = argparse.ArgumentParser(description="A throw-away PostgreSQL server for the tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser(
        "start", parents=[common], help="start a server (or reuse the running one); print its URL"
    )
    start.add_argument(
        "--wal-archive", action="store_true", help="archive WAL as in production (point-in-time recovery)"
    )
    start.add_argument("--replication", action="store_true", help="let streaming replicas connect")
    replica = commands.add_parser(
        "replica", parents=[common], help="start a streaming replica of the server in --state; print its URL"
    )
    replica.add_argument(
        "--replica-state", type=Path, default=None, help="the replica's state file (default: STATE-replica.json)"
    )
    commands.add_parser("promote", parents=[common], help="promote the replica in --state to a primary")
    commands.add_parser("stop", parents=[common], help="stop the server and delete its files")
    commands.add_parser("url", parents=[common], help="print the DATABASE_URL of the running server")
    commands.add_parser("describe", parents=[common], help="print which server runs where")
    args = parser.parse_args(argv)
    state_path: Path = args.state or default_state_path()
    server = read_state(state_path)

    try:
        if args.command == "start":
            if server and is_running(server):
                _stderr_log(f"already running: {server.describe()} (state in {state_path})")
            else:
                if server:
                    stop_server(server, log=lambda _message: None)  # leftovers of a dead server
                    state_path.unlink(missing_ok=True)
                server = start_server(state_path, wal_archive=args.wal_archive, replication=args.replication)
            print(server.url)
        elif args.command == "replica":
            if server is None or not is_running(server):
                _stderr_log(f"no running server recorded in {state_path}; start one with --replication first")
                return 1
            replica_path = args.replica_state or state_path.with_name(state_path.stem + "-replica.json")
            print(start_replica(server, replica_path).url)
            _stderr_log(f"its state is in {replica_path}")
        elif args.command == "promote":
            if server is None or not is_running(server):
                _stderr_log(f"no running replica recorded in {state_path}")
                return 1
            print(promote(server, state_path).url)
        elif args.command == "stop":
            if server is None:
                _stderr_log(f"no server recorded in {state_path}; nothing to stop")
            else:
                stop_server(server)
            state_path.unlink(missing_ok=True)
        else:
            if server is None or not is_running(server):
                _stderr_log(
                    f"no running server recorded in {state_path}; run: python tools/pgserver.py start"
                )
                return 1
            print(server.url if args.command == "url" else server.describe())
    except PgServerError as error:
        _stderr_log(f"ERROR: {error}")
        return 1
    except subprocess.TimeoutExpired as error:
        _stderr_log(f"ERROR: timed out after {error.timeout:.0f}s: {' '.join(map(str, error.cmd))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
