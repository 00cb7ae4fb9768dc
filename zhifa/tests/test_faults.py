"""Faults on the real stack (issue 17): a Celery worker on Redis killed mid-probe, radosgw gone
while a file is filed, PostgreSQL restarted under load behind gunicorn.

The services are real and started here, one set per module: Redis (Debian's redis-server,
installed when missing and we are root), Celery workers and gunicorn as subprocesses of this
test run, radosgw from tools/rgwserver.py. The worker and gunicorn must reach the test database,
so the module runs in CI's PostgreSQL pass (the SQLite pass keeps its test database in memory).
The sequencer killed mid-batch is with the sequencer's tests: ledger/tests/test_sequencer_kill.py.
"""

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from kombu import pools as kombu_pools

from ledger.verify import verify_ledger
from matters.tests.conftest import team  # noqa: F401 - the 通化 team fixture
from records.models import Record, RecordVersion, Upload
from records.storage import blob_store
from zhifa.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
_CAN_INSTALL = os.geteuid() == 0 and shutil.which("apt-get") is not None

pytestmark = [
    pytest.mark.stack,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which("redis-server") and not _CAN_INSTALL,
        reason="redis-server is not installed and only root with apt-get can install it",
    ),
]


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f"zhifa_tools_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(step)


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


@pytest.fixture(scope="module", autouse=True)
def _postgresql_only(django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("the stack's workers reach the test database only on PostgreSQL (CI's second pass)")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if not shutil.which("redis-server"):  # Debian's package, as bin/deploy installs it
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"]
        if subprocess.run(install, env=env, capture_output=True, timeout=600, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600, check=False)
            subprocess.run(install, env=env, capture_output=True, timeout=600, check=True)
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _listening(port), 20, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _app_env(data_dir: Path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIFA_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        DATABASE_URL=_database_url(),
        ZHIFA_DATA_DIR=str(data_dir),
        ZHIFA_BLOB_STORE=f"file://{data_dir}/blobs",
        PYTHONPATH=str(ROOT),
        DEBUG="false",
        **extra,
    )
    return env


class Worker:
    """A Celery worker (one process: the solo pool runs the task in it) with its log in a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "zhifa.celery", "worker", "-P", "solo", "--loglevel", "INFO",
                 "--without-heartbeat", "--without-gossip", "--without-mingle"],
                env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def _reconnect() -> None:
    """Drop the app's cached broker pools and result backend (made for the earlier broker URL). kombu keeps
    its pools in a registry of its own, keyed by connection: closing one left it there, closed, for the
    next lookup of the same broker (the test failed when run alone), so the registry is emptied too."""
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    with contextlib.suppress(AttributeError):
        del celery_app._local.backend


@pytest.fixture
def broker(redis_url, settings):
    """The API process queues to the real Redis (as under bin/deploy) instead of running eagerly."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager",
                                                      "broker_transport_options")}
    settings.ZHIFA_BROKER_URL = redis_url
    celery_app.conf.update(
        broker_url=redis_url, result_backend=redis_url, task_always_eager=False,
        broker_transport_options={"visibility_timeout": 3, "unacked_mutex_expire": 3},
    )
    _reconnect()
    try:
        yield redis_url
    finally:
        celery_app.conf.update(saved)
        _reconnect()


def _holds_open(pid: int, path: Path) -> bool:
    """Whether the process has `path` open (the probe opens it through an alias: the same file)."""
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) == str(path):
                    return True
    return False


def test_a_worker_killed_mid_probe_leaves_the_upload_pending_and_a_retry_files_it(
    broker, make_staff, login, _data_dir, tmp_path
):
    officer = make_staff("officer")
    client = login(officer)
    body = os.urandom(48 * 2**20)  # big enough that probing and storing take a moment
    sha = hashlib.sha256(body).hexdigest()
    started = client.post("/api/v1/uploads/", {"file_name": "执法记录仪导出.bin", "size": len(body)},
                          content_type="application/json")
    upload_id = started.json()["id"]
    sent = client.patch(f"/api/v1/uploads/{upload_id}/", data=body, content_type="application/offset+octet-stream",
                        HTTP_UPLOAD_OFFSET="0")
    assert sent.status_code == 200, sent.content.decode()
    env = _app_env(_data_dir, ZHIFA_BROKER_URL=broker, ZHIFA_BROKER_VISIBILITY_TIMEOUT="3")
    part = _data_dir / "uploads" / f"{upload_id}.part"

    first = Worker(env, tmp_path / "worker-1.log")
    try:
        queued = client.post(f"/api/v1/uploads/{upload_id}/finish/", {}, content_type="application/json")
        assert queued.status_code == 202, queued.content.decode()
        assert queued.json()["record"] is None and "正在检测并存储" in queued.json()["message"]
        _wait(lambda: _holds_open(first.process.pid, part), 120, "the worker to open the upload", step=0.01)
        first.kill()  # mid-probe: SIGKILL, as the OOM killer or a power cut would
    finally:
        first.stop()
    assert "upload_finish" in (tmp_path / "worker-1.log").read_text()
    # Nothing half-stored: the upload is still pending, no record, no file under the hash.
    assert Upload.objects.get(pk=upload_id).version_id is None
    assert Record.objects.count() == 0 and RecordVersion.objects.count() == 0
    assert not blob_store().exists(sha)
    pending = client.get(f"/api/v1/uploads/{upload_id}/").json()
    assert pending["record"] is None and pending["received"] == len(body) and "error" not in pending

    second = Worker(env, tmp_path / "worker-2.log")
    try:  # the unacknowledged task comes back after the visibility timeout and completes
        _wait(lambda: Upload.objects.get(pk=upload_id).version_id, 120, "the redelivered task", step=0.5)
    finally:
        second.stop()
    record_id = client.get(f"/api/v1/uploads/{upload_id}/").json()["record"]
    version = RecordVersion.objects.get(record_id=record_id)
    assert version.sha256 == sha and blob_store().rehash(sha) == sha
    assert Record.objects.count() == 1 and not part.exists()
    assert verify_ledger() == []


