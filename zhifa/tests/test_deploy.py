"""tools/deploy.py's supervisor (what runs the stack where systemd is not PID 1): a service that
dies is restarted, its leftovers killed, `stop` ends everything. bin/deploy as a whole was run on
this project's machine (see the README's production section); bringing up PostgreSQL, Ceph,
Redis and nginx takes minutes, too long for every CI run."""

import importlib.util
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_deploy():
    spec = importlib.util.spec_from_file_location("zhifa_tools_deploy", ROOT / "tools" / "deploy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = _load_deploy()


def _wait(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def _status(layout) -> dict:
    try:
        return json.loads(layout.status.read_text())["programs"]
    except (OSError, ValueError, KeyError):
        return {}


def test_the_supervisor_restarts_what_dies_and_stop_ends_everything(tmp_path, capsys):
    layout = deploy.Layout(tmp_path)
    for folder in (layout.logs, layout.run):
        folder.mkdir(parents=True)
    me = pwd.getpwuid(os.getuid()).pw_name
    # A service that forks a child into its process group (as gunicorn's master does).
    script = "import os, time\nif os.fork() == 0:\n    time.sleep(600)\ntime.sleep(600)\n"
    layout.programs.write_text(json.dumps([{"name": "svc", "user": me, "port": None,
                                            "cmd": [sys.executable, "-c", script]}]))
    subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "deploy.py"), "supervise", "--prefix", str(tmp_path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    supervisor = _wait(lambda: deploy.supervisor_pid(layout))
    try:
        first = _wait(lambda: _status(layout).get("svc", {}).get("pid"))
        child = _wait(lambda: Path(f"/proc/{first}/task/{first}/children").read_text().split())
        os.kill(first, signal.SIGKILL)
        second = _wait(lambda: (s := _status(layout).get("svc", {})).get("restarts") == 1 and s["alive"] and s["pid"])
        assert second != first
        assert not deploy._alive(int(child[0]))  # the killed service's child went with it
        assert "exited with -9; restart in 1s" in (layout.logs / "svc.log").read_text()
        assert deploy.status(type("Args", (), {"prefix": tmp_path})()) == 1  # not deployed: no ports.json
    finally:
        assert deploy.main(["stop", "--prefix", str(tmp_path)]) == 0
    assert not deploy._alive(supervisor) and not deploy._alive(second)
    assert not layout.pidfile.exists()


def test_hold_keeps_a_service_stopped_while_the_others_run_until_release(tmp_path):
    """`hold postgresql …` for `zhifa restore --to-time`: the supervisor stops it and does not restart it."""
    layout = deploy.Layout(tmp_path)
    for folder in (layout.logs, layout.run):
        folder.mkdir(parents=True)
    me = pwd.getpwuid(os.getuid()).pw_name
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    layout.programs.write_text(json.dumps([{"name": name, "user": me, "port": None, "cmd": sleeper}
                                           for name in ("db", "web")]))
    subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "deploy.py"), "supervise", "--prefix", str(tmp_path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    _wait(lambda: deploy.supervisor_pid(layout))
    try:
        db = _wait(lambda: _status(layout).get("db", {}).get("pid"))
        web = _wait(lambda: _status(layout).get("web", {}).get("pid"))
        assert deploy.main(["hold", "--prefix", str(tmp_path), "nosuch"]) == 1  # unknown: nothing held
        assert not layout.held.exists()
        assert deploy.main(["hold", "--prefix", str(tmp_path), "db"]) == 0
        assert not deploy._alive(db)
        time.sleep(2)  # longer than the restart delay: still stopped, the other one untouched
        assert not _status(layout)["db"]["alive"] and _status(layout)["web"]["pid"] == web
        assert deploy.main(["release", "--prefix", str(tmp_path)]) == 0
        again = _wait(lambda: (s := _status(layout).get("db", {}))["alive"] and s["pid"])
        assert again != db and deploy._alive(web)
    finally:
        assert deploy.main(["stop", "--prefix", str(tmp_path)]) == 0


def test_deploy_and_the_test_cluster_write_one_ceph_conf_with_their_own_store(tmp_path):
    """tools/cephconf.py is the one ceph.conf of both: the same cluster settings, each tool's own
    object store (BlueStore on a file, or memory) and radosgw thread pool."""
    import configparser

    sys.path.insert(0, str(ROOT / "tools"))
    import rgwserver

    def parse(text: str) -> configparser.RawConfigParser:
        conf = configparser.RawConfigParser(interpolation=None, strict=True)
        conf.read_string(text)
        return conf

    layout = deploy.Layout(tmp_path)
    ports = {"ceph-mon": 3300, "radosgw": 7480}
    written = {memstore: parse(deploy.ceph_conf_text(layout, ports, memstore, "f")) for memstore in (False, True)}
    test = parse(
        rgwserver.ceph_conf(
            header=rgwserver.CEPH_HEADER, fsid="f", host="127.0.0.1", mon_port=1, rgw_port=2,
            directory=tmp_path, rgw_name=rgwserver.RGW_NAME, extra=rgwserver._ceph_extra(1 << 30),
        )
    )
    for conf in (*written.values(), test):
        assert conf["global"]["auth cluster required"] == "none"
        assert conf["global"]["osd pool default size"] == "1"
        assert conf["global"]["ms mon client mode"] == "crc secure"
    assert written[False]["osd"]["osd objectstore"] == "bluestore"
    assert written[False]["osd"]["bluestore block path"] == f"{layout.ceph}/osd.$id.block"
    assert written[True]["osd"]["osd objectstore"] == "memstore"
    assert written[False]["client.rgw.zhifa"]["rgw frontends"] == "beast endpoint=127.0.0.1:7480"
    assert written[False]["client.rgw.zhifa"]["rgw thread pool size"] == "64"
    assert test["osd"]["memstore device bytes"] == str(1 << 30)
    assert test["client.rgw.zhifa"]["rgw thread pool size"] == "32"
    assert test["global"]["paxos propose interval"] == "0.05"


def test_the_systemd_units_pass_systemd_analyze_verify_and_keep_every_argument_literal(tmp_path):
    """The units bin/deploy installs where systemd is PID 1 (not run on this machine): systemd
    reads each command and setting as written (`%h` in Celery's node name, a `$` in a key, the
    space in nginx's `daemon off;`), and `systemd-analyze verify` accepts every unit."""
    layout = deploy.Layout(tmp_path)
    layout.logs.mkdir(parents=True)
    secret = 'a$b%c"d\\e'
    me = pwd.getpwuid(os.getuid()).pw_name
    progs = [
        {"name": "sleeper", "user": me, "port": None, "cmd": ["/bin/sleep", "1000"]},
        {"name": "app", "user": me, "port": 8001, "env": {"SECRET_KEY": secret}, "cwd": str(tmp_path),
         "cmd": ["/bin/sh", "-c", "echo zhifa@%h; exec sleep 1000"]},
        {"name": "nginx", "user": me, "port": 80, "cmd": ["/bin/echo", "-g", "daemon off;"]},
    ]
    units = deploy.unit_files(layout, progs)
    assert set(units) == {"zhifa-sleeper.service", "zhifa-app.service", "zhifa-nginx.service", "zhifa.target"}
    app = units["zhifa-app.service"]
    assert 'Environment="SECRET_KEY=a$$b%%c\\"d\\\\e"' in app
    assert 'ExecStart="/bin/sh" "-c" "echo zhifa@%%h; exec sleep 1000"' in app
    assert '"daemon off;"' in units["zhifa-nginx.service"]
    assert "Restart=always" in app and "StartLimitIntervalSec=0" in app and "WantedBy=zhifa.target" in app
    assert "Wants=zhifa-sleeper.service zhifa-app.service zhifa-nginx.service" in units["zhifa.target"]

    out = tmp_path / "units"
    names = deploy.write_units(layout, progs, out)
    assert {(out / name).stat().st_mode & 0o777 for name in names} == {0o600}  # they hold the settings
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed here (Debian's systemd); the texts were checked above")
    result = subprocess.run([analyze, "verify", *sorted(str(p) for p in out.iterdir())],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "zhifa" not in result.stderr, result.stderr  # no warning about any of our units


def test_https_a_self_signed_certificate_is_made_once_and_the_sites_own_replaces_it(tmp_path, monkeypatch):
    """bin/deploy's nginx serves HTTPS (production cookies are Secure): without --tls-cert a
    self-signed certificate for the server name is made once and kept; the site's own replaces it."""
    import argparse
    import ssl

    monkeypatch.setattr(deploy, "VENV", Path(sys.prefix))  # this venv has cryptography, as deploy's has
    layout = deploy.Layout(tmp_path)
    args = argparse.Namespace(server_name="zhifa.example.gov.cn", tls_cert=None, tls_key=None)
    deploy.ensure_tls(layout, args)
    cert, key = layout.tls / "server.crt", layout.tls / "server.key"
    assert key.stat().st_mode & 0o777 == 0o600 and layout.tls.stat().st_mode & 0o777 == 0o700
    context = ssl.create_default_context()
    context.load_cert_chain(cert, key)  # the key belongs to the certificate
    decoded = ssl._ssl._test_decode_cert(str(cert))
    assert ("DNS", "zhifa.example.gov.cn") in decoded["subjectAltName"]
    assert ("DNS", "localhost") in decoded["subjectAltName"]
    first = cert.read_bytes()
    deploy.ensure_tls(layout, args)
    assert cert.read_bytes() == first  # kept on the next run

    own = tmp_path / "own"
    own.mkdir()
    (own / "site.crt").write_bytes(first)  # (any valid pair: this one)
    (own / "site.key").write_text(key.read_text())
    args = argparse.Namespace(server_name="x", tls_cert=own / "site.crt", tls_key=None)
    with pytest.raises(deploy.DeployError, match="go together"):
        deploy.ensure_tls(layout, args)
    args.tls_key = own / "missing.key"
    with pytest.raises(deploy.DeployError, match="no such file"):
        deploy.ensure_tls(layout, args)
    args.tls_key = own / "site.key"
    deploy.ensure_tls(layout, args)
    assert cert.read_bytes() == (own / "site.crt").read_bytes() and key.stat().st_mode & 0o777 == 0o600


def _unit_properties(text: str) -> dict[str, list[str]]:
    """A unit file's settings, each key with its values in order (sections merged)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_every_production_unit_restarts_on_failure_and_starts_after_what_it_needs(tmp_path):
    """The nine units bin/deploy installs (its own program list, not stand-ins): each is restarted
    whenever its main process dies, without systemd ever giving up, its leftovers are killed, and
    it is ordered after the services it needs without pulling them in (a unit held stopped by
    `bin/deploy --hold` stays stopped when another restarts). tools/freshcheck.py --systemd kills
    each one for real; the README's production section has the times."""
    layout = deploy.Layout(tmp_path)
    ports = {"postgresql": 5432, "redis": 6379, "ceph-mon": 3300, "radosgw": 7480, "gunicorn": 8001, "http": 80,
             "https": 443}
    progs = deploy.programs(layout, ports, {"SECRET_KEY": "k", "PG_PASSWORD": "p"}, app=True)
    units = deploy.unit_files(layout, progs)
    services = {name: _unit_properties(text) for name, text in units.items() if name.endswith(".service")}
    assert sorted(services) == sorted(f"zhifa-{name}.service" for name in (
        "postgresql", "redis", "ceph-mon", "ceph-osd", "radosgw", "gunicorn", "celery-worker", "celery-beat", "nginx"))
    for name, unit in services.items():
        assert unit["Restart"] == ["always"], name
        assert 0 < float(unit["RestartSec"][0]) <= 2, name
        assert unit["StartLimitIntervalSec"] == ["0"], name  # never "start request repeated too quickly"
        assert unit["KillMode"] == ["mixed"], name  # a killed main process's children are killed too
        assert unit["PartOf"] == ["zhifa.target"] and unit["WantedBy"] == ["zhifa.target"], name
        assert not {"Requires", "BindsTo", "Wants", "Requisite"} & set(unit), name
    after = {name[len("zhifa-"):-len(".service")]: set(unit["After"][0].split()) - {"network.target"}
             for name, unit in services.items()}
    needs = {
        "postgresql": set(), "redis": set(), "ceph-mon": set(), "ceph-osd": {"ceph-mon"},
        "radosgw": {"ceph-mon", "ceph-osd"}, "gunicorn": {"postgresql", "redis", "radosgw"},
        "celery-worker": {"postgresql", "redis", "radosgw"}, "celery-beat": {"redis"}, "nginx": {"gunicorn"},
    }
    assert after == {name: {f"zhifa-{n}.service" for n in deps} for name, deps in needs.items()}
    # PostgreSQL stops by its fast shutdown (SIGTERM would wait for every session to end)
    assert services["zhifa-postgresql.service"]["KillSignal"] == ["SIGINT"]
    assert {unit["KillSignal"][0] for name, unit in services.items() if "postgresql" not in name} == {"SIGTERM"}
    assert all("PG_PASSWORD" not in text for text in units.values())


def test_nginx_answers_a_chinese_503_page_while_gunicorn_does_not_answer(tmp_path, monkeypatch):
    """bin/deploy's nginx (its own settings, run here on free ports): while nothing listens on
    gunicorn's port (systemd restarting it) a page asked for is a 503 in Chinese with Retry-After,
    not nginx's English 502; once the application answers, its answer passes through."""
    import argparse
    import http.server
    import ssl
    import threading
    import urllib.error
    import urllib.request

    def find_nginx():
        return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

    nginx = find_nginx()
    if not nginx and os.geteuid() == 0 and shutil.which("apt-get"):
        from tools.chromium import apt_install

        apt_install("nginx-light")  # what bin/deploy installs; as root the test installs it too
        nginx = find_nginx()
    if not nginx or not Path("/etc/nginx/mime.types").exists():
        pytest.skip("nginx is not installed here (Debian's nginx-light, which bin/deploy installs)")
    monkeypatch.setattr(deploy, "VENV", Path(sys.prefix))
    layout = deploy.Layout(tmp_path)
    for folder in (layout.logs, layout.run, layout.nginx / "tmp", layout.data / "static"):
        folder.mkdir(parents=True, exist_ok=True)
    deploy.ensure_tls(layout, argparse.Namespace(server_name="localhost", tls_cert=None, tls_key=None))
    ports = {"gunicorn": deploy.free_port(), "http": deploy.free_port(), "https": deploy.free_port()}
    deploy.write_nginx_conf(layout, ports, "localhost")
    conf = layout.nginx / "nginx.conf"
    # nginx's workers run as whoever starts it here: www-data could not enter pytest's private tmp_path
    # (bin/deploy's prefix is 755; tools/freshcheck.py --systemd sees this page served there)
    me = pwd.getpwuid(os.geteuid()).pw_name
    conf.write_text(conf.read_text().replace("user www-data;\n", f"user {me};\n" if os.geteuid() == 0 else ""))
    server = subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    insecure = ssl.create_default_context(cafile=str(layout.tls / "server.crt"))

    def get(path):
        try:
            with urllib.request.urlopen(f"https://localhost:{ports['https']}{path}", timeout=10,
                                        context=insecure) as reply:
                return reply.status, reply.headers, reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode()

    class App(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = "登录".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    try:
        _wait(lambda: server.poll() is not None or _port_open(ports["https"]))
        assert server.poll() is None, server.stderr.read().decode()
        status, headers, body = get("/login/")
        assert status == 503 and headers["Retry-After"] == "10", (status, body)
        assert "服务暂时不可用" in body and "正在自动重新启动" in body and "charset=utf-8" in headers["Content-Type"]
        app = http.server.HTTPServer((deploy.HOST, ports["gunicorn"]), App)
        threading.Thread(target=app.serve_forever, daemon=True).start()
        try:
            assert get("/login/")[::2] == (200, "登录")
        finally:
            app.shutdown()
            app.server_close()
    finally:
        server.terminate()
        server.wait(10)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_task_queued_while_redis_is_down_fails_within_seconds_as_a_chinese_503():
    """With Redis down (stopped, or restarting after a failure) queueing a task, as finishing an
    upload does, gives up within seconds with an error zhifa/outages.py names in Chinese (the
    request then answers 503; the upload stays, to be finished again): Celery's default retry of
    its result store would hold the request about 20 s and end in a bare 500."""
    from celery import Celery
    from django.conf import settings

    from zhifa.outages import QUEUE_DOWN, outage_message

    nothing = f"redis://127.0.0.1:{deploy.free_port()}/0"  # a port where no Redis listens
    app = Celery("zhifa-probe", broker=nothing, backend=nothing, set_as_current=False)
    app.conf.result_backend_transport_options = settings.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        app.send_task("zhifa.ledger.integrate")
    assert time.monotonic() - started < 10
    assert outage_message(caught.value) == QUEUE_DOWN
    assert outage_message(RuntimeError("不相干的错误")) is None
