"""The `zhifa` command on a data folder whose database has no schema yet: no traceback, one
Chinese message saying to run `zhifa migrate`; commands that need no database still work."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _zhifa(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("zhifa")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "zhifa.cli"]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZHIFA_BLOB_STORE", "ZHIFA_ENV")}
    env.update(ZHIFA_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    return subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args",
    [
        ("workdays", "add", "2026-12-20", "10"),
        ("ingest", ".", "--device", "DSJ-0001"),
        ("ledger", "verify"),
    ],
)
def test_a_command_on_a_database_without_its_schema_says_to_migrate(tmp_path, args):
    done = _zhifa(tmp_path, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert "数据库尚未建立或不是当前版本" in done.stderr
    assert "请先运行：zhifa migrate" in done.stderr


def test_a_command_that_needs_no_database_still_runs(tmp_path):
    done = _zhifa(tmp_path, "policy", "list")
    assert done.returncode == 0, done.stderr
    assert "fushun-city" in done.stdout