# --- radosgw gone -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rgw():
    rgwserver = _load_tool("rgwserver")
    if not rgwserver.is_installed() and not _CAN_INSTALL:
        pytest.skip("Ceph radosgw is not installed and cannot be installed here")
    with rgwserver.running_rgw() as server:
        yield rgwserver, server


def _restart_radosgw(rgwserver, server) -> None:
    runner = rgwserver._Runner(Path(server.directory), rgwserver._account(), True, lambda _m: None)
    runner.spawn("rgw", ["radosgw", "-c", str(server.conf_path), "-f", "-n", rgwserver.RGW_NAME])
    _wait(lambda: rgwserver._s3_answers(server.port), 60, "radosgw to answer again", step=0.2)


def test_radosgw_gone_ingest_fails_clearly_stores_nothing_and_a_retry_succeeds(
    rgw, make_staff, login, settings, tmp_path
):
    import boto3

    rgwserver, server = rgw
    s3 = boto3.client("s3", **server.client_kwargs)
    s3.create_bucket(Bucket="zhifa-faults", ObjectLockEnabledForBucket=True)
    settings.ZHIFA_BLOB_STORE = (
        f"s3://zhifa-faults?endpoint={server.endpoint_url}&region={server.region}"
        f"&access_key={server.access_key}&secret_key={server.secret_key}"
    )
    settings.DEBUG = False
    officer = make_staff("officer")
    client = login(officer)
    client.raise_request_exception = False
    path = tmp_path / "现场照片.bin"
    path.write_bytes(os.urandom(256 * 1024))

    gateway = next(pid for pid in rgwserver._cluster_pids(Path(server.directory))
                   if b"radosgw" in Path(f"/proc/{pid}/cmdline").read_bytes())
    os.kill(gateway, signal.SIGKILL)
    _wait(lambda: not _listening(server.port), 10, "radosgw to go")
    with path.open("rb") as fh:
        refused = client.post("/api/v1/records/", {"file": fh, "title": "现场照片"})
    assert refused.status_code == 503, refused.content.decode()
    detail = refused.json()["detail"]
    assert "文件存储暂时不可用" in detail and "未存储" in detail and "无法连接对象存储服务" in detail
    assert Record.objects.count() == 0 and RecordVersion.objects.count() == 0

    _restart_radosgw(rgwserver, server)
    assert s3.list_objects_v2(Bucket="zhifa-faults").get("KeyCount", 0) == 0  # nothing half-stored
    with path.open("rb") as fh:
        stored = client.post("/api/v1/records/", {"file": fh, "title": "现场照片"})
    assert stored.status_code == 201, stored.content.decode()
    sha = stored.json()["versions"][0]["sha256"]
    assert blob_store().rehash(sha) == sha
    assert verify_ledger() == []


# --- gunicorn: PostgreSQL restarted under load, the server killed mid-transition ------------------------


