import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_policy_lint_passes_on_the_shipped_packs():
    assert "政策包检查通过：7 个政策包" in run("policy", "lint")


def test_policy_lint_fails_with_file_and_line(tmp_path, settings):
    (tmp_path / "_documents.yaml").write_text(
        (ROOT / "policy/packs/_documents.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "broken.yaml").write_text(
        "id: broken\ntitle: 坏包\nagency: 某局\nrules:\n  - key: penalty.officers_min\n    value: 2\n    unit: persons\n"
        "    cite: {doc: xzcfl, article: 第四十二条}\n    summary: 两名执法人员\n",
        encoding="utf-8",
    )
    settings.ZHIFA_POLICY_PACKS_DIR = tmp_path
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("policy", "lint", stdout=out)
    assert (
        f"{tmp_path / 'broken.yaml'}:5: 错误: 规则“penalty.officers_min”的单位“persons”未知" in out.getvalue()
    )


def test_policy_list_and_show():
    listing = run("policy", "list")
    assert "fushun-city" in listing and "（继承 national）" in listing
    shown = run("policy", "show", "yuyao-city", "--on", "2026-11-24")
    assert "余姚市应急管理局政策包（yuyao-city → work-safety → national）" in shown
    assert "须法制审核的罚款数额（公民）（review.fine_threshold_person）：50000元" in shown
    data = json.loads(run("policy", "show", "fushun-city", "--json", "--on", "2026-11-24"))
    rules = {r["key"]: r for r in data["rules"]}
    assert rules["av.ingest_deadline"]["value"] == 24 and rules["av.ingest_deadline"]["unit"] == "hours"
    assert rules["av.ingest_deadline"]["citations"][0]["article"].startswith("第")
    with pytest.raises(CommandError, match="找不到政策包“nowhere”"):
        run("policy", "show", "nowhere")


@pytest.mark.django_db
def test_workdays_add_says_when_provisional():
    assert run("workdays", "add", "2026-09-30", "1").strip() == "2026-10-08 星期四"
    line = run("workdays", "add", "2026-12-20", "10").strip()
    assert line.startswith("2027-01-04 星期一 暂定（2027年国务院节假日安排尚未录入")
    assert "春节" in run("workdays", "day", "2026-02-17")
    with pytest.raises(CommandError, match="不是有效日期"):
        run("workdays", "add", "2026-13-01", "10")


@pytest.mark.django_db(transaction=True)
def test_the_zhifa_console_command(tmp_path):
    env = os.environ | {"ZHIFA_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # a scratch SQLite database, never the test database
    exe = Path(sys.executable).with_name("zhifa")
    helped = subprocess.run([exe, "--help"], capture_output=True, text=True, env=env, check=True, timeout=120)
    for command in ("policy", "workdays", "demo", "serve"):
        assert f"  {command}" in helped.stdout
    lint = subprocess.run([exe, "policy", "lint"], capture_output=True, text=True, env=env, timeout=120)
    assert lint.returncode == 0 and "政策包检查通过" in lint.stdout
    subprocess.run([exe, "migrate", "-v0"], env=env, check=True, timeout=300)
    added = subprocess.run(
        [exe, "workdays", "add", "2026-12-20", "10"], capture_output=True, text=True, env=env, timeout=120
    )
    assert added.returncode == 0 and added.stdout.startswith("2027-01-04") and "暂定" in added.stdout


def test_policy_coverage_names_code_and_tests_for_each_seed_article():
    # CI runs this: the report is built from the shipped packs, the product code and its tests.
    text = run("policy", "coverage")
    block = text[text.index("《通化市应急管理局安全生产行政执法全过程记录实施办法》第九条") :]
    block = block[: block.index("\n《")]
    assert "matters.leader_approval_steps（tonghua-city）" in block
    assert "执行：" in block and "matters/services.py:" in block and "（_may_act）" in block
    assert "matters/tests/test_services.py" in block
    assert "仅供查阅：" in text and "《中华人民共和国行政处罚法》" not in text  # seeds only by default
    assert text.rstrip().splitlines()[-1].startswith("共 ")
    # Every key a seed article sets is applied by code or says why it is only shown.
    rows = json.loads(run("policy", "coverage", "--json"))
    entries = [key for row in rows for key in row["keys"]]
    assert entries and all(k["applied_in"] or k["informational"] for k in entries)
    assert any(row["file"] == "seeds/004_c057b48cfb56e612.txt" for row in rows)
    every = json.loads(run("policy", "coverage", "--all", "--json"))
    assert any(row["document"] == "中华人民共和国政府信息公开条例" for row in every)
