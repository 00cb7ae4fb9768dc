#!/usr/bin/env python3
"""Prove the README's production section on a fresh Debian 12 (standard library only; as root).

    python3 tools/freshcheck.py [--root /work/fresh-root] [--cache /var/cache/zhifa-freshcheck]
                                [--variant default|minbase] [--keep] [--worktree] [--only-bootstrap]
                                [--systemd]

1. bootstrap  debootstrap bookworm into --root (the tarball is cached in --cache: a re-run unpacks
              it instead). The default variant is Debian's required and important packages, what a
              server installed without any task selected has (systemd, apt, no sudo, no git, no
              compiler, no locales beyond C.UTF-8); `minbase` is still less.
2. copy       a clean `git archive HEAD` (as a user gets the project: no .venv, no data) into
              /opt/zhifa; --worktree copies the tracked files as they are in the work tree instead.
3. deploy     /proc /sys /dev /dev/pts and a fresh /run mounted, then inside the chroot, with an
              empty environment, the README's command: `bin/deploy` (default ports where free
              on this machine, else --<service>-port 0).
4. checks     `bin/deploy --status`; from this machine through nginx: the login page, the public
              portal, an administrator made by `zhifa agency add` logging in through the page and
              adding an officer by the staff form; the officer's API token and `/api/v1/me/`; a
              small real video (made with PyAV) uploaded by the resumable upload API, filed by the
              Celery worker; inside: the object in radosgw's Object Lock bucket with its retention,
              its deletion refused by the store, the sequencer numbering every event, `zhifa ledger
              verify`; `systemd-analyze verify` of the systemd units bin/deploy would install.
   reboot     (--systemd: the system runs under systemd-nspawn --boot, systemd as PID 1, so bin/deploy
              installs its units) power off and boot again: every unit must come back by itself.
   restarts   (--systemd) each unit's main process SIGKILLed in turn: systemd must bring it back
              (active, a new main PID, its port listening) within RESTART_WAIT, and the system must
              work again within WORKS_WAIT (the login page through nginx; a file read through nginx,
              its ledger event integrated by the sequencer; a task taken by the worker). Meanwhile
              the login page answers, or a Chinese 503, or (nginx itself down) nothing. Timed.
   outages    (--systemd) PostgreSQL stopped for OUTAGE s: every page and API call that needs it is a
              503 saying so in Chinese; started again, everything works with nobody acting. Redis
              likewise: the site works, finishing an upload is a Chinese 503 and keeps the upload,
              which is filed once Redis is back.
5. stop       `bin/deploy --stop`: every service stops and no process is left in the chroot.
6. clean      everything unmounted; the folder removed unless --keep.

Each phase is timed; a failure prints the failing step and exits non-zero.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
APP_DIR = "opt/zhifa"  # where the user's checkout lies inside the fresh machine
PREFIX = "/var/lib/zhifa"  # bin/deploy's default
DEFAULT_PORTS = {"postgresql": 5432, "redis": 6379, "ceph-mon": 3300, "radosgw": 7480, "gunicorn": 8001, "http": 80}
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SOURCES = """deb {mirror} bookworm main
deb {mirror} bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
"""


class CheckFailed(RuntimeError):
    """A step failed: the message names it."""


def say(message: str) -> None:
    print(f"freshcheck: {message}", flush=True)


class Timer:
    """Phase durations, printed as a table at the end."""

    def __init__(self):
        self.phases: list[tuple[str, float, str]] = []

    @contextlib.contextmanager
    def phase(self, name: str):
        say(f"== {name}")
        started = time.monotonic()
        outcome = "failed"
        try:
            yield
            outcome = "ok"
        finally:
            elapsed = time.monotonic() - started
            self.phases.append((name, elapsed, outcome))
            say(f"== {name}: {outcome} in {elapsed:.0f} s")

    def table(self) -> str:
        return "\n".join(f"  {name:<12} {seconds:7.0f} s  {outcome}" for name, seconds, outcome in self.phases)


# --- argument parsing ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/work/fresh-root"), help="the fresh system's folder")
    parser.add_argument("--cache", type=Path, default=Path("/var/cache/zhifa-freshcheck"),
                        help="where the bootstrapped system's tarball is kept")
    parser.add_argument("--variant", choices=("default", "minbase"), default="default")
    parser.add_argument("--mirror", default=MIRROR)
    parser.add_argument("--keep", action="store_true", help="leave the folder (unmounted) for a look")
    parser.add_argument("--worktree", action="store_true", help="copy the work tree's tracked files, not HEAD")
    parser.add_argument("--only-bootstrap", action="store_true", help="fill the cache and stop")
    parser.add_argument("--systemd", action="store_true",
                        help="boot the fresh system with systemd as PID 1 (systemd-nspawn) instead of a chroot: "
                             "bin/deploy installs systemd units; the stack is checked, rebooted and checked again")
    parser.add_argument("--deploy-timeout", type=int, default=3600, help="seconds bin/deploy may take")
    args = parser.parse_args(argv)
    args.root = args.root.resolve()
    if args.root == Path("/") or ROOT in (args.root, *args.root.parents):
        parser.error(f"--root {args.root} must be a folder of its own outside the repository")
    return args


# --- running things -----------------------------------------------------------------------------


def run(cmd: list[str], *, what: str, timeout: float = 600, capture: bool = True, **kwargs) -> str:
    try:
        result = subprocess.run(cmd, capture_output=capture, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, check=False, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(f"{what}: still running after {timeout:.0f} s") from exc
    if result.returncode != 0:
        tail = ((result.stdout or "") + (result.stderr or ""))[-4000:] if capture else ""
        raise CheckFailed(f"{what}: exit {result.returncode}\n{tail}")
    return result.stdout if capture else ""


def chroot_cmd(root: Path, script: str) -> list[str]:
    """A shell inside the fresh system with an empty environment, as root logged in on a console:
    by chroot, or (--systemd) by entering the namespaces of the booted container's systemd."""
    enter = ["nsenter", "-t", str(CONTAINER.leader), "-a"] if CONTAINER.leader else ["chroot", str(root)]
    return [*enter, "/usr/bin/env", "-i", f"PATH={CLEAN_PATH}", "HOME=/root", "TERM=dumb", "/bin/bash", "-c", script]


