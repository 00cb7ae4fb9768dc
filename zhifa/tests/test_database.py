"""The database the tests run on is the one DATABASE_URL names, and it works.

bin/test runs the suite twice: on SQLite (DATABASE_URL unset) and on a throw-away PostgreSQL
started by tools/pgserver.py. These tests fail loudly if a run silently used the wrong one.
"""

import importlib.util
import os
import socket
import sys
from pathlib import Path

import environ
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _load_pgserver():
    spec = importlib.util.spec_from_file_location("zhifa_tools_pgserver", ROOT / "tools" / "pgserver.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


pgserver = _load_pgserver()


def _expected_vendor() -> str:
    url = os.environ.get("DATABASE_URL", "")
    scheme = url.split(":", 1)[0].lower()
    if not url or scheme == "sqlite":
        return "sqlite"
    if scheme in {"postgres", "postgresql", "pgsql"}:
        return "postgresql"
    pytest.fail(f"DATABASE_URL uses {scheme!r}; the project is tested on SQLite and PostgreSQL only")


@pytest.mark.django_db
def test_database_in_use_is_the_one_database_url_names():
    expected = _expected_vendor()
    assert connection.vendor == expected
    assert settings.DATABASES["default"]["ENGINE"].startswith(f"django.db.backends.{expected}")
    if connection.vendor == "postgresql":
        assert connection.settings_dict["NAME"].startswith("test_"), (
            "tests must never touch the real database"
        )
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_encoding")
            assert cursor.fetchone() == ("UTF8",)


@pytest.mark.django_db
def test_a_query_round_trips():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE zhifa_probe (id integer PRIMARY KEY, label varchar(40))")
        cursor.execute("INSERT INTO zhifa_probe (id, label) VALUES (%s, %s)", [7, "行政执法公示"])
        cursor.execute("SELECT id, label FROM zhifa_probe WHERE id = %s", [7])
        assert cursor.fetchone() == (7, "行政执法公示")


def test_free_port_is_bindable_on_loopback():
    port = pgserver.find_free_port()
    assert 1024 <= port <= 65535
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def test_server_url_is_one_settings_understands():
    server = pgserver.Server(
        directory="/nonexistent/zhifa-pg-example",
        port=54321,
        pid=1,
        version="15.18",
        bindir="/x",
        owner="zhifa-pg",
    )
    assert server.url == "postgres://zhifa@127.0.0.1:54321/zhifa"
    assert server.describe() == "PostgreSQL 15 on 127.0.0.1:54321"
    assert pgserver.Server.from_json(server.to_json()) == server
    config = environ.Env.db_url_config(server.url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["HOST"], config["PORT"], config["NAME"]) == (
        "zhifa",
        "127.0.0.1",
        54321,
        "zhifa",
    )


def test_only_its_own_temporary_folders_are_ever_deleted(tmp_path):
    keep = tmp_path / "zhifa-pg-not-in-tmp"
    keep.mkdir()
    pgserver._remove_directory(keep)
    assert keep.is_dir()
    assert pgserver.read_state(tmp_path / "missing.json") is None
