#!/usr/bin/env python3
"""The production stack on one Debian 12 machine (standard library only; `bin/deploy` runs it).

    python tools/deploy.py up [--prefix DIR] [--http-port N] [--server-name NAME] [--memstore]
    python tools/deploy.py stop [--prefix DIR]
    python tools/deploy.py status [--prefix DIR]
    python tools/deploy.py hold [--prefix DIR] SERVICE...   stop these and keep them stopped
    python tools/deploy.py release [--prefix DIR]           start what `hold` stopped
    python tools/deploy.py supervise --prefix DIR     (started by `up` where systemd is not PID 1)

`up` installs what is missing from Debian's packages (postgresql-15, redis-server, nginx-light,
radosgw ceph-mon ceph-osd) and, as services that restart on failure, brings up:

  postgresql   PostgreSQL 15, WAL archived to DIR/wal-archive (point in time with a base backup)
  redis        the Celery broker and result store (append-only file on)
  ceph-mon, ceph-osd, radosgw
               a one-node Ceph cluster: the OSD is BlueStore on a sparse file DIR/ceph/osd.0/block
               (persistent; `--memstore` keeps objects in memory instead, for a machine whose
               file system cannot take BlueStore's direct I/O); radosgw serves S3 with an
               Object Lock bucket for the records vault
  gunicorn     the application (zhifa.wsgi) on loopback
  celery-worker, celery-beat
               the tasks of zhifa/tasks.py
  nginx        in front of gunicorn on --http-port (static files straight from disk)

Every service runs as its own Debian system user (postgres, redis, ceph, www-data; the
application as `zhifa`), bound to 127.0.0.1 except nginx. Services are systemd units
(zhifa-*.service) when systemd is PID 1; otherwise (a container) this file's small supervisor runs
them, restarting any that exits (1 s, doubling to 30 s), and `stop` ends it. Settings and keys are
written once to DIR/zhifa.env (mode 600); running `up` again keeps them and only starts what is
not running. Messages go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # tools/, however this file is loaded
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from cephconf import ceph_conf

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PREFIX = Path("/var/lib/zhifa")
HOST = "127.0.0.1"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PACKAGES = {
    "postgresql-15": PG_BIN / "postgres",
    "redis-server": Path("/usr/bin/redis-server"),
    "nginx-light": Path("/usr/sbin/nginx"),
    "radosgw": Path("/usr/bin/radosgw"),
    "ceph-mon": Path("/usr/bin/ceph-mon"),
    "ceph-osd": Path("/usr/bin/ceph-osd"),
}
BUCKET = "zhifa-records"
APP_USER = "zhifa"
RGW_NAME = "client.rgw.zhifa"
OSD_BLOCK_BYTES = 64 << 30
SERVICE_HOME = "/tmp"  # noqa: S108 - the daemons' HOME; they keep nothing there  # sparse: takes disk space only as objects are written


def log(message: str) -> None:
    print(f"deploy: {message}", file=sys.stderr, flush=True)


class DeployError(RuntimeError):
    pass


# --- layout and settings ------------------------------------------------------------------------


class Layout:
    def __init__(self, prefix: Path):
        self.prefix = prefix
        self.env_file = prefix / "zhifa.env"
        self.ports_file = prefix / "ports.json"
        self.pgdata = prefix / "postgresql"
        self.wal = prefix / "wal-archive"
        self.ceph = prefix / "ceph"
        self.redis = prefix / "redis"
        self.nginx = prefix / "nginx"
        self.tls = prefix / "nginx" / "tls"  # server.crt and server.key
        self.data = prefix / "data"
        self.logs = prefix / "log"
        self.run = prefix / "run"
        self.programs = prefix / "run" / "programs.json"
        self.status = prefix / "run" / "status.json"
        self.pidfile = prefix / "run" / "supervisor.pid"
        self.held = prefix / "run" / "held.json"  # services the supervisor keeps stopped (`hold`)

    @property
    def ceph_conf(self) -> Path:
        return self.ceph / "ceph.conf"


def _random(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def read_env(path: Path) -> dict[str, str]:
    values = {}
    with contextlib.suppress(FileNotFoundError):
        for line in path.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    tmp.replace(path)


VENV = DEFAULT_PREFIX / "venv"  # set from --prefix in main()


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    """The application's own virtual environment (Debian's python3.11, readable by the service
    user), with the pinned runtime requirements; skipped when requirements.txt is unchanged."""
    import hashlib

    requirements = ROOT / "requirements.txt"
    stamp = VENV / ".zhifa-requirements.sha256"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == digest and _venv_python().exists():
        return
    python = (
        "/usr/bin/python3.11"
        if Path("/usr/bin/python3.11").exists()
        else (shutil.which("python3.11") or "python3")
    )
    if subprocess.run([python, "-c", "import ensurepip"], capture_output=True, check=False).returncode != 0:
        install_debian(["python3.11-venv"])
    log(f"installing requirements.txt into {VENV}")
    if not _venv_python().exists():
        subprocess.run([python, "-m", "venv", str(VENV)], check=True, capture_output=True)
    pip = [str(_venv_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-input"]
    result = subprocess.run([*pip, "-r", str(requirements)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DeployError(
            "pip install -r requirements.txt failed:\n" + (result.stdout + result.stderr)[-3000:]
        )
    stamp.write_text(digest + "\n")


def _signing_key() -> str:
    code = (
        "from ledger.note import generate_signer; import os; print(generate_signer(os.environ['ORIGIN'])[0])"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ORIGIN": "zhifa.local/ledger"}
    return subprocess.run(
        [str(_venv_python()), "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def settings_for(layout: Layout, ports: dict[str, int], server_name: str) -> dict[str, str]:
    """The application's environment, made once (keys and passwords are kept across runs)."""
    env = read_env(layout.env_file)
    env.setdefault("ZHIFA_ENV", "production")
    env.setdefault("SECRET_KEY", _random(60))
    env.setdefault("PG_PASSWORD", _random(32))
    env.setdefault("AWS_ACCESS_KEY_ID", _random(20, string.ascii_uppercase + string.digits))
    env.setdefault("AWS_SECRET_ACCESS_KEY", _random(40))
    env.setdefault("ZHIFA_LEDGER_SIGNING_KEY", _signing_key())
    env["DATABASE_URL"] = f"postgres://zhifa:{env['PG_PASSWORD']}@{HOST}:{ports['postgresql']}/zhifa"
    env["ZHIFA_DATA_DIR"] = str(layout.data)
    env["ZHIFA_BLOB_STORE"] = f"s3://{BUCKET}?endpoint=http://{HOST}:{ports['radosgw']}&region=us-east-1"
    env["ZHIFA_BROKER_URL"] = f"redis://{HOST}:{ports['redis']}/0"
    # web processes only append; the beat-scheduled sequencer numbers events (one at a time)
    env.setdefault("ZHIFA_LEDGER_INTEGRATE", "worker")
    env.setdefault("ALLOWED_HOSTS", ",".join(sorted({server_name, "127.0.0.1", "localhost"})))
    env.setdefault("ZHIFA_TRUSTED_PROXIES", "1")
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        env.setdefault("ZHIFA_REGULATIONS_DIR", str(shared))
    text = "# zhifa production settings, written by bin/deploy (kept across runs; mode 600)\n"
    text += "".join(f"{key}={value}\n" for key, value in sorted(env.items()))
    write_private(layout.env_file, text)
    return env