class Container:
    """The fresh system booted with systemd as PID 1 (systemd-nspawn --boot; the host's network)."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.leader: int | None = None

    def boot(self, root: Path, cache: Path, log: Path) -> None:
        if not shutil.which("systemd-nspawn"):
            say("installing Debian's systemd-container (systemd-nspawn) on this machine")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "systemd-container"],
                what="apt-get install systemd-container", env=env)
        for name in ("apt-archives/partial", "pip"):
            (cache / name).mkdir(parents=True, exist_ok=True)
        with log.open("ab") as sink:
            # --register=no --keep-unit: this machine's PID 1 is not systemd (no bus to register with)
            self.process = subprocess.Popen(
                ["systemd-nspawn", "--boot", "-D", str(root), "--register=no", "--keep-unit", "--console=pipe",
                 "--machine=zhifa-fresh", f"--bind={cache}/apt-archives:/var/cache/apt/archives",
                 f"--bind={cache}/pip:/root/.cache/pip"],
                stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT)

        def leader() -> int | None:
            if self.process.poll() is not None:
                raise CheckFailed(f"systemd-nspawn exited with {self.process.returncode}; see {log}")
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                    for child in (task / "children").read_text().split():
                        if Path(f"/proc/{child}/comm").read_text().strip() == "systemd":
                            return int(child)
            return None

        self.leader = wait_for(leader, timeout=60, what="systemd to start in the container", step=0.2)

        def booted() -> str | None:
            state = subprocess.run(chroot_cmd(root, "systemctl is-system-running"), capture_output=True,
                                   text=True, check=False).stdout.strip()
            return state if state in ("running", "degraded") else None

        say(f"systemd is PID 1 in the container (host pid {self.leader}): "
            + wait_for(booted, timeout=180, what="the container to finish booting", step=1))

    def poweroff(self) -> None:
        if self.process and self.process.poll() is None and self.leader:
            os.kill(self.leader, signal.SIGRTMIN + 3)  # systemd's "poweroff"
            try:
                self.process.wait(180)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process, self.leader = None, None


CONTAINER = Container()


def inside(root: Path, script: str, *, what: str, timeout: float = 600, stream: bool = False) -> str:
    if not stream:
        return run(chroot_cmd(root, script), what=what, timeout=timeout)
    # Long commands: their output is shown as it comes (and kept for the error message).
    process = subprocess.Popen(chroot_cmd(root, script), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    started = time.monotonic()
    for line in process.stdout:
        lines.append(line)
        print(f"    | {time.monotonic() - started:5.0f}s  " + line.rstrip(), flush=True)
        if time.monotonic() > deadline:
            process.kill()
            raise CheckFailed(f"{what}: still running after {timeout:.0f} s")
    if process.wait() != 0:
        raise CheckFailed(f"{what}: exit {process.returncode}\n" + "".join(lines[-40:]))
    return "".join(lines)


# --- 1. bootstrap -------------------------------------------------------------------------------


def ensure_debootstrap() -> None:
    if shutil.which("debootstrap"):
        return
    say("installing Debian's debootstrap on this machine")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "debootstrap"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        run(["apt-get", "update", "-q"], what="apt-get update", env=env)
        run(install, what="apt-get install debootstrap", env=env)


def cache_file(args: argparse.Namespace) -> Path:
    return args.cache / f"debian-{SUITE}-{args.variant}.tar"


def bootstrap(args: argparse.Namespace) -> None:
    if args.root.exists():
        raise CheckFailed(f"{args.root} exists: remove it (after `umount -R`) or choose another --root")
    tarball = cache_file(args)
    if tarball.exists():
        say(f"unpacking the cached system {tarball}")
        args.root.mkdir(parents=True)
        run(["tar", "-xpf", str(tarball), "--numeric-owner", "-C", str(args.root)], what="unpack the cache")
        return
    ensure_debootstrap()
    variant = [] if args.variant == "default" else [f"--variant={args.variant}"]
    say(f"debootstrap {SUITE} ({args.variant} variant) from {args.mirror}: several minutes")
    try:
        run(["debootstrap", *variant, SUITE, str(args.root), args.mirror], what="debootstrap", timeout=3600)
    except CheckFailed:
        shutil.rmtree(args.root, ignore_errors=True)
        raise
    (args.root / "etc/apt/sources.list").write_text(SOURCES.format(mirror=args.mirror))
    (args.root / "etc/hostname").write_text("zhifa-fresh\n")
    run(["chroot", str(args.root), "apt-get", "clean"], what="apt-get clean")
    args.cache.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".tar.partial")
    run(["tar", "-cpf", str(partial), "--numeric-owner", "-C", str(args.root), "."], what="cache the system")
    partial.replace(tarball)
    say(f"cached the bootstrapped system as {tarball} ({tarball.stat().st_size >> 20} MiB)")



# --- 2. copy ------------------------------------------------------------------------------------


def copy_project(args: argparse.Namespace) -> None:
    dest = args.root / APP_DIR
    dest.mkdir(parents=True)
    if args.worktree:
        names = run(["git", "-C", str(ROOT), "ls-files", "-z"], what="git ls-files")
        listed = [name for name in names.split("\0") if name and (ROOT / name).exists()]
        pack = subprocess.run(["tar", "-c", "-C", str(ROOT), "--null", "-T", "-"], input="\0".join(listed).encode(),
                              capture_output=True, check=False)
        source = "the work tree's tracked files"
    else:
        pack = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"], capture_output=True,
                              check=False)
        source = "git archive HEAD (" + run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                            what="git rev-parse").strip() + ")"
    if pack.returncode != 0:
        raise CheckFailed("packing the project failed:\n" + pack.stderr.decode()[-2000:])
    subprocess.run(["tar", "-x", "--no-same-owner", "-C", str(dest)], input=pack.stdout, check=True)
    os.chmod(args.root / "opt", 0o755)  # noqa: S103 - as /opt is
    os.chmod(dest, 0o755)  # noqa: S103 - the service user reads the code
    # What any installed machine has: a name resolver and localhost.
    shutil.copy("/etc/resolv.conf", args.root / "etc/resolv.conf")
    hosts = args.root / "etc/hosts"
    if "localhost" not in (hosts.read_text() if hosts.exists() else ""):
        hosts.write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    say(f"copied {source} into /{APP_DIR} ({len(list(dest.rglob('*')))} files and folders)")
    site_certificates(args.root)


def site_certificates(root: Path) -> None:
    """A network whose HTTPS goes through an inspecting proxy (as this one does) needs its CA on
    every machine: as an administrator there would, give pip the CA bundle this machine trusts."""
    local = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if not local or not bundle.exists():
        return
    shutil.copy(bundle, root / "etc/pip-site-ca.pem")
    (root / "etc/pip.conf").write_text("[global]\ncert = /etc/pip-site-ca.pem\n")
    say("this network inspects HTTPS: pip in the fresh system trusts this machine's CA bundle "
        f"(with {', '.join(p.name for p in local)}) through /etc/pip.conf")


# --- 3. mounts and deploy -----------------------------------------------------------------------

MOUNTS = (  # (target inside the root, mount arguments), mounted in this order
    ("proc", ["-t", "proc", "proc"]),
    ("sys", ["-t", "sysfs", "sysfs"]),
    ("dev", ["--bind", "/dev"]),
    ("dev/pts", ["--bind", "/dev/pts"]),
    ("dev/shm", ["-t", "tmpfs", "-o", "mode=1777", "tmpfs"]),
    ("run", ["-t", "tmpfs", "-o", "mode=755", "tmpfs"]),
)


def mount_all(root: Path, cache: Path) -> None:
    for target, arguments in MOUNTS:
        path = root / target
        path.mkdir(parents=True, exist_ok=True)
        run(["mount", *arguments, str(path)], what=f"mount /{target}")
    (root / "run/lock").mkdir(mode=0o1777, exist_ok=True)
    # Downloaded .deb files (and pip's cache) are kept across runs (what is installed is not: that is fresh).
    for target, name in (("var/cache/apt/archives", "apt-archives"), ("root/.cache/pip", "pip")):
        (cache / name / ("partial" if name == "apt-archives" else "")).mkdir(parents=True, exist_ok=True)
        (root / target).mkdir(parents=True, exist_ok=True)
        run(["mount", "--bind", str(cache / name), str(root / target)], what=f"mount the {name} cache")


def mounted_under(root: Path) -> list[str]:
    points = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point == str(root) or point.startswith(str(root) + "/"):
            points.append(point)
    return points


def unmount_all(root: Path) -> None:
    for point in sorted(mounted_under(root), key=len, reverse=True):
        if subprocess.run(["umount", point], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    left = mounted_under(root)
    if left:
        raise CheckFailed("still mounted: " + ", ".join(left))


def processes_in(root: Path) -> list[tuple[int, str]]:
    """Processes whose root directory is the fresh system (started inside the chroot)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.readlink(entry / "root") == str(root):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append((int(entry.name), command[:120]))
    return found


