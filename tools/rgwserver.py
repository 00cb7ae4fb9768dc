#!/usr/bin/env python3
"""A throw-away Ceph RADOS Gateway (radosgw, S3) for the integration tests (standard library only).

    python tools/rgwserver.py start [--state FILE]   start one; print endpoint and keys as JSON
    python tools/rgwserver.py info [--state FILE]    print the JSON of the running one
    python tools/rgwserver.py stop [--state FILE]    stop it and delete its files

From Python:

    with running_rgw() as rgw:
        s3 = boto3.client("s3", **rgw.client_kwargs)

Why a (tiny) Ceph cluster: Debian 12 ships Ceph 16.2 "Pacific", whose radosgw only stores data in
RADOS; the SQLite-backed `dbstore` backend (`rgw_backend_store`) only exists from Ceph 17, so
radosgw needs a monitor and an OSD behind it. What `start` does:

* finds ceph-mon, ceph-osd, radosgw, radosgw-admin, monmaptool and ceph. If one is missing and we
  are root, installs Debian's `radosgw ceph-mon ceph-osd` packages with apt-get (no recommends; no
  daemon is started by the packages: they need a configured cluster, and nothing here uses
  /etc/ceph).
* creates /tmp/zhifa-rgw-XXXXXXXX with its own ceph.conf and starts, in the foreground of their own
  processes and bound to 127.0.0.1 only:
  - one monitor (msgr2 only, on a free port; authentication "none": loopback-only test cluster);
  - one OSD with the `memstore` object store (data in memory; pools of size 1; no disk device);
  - radosgw with the beast frontend on another free port.
  No manager daemon: radosgw and the tests do not need one (the cluster reports HEALTH_WARN for it).
  As root the daemons run as Debian's `ceph` system user (made by the packages), else as the caller.
* waits until radosgw answers S3 (an anonymous GET / returns 200), then creates an S3 user with
  random keys with `radosgw-admin user create`.

`stop` kills the daemons (every process whose command line names the cluster's ceph.conf) and
deletes the directory. `running_rgw()` additionally ties the daemons to the calling thread
(PR_SET_PDEATHSIG: they get SIGKILL if the caller dies, even by SIGKILL) and, in the main thread,
stops everything on SIGTERM before the signal takes its usual course. A later `start` deletes
directories of clusters whose processes are all gone.

Messages go to stderr; stdout carries only the answer (JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import hashlib
import http.client
import itertools
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # tools/, however this file is loaded
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from cephconf import ceph_conf

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Not $TMPDIR: the `ceph` service user must reach it. Folders in it are made with mkdtemp.
TMP = Path("/tmp")  # noqa: S108
DIR_PREFIX = "zhifa-rgw-"
SERVICE_USER = "ceph"  # created by Debian's ceph-common package
PACKAGES = ("radosgw", "ceph-mon", "ceph-osd")
BINARIES = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph")
RGW_NAME = "client.rgw.zhifa"
S3_USER = "zhifa"
REGION = "us-east-1"  # radosgw accepts any SigV4 region; boto3 sends no LocationConstraint for this one
START_TIMEOUT = 120.0
PR_SET_PDEATHSIG = 1

CEPH_HEADER = """\
Throw-away test cluster made by zhifa's tools/rgwserver.py: loopback only, no authentication,
data in memory. Deleted by `python tools/rgwserver.py stop`."""
ADMIN_SOCKET = "admin socket = {dir}/run/$name.asok"


def _ceph_extra(memstore_bytes: int) -> dict[str, tuple[str, ...]]:
    """What the test cluster adds to tools/cephconf.py's common lines: objects in memory, quiet
    logs, admin sockets, pools that tests may delete and a monitor that does not make radosgw wait."""
    return {
        "global": (
            "cluster addr = {host}",
            "ms bind ipv4 = true",
            "log to stderr = false",
            "err to stderr = true",
            "mon allow pool delete = true",
            "mon data avail warn = 1",
            "mon data avail crit = 0",
            "# the monitor batches map changes for paxos_propose_interval (1 s); radosgw makes ~10 at start",
            "paxos propose interval = 0.05",
        ),
        "mon": (ADMIN_SOCKET,),
        "osd": (
            "osd objectstore = memstore",
            f"memstore device bytes = {memstore_bytes}",
            "osd fast shutdown = true",
            ADMIN_SOCKET,
        ),
        "rgw": ("rgw thread pool size = 32", "rgw enable usage log = false", ADMIN_SOCKET),
    }


class RgwServerError(RuntimeError):
    """Something a person has to fix; the message says what."""


class _PortTaken(RgwServerError):
    """A port picked as free was taken before the daemon bound it; the start is retried."""


Log = Callable[[str], None]


def _stderr_log(message: str) -> None:
    print(f"rgwserver: {message}", file=sys.stderr, flush=True)


@dataclasses.dataclass
class Rgw:
    directory: str
    port: int
    mon_port: int
    access_key: str
    secret_key: str
    version: str
    owner: str
    pids: dict[str, int]
    host: str = HOST
    region: str = REGION

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments for boto3.client("s3", ...) / boto3.resource("s3", ...)."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
        }

    @property
    def conf_path(self) -> Path:
        return Path(self.directory) / "ceph.conf"

    def describe(self) -> str:
        return f"Ceph radosgw {self.version} at {self.endpoint_url}"

    def to_json(self) -> str:
        return json.dumps({**dataclasses.asdict(self), "endpoint_url": self.endpoint_url}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Rgw:
        data = json.loads(text)
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


# --- small helpers ----------------------------------------------------------------------------


def find_free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the kernel picks it when binding to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def default_state_path() -> Path:
    """One state file per checkout and user, so two checkouts never stop each other's gateway."""
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:10]
    return TMP / f"zhifa-rgwserver-{os.getuid()}-{digest}.json"