# --- packages and users -------------------------------------------------------------------------


def _apt(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )


def install_packages() -> None:
    install_debian([name for name, path in PACKAGES.items() if not path.exists()])


def install_debian(missing: list[str]) -> None:
    if not missing:
        return
    log(f"installing Debian packages: {' '.join(missing)}")
    install = ["install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", *missing]
    result = _apt(install)
    if result.returncode != 0:
        _apt(["update", "-q"])
        result = _apt(install)
    if result.returncode != 0:
        raise DeployError("apt-get install failed:\n" + result.stderr[-3000:])
    stop_debian_defaults()


DEBIAN_DEFAULTS = ("nginx", "redis-server", "postgresql")


def stop_debian_defaults() -> None:
    """Debian's packages start their own default instances (on this stack's ports 80, 6379 and
    5432); this stack runs its own, so they are stopped and, under systemd, kept from starting at
    boot, where they would take those ports before the zhifa units."""
    for service in DEBIAN_DEFAULTS:
        if systemd_is_init():
            subprocess.run(["systemctl", "disable", "--now", f"{service}.service"], capture_output=True, check=False)
        else:
            subprocess.run(["service", service, "stop"], capture_output=True, check=False)


def ensure_app_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(APP_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--home-dir",
                "/nonexistent",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                APP_USER,
            ],
            check=True,
        )
        return pwd.getpwnam(APP_USER)


def ensure_code_readable() -> None:
    """The services run as `zhifa` from this checkout: a checkout under /root (mode 700) cannot be
    read by them, and nothing would start. Say so before anything is brought up."""
    probe = subprocess.run(
        ["test", "-r", str(ROOT / "manage.py")], user=pwd.getpwnam(APP_USER).pw_uid, check=False
    )
    if probe.returncode != 0:
        blocked = next(
            (str(p) for p in (ROOT, *ROOT.parents) if not os.stat(p).st_mode & 0o001), str(ROOT)
        )
        raise DeployError(
            f"the service user '{APP_USER}' cannot read this checkout ({ROOT}; {blocked} is closed to "
            "other users): put the checkout where every user may read it, e.g. /opt/zhifa or /srv/zhifa, "
            "and run bin/deploy from there"
        )


def chown(path: Path, user: str) -> None:
    account = pwd.getpwnam(user)
    for folder, _dirs, files in os.walk(path):
        os.chown(folder, account.pw_uid, account.pw_gid)
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                os.chown(os.path.join(folder, name), account.pw_uid, account.pw_gid, follow_symlinks=False)