def kill_leftovers(root: Path) -> list[tuple[int, str]]:
    """End what is still running inside the chroot (only ever those processes, by pid)."""
    left = processes_in(root)
    for pid, _command in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes_in(root) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def port_free(port: int) -> bool:
    for host in ("127.0.0.1", "0.0.0.0"):  # noqa: S104 - only probing whether the port is taken
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                return False
    return True


def port_options() -> list[str]:
    """bin/deploy's default ports, except those already taken on this (shared) machine."""
    options = []
    for name, port in DEFAULT_PORTS.items():
        if not port_free(port):
            say(f"port {port} ({name}) is taken on this machine: bin/deploy --{name}-port 0 (a free one)")
            options += [f"--{name}-port", "0"]
    return options


def deploy(args: argparse.Namespace) -> None:
    command = " ".join(["bin/deploy", *port_options()])
    say(f"inside the fresh system, as root with an empty environment: cd /{APP_DIR} && {command}")
    inside(args.root, f"cd /{APP_DIR} && {command}", what=command, timeout=args.deploy_timeout, stream=True)


# --- 4. checks ----------------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(prefix17: str) -> str:
    """A well-formed 统一社会信用代码 (GB 32100 check character) from its first 17 characters."""
    total = sum(USCC_ALPHABET.index(char) * pow(3, i, 31) for i, char in enumerate(prefix17))
    return prefix17 + USCC_ALPHABET[(31 - total % 31) % 31]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand, only within the site."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """A real HTTP client with a cookie jar, talking to nginx."""

    def __init__(self, base: str, cafile: Path):
        self.base, self.cafile = base, cafile
        self.jar = http.cookiejar.CookieJar()
        tls = urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(cafile)))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), tls,
                                                  NoRedirect())

    def request(self, method: str, path: str, *, data: bytes | None = None, headers: dict | None = None,
                token: str | None = None, expect: tuple[int, ...] = (200,), what: str) -> tuple[int, str, str]:
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})  # noqa: S310
        if token:
            request.add_header("Authorization", f"Token {token}")
        for _hop in range(5):
            try:
                with self.opener.open(request, timeout=120) as reply:
                    status, body, url = reply.status, reply.read().decode(errors="replace"), reply.url
            except urllib.error.HTTPError as exc:
                status, body, url = exc.code, exc.read().decode(errors="replace"), exc.url
                location = exc.headers.get("Location")
                if status in (301, 302, 303) and location and status not in expect:
                    target = urllib.parse.urljoin(url, location)
                    if not target.startswith(self.base):
                        raise CheckFailed(f"{what}: {method} {path} redirected off the site to {target}") from exc
                    request = urllib.request.Request(target, method="GET", headers={"Referer": url})  # noqa: S310
                    if token:
                        request.add_header("Authorization", f"Token {token}")
                    continue
            except OSError as exc:
                raise CheckFailed(f"{what}: {method} {path}: {exc}") from exc
            break
        if status not in expect:
            raise CheckFailed(f"{what}: {method} {path} answered {status}, expected {expect}:\n{body[:1500]}")
        return status, body, url

    def csrf(self) -> str:
        for cookie in self.jar:
            if cookie.name == "csrftoken":
                return cookie.value
        raise CheckFailed("no csrftoken cookie was set")

    def form(self, path: str, fields: list[tuple[str, str]], *, what: str) -> tuple[int, str, str]:
        body = urllib.parse.urlencode([("csrfmiddlewaretoken", self.csrf()), *fields]).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": self.base + path}
        return self.request("POST", path, data=body, headers=headers, what=what)

    def api(self, method: str, path: str, payload: dict | None, token: str, *, expect=(200,), what: str) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        _status, body, _url = self.request(method, path, data=data, headers=headers, token=token, expect=expect,
                                           what=what)
        return json.loads(body) if body else {}


def zhifa_inside(args: argparse.Namespace, command: str, *, what: str, timeout: float = 300) -> str:
    """The README's way to run a `zhifa` command against the deployed install (as the app user)."""
    script = (f"cd /{APP_DIR} && runuser -u zhifa -- env $(grep -v '^#' {PREFIX}/zhifa.env | xargs) "
              f"PYTHONPATH=/{APP_DIR} {PREFIX}/venv/bin/python manage.py {command}")
    return inside(args.root, script, what=what, timeout=timeout)


