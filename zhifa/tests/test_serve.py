"""The run command as a user runs it: a real server process, the Chinese login page, and a chief
who logs in and reads the agency's rules with their citations."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from zhifa.demo import DEMO_PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = os.environ | {"ZHIFA_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # the default install: SQLite in the data folder
    exe = Path(sys.executable).with_name("zhifa")
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [exe, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/login/", timeout=2)
                break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.3)
        log.seek(0)
        output = log.read()
        assert process.poll() is None, output
        yield base, output
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_run_command_serves_chinese_login_and_the_chief_reads_the_rules(server):
    base, output = server
    assert "行政执法平台已启动" in output and f"{base}/login/" in output
    assert "chief1" in output and DEMO_PASSWORD in output

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(base + "/login/").read().decode()
    assert "登录行政执法平台" in login_page and 'lang="zh-CN"' in login_page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {"username": "chief1", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    home = opener.open(base + "/login/", data=form).read().decode()
    assert "李明的工作台" in home

    rules = opener.open(base + "/policy/").read().decode()
    assert "执法规则：抚顺市应急管理局政策包" in rules
    assert "《抚顺市应急管理局安全生产行政执法公示制度》第二十一条" in rules
    assert "《中华人民共和国行政处罚法》第八十五条" in rules

    # Static files come from the server itself (no outside host).
    css = opener.open(base + "/static/zhifa/site.css").read().decode()
    assert "--brand" in css