def run_as(
    user: str, cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 300, check: bool = True
):
    account = pwd.getpwnam(user)
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "HOME": SERVICE_HOME}
    result = subprocess.run(
        cmd,
        env={**base, **(env or {})},
        user=account.pw_uid,
        group=account.pw_gid,
        extra_groups=[],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check and result.returncode != 0:
        raise DeployError(
            f"{' '.join(cmd[:3])} … failed ({result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}"
        )
    return result


# --- configuration files ------------------------------------------------------------------------

CEPH_HEADER = """\
One-node Ceph cluster of zhifa's bin/deploy: loopback only, no authentication (nothing but
radosgw on this machine talks to it). A multi-node cluster: see the README's production section."""

BLUESTORE = """osd objectstore = bluestore
bluestore block path = {dir}/osd.$id.block
bluestore block create = true
bluestore block size = {size}
bluestore cache autotune = false
bluestore cache size = 268435456
osd memory target = 1073741824"""

MEMSTORE = """osd objectstore = memstore
memstore device bytes = 4294967296"""

POSTGRESQL_CONF = """
# --- zhifa bin/deploy ---
listen_addresses = '{host}'
port = {port}
unix_socket_directories = '{run}'
max_connections = 200
shared_buffers = 512MB
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {wal}/%f && cp %p {wal}/%f'
archive_timeout = 300
max_wal_senders = 5
"""

REDIS_CONF = """bind {host}
port {port}
dir {dir}
appendonly yes
appendfsync everysec
daemonize no
supervised no
logfile ""
"""

NGINX_CONF = """user www-data;
worker_processes auto;
pid {run}/nginx.pid;
error_log {logs}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {logs}/nginx-access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    server_tokens off;
    upstream zhifa {{ server {host}:{app_port}; }}
    server {{
        listen {http_port};
        server_name {server_name};
        location / {{ return 301 https://$host{https_suffix}$request_uri; }}
    }}
    server {{
        listen {https_port} ssl;
        server_name {server_name};
        ssl_certificate {tls}/server.crt;
        ssl_certificate_key {tls}/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        client_max_body_size {body};
        location /static/ {{ alias {static}/; expires 7d; }}
        # gunicorn not answering (restarting after a failure): a Chinese 503 page, not nginx's 502
        error_page 502 504 =503 /zhifa-unavailable.html;
        location = /zhifa-unavailable.html {{
            internal;
            root {pages};
            charset utf-8;
            add_header Retry-After 10 always;
        }}
        location / {{
            proxy_pass http://zhifa;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;
            proxy_read_timeout 600s;
        }}
    }}
}}
"""


# nginx's answer while gunicorn does not answer (it is being restarted): no template, no request.
UNAVAILABLE_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>服务暂时不可用 · 行政执法平台</title>'
    "</head><body><h1>服务暂时不可用</h1><p>应用服务暂时没有响应（可能正在自动重新启动），本次操作可能未完成。"
    "请稍候片刻后刷新页面重试；如持续出现，请联系系统管理员。</p></body></html>\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ports_for(layout: Layout, args) -> dict[str, int]:
    """Fixed ports, kept in ports.json; an option changes one, 0 picks a free one."""
    try:
        ports = json.loads(layout.ports_file.read_text())
    except (OSError, ValueError):
        ports = {
            "postgresql": 5432,
            "redis": 6379,
            "ceph-mon": 3300,
            "radosgw": 7480,
            "gunicorn": 8001,
            "http": 80,
        }
    ports = {"https": 443, **ports}  # (an older ports.json has no https)
    for name in list(ports):
        wanted = getattr(args, name.replace("-", "_") + "_port", None)
        if wanted is not None:
            ports[name] = wanted or free_port()
    write_private(layout.ports_file, json.dumps(ports, indent=1) + "\n")
    return ports


def programs(layout: Layout, ports: dict[str, int], env: dict[str, str], app: bool) -> list[dict]:
    """What the supervisor (or systemd) runs, in start order: name, user, command, ready port, and
    under systemd the services it starts after (and stops before)."""
    conf = ["-c", str(layout.ceph_conf)]
    venv = VENV / "bin"
    app_env = {key: value for key, value in env.items() if key != "PG_PASSWORD"}
    app_env["PYTHONPATH"] = str(ROOT)
    base = [
        {
            "name": "postgresql",
            "user": "postgres",
            "port": ports["postgresql"],
            "cmd": [str(PG_BIN / "postgres"), "-D", str(layout.pgdata)],
            "stop_signal": "SIGINT",  # PostgreSQL's fast shutdown (SIGTERM waits for every session to end)
        },
        {
            "name": "redis",
            "user": "redis",
            "port": ports["redis"],
            "cmd": ["/usr/bin/redis-server", str(layout.redis / "redis.conf")],
        },
        {
            "name": "ceph-mon",
            "user": "ceph",
            "port": ports["ceph-mon"],
            "cmd": ["ceph-mon", *conf, "-f", "-i", "a"],
        },
        {"name": "ceph-osd", "user": "ceph", "port": None, "cmd": ["ceph-osd", *conf, "-f", "-i", "0"],
         "after": ["ceph-mon"]},
        {
            "name": "radosgw",
            "user": "ceph",
            "port": ports["radosgw"],
            "cmd": ["radosgw", *conf, "-f", "-n", RGW_NAME],
            "after": ["ceph-mon", "ceph-osd"],
        },
    ]
    if not app:
        return base
    workers = str(min(2 * (os.cpu_count() or 1) + 1, 9))
    return [
        *base,
        {
            "name": "gunicorn",
            "user": APP_USER,
            "port": ports["gunicorn"],
            "after": ["postgresql", "redis", "radosgw"],
            "env": app_env,
            "cwd": str(ROOT),
            "cmd": [
                str(venv / "gunicorn"),
                "zhifa.wsgi:application",
                "--bind",
                f"{HOST}:{ports['gunicorn']}",
                "--workers",
                workers,
                "--timeout",
                "600",
                "--graceful-timeout",
                "30",
                "--no-control-socket",  # unused; gunicorn would log an error making it in the user's home
            ],
        },
        {
            "name": "celery-worker",
            "user": APP_USER,
            "port": None,
            "after": ["postgresql", "redis", "radosgw"],
            "env": app_env,
            "cwd": str(ROOT),
            "cmd": [
                str(venv / "celery"),
                "-A",
                "zhifa",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "-n",
                "zhifa@%h",
            ],
        },
        {
            "name": "celery-beat",
            "user": APP_USER,
            "port": None,
            "after": ["redis"],
            "env": app_env,
            "cwd": str(ROOT),
            "cmd": [
                str(venv / "celery"),
                "-A",
                "zhifa",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(layout.data / "celerybeat-schedule"),
            ],
        },
        {
            "name": "nginx",
            "user": "root",
            "port": ports["http"],
            "after": ["gunicorn"],
            "cmd": ["/usr/sbin/nginx", "-c", str(layout.nginx / "nginx.conf"), "-g", "daemon off;"],
        },
    ]


# --- the supervisor (when systemd is not PID 1) -------------------------------------------------


def systemd_is_init() -> bool:
    return Path("/run/systemd/system").is_dir()


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def supervisor_pid(layout: Layout) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        pid = int(layout.pidfile.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if _alive(pid) and b"supervise" in cmdline:
            return pid
    return None


def supervise(layout: Layout) -> None:
    """Run the programs of programs.json; restart any that exits; reload on SIGHUP; stop on SIGTERM."""
    layout.pidfile.write_text(f"{os.getpid()}\n")
    running: dict[str, dict] = {}
    stopping = False
    reload = True

    def on_term(*_):
        nonlocal stopping
        stopping = True

    def on_hup(*_):
        nonlocal reload
        reload = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)
    wanted: list[dict] = []

    class _NotStarted:
        """A program whose start failed (a missing binary, …): it counts as exited with 127."""

        pid = None
        returncode = 127

        def poll(self):
            return self.returncode

    def start(program: dict) -> None:
        logfile = layout.logs / f"{program['name']}.log"
        state = running.setdefault(program["name"], {"restarts": -1, "delay": 1.0})
        try:
            account = pwd.getpwnam(program["user"])
            with logfile.open("ab") as sink:
                env = {
                    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                    "LC_ALL": "C.UTF-8",
                    "HOME": SERVICE_HOME,
                    **program.get("env", {}),
                }
                process = subprocess.Popen(
                    program["cmd"],
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=program.get("cwd", "/"),
                    start_new_session=True,
                    **(
                        {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
                        if account.pw_uid
                        else {}
                    ),
                )
        except (OSError, KeyError, subprocess.SubprocessError) as exc:
            with contextlib.suppress(OSError), logfile.open("a") as sink:
                sink.write(f"\n[supervisor] could not start: {exc}\n")
            process = _NotStarted()
        state.update(
            process=process, pid=process.pid, started=time.time(), restarts=state["restarts"] + 1, next=None
        )

    def stop_program(program: dict) -> None:
        process = running[program["name"]]["process"]
        if process.poll() is None:
            with contextlib.suppress(OSError):
                stop = getattr(signal, program.get("stop_signal", "SIGTERM"))
                process.send_signal(signal.SIGQUIT if program["name"] == "nginx" else stop)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def write_status() -> None:
        status = {
            name: {
                "pid": s["pid"],
                "alive": s["process"].poll() is None,
                "restarts": s["restarts"],
                "started": s["started"],
            }
            for name, s in running.items()
        }
        with contextlib.suppress(OSError):
            write_private(
                layout.status, json.dumps({"supervisor": os.getpid(), "programs": status}, indent=1) + "\n"
            )

    while not stopping:
        try:
            wanted = _supervise_once(layout, wanted, running, start, stop_program, reload)
        except Exception as exc:  # the supervisor itself must not die: report and go on
            with contextlib.suppress(OSError), (layout.logs / "supervisor.log").open("a") as sink:
                sink.write(f"[supervisor] {exc!r}\n")
        reload = False
        write_status()
        time.sleep(0.5)
    for program in reversed(wanted):
        stop_program(program)
    layout.status.unlink(missing_ok=True)
    layout.pidfile.unlink(missing_ok=True)


def _supervise_once(layout, wanted, running, start, stop_program, reload) -> list[dict]:
    """One round: (re)load the program list on SIGHUP, restart what exited (with back-off)."""
    if reload:  # new programs start; the application's restart with the new code and settings
        wanted = json.loads(layout.programs.read_text())
        for program in wanted:
            if program["name"] in running and program["user"] == APP_USER:
                stop_program(program)
                running[program["name"]]["restarts"] -= 1
            held = program["name"] in _held(layout)
            if (program["name"] not in running or program["user"] == APP_USER) and not held:
                start(program)
    now = time.time()
    held = _held(layout)
    for program in wanted:
        state = running.get(program["name"])
        if program["name"] in held:  # stopped on purpose (e.g. PostgreSQL during a recovery)
            if state:
                stop_program(program)
                state.update(next=None, delay=1.0)
            continue
        if state is None:  # held when the program list was loaded, released since
            start(program)
            continue
        if state["process"].poll() is None:
            if now - state["started"] > 60:
                state["delay"] = 1.0  # it has run a while: the next restart is quick again
            continue
        if state.get("next") is None:
            if state["pid"]:  # what it left behind (a killed master's workers) goes with it
                with contextlib.suppress(OSError):
                    os.killpg(state["pid"], signal.SIGKILL)
            state["next"] = now + state["delay"]
            with (layout.logs / f"{program['name']}.log").open("a") as sink:
                sink.write(
                    f"\n[supervisor] exited with {state['process'].returncode}; restart in {state['delay']:.0f}s\n"
                )
            state["delay"] = min(state["delay"] * 2, 30.0)
        elif now >= state["next"]:
            start(program)
    return wanted


def _held(layout: Layout) -> set[str]:
    try:
        return set(json.loads(layout.held.read_text()))
    except (OSError, ValueError, TypeError):
        return set()


def hold(args) -> int:
    """Stop the named services and keep them stopped (the rest run on) until `release`: e.g.
    PostgreSQL and the application for `zhifa restore --to-time`, while radosgw stays up."""
    layout = Layout(args.prefix)
    if systemd_is_init() and Path("/etc/systemd/system/zhifa.target").exists():
        subprocess.run(["systemctl", "stop", *(f"zhifa-{name}.service" for name in args.services)], check=True)
        log("stopped " + ", ".join(args.services) + "; `release` starts them again")
        return 0
    if not supervisor_pid(layout):
        raise DeployError("no supervisor is running for " + str(layout.prefix))
    names = {program["name"] for program in json.loads(layout.programs.read_text())}
    unknown = sorted(set(args.services) - names)
    if unknown:
        raise DeployError(f"no such service: {', '.join(unknown)} (services: {', '.join(sorted(names))})")
    write_private(layout.held, json.dumps(sorted(_held(layout) | set(args.services))) + "\n")
    deadline = time.monotonic() + 120

    def still_running() -> list[str]:
        try:
            programs = json.loads(layout.status.read_text())["programs"]
        except (OSError, ValueError, KeyError):
            return list(args.services)
        return [name for name in args.services if programs.get(name, {}).get("alive")]

    while running := still_running():
        if time.monotonic() > deadline:
            raise DeployError("still running after 120s: " + ", ".join(running))
        time.sleep(0.2)
    log("stopped " + ", ".join(args.services) + " (kept stopped until `release`)")
    return 0


def release(args) -> int:
    layout = Layout(args.prefix)
    if systemd_is_init() and Path("/etc/systemd/system/zhifa.target").exists():
        subprocess.run(["systemctl", "start", "zhifa.target"], check=True)
        return 0
    held = sorted(_held(layout))
    layout.held.unlink(missing_ok=True)
    log("released " + (", ".join(held) if held else "nothing") + ": the supervisor starts them again")
    return 0


def start_supervisor(layout: Layout) -> None:
    if supervisor_pid(layout):
        os.kill(supervisor_pid(layout), signal.SIGHUP)
        return
    with (layout.logs / "supervisor.log").open("ab") as sink:
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "supervise", "--prefix", str(layout.prefix)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd="/",
        )
    deadline = time.monotonic() + 10
    while not supervisor_pid(layout):
        if time.monotonic() > deadline:
            raise DeployError(f"the supervisor did not start; see {layout.logs / 'supervisor.log'}")
        time.sleep(0.1)


def _systemd_escape(text: str) -> str:
    """A value as systemd reads it literally: no specifier (%h) or variable ($X) expansion."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")


def unit_files(layout: Layout, progs: list[dict]) -> dict[str, str]:
    """systemd units, one per program, restarting on failure; zhifa.target groups them. After= only
    orders (at boot the application starts after its database, queue and store, and stops before
    them); it pulls nothing in, so a unit held stopped stays stopped when another one restarts."""
    units = {}
    names = {program["name"] for program in progs}
    for program in progs:
        after = " ".join(f"zhifa-{name}.service" for name in program.get("after", ()) if name in names)
        env_lines = "".join(
            f'Environment="{_systemd_escape(f"{k}={v}")}"\n' for k, v in sorted(program.get("env", {}).items())
        )
        command = " ".join(f'"{_systemd_escape(part)}"' for part in program["cmd"])
        units[f"zhifa-{program['name']}.service"] = (
            # StartLimitIntervalSec=0: systemd never gives up restarting (as the supervisor does)
            f"[Unit]\nDescription=zhifa {program['name']}\nAfter=network.target{' ' + after if after else ''}\n"
            "PartOf=zhifa.target\n"
            "StartLimitIntervalSec=0\n\n"
            f"[Service]\nUser={program['user']}\nWorkingDirectory={program.get('cwd', '/')}\n{env_lines}"
            f"ExecStart={command}\n"
            f"Restart=always\nRestartSec=2\nStandardOutput=append:{layout.logs}/{program['name']}.log\n"
            f"StandardError=inherit\nKillMode=mixed\nKillSignal={program.get('stop_signal', 'SIGTERM')}\n"
            "TimeoutStopSec=30\n\n[Install]\nWantedBy=zhifa.target\n"
        )
    units["zhifa.target"] = (
        "[Unit]\nDescription=zhifa production stack\nWants="
        + " ".join(name for name in units)
        + "\n\n[Install]\nWantedBy=multi-user.target\n"
    )
    return units


def write_units(layout: Layout, progs: list[dict], unit_dir: Path = Path("/etc/systemd/system")) -> list[str]:
    """Write the units (mode 600: they hold the settings); returns the service names."""
    unit_dir.mkdir(parents=True, exist_ok=True)
    for name, text in unit_files(layout, progs).items():
        path = unit_dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(path, 0o600)
    return [f"zhifa-{program['name']}.service" for program in progs]


def install_units(layout: Layout, progs: list[dict]) -> None:
    names = write_units(layout, progs)
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    subprocess.run(["systemctl", "enable", "--now", "zhifa.target", *names], check=True)


def units(args) -> int:
    """Write the systemd units of this deployment into --out (to inspect or `systemd-analyze verify`)."""
    layout = Layout(args.prefix)
    try:
        progs = json.loads(layout.programs.read_text())
    except (OSError, ValueError) as exc:
        raise DeployError(f"not deployed in {layout.prefix} (no {layout.programs}): run bin/deploy first") from exc
    for name in write_units(layout, progs, args.out):
        print(args.out / name)
    print(args.out / "zhifa.target")
    return 0


def launch(layout: Layout, progs: list[dict]) -> None:
    write_private(layout.programs, json.dumps(progs, indent=1) + "\n")
    if systemd_is_init():
        install_units(layout, progs)
        app = [f"zhifa-{p['name']}.service" for p in progs if p["user"] == APP_USER]
        if app:  # the new code and settings
            subprocess.run(["systemctl", "restart", *app], check=True)
    else:
        start_supervisor(layout)


# --- bring-up -----------------------------------------------------------------------------------


def wait_port(port: int, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        if time.monotonic() > deadline:
            raise DeployError(f"{what} did not listen on {HOST}:{port} within {timeout:.0f}s; see its log")
        time.sleep(0.2)


def prepare_postgres(layout: Layout, ports: dict[str, int]) -> None:
    layout.wal.mkdir(parents=True, exist_ok=True)
    chown(layout.wal, "postgres")
    if (layout.pgdata / "PG_VERSION").exists():
        return
    log("initialising PostgreSQL")
    layout.pgdata.mkdir(parents=True, exist_ok=True)
    chown(layout.pgdata, "postgres")
    run_as(
        "postgres",
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(layout.pgdata),
            "-E",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--auth-local",
            "peer",
            "--auth-host",
            "scram-sha-256",
            "--username",
            "postgres",
        ],
    )
    with (layout.pgdata / "postgresql.conf").open("a") as conf:
        conf.write(
            POSTGRESQL_CONF.format(host=HOST, port=ports["postgresql"], run=layout.run, wal=layout.wal)
        )


def create_database(layout: Layout, ports: dict[str, int], env: dict[str, str]) -> None:
    psql = [
        str(PG_BIN / "psql"),
        "-h",
        str(layout.run),
        "-p",
        str(ports["postgresql"]),
        "-U",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
    ]
    deadline = time.monotonic() + 120
    while run_as("postgres", [*psql, "-tAc", "SELECT 1"], check=False).returncode != 0:  # still starting up
        if time.monotonic() > deadline:
            raise DeployError(f"PostgreSQL does not accept connections; see {layout.logs / 'postgresql.log'}")
        time.sleep(0.5)
    exists = run_as(
        "postgres", [*psql, "-tAc", "SELECT 1 FROM pg_roles WHERE rolname='zhifa'"]
    ).stdout.strip()
    password = env["PG_PASSWORD"].replace("'", "''")
    verb = "ALTER" if exists else "CREATE"
    # REPLICATION: `zhifa backup` takes a base backup (pg_basebackup) for point-in-time recovery
    run_as("postgres", [*psql, "-c", f"{verb} ROLE zhifa LOGIN REPLICATION PASSWORD '{password}'"])
    if not run_as(
        "postgres", [*psql, "-tAc", "SELECT 1 FROM pg_database WHERE datname='zhifa'"]
    ).stdout.strip():
        run_as("postgres", [*psql, "-c", "CREATE DATABASE zhifa OWNER zhifa"])


def ceph_conf_text(layout: Layout, ports: dict[str, int], memstore: bool, fsid: str) -> str:
    store = (MEMSTORE if memstore else BLUESTORE).format(dir=layout.ceph, size=OSD_BLOCK_BYTES)
    return ceph_conf(
        header=CEPH_HEADER,
        fsid=fsid,
        host=HOST,
        mon_port=ports["ceph-mon"],
        rgw_port=ports["radosgw"],
        directory=layout.ceph,
        rgw_name=RGW_NAME,
        extra={"osd": tuple(store.splitlines()), "rgw": ("rgw thread pool size = 64",)},
    )


def prepare_ceph(layout: Layout, ports: dict[str, int], memstore: bool) -> None:
    if (layout.ceph / "osd.0" / "ready").exists() or (layout.ceph / "osd.0" / "whoami").exists():
        return
    log(
        "creating the Ceph cluster (monitor, " + ("memstore" if memstore else "BlueStore on a file") + " OSD)"
    )
    shutil.rmtree(layout.ceph, ignore_errors=True)
    for sub in ("run", "log", "mon.a", "osd.0", "rgw"):
        (layout.ceph / sub).mkdir(parents=True)
    fsid = str(uuid.uuid4())
    layout.ceph_conf.write_text(ceph_conf_text(layout, ports, memstore, fsid))
    chown(layout.ceph, "ceph")
    conf = ["-c", str(layout.ceph_conf)]
    run_as(
        "ceph",
        [
            "monmaptool",
            "--create",
            "--fsid",
            fsid,
            "--addv",
            "a",
            f"[v2:{HOST}:{ports['ceph-mon']}]",
            str(layout.ceph / "monmap"),
        ],
    )
    run_as("ceph", ["ceph-mon", *conf, "--mkfs", "-i", "a", "--monmap", str(layout.ceph / "monmap")])
    account = pwd.getpwnam("ceph")
    mon = subprocess.Popen(
        ["ceph-mon", *conf, "-f", "-i", "a"],
        user=account.pw_uid,
        group=account.pw_gid,
        extra_groups=[],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(ports["ceph-mon"], "ceph-mon", 60)
        osd_uuid = str(uuid.uuid4())
        osd_id = run_as(
            "ceph", ["ceph", *conf, "--connect-timeout", "30", "osd", "new", osd_uuid]
        ).stdout.strip()
        if osd_id != "0":
            raise DeployError(f"expected OSD id 0, got {osd_id!r}")
        run_as("ceph", ["ceph-osd", *conf, "--mkfs", "-i", "0", "--osd-uuid", osd_uuid], timeout=600)
    finally:
        mon.terminate()
        mon.wait(30)


def s3_ready(port: int) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=2) as reply:
        return reply.status == 200
    return False


def prepare_s3(layout: Layout, ports: dict[str, int], env: dict[str, str]) -> None:
    deadline = time.monotonic() + 180
    while not s3_ready(ports["radosgw"]):
        if time.monotonic() > deadline:
            raise DeployError(f"radosgw did not answer on port {ports['radosgw']}; see {layout.ceph}/log")
        time.sleep(0.5)
    conf = ["-c", str(layout.ceph_conf)]
    if (
        run_as("ceph", ["radosgw-admin", *conf, "user", "info", "--uid", "zhifa"], check=False).returncode
        != 0
    ):
        run_as(
            "ceph",
            [
                "radosgw-admin",
                *conf,
                "user",
                "create",
                "--uid",
                "zhifa",
                "--display-name",
                "zhifa",
                "--access-key",
                env["AWS_ACCESS_KEY_ID"],
                "--secret-key",
                env["AWS_SECRET_ACCESS_KEY"],
            ],
        )
    code = (
        "import boto3, os, botocore\n"
        "s3 = boto3.client('s3', endpoint_url=os.environ['EP'], region_name='us-east-1')\n"
        "try:\n    s3.head_bucket(Bucket=os.environ['B'])\n"
        "except botocore.exceptions.ClientError:\n"
        "    s3.create_bucket(Bucket=os.environ['B'], ObjectLockEnabledForBucket=True)\n"
        "print(s3.get_object_lock_configuration(Bucket=os.environ['B'])['ObjectLockConfiguration']['ObjectLockEnabled'])\n"
    )
    result = subprocess.run(
        [str(_venv_python()), "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "EP": f"http://{HOST}:{ports['radosgw']}",
            "B": BUCKET,
            "AWS_ACCESS_KEY_ID": env["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": env["AWS_SECRET_ACCESS_KEY"],
        },
    )
    if result.returncode != 0 or result.stdout.strip() != "Enabled":
        raise DeployError("could not create the Object Lock bucket:\n" + result.stderr[-2000:])


SELF_SIGNED = """
import datetime, ipaddress, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
name = os.environ["NAME"]
key = ec.generate_private_key(ec.SECP256R1())
subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
now = datetime.datetime.now(datetime.timezone.utc)
alt = [x509.DNSName(n) for n in dict.fromkeys([name, "localhost"])] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
open(sys.argv[1], "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(sys.argv[2], "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
"""


def ensure_tls(layout: Layout, args) -> None:
    """nginx serves HTTPS (the production settings send session and CSRF cookies only over
    HTTPS: over plain HTTP no browser on another machine could log in). --tls-cert/--tls-key
    install the site's certificate; without one, a self-signed certificate for --server-name is
    made once (browsers warn until the agency's own certificate replaces it)."""
    layout.tls.mkdir(parents=True, exist_ok=True)
    os.chmod(layout.tls, 0o700)
    cert, key = layout.tls / "server.crt", layout.tls / "server.key"
    if bool(args.tls_cert) != bool(args.tls_key):
        raise DeployError("--tls-cert and --tls-key go together (the certificate and its private key)")
    if args.tls_cert:
        for given in (args.tls_cert, args.tls_key):
            if not given.is_file():
                raise DeployError(f"{given}: no such file")
        shutil.copyfile(args.tls_cert, cert)
        write_private(key, args.tls_key.read_text())
        log(f"HTTPS with the certificate {args.tls_cert}")
    elif not (cert.exists() and key.exists()):
        log(f"HTTPS: making a self-signed certificate for {args.server_name} (replace it: --tls-cert/--tls-key)")
        subprocess.run(
            [str(_venv_python()), "-c", SELF_SIGNED, str(cert), str(key)],
            env={**os.environ, "NAME": args.server_name}, check=True, capture_output=True,
        )
    os.chmod(key, 0o600)


def manage(env: dict[str, str], *args: str) -> None:
    app_env = {k: v for k, v in env.items() if k != "PG_PASSWORD"}
    app_env["PYTHONPATH"] = str(ROOT)
    result = run_as(
        APP_USER, [str(_venv_python()), str(ROOT / "manage.py"), *args], env=app_env, timeout=900, check=False
    )
    if result.returncode != 0:
        raise DeployError(f"manage.py {' '.join(args)} failed:\n{(result.stdout + result.stderr)[-3000:]}")


def write_nginx_conf(layout: Layout, ports: dict[str, int], server_name: str) -> None:
    """nginx's settings, and the page it answers while gunicorn does not."""
    (layout.nginx / "pages").mkdir(parents=True, exist_ok=True)
    (layout.nginx / "pages" / "zhifa-unavailable.html").write_text(UNAVAILABLE_PAGE, encoding="utf-8")
    (layout.nginx / "nginx.conf").write_text(
        NGINX_CONF.format(
            run=layout.run,
            logs=layout.logs,
            tmp=layout.nginx / "tmp",
            host=HOST,
            app_port=ports["gunicorn"],
            http_port=ports["http"],
            https_port=ports["https"],
            https_suffix="" if ports["https"] == 443 else f":{ports['https']}",
            tls=layout.tls,
            server_name=server_name,
            body=f"{16 * 1024 + 1}m",
            static=layout.data / "static",
            pages=layout.nginx / "pages",
        )
    )


def up(args) -> int:
    if os.geteuid() != 0:
        raise DeployError("bin/deploy installs packages and system services: run it as root.")
    layout = Layout(args.prefix)
    for folder in (layout.prefix, layout.logs, layout.run, layout.data, layout.redis, layout.nginx / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    os.chmod(layout.prefix, 0o755)  # noqa: S103 - the service users reach their folders
    ensure_app_user()
    ensure_code_readable()
    install_packages()
    ensure_venv()
    ports = ports_for(layout, args)
    env = settings_for(layout, ports, args.server_name)
    chown(layout.data, APP_USER)
    chown(layout.redis, "redis")
    chown(layout.logs, "root")
    for name in ("gunicorn", "celery-worker", "celery-beat"):
        (layout.logs / f"{name}.log").touch()
    (layout.redis / "redis.conf").write_text(
        REDIS_CONF.format(host=HOST, port=ports["redis"], dir=layout.redis)
    )
    prepare_postgres(layout, ports)
    os.chown(layout.run, 0, pwd.getpwnam("postgres").pw_gid)
    os.chmod(layout.run, 0o775)  # noqa: S103 - PostgreSQL's socket
    prepare_ceph(layout, ports, args.memstore)
    launch(layout, programs(layout, ports, env, app=False))
    wait_port(ports["postgresql"], "PostgreSQL")
    create_database(layout, ports, env)
    wait_port(ports["redis"], "Redis")
    prepare_s3(layout, ports, env)
    log("migrating the database and collecting static files")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    ensure_tls(layout, args)
    write_nginx_conf(layout, ports, args.server_name)
    os.chmod(layout.data, 0o755)  # noqa: S103 - nginx serves static/
    launch(layout, programs(layout, ports, env, app=True))
    wait_port(ports["gunicorn"], "gunicorn")
    wait_port(ports["http"], "nginx")
    wait_port(ports["https"], "nginx (HTTPS)")
    log(
        f"up: https://{args.server_name}{'' if ports['https'] == 443 else ':' + str(ports['https'])}/login/"
        f"  (settings in {layout.env_file}; `bin/deploy --status`)"
    )
    return status(args)


def stop(args) -> int:
    layout = Layout(args.prefix)
    if systemd_is_init() and Path("/etc/systemd/system/zhifa.target").exists():
        subprocess.run(["systemctl", "stop", "zhifa.target", "zhifa-*.service"], check=False)
        log("stopped the zhifa systemd units")
        return 0
    pid = supervisor_pid(layout)
    if not pid:
        log("nothing to stop: no supervisor is running for " + str(layout.prefix))
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 120
    while _alive(pid):
        if time.monotonic() > deadline:
            raise DeployError(f"the supervisor {pid} did not stop within 120s")
        time.sleep(0.2)
    log("stopped every service (data kept in " + str(layout.prefix) + ")")
    return 0


def status(args) -> int:
    layout = Layout(args.prefix)
    try:
        ports = json.loads(layout.ports_file.read_text())
        progs = json.loads(layout.programs.read_text())
    except (OSError, ValueError):
        print(f"not deployed in {layout.prefix}")
        return 1
    try:
        state = json.loads(layout.status.read_text())["programs"]
    except (OSError, ValueError, KeyError):
        state = {}
    healthy = True
    for program in progs:
        s = state.get(program["name"], {})
        if systemd_is_init():
            unit = f"zhifa-{program['name']}.service"
            alive = subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False).returncode == 0
            shown = subprocess.run(
                ["systemctl", "show", "-p", "MainPID", "-p", "NRestarts", unit],
                capture_output=True, text=True, check=False,
            ).stdout
            shown = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
            s = {"pid": shown.get("MainPID", "-"), "restarts": shown.get("NRestarts", "-")}  # systemd's count
        else:
            alive = bool(s.get("alive")) and _alive(s.get("pid"))
        listening = True
        if program.get("port"):
            with contextlib.suppress(OSError), socket.create_connection((HOST, program["port"]), timeout=1):
                listening = "yes"
            listening = listening == "yes"
        ok = alive and listening
        healthy &= ok
        print(
            f"{program['name']:<14} {'up' if ok else 'DOWN':<5} pid {s.get('pid', '-')!s:<8} restarts {s.get('restarts', '-')}"
            + (f"  port {program['port']}" if program.get("port") else "")
        )
    if "https" in ports:
        local = ssl.create_default_context()
        local.check_hostname, local.verify_mode = False, ssl.CERT_NONE  # a liveness probe on loopback
        try:
            url = f"https://{HOST}:{ports['https']}/login/"
            with urllib.request.urlopen(url, timeout=60, context=local) as reply:
                print(f"{'login page':<14} {reply.status}")
        except OSError as exc:
            print(f"{'login page':<14} DOWN ({exc})")
            healthy = False
    return 0 if healthy else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "stop", "status", "supervise", "hold", "release", "units"):
        p = sub.add_parser(name)
        p.add_argument("--prefix", type=Path, default=DEFAULT_PREFIX)
        if name == "units":
            p.add_argument("--out", type=Path, required=True, help="a folder for the unit files")
        if name == "hold":
            p.add_argument("services", nargs="+", help="e.g. postgresql gunicorn celery-worker celery-beat")
        if name == "up":
            p.add_argument("--server-name", default="localhost")
            p.add_argument("--memstore", action="store_true", help="Ceph objects in memory (not persistent)")
            for port in ("http", "https", "postgresql", "redis", "ceph-mon", "radosgw", "gunicorn"):
                p.add_argument(f"--{port}-port", type=int, default=None)
            p.add_argument("--tls-cert", type=Path, help="the site's certificate (PEM, with its chain)")
            p.add_argument("--tls-key", type=Path, help="its private key (PEM)")
    args = parser.parse_args(argv)
    args.prefix = args.prefix.resolve()
    global VENV
    VENV = args.prefix / "venv"
    try:
        if args.command == "supervise":
            supervise(Layout(args.prefix))
            return 0
        commands = {"up": up, "stop": stop, "status": status, "hold": hold, "release": release, "units": units}
        return commands[args.command](args)
    except (DeployError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log(f"ERROR: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