def wait_for(condition, *, timeout: float, what: str, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"{what}: not within {timeout:.0f} s")
        time.sleep(step)


MAKE_VIDEO = """
import av
out = av.open('/root/freshcheck-clip.mp4', 'w')
stream = out.add_stream('mpeg4', rate=10)
stream.width, stream.height, stream.pix_fmt = 96, 64, 'yuv420p'
for i in range(30):
    frame = av.VideoFrame(96, 64, 'yuv420p')
    for n, plane in enumerate(frame.planes):
        plane.update(bytes([(i * 8 + n * 70) % 256]) * plane.buffer_size)
    frame.pts = i
    for packet in stream.encode(frame):
        out.mux(packet)
for packet in stream.encode():
    out.mux(packet)
out.close()
"""

S3_CHECK = """
import json, os, sys
import boto3
from botocore.exceptions import ClientError
env = dict(line.split('=', 1) for line in open('%(prefix)s/zhifa.env').read().splitlines()
           if '=' in line and not line.startswith('#'))
ports = json.load(open('%(prefix)s/ports.json'))
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:%%d' %% ports['radosgw'], region_name='us-east-1',
                  aws_access_key_id=env['AWS_ACCESS_KEY_ID'], aws_secret_access_key=env['AWS_SECRET_ACCESS_KEY'])
bucket, sha = 'zhifa-records', sys.argv[1]
lock = s3.get_object_lock_configuration(Bucket=bucket)['ObjectLockConfiguration']['ObjectLockEnabled']
versions = [v for v in s3.list_object_versions(Bucket=bucket).get('Versions', []) if sha in v['Key']]
assert len(versions) == 1, versions
key, version = versions[0]['Key'], versions[0]['VersionId']
head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
try:
    s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    refused = None
except ClientError as exc:
    refused = exc.response['Error']['Code']
still = s3.head_object(Bucket=bucket, Key=key, VersionId=version)['ContentLength']
print(json.dumps({'lock': lock, 'key': key, 'mode': head.get('ObjectLockMode'),
                  'until': str(head.get('ObjectLockRetainUntilDate')), 'size': head['ContentLength'],
                  'delete_refused': refused, 'size_after_delete': still}))
"""