class Gunicorn:
    """The application under gunicorn (2 sync workers), as bin/deploy runs it, on a free port."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = _free_port()
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "zhifa.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", "2", "--timeout", "60", "--preload"],
                env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        _wait(lambda: _listening(self.port), 60, "gunicorn")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def gunicorn(_data_dir, tmp_path):
    server = Gunicorn(_app_env(_data_dir), tmp_path / "gunicorn.log")
    try:
        yield server
    finally:
        server.stop()


def _postmaster() -> tuple[Path, Path, str]:
    """The test run's PostgreSQL server: its programs' folder, data directory, owning account."""
    port = str(connection.settings_dict["PORT"])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            args = (entry / "cmdline").read_bytes().decode().split("\0")
            if args[0].endswith("/postgres") and "-D" in args and port in args:
                data = Path(args[args.index("-D") + 1])
                return Path(os.readlink(entry / "exe")).parent, data, data.owner()
    raise AssertionError(f"no PostgreSQL server with -p {port} found")


def _pg_ctl(bindir: Path, owner: str, data: Path, *args: str) -> None:
    command = [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", *args]
    if os.geteuid() == 0 and owner != "root":
        command = ["runuser", "-u", owner, "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=90, cwd="/")


def test_postgresql_restarted_under_load_requests_fail_clearly_then_recover(gunicorn, make_staff):
    from rest_framework.authtoken.models import Token

    from zhifa.outages import DATABASE_DOWN

    officer = make_staff("officer")
    token = Token.objects.create(user=officer).key
    assert gunicorn.request("GET", "/api/v1/records/", token)[0] == 200
    answers: list[tuple[float, int, str]] = []
    done = threading.Event()

    def load():
        deadline = time.monotonic() + 60  # bounded, whatever happens
        while not done.is_set() and time.monotonic() < deadline:
            status, body = gunicorn.request("GET", "/api/v1/records/", token)
            answers.append((time.monotonic(), status, body.get("detail", "") if isinstance(body, dict) else ""))
            time.sleep(0.02)

    bindir, data, owner = _postmaster()
    clients = [threading.Thread(target=load) for _ in range(4)]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)
        _pg_ctl(bindir, owner, data, "stop", "-m", "fast")
        down_at = time.monotonic()
        time.sleep(2)
        port = connection.settings_dict["PORT"]
        _pg_ctl(bindir, owner, data, "start", "-l", str(data.parent / "server.log"), "-o", f"-p {port}")
        up_at = time.monotonic()
        time.sleep(2)
    finally:
        done.set()
        for client in clients:
            client.join(70)
        connection.close()  # this process's own connection died with the server
    statuses = {status for _, status, _ in answers}
    assert statuses <= {200, 503}, [a for a in answers if a[1] not in (200, 503)][:3]
    failed = [a for a in answers if a[1] == 503]
    assert failed and all(detail == DATABASE_DOWN for _, _, detail in failed)
    assert all(down_at - 1 <= at <= up_at + 5 for at, _, _ in failed)
    assert [status for at, status, _ in answers if at > up_at + 1] and all(
        status == 200 for at, status, _ in answers if at > up_at + 1
    )


def test_the_server_killed_mid_transition_leaves_each_step_whole_or_absent(gunicorn, team):  # noqa: F811
    from rest_framework.authtoken.models import Token

    from ledger.models import Event
    from matters.models import Matter, Step

    token = Token.objects.create(user=team.officer).key
    pair = [team.officer.pk, team.partner.pk]

    def new_matter() -> int:
        status, body = gunicorn.request(
            "POST", "/api/v1/matters/", token,
            {"kind": "inspection", "title": "东兴化工检查", "party": team.party.pk, "officers": pair},
        )
        assert status == 201, body
        return body["id"]

    plan = {"data": {"place": "厂区", "time": timezone.now().isoformat(), "facts": "储罐区"}}
    control, *matters = [new_matter() for _ in range(6)]  # (the workers have warmed up meanwhile)
    before = (Step.objects.count(), Event.objects.count())
    started = time.monotonic()
    status, body = gunicorn.request("POST", f"/api/v1/matters/{control}/transitions/plan/", token, plan)
    took = min(time.monotonic() - started, 1.0)
    assert status == 201, body
    per_step = (Step.objects.count() - before[0], Event.objects.count() - before[1])

    before = (Step.objects.count(), Event.objects.count())
    cut_off = []

    def send(matter: int) -> None:
        try:
            gunicorn.request("POST", f"/api/v1/matters/{matter}/transitions/plan/", token, plan)
        except OSError:  # the worker died under the request
            cut_off.append(matter)

    for n, matter in enumerate(matters):
        workers = gunicorn.workers()
        sender = threading.Thread(target=send, args=(matter,))
        sender.start()
        time.sleep(took * (0.2 + 0.2 * n))  # from early in the request to about when it is answered
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        sender.join(40)
        _wait(lambda w=workers: len(gunicorn.workers()) == 2 and not set(gunicorn.workers()) & set(w), 60,
              "gunicorn to replace its workers")
    assert cut_off, "no request was cut off: the kills came too late"
    done = [m for m in matters if Matter.objects.get(pk=m).state == "planned"]
    assert all(Matter.objects.get(pk=m).state == "registered" for m in matters if m not in done)
    assert Step.objects.count() - before[0] == len(done) * per_step[0]
    assert Event.objects.count() - before[1] == len(done) * per_step[1]
    assert verify_ledger() == []
    # The server is back: a step killed half-way can be done now, once.
    for matter in set(matters) - set(done):
        status, body = gunicorn.request("POST", f"/api/v1/matters/{matter}/transitions/plan/", token, plan)
        assert status == 201, body
    assert all(Matter.objects.get(pk=m).state == "planned" for m in matters)