def _is_root() -> bool:
    return os.geteuid() == 0


def missing_binaries() -> list[str]:
    return [name for name in BINARIES if not shutil.which(name)]


def is_installed() -> bool:
    return not missing_binaries()


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without CEPH_*/PYTHON* variables (the `ceph` CLI is a system Python script)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CEPH_", "PYTHON")) and key not in ("VIRTUAL_ENV", "LD_PRELOAD")
    }
    env.update(extra)
    return env


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


def _file_tail(path: Path, lines: int = 25) -> str:
    try:
        return _tail(path.read_text(errors="replace"), lines)
    except OSError:
        return "    (no output)"


def _random_key(length: int) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


# --- processes --------------------------------------------------------------------------------


def _proc_state(pid: int) -> str | None:
    """The one-letter state of a process (R, S, Z, ...), or None when there is none."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _is_alive(pid: int | None) -> bool:
    state = _proc_state(pid) if pid else None
    return state is not None and state not in ("Z", "X")


def _uses_conf(pid: int, conf: Path) -> bool:
    """Whether the process was started with `-c conf` (as every program of a cluster here is)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    return any(a == "-c" and b == str(conf) for a, b in itertools.pairwise(args))


def _cluster_pids(directory: Path) -> list[int]:
    """Live processes started for this cluster (with `-c <directory>/ceph.conf`)."""
    conf = directory / "ceph.conf"
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            pid = int(entry.name)
            if _uses_conf(pid, conf) and _is_alive(pid):
                found.append(pid)
    return found