def checks(args: argparse.Namespace) -> dict:
    """The list above; returns what later phases reuse (the officer's token, the filed record)."""
    step = "bin/deploy --status"
    say(step)
    print(inside(args.root, f"cd /{APP_DIR} && bin/deploy --status", what=step, timeout=120), end="", flush=True)
    ports = json.loads((args.root / PREFIX.lstrip("/") / "ports.json").read_text())
    cafile = args.root / PREFIX.lstrip("/") / "nginx/tls/server.crt"  # the self-signed one bin/deploy made
    https = "" if ports["https"] == 443 else f":{ports['https']}"
    web = Browser(f"https://localhost{https}", cafile)

    say("through nginx: plain HTTP is sent to HTTPS; the login page and the public portal over HTTPS")
    plain = Browser(f"http://localhost:{ports['http']}", cafile)
    try:
        plain.opener.open(urllib.request.Request(f"{plain.base}/login/"), timeout=30).close()  # noqa: S310
        raise CheckFailed("plain HTTP served the login page instead of sending the browser to HTTPS")
    except urllib.error.HTTPError as exc:
        if exc.code != 301 or exc.headers.get("Location") != f"{web.base}/login/":
            raise CheckFailed(f"plain HTTP answered {exc.code} {exc.headers.get('Location')}") from exc
    _s, body, _u = web.request("GET", "/login/", what="the login page")
    if "登录" not in body or "csrfmiddlewaretoken" not in body:
        raise CheckFailed("the login page has no login form:\n" + body[:1000])
    _s, body, _u = web.request("GET", "/public/", what="the public portal")
    if "<html" not in body.lower():
        raise CheckFailed("the portal answered no page")

    say("zhifa agency add: an agency and its first administrator")
    admin_password = "Fresh-" + os.urandom(6).hex()
    print(zhifa_inside(args, "agency add --name 抚顺市应急管理局 --uscc " + uscc("11210400MB0123456")
                       + " --jurisdiction 抚顺市行政区域 --pack fushun-city --section 执法一科 --admin-username admin"
                       + f" --admin-name 王管理 --admin-password {admin_password} --prefix 抚应急",
                       what="zhifa agency add"), end="", flush=True)

    say("the administrator logs in through the page and adds an officer by the staff form")
    _s, _b, url = web.form("/login/", [("username", "admin"), ("password", admin_password)], what="log in as admin")
    if url.rstrip("/").endswith("/login"):
        raise CheckFailed("logging in as admin through the page failed (still on the login page)")
    _s, body, _u = web.request("GET", "/org/staff/new/", what="the staff form")
    if "Fresh" in body:
        raise CheckFailed("the staff form shows a password")
    sections = re.findall(r'<option value="(\d+)"[^>]*>\s*执法一科', body)
    if not sections:
        raise CheckFailed("the staff form offers no section 执法一科:\n" + body[:1500])
    officer_password = "Officer-" + os.urandom(6).hex()
    _s, body, url = web.form("/org/staff/new/", [
        ("username", "officer1"), ("name", "李执法"), ("password", officer_password), ("section", sections[0]),
        ("roles", "officer"), ("frontline", "on"),
    ], what="add an officer")
    if "/org/staff/" not in url or "李执法" not in body:
        raise CheckFailed(f"adding the officer did not lead to the officer's page ({url}):\n{body[:1500]}")

    say("the officer's API token, /api/v1/me/ (an API client of its own: no session cookie)")
    web = Browser(web.base, cafile)
    token = web.api("POST", "/api/v1/auth/token/", {"username": "officer1", "password": officer_password}, "",
                    what="API token")["token"]
    me = web.api("GET", "/api/v1/me/", None, token, what="/api/v1/me/")
    if "officer1" not in json.dumps(me, ensure_ascii=False):
        raise CheckFailed(f"/api/v1/me/ does not name the officer: {me}")

    say("a small real video (PyAV), uploaded by the resumable upload API and filed by the Celery worker")
    (args.root / "root/freshcheck-video.py").write_text(MAKE_VIDEO)
    inside(args.root, f"{PREFIX}/venv/bin/python /root/freshcheck-video.py", what="make a video")
    clip = (args.root / "root/freshcheck-clip.mp4").read_bytes()
    started = web.api("POST", "/api/v1/uploads/", {"file_name": "执法记录仪-现场.mp4", "size": len(clip)}, token,
                      expect=(200, 201), what="start an upload")
    upload = started["id"]
    web.request("PATCH", f"/api/v1/uploads/{upload}/", data=clip, token=token, what="send the bytes",
                headers={"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}, expect=(200, 204))
    queued = web.api("POST", f"/api/v1/uploads/{upload}/finish/", {"title": "现场执法记录"}, token,
                     expect=(200, 201, 202), what="finish the upload")
    say(f"finish answered: {queued.get('message') or queued}")
    state = wait_for(lambda: (s := web.api("GET", f"/api/v1/uploads/{upload}/", None, token,
                                           what="upload state")).get("record") or s.get("error"),
                     timeout=180, what="the worker to file the upload")
    if not isinstance(state, int):
        raise CheckFailed(f"the upload was refused: {state}")
    record = web.api("GET", f"/api/v1/records/{state}/", None, token, what="the record")
    sha = record["versions"][0]["sha256"]
    say(f"filed as record {state}, sha256 {sha[:16]}…, kind {record.get('kind')}")

    say("radosgw: the object is in the Object Lock bucket and the store refuses to delete it")
    (args.root / "root/freshcheck-s3.py").write_text(S3_CHECK % {"prefix": PREFIX})
    probe = inside(args.root, f"{PREFIX}/venv/bin/python /root/freshcheck-s3.py {sha}", what="S3 check")
    found = json.loads(probe.strip().splitlines()[-1])
    say(f"S3: {found}")
    if (found["lock"] != "Enabled" or found["mode"] != "COMPLIANCE" or found["delete_refused"] != "AccessDenied"
            or found["size"] != len(clip) or found["size_after_delete"] != len(clip)):
        raise CheckFailed(f"the stored object is not locked as it should be: {found}")

    say("the sequencer numbers every event (no event left 待入账)")

    def integrated() -> str | None:
        line = zhifa_inside(args, "ledger status", what="zhifa ledger status").strip().splitlines()[0]
        match = re.search(r"台账事件：(\d+) 个（另有 (\d+) 个待入账）", line)
        return line if match and int(match[1]) > 0 and match[2] == "0" else None

    say(wait_for(integrated, timeout=120, what="the sequencer to integrate every event", step=2))
    say("zhifa ledger verify")
    print(zhifa_inside(args, "ledger verify", what="zhifa ledger verify", timeout=600), end="", flush=True)
    return {"base": web.base, "cafile": cafile, "token": token, "record": state, "sha": sha,
            "admin_password": admin_password}


def verify_units(args: argparse.Namespace) -> None:
    """`systemd-analyze verify` on the units bin/deploy writes where systemd is PID 1."""
    script = (f"cd /{APP_DIR} && rm -rf /tmp/zhifa-units && python3 tools/deploy.py units --out /tmp/zhifa-units"
              " && ls /tmp/zhifa-units && systemd-analyze verify /tmp/zhifa-units/*")
    if not (args.root / "usr/bin/systemd-analyze").exists():
        inside(args.root, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd",
               what="apt-get install systemd", timeout=900)
    print(inside(args.root, script, what="systemd-analyze verify", timeout=300), end="", flush=True)


# --- 5. stop ------------------------------------------------------------------------------------


STACK_PROGRAMS = ("postgres", "redis-server", "ceph-mon", "ceph-osd", "radosgw", "gunicorn", "celery", "nginx")


def reboot(args: argparse.Namespace) -> None:
    """Power the container off and boot it again: zhifa.target is enabled, so the stack comes up by
    itself (and Debian's own postgresql, redis-server and nginx, disabled by bin/deploy, stay off)."""
    CONTAINER.poweroff()
    CONTAINER.boot(args.root, args.cache, args.cache / "nspawn-boot.log")

    def healthy() -> str | None:
        result = subprocess.run(chroot_cmd(args.root, f"cd /{APP_DIR} && bin/deploy --status"),
                                capture_output=True, text=True, check=False, timeout=120)
        return result.stdout if result.returncode == 0 else None

    print(wait_for(healthy, timeout=300, what="the stack to come up by itself after the reboot", step=5),
          end="", flush=True)
    debian = inside(args.root, "systemctl is-active postgresql redis-server nginx || true", what="systemctl")
    if "active" in debian.replace("inactive", ""):
        raise CheckFailed(f"Debian's own services run after the reboot: {debian.split()}")
    ports = json.loads((args.root / PREFIX.lstrip("/") / "ports.json").read_text())
    cafile = args.root / PREFIX.lstrip("/") / "nginx/tls/server.crt"
    https = "" if ports["https"] == 443 else f":{ports['https']}"
    _s, body, _u = Browser(f"https://localhost{https}", cafile).request("GET", "/login/", what="login after reboot")
    if "csrfmiddlewaretoken" not in body:
        raise CheckFailed("after the reboot the login page has no form")
    say("after the reboot every service came up by itself and the login page answers")

    say("after the reboot every service came up by itself and the login page answers")


# --- 4b. (--systemd) every unit killed, PostgreSQL and Redis stopped ----------------------------

PROBE = """
# As the app user with the deployment's settings: the system works. An append (the officer reads the
# record's file through nginx: the object store answers, the read is a ledger event) is integrated
# by the sequencer (beat schedules it, the worker runs it), and a task sent now is taken by the worker.
import hashlib, json, os, ssl, sys, time, urllib.request
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
django.setup()
from ledger import sequencer
from ledger.models import Head
from zhifa.celery import app

base, cafile, token, record, sha, timeout = sys.argv[1:7]
deadline = time.monotonic() + float(timeout)
started = time.monotonic()


def until(what, attempt):
    while True:
        try:
            value = attempt()
        except Exception as exc:  # a service still coming back: try again until the deadline
            value, error = None, exc
        else:
            error = None
        if value is not None:
            return value
        if time.monotonic() > deadline:
            sys.exit(f"{what}: not within {timeout} s ({error!r})")
        time.sleep(0.5)


def written():
    head = Head.objects.filter(pk=1).first()
    return (head.size if head else 0) + sequencer.pending_count()


before = until("count the ledger's events", written)
tls = ssl.create_default_context(cafile=cafile)


def read():
    request = urllib.request.Request(f"{base}/api/v1/records/{record}/versions/1/content/?purpose=%E6%A0%B8%E6%9F%A5",
                                     headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=30, context=tls) as reply:
        body = reply.read()
    if hashlib.sha256(body).hexdigest() != sha:
        sys.exit("the file read through nginx does not hash to the stored SHA-256")
    return len(body)


size = until("read the record's file through nginx", read)
read_s = time.monotonic() - started


def integrated():
    head = Head.objects.filter(pk=1).first()
    return head.size if head and head.size > before and sequencer.pending_count() == 0 else None


events = until("the sequencer to integrate the read", integrated)
append_s = time.monotonic() - started
task_started = time.monotonic()
result = app.send_task("zhifa.ledger.integrate")
result.get(timeout=max(1.0, deadline - time.monotonic()))
print(json.dumps({"read_s": round(read_s, 1), "append_s": round(append_s, 1),
                  "task_s": round(time.monotonic() - task_started, 1), "events": events, "bytes": size}))
"""

RESTART_WAIT = 90  # seconds systemd has to bring a killed unit back
WORKS_WAIT = 180  # seconds the whole system has to work again after that


def unit_state(args: argparse.Namespace, unit: str) -> dict[str, str]:
    shown = inside(args.root, f"systemctl show -p MainPID -p NRestarts -p ActiveState {unit}", what="systemctl show")
    return dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)


def listening(port: int | None) -> bool:
    if not port:
        return True
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def works(args: argparse.Namespace, ctx: dict, *, timeout: float = WORKS_WAIT) -> dict:
    """The login page through nginx, then PROBE (a file read through nginx integrated by the
    sequencer, a task taken by the worker); each retried until `timeout`."""
    started = time.monotonic()
    web = Browser(ctx["base"], ctx["cafile"])

    def login() -> bool:
        with contextlib.suppress(CheckFailed):
            return "csrfmiddlewaretoken" in web.request("GET", "/login/", what="the login page")[1]
        return False

    wait_for(login, timeout=timeout, what="the login page through nginx", step=1)
    login_s = time.monotonic() - started
    probe = args.root / PREFIX.lstrip("/") / "freshcheck-probe.py"
    probe.write_text(PROBE)
    probe.chmod(0o644)
    left = max(10.0, timeout - (time.monotonic() - started))
    cafile = args.root / PREFIX.lstrip("/") / "freshcheck-ca.pem"  # the site's certificate (public), readable
    shutil.copy(ctx["cafile"], cafile)
    cafile.chmod(0o644)
    script = (f"cd /{APP_DIR} && runuser -u zhifa -- env $(grep -v '^#' {PREFIX}/zhifa.env | xargs) "
              f"PYTHONPATH=/{APP_DIR} {PREFIX}/venv/bin/python {PREFIX}/freshcheck-probe.py {ctx['base']} "
              f"{PREFIX}/freshcheck-ca.pem "
              f"{ctx['token']} {ctx['record']} {ctx['sha']} {left:.0f}")
    found = json.loads(inside(args.root, script, what="the probe (read, append, task)", timeout=left + 60)
                       .strip().splitlines()[-1])
    found["login_s"] = round(login_s, 1)
    found["all_s"] = round(time.monotonic() - started, 1)
    return found


def meanwhile(web: Browser, seen: collections.Counter) -> None:
    """Ask for the login page through nginx while something is down: it answers the page, or a 503
    page in Chinese (gunicorn restarting: nginx's own), or nothing (nginx itself restarting)."""
    try:
        status, body, _u = web.request("GET", "/login/", expect=(200, 503), what="the login page meanwhile")
    except CheckFailed as exc:
        if " answered " in str(exc):
            raise CheckFailed(f"while a unit was restarting the site answered neither the page nor a Chinese 503: "
                              f"{exc}") from exc
        seen["no answer"] += 1
        return
    if status == 503 and "服务暂时不可用" not in body:
        raise CheckFailed("while a unit was restarting the site answered a 503 that says nothing in Chinese:\n"
                          + body[:1000])
    seen[str(status)] += 1


def restarts(args: argparse.Namespace, ctx: dict) -> list[tuple[str, float, float]]:
    """Each unit bin/deploy installs: its main process SIGKILLed, systemd must bring it back (active,
    a new main PID, its port listening) within RESTART_WAIT, and the system must work afterwards.
    Meanwhile the login page is asked for (see meanwhile())."""
    web = Browser(ctx["base"], ctx["cafile"])
    progs = json.loads((args.root / PREFIX.lstrip("/") / "run/programs.json").read_text())
    say("the system works before the kills: " + json.dumps(works(args, ctx)))
    timings = []
    for program in progs:
        unit = f"zhifa-{program['name']}.service"
        before = unit_state(args, unit)
        pid = before.get("MainPID", "0")
        if before.get("ActiveState") != "active" or pid == "0":
            raise CheckFailed(f"{unit} is not running before its kill: {before}")
        started, seen = time.monotonic(), collections.Counter()
        inside(args.root, f"kill -KILL {pid}", what=f"kill {unit}")
        port = program.get("port")

        def back(unit=unit, pid=pid, port=port, seen=seen) -> dict | None:
            meanwhile(web, seen)
            state = unit_state(args, unit)
            if state.get("ActiveState") == "active" and state.get("MainPID") not in ("0", pid) and listening(port):
                return state
            return None

        state = wait_for(back, timeout=RESTART_WAIT, what=f"systemd to bring {unit} back after SIGKILL", step=0.2)
        back_s = time.monotonic() - started
        found = works(args, ctx)
        works_s = time.monotonic() - started
        timings.append((program["name"], back_s, works_s))
        say(f"{unit}: main pid {pid} killed; back as {state['MainPID']} in {back_s:.1f} s (restarts "
            f"{before.get('NRestarts')} → {state.get('NRestarts')}); meanwhile the login page: "
            + ", ".join(f"{answer} ×{count}" for answer, count in sorted(seen.items()))
            + f"; the system works {works_s:.1f} s after the kill: {json.dumps(found)}")
    say("time from SIGKILL to the unit back / to the whole system working:\n" + "\n".join(
        f"  {name:<14} {back_s:5.1f} s  {works_s:5.1f} s" for name, back_s, works_s in timings))
    return timings


OUTAGE = 20  # seconds PostgreSQL, then Redis, are kept stopped


def outages(args: argparse.Namespace, ctx: dict) -> None:
    """PostgreSQL, then Redis, stopped for OUTAGE seconds: meanwhile the web answers a 503 page in
    Chinese where it needs what is down (and works where it does not); afterwards everything
    recovers without anyone acting."""
    admin = Browser(ctx["base"], ctx["cafile"])
    admin.request("GET", "/login/", what="the login page")
    admin.form("/login/", [("username", "admin"), ("password", ctx["admin_password"])], what="log in as admin")
    admin.request("GET", "/", what="the workbench")
    officer = Browser(ctx["base"], ctx["cafile"])
    restarted = {name: unit_state(args, f"zhifa-{name}.service").get("NRestarts")
                 for name in ("gunicorn", "celery-worker", "celery-beat", "nginx")}

    say(f"PostgreSQL stopped for {OUTAGE} s (systemctl stop zhifa-postgresql)")
    inside(args.root, "systemctl stop zhifa-postgresql.service", what="systemctl stop zhifa-postgresql")
    stopped, answers = time.monotonic(), []
    while time.monotonic() - stopped < OUTAGE:
        asked = time.monotonic()
        _s, body, _u = admin.request("GET", "/", expect=(503,), what="the workbench without PostgreSQL")
        if "数据库暂时无法连接" not in body or "Traceback" in body:
            raise CheckFailed("without PostgreSQL the workbench did not say in Chinese that the database is down:\n"
                              + body[:1500])
        reply = officer.api("GET", "/api/v1/me/", None, ctx["token"], expect=(503,), what="the API without PostgreSQL")
        if "数据库暂时无法连接" not in reply.get("detail", ""):
            raise CheckFailed(f"without PostgreSQL the API answered {reply}")
        answers.append(time.monotonic() - asked)
        time.sleep(1)
    say(f"meanwhile {len(answers)} pages and {len(answers)} API calls: each a 503 saying the database is down "
        f"(slowest {max(answers):.1f} s)")
    inside(args.root, "systemctl start zhifa-postgresql.service", what="systemctl start zhifa-postgresql")
    started = time.monotonic()
    wait_for(lambda: admin.request("GET", "/", expect=(200, 503), what="the workbench after the start")[0] == 200,
             timeout=WORKS_WAIT, what="the workbench to answer once PostgreSQL is started again", step=0.5)
    page_s = time.monotonic() - started
    found = works(args, ctx)
    say(f"PostgreSQL started again: the workbench answers {page_s:.1f} s after the start, the whole system works "
        f"{time.monotonic() - started:.1f} s after it: {json.dumps(found)}")

    say(f"Redis stopped for {OUTAGE} s (systemctl stop zhifa-redis)")
    (args.root / "root/freshcheck-video.py").write_text(  # a second clip (40 frames, not 30): a new file
        MAKE_VIDEO.replace("range(30)", "range(40)").replace("freshcheck-clip.mp4", "freshcheck-clip2.mp4"))
    inside(args.root, f"{PREFIX}/venv/bin/python /root/freshcheck-video.py", what="make a second video")
    clip = (args.root / "root/freshcheck-clip2.mp4").read_bytes()
    upload = officer.api("POST", "/api/v1/uploads/", {"file_name": "停机期间-现场.mp4", "size": len(clip)},
                         ctx["token"], expect=(200, 201), what="start an upload")["id"]
    officer.request("PATCH", f"/api/v1/uploads/{upload}/", data=clip, token=ctx["token"], expect=(200, 204),
                    headers={"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
                    what="send the bytes")
    inside(args.root, "systemctl stop zhifa-redis.service", what="systemctl stop zhifa-redis")
    stopped, answers = time.monotonic(), []
    while time.monotonic() - stopped < OUTAGE:
        asked = time.monotonic()
        admin.request("GET", "/", what="the workbench without Redis")  # the web itself needs no queue
        reply = officer.api("POST", f"/api/v1/uploads/{upload}/finish/", {"title": "停机期间的记录"}, ctx["token"],
                            expect=(503,), what="finishing an upload without Redis")
        if "后台任务队列" not in reply.get("detail", ""):
            raise CheckFailed(f"without Redis finishing an upload answered {reply}")
        answers.append(time.monotonic() - asked)
        time.sleep(1)
    say(f"meanwhile the workbench answered {len(answers)} times; finishing an upload {len(answers)} times a 503 "
        f"saying the task queue is down (slowest {max(answers):.1f} s), the upload kept")
    inside(args.root, "systemctl start zhifa-redis.service", what="systemctl start zhifa-redis")
    started = time.monotonic()
    wait_for(lambda: officer.request("POST", f"/api/v1/uploads/{upload}/finish/", token=ctx["token"],
                                     data=json.dumps({"title": "停机期间的记录"}).encode(),
                                     headers={"Content-Type": "application/json"}, expect=(200, 201, 202, 503),
                                     what="finish the upload once Redis is started again")[0] != 503,
             timeout=WORKS_WAIT, what="finishing the upload to be accepted once Redis is started again", step=0.5)
    queued_s = time.monotonic() - started
    record = wait_for(lambda: officer.api("GET", f"/api/v1/uploads/{upload}/", None, ctx["token"],
                                          what="upload state").get("record"),
                      timeout=WORKS_WAIT, what="the worker to file the upload after Redis came back")
    if record == ctx["record"]:
        raise CheckFailed(f"the second clip was filed as the first one's record {record}")
    found = works(args, ctx)
    say(f"Redis started again: finishing the upload accepted {queued_s:.1f} s after the start, filed as record "
        f"{record}; the whole system works {time.monotonic() - started:.1f} s after the start: {json.dumps(found)}")
    now = {name: unit_state(args, f"zhifa-{name}.service") for name in restarted}
    down = [name for name, state in now.items() if state.get("ActiveState") != "active"]
    if down:
        raise CheckFailed(f"after the outages these units are not active: {down}")
    say("restarts during the outages (systemd's count, before → after): " + ", ".join(
        f"{name} {restarted[name]} → {state.get('NRestarts')}" for name, state in now.items()))


def stack_processes(args: argparse.Namespace) -> list[str]:
    """The stack's processes in the fresh system (read from its own /proc)."""
    listing = inside(args.root, "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done",
                     what="list processes")
    return [line for line in listing.splitlines() if any(name in line for name in STACK_PROGRAMS)]


def stop(args: argparse.Namespace) -> None:
    print(inside(args.root, f"cd /{APP_DIR} && bin/deploy --stop", what="bin/deploy --stop", timeout=300),
          end="", flush=True)
    time.sleep(2)
    if args.systemd:
        active = inside(args.root, "systemctl list-units 'zhifa*' --state=active --no-legend --plain || true",
                        what="systemctl list-units")
        left = stack_processes(args)
        if active.strip() or left:
            raise CheckFailed(f"after bin/deploy --stop: active units {active.split()}, processes {left}")
        say("every zhifa unit is inactive and no process of the stack runs in the container")
        return
    left = processes_in(args.root)
    if left:
        raise CheckFailed("still running in the fresh system after bin/deploy --stop:\n"
                          + "\n".join(f"  {pid} {command}" for pid, command in left))
    say("no process is left in the fresh system")


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        say("run as root: debootstrap, chroot and mount need it")
        return 2
    timer = Timer()
    failed = None
    try:
        with timer.phase("bootstrap"):
            bootstrap(args)
        if args.only_bootstrap:
            return 0
        with timer.phase("copy"):
            copy_project(args)
        if args.systemd:
            with timer.phase("boot"):
                CONTAINER.boot(args.root, args.cache, args.cache / "nspawn-boot.log")
        else:
            mount_all(args.root, args.cache)
        with timer.phase("deploy"):
            deploy(args)
        with timer.phase("checks"):
            context = checks(args)
        with timer.phase("units"):
            verify_units(args)
        if args.systemd:
            with timer.phase("reboot"):
                reboot(args)
            with timer.phase("restarts"):
                restarts(args, context)
            with timer.phase("outages"):
                outages(args, context)
        with timer.phase("stop"):
            stop(args)
    except CheckFailed as exc:
        failed = str(exc)
    except KeyboardInterrupt:
        failed = "interrupted"
    except Exception as exc:  # a bug here, or something unforeseen: still clean up
        failed = f"{type(exc).__name__}: {exc}"
    finally:
        with timer.phase("clean"):
            if args.systemd:
                CONTAINER.poweroff()
            if failed and processes_in(args.root):  # stop the stack as bin/deploy does, then the rest
                with contextlib.suppress(CheckFailed):
                    inside(args.root, f"cd /{APP_DIR} && bin/deploy --stop", what="bin/deploy --stop", timeout=180)
            left = kill_leftovers(args.root) if args.root.exists() else []
            if left:
                say("ended what was left running: " + ", ".join(f"{pid} ({cmd[:40]})" for pid, cmd in left))
            unmount_all(args.root)
            if args.keep:
                say(f"kept {args.root} (unmounted)")
            elif args.root.exists() and not args.only_bootstrap:
                run(["rm", "-rf", "--one-file-system", str(args.root)], what="remove the fresh system", timeout=1800)
        say("phases:\n" + timer.table())
    if failed:
        say(f"FAILED: {failed}")
        return 1
    say("PASSED: the README's production command works on a fresh Debian 12")
    return 0


if __name__ == "__main__":
    sys.exit(main())