def _kill_cluster(directory: Path, pids: dict[str, int] | None = None, timeout: float = 10) -> None:
    """Stop radosgw gently, then kill everything else of the cluster (its data is thrown away)."""
    rgw_pid = (pids or {}).get("rgw")
    if rgw_pid and _is_alive(rgw_pid) and _uses_conf(rgw_pid, directory / "ceph.conf"):
        with contextlib.suppress(OSError):
            os.kill(rgw_pid, signal.SIGTERM)
        deadline = time.monotonic() + 2
        while _is_alive(rgw_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    deadline = time.monotonic() + timeout
    while True:
        victims = _cluster_pids(directory)
        if not victims:
            return
        if time.monotonic() > deadline:
            raise RgwServerError(f"could not kill the processes {victims} of {directory}")
        for pid in victims:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


_LIBC: ctypes.CDLL | None = None


def _libc() -> ctypes.CDLL:
    global _LIBC  # loaded once, before any fork
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _die_with_parent_preexec() -> Callable[[], None]:
    """A preexec_fn: SIGKILL this child when the thread that started it ends (Linux only)."""
    libc = _libc()
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


@dataclasses.dataclass
class _Runner:
    """Runs the Ceph programs of one cluster: as the `ceph` user when root, in its directory."""

    directory: Path
    account: pwd.struct_passwd
    tie_to_parent: bool
    log: Log
    processes: dict[str, subprocess.Popen[bytes]] = dataclasses.field(default_factory=dict)

    @property
    def _as_other_user(self) -> dict[str, object]:
        if _is_root() and self.account.pw_uid != 0:
            return {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        return {}

    @property
    def env(self) -> dict[str, str]:
        return _clean_env(HOME=str(self.directory), LC_ALL="C.UTF-8")

    def run(self, cmd: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            cmd,
            cwd=self.directory,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **self._as_other_user,  # type: ignore[arg-type]
        )
        if result.returncode != 0:
            raise RgwServerError(
                f"{' '.join(cmd[:3])} ... failed (exit {result.returncode}):\n"
                + _tail(result.stdout + result.stderr)
            )
        return result

    def spawn(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        out = self.directory / "log" / f"{name}.out"
        with out.open("ab") as sink:
            process = subprocess.Popen(
                cmd,
                cwd=self.directory,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal reaches us, and we stop them
                preexec_fn=_die_with_parent_preexec() if self.tie_to_parent else None,
                **self._as_other_user,  # type: ignore[arg-type]
            )
        self.processes[name] = process
        return process

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                details = _file_tail(self.directory / "log" / f"{name}.out")
                log_name = {"mon": "mon.a", "osd": "osd.0", "rgw": RGW_NAME}[name]
                details += "\n" + _file_tail(self.directory / "log" / f"{log_name}.log")
                if "Address already in use" in details or "failed to bind" in details:
                    raise _PortTaken(f"{name} could not bind its port")
                raise RgwServerError(f"ceph {name} exited with status {process.returncode}:\n{details}")

    def reap(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


# --- installation -----------------------------------------------------------------------------


def install_ceph(log: Log = _stderr_log) -> None:
    """Install Debian's radosgw, ceph-mon and ceph-osd packages (root only)."""
    if not shutil.which("apt-get"):
        raise RgwServerError("Ceph is not installed and there is no apt-get to install it with.")
    env = _clean_env(DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true")
    install = [
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "-o",
        "DPkg::Lock::Timeout=300",
        "-o",
        "Dpkg::Options::=--force-confdef",
        "-o",
        "Dpkg::Options::=--force-confold",
        *PACKAGES,
    ]

    def apt(cmd: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900, check=False
        )

    started = time.monotonic()
    log(f"Ceph is not installed; installing Debian's {' '.join(PACKAGES)} with apt-get ...")
    result = apt(install)
    if result.returncode != 0:
        log("apt-get install failed; running apt-get update and trying again ...")
        update = apt(["apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=300"])
        if update.returncode != 0:
            raise RgwServerError("apt-get update failed:\n" + _tail(update.stdout + update.stderr))
        result = apt(install)
        if result.returncode != 0:
            raise RgwServerError(
                f"apt-get install {' '.join(PACKAGES)} failed:\n" + _tail(result.stdout + result.stderr)
            )
    log(f"installed Ceph in {time.monotonic() - started:.0f}s")


def ensure_ceph(log: Log = _stderr_log) -> None:
    """Make sure the Ceph programs are there, installing them first when root."""
    missing = missing_binaries()
    if not missing:
        return
    if not _is_root():
        raise RgwServerError(
            f"Ceph is not installed (missing: {', '.join(missing)}), and only root can install it here. "
            f"Install it with:\n    sudo apt-get install --no-install-recommends {' '.join(PACKAGES)}\n"
            "or run this as root once."
        )
    install_ceph(log)
    missing = missing_binaries()
    if missing:
        raise RgwServerError(f"the Ceph packages were installed, but {', '.join(missing)} are still missing.")


def _account() -> pwd.struct_passwd:
    """Who runs the daemons: the `ceph` system user when we are root and it exists, else ourselves."""
    if _is_root():
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(SERVICE_USER)
    return pwd.getpwuid(os.getuid())


def _radosgw_version() -> str:
    result = subprocess.run(
        ["radosgw", "--version"], capture_output=True, text=True, timeout=30, check=False, env=_clean_env()
    )
    words = result.stdout.split()
    return words[2] if len(words) > 2 and words[:2] == ["ceph", "version"] else "unknown"


# --- the cluster ------------------------------------------------------------------------------


def _wait_for_port(runner: _Runner, port: int, deadline: float) -> None:
    while True:
        runner.check_alive()
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        if time.monotonic() > deadline:
            raise RgwServerError(f"the monitor did not listen on {HOST}:{port} in time")
        time.sleep(0.05)


def _s3_answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _wait_for_s3(runner: _Runner, port: int, deadline: float) -> None:
    while True:
        runner.check_alive()
        if _s3_answers(port):
            return
        if time.monotonic() > deadline:
            raise RgwServerError(
                f"radosgw did not answer S3 on {HOST}:{port} in time. Its log:\n"
                + _file_tail(runner.directory / "log" / f"{RGW_NAME}.log")
                + "\nThe OSD's log:\n"
                + _file_tail(runner.directory / "log" / "osd.0.log")
            )
        time.sleep(0.1)


def _bring_up(runner: _Runner, memstore_bytes: int, log: Log) -> Rgw:
    directory = runner.directory
    deadline = time.monotonic() + START_TIMEOUT
    fsid = str(uuid.uuid4())
    mon_port, rgw_port = find_free_port(), find_free_port()
    while rgw_port == mon_port:
        rgw_port = find_free_port()
    conf = directory / "ceph.conf"
    conf.write_text(
        ceph_conf(
            header=CEPH_HEADER,
            fsid=fsid,
            host=HOST,
            mon_port=mon_port,
            rgw_port=rgw_port,
            directory=directory,
            rgw_name=RGW_NAME,
            extra=_ceph_extra(memstore_bytes),
        )
    )
    c = ["-c", str(conf)]
    # monitor
    runner.run(["monmaptool", "--create", "--fsid", fsid, "--addv", "a", f"[v2:{HOST}:{mon_port}]", "monmap"])
    runner.run(["ceph-mon", *c, "--mkfs", "-i", "a", "--monmap", "monmap"])
    runner.spawn("mon", ["ceph-mon", *c, "-f", "-i", "a"])
    _wait_for_port(runner, mon_port, deadline)
    # OSD (memstore: nothing on disk but its small meta files)
    osd_uuid = str(uuid.uuid4())
    osd_id = runner.run(["ceph", *c, "--connect-timeout", "30", "osd", "new", osd_uuid]).stdout.strip()
    if osd_id != "0":
        raise RgwServerError(f"expected OSD id 0 from `ceph osd new`, got {osd_id!r}")
    runner.run(["ceph-osd", *c, "--mkfs", "-i", "0", "--osd-uuid", osd_uuid])
    runner.spawn("osd", ["ceph-osd", *c, "-f", "-i", "0"])
    # radosgw: it creates its pools itself once the OSD is up
    runner.spawn("rgw", ["radosgw", *c, "-f", "-n", RGW_NAME])
    _wait_for_s3(runner, rgw_port, deadline)
    access_key, secret_key = _random_key(20), _random_key(40)
    runner.run(
        [
            "radosgw-admin",
            *c,
            "user",
            "create",
            "--uid",
            S3_USER,
            "--display-name",
            "zhifa integration tests",
            "--access-key",
            access_key,
            "--secret-key",
            secret_key,
        ]
    )
    return Rgw(
        directory=str(directory),
        port=rgw_port,
        mon_port=mon_port,
        access_key=access_key,
        secret_key=secret_key,
        version=_radosgw_version(),
        owner=runner.account.pw_name,
        pids={name: process.pid for name, process in runner.processes.items()},
    )


def _remove_directory(directory: Path) -> None:
    # Guard against a damaged state file: only ever delete our own /tmp/zhifa-rgw-* folders.
    if directory.parent == TMP and directory.name.startswith(DIR_PREFIX):
        shutil.rmtree(directory, ignore_errors=True)


def sweep_stale(log: Log = _stderr_log, min_age: float = 120) -> None:
    """Delete /tmp/zhifa-rgw-* folders left by a killed run: no live creator and no live daemon."""
    now = time.time()
    owners = {os.getuid(), _account().pw_uid}  # as root, the folders belong to the `ceph` user
    for directory in TMP.glob(DIR_PREFIX + "*"):
        with contextlib.suppress(OSError, ValueError):
            if directory.is_symlink() or not directory.is_dir() or directory.stat().st_uid not in owners:
                continue
            if now - directory.stat().st_mtime < min_age:
                continue
            creator = int((directory / "creator.pid").read_text().strip() or 0)
            if (creator and _is_alive(creator) and creator != os.getpid()) or _cluster_pids(directory):
                continue
            log(f"removing {directory}, left behind by an earlier run")
            _remove_directory(directory)


# The daemons this process started, by cluster directory, so that stopping them also reaps them.
_CHILDREN: dict[str, _Runner] = {}


def _cleanup(directory: Path, runner: _Runner) -> None:
    _kill_cluster(directory, {name: process.pid for name, process in runner.processes.items()})
    runner.reap()
    _remove_directory(directory)


def start_rgw(
    state_path: Path | None = None,
    *,
    tie_to_parent: bool = False,
    memstore_bytes: int = 2 << 30,
    log: Log = _stderr_log,
    _on_directory: Callable[[Path | None], None] | None = None,
) -> Rgw:
    """Create and start a new cluster with radosgw; write its state to state_path (and its directory).

    tie_to_parent: the daemons get SIGKILL when the calling thread ends (for `running_rgw`); leave it
    off when they must outlive this process (the command line's `start`).
    """
    ensure_ceph(log)
    sweep_stale(log)
    account = _account()
    started = time.monotonic()
    for attempt in range(3):
        directory = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=TMP))
        if _on_directory:
            _on_directory(directory)
        runner = _Runner(directory, account, tie_to_parent, log)
        try:
            (directory / "creator.pid").write_text(f"{os.getpid()}\n")
            for sub in ("run", "log", "mon.a", "osd.0", "rgw"):
                (directory / sub).mkdir()
            if _is_root():
                for path in [directory, *directory.iterdir()]:
                    os.chown(path, account.pw_uid, account.pw_gid)
            rgw = _bring_up(runner, memstore_bytes, log)
            _write_state(directory / "state.json", rgw)
            if state_path:
                _write_state(state_path, rgw)
            _CHILDREN[str(directory)] = runner
        except _PortTaken as error:
            _cleanup(directory, runner)
            if _on_directory:
                _on_directory(None)
            if attempt == 2:
                raise RgwServerError(f"{error}, three times in a row") from None
            log(f"{error}; trying other ports")
            continue
        except BaseException:
            _cleanup(directory, runner)
            if _on_directory:
                _on_directory(None)
            raise
        log(
            f"{rgw.describe()} ready in {time.monotonic() - started:.1f}s "
            f"(cluster in {directory}, daemons run as {account.pw_name})"
        )
        return rgw
    raise AssertionError("unreachable")


def stop_rgw(rgw: Rgw, log: Log = _stderr_log) -> None:
    """Stop the daemons and delete the directory. Safe to call when they are already gone."""
    directory = Path(rgw.directory)
    _kill_cluster(directory, rgw.pids)
    runner = _CHILDREN.pop(str(directory), None)
    if runner:
        runner.reap()
    _remove_directory(directory)
    log(f"stopped radosgw on {rgw.host}:{rgw.port} and removed {directory}")


def _write_state(path: Path, rgw: Rgw) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the secret key
    with os.fdopen(fd, "w") as out:
        out.write(rgw.to_json())
    temporary.replace(path)


def read_state(path: Path) -> Rgw | None:
    try:
        return Rgw.from_json(path.read_text())
    except (OSError, ValueError, TypeError):
        return None


def is_running(rgw: Rgw) -> bool:
    directory = Path(rgw.directory)
    return directory.is_dir() and all(
        _is_alive(pid) and _uses_conf(pid, directory / "ceph.conf") for pid in rgw.pids.values()
    )


@contextlib.contextmanager
def running_rgw(log: Log = _stderr_log) -> Iterator[Rgw]:
    """A fresh radosgw for the duration of the `with` block; stopped and deleted afterwards.

    The daemons die with the calling thread (even when it is killed), and in the main thread a
    SIGTERM stops them and deletes their files before it takes its usual course.
    """
    lock = threading.RLock()  # the SIGTERM handler may run while the main thread holds it
    current: dict[str, object] = {}

    def cleanup() -> None:
        with lock:
            rgw = current.pop("rgw", None)
            directory = current.pop("directory", None)
        if isinstance(rgw, Rgw):
            stop_rgw(rgw, log=log)
        elif isinstance(directory, Path):
            _kill_cluster(directory)
            _remove_directory(directory)

    def track_directory(directory: Path | None) -> None:
        with lock:
            if directory is None:
                current.pop("directory", None)
            else:
                current["directory"] = directory

    previous = None
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: object) -> None:
            cleanup()
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
            if callable(previous):
                previous(signum, frame)
            else:
                os.kill(os.getpid(), signal.SIGTERM)

        if previous is not signal.SIG_IGN:
            signal.signal(signal.SIGTERM, on_sigterm)
        else:
            in_main = False
    try:
        rgw = start_rgw(tie_to_parent=True, log=log, _on_directory=track_directory)
        with lock:
            current["rgw"] = rgw
        yield rgw
    finally:
        cleanup()
        if in_main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state", type=Path, default=None, help=f"state file (default: {default_state_path()})"
    )
    parser = argparse.ArgumentParser(description="A throw-away Ceph radosgw (S3) for the tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "start", parents=[common], help="start radosgw (or reuse the running one); print endpoint and keys"
    )
    commands.add_parser("stop", parents=[common], help="stop it and delete its files")
    commands.add_parser("info", parents=[common], help="print endpoint and keys of the running one")
    args = parser.parse_args(argv)
    state_path: Path = args.state or default_state_path()
    rgw = read_state(state_path)

    try:
        if args.command == "start":
            if rgw and is_running(rgw):
                _stderr_log(f"already running: {rgw.describe()} (state in {state_path})")
            else:
                if rgw:
                    stop_rgw(rgw, log=lambda _message: None)  # leftovers of a dead one
                    state_path.unlink(missing_ok=True)
                rgw = start_rgw(state_path)
            print(rgw.to_json(), end="")
        elif args.command == "stop":
            if rgw is None:
                _stderr_log(f"no radosgw recorded in {state_path}; nothing to stop")
            else:
                stop_rgw(rgw)
            state_path.unlink(missing_ok=True)
        else:
            if rgw is None or not is_running(rgw):
                _stderr_log(
                    f"no running radosgw recorded in {state_path}; run: python tools/rgwserver.py start"
                )
                return 1
            print(rgw.to_json(), end="")
    except RgwServerError as error:
        _stderr_log(f"ERROR: {error}")
        return 1
    except subprocess.TimeoutExpired as error:
        _stderr_log(f"ERROR: timed out after {error.timeout:.0f}s: {' '.join(map(str, error.cmd))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
