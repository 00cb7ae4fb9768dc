"""`zhifa agency`: agencies of a province set up one by one or from a CSV, each with its own pack,
sections, administrator, 文书 numbering and portal pages; supervising bodies and their staff."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ledger.models import Event
from matters.services import matter_open
from matters.tests.test_instruments import issue
from org.choices import Role
from org.models import Agency, Section, Staff, SupervisingBody
from org.tests.factories import CertificateFactory, StaffFactory, make_uscc

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("agency", *args, stdout=out)
    return out.getvalue()


def _write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["名称", "统一社会信用代码", "管辖范围", "政策包", "科室", "管理员登录名", "管理员姓名", "机关代字", "监督机关"])
        writer.writerows(rows)
    return path


def test_add_list_body_attach_and_supervisor(client):
    text = _run("add", "--name", "抚顺市应急管理局", "--uscc", make_uscc("11210400MB0000001"), "--jurisdiction",
                "抚顺市", "--pack", "fushun-city", "--section", "政策法规科", "--section", "执法监察一大队",
                "--admin-username", "fs-admin", "--admin-name", "管理员甲", "--prefix", "抚应急")
    assert "已新增执法主体：抚顺市应急管理局（政策包 fushun-city，科室 2 个）" in text and "初始密码：" in text
    password = text.split("初始密码：")[1].split()[0]
    admin = Staff.objects.get(username="fs-admin")
    assert admin.role_codes == {Role.ADMIN} and admin.check_password(password)
    assert _run("body-add", "--name", "抚顺市司法局", "--jurisdiction", "抚顺市人民政府所属行政执法部门") == "已新增执法监督机关：抚顺市司法局\n"
    _run("add", "--name", "通化市应急管理局", "--uscc", make_uscc("11220500MB0000002"), "--jurisdiction", "通化市",
         "--pack", "tonghua-city", "--section", "执法支队", "--admin-username", "th-admin", "--admin-name", "管理员乙",
         "--admin-password", "pw-2026-xyz", "--body", "抚顺市司法局")
    assert "已将 1 个执法主体纳入抚顺市司法局的监督" in _run("attach", "--body", "抚顺市司法局", "抚顺市应急管理局")
    with pytest.raises(CommandError, match="已在抚顺市司法局的监督范围内"):
        _run("attach", "--body", "抚顺市司法局", make_uscc("11220500MB0000002"))
    listed = _run("list", "--body", "抚顺市司法局")
    assert "抚顺市应急管理局" in listed and "通化市应急管理局" in listed and "共 2 个执法主体" in listed
    assert "监督执法主体 2 个" in _run("list", "--bodies")
    text = _run("supervisor-add", "--body", "抚顺市司法局", "--username", "sfj", "--name", "监督员", "--password", "pw-sfj-2026")
    assert "已新增抚顺市司法局执法监督人员：监督员（sfj）" in text
    # The attach is an event in the agency's ledger.
    fushun = Agency.objects.get(name="抚顺市应急管理局")
    assert Event.objects.filter(kind="agency.supervisor_attach", agency=fushun).count() == 1
    # The supervisor logs in by the normal login page and lands on the body's page.
    response = client.post(reverse("login"), {"username": "sfj", "password": "pw-sfj-2026"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("supervision:body_home")
    assert "抚顺市应急管理局" in response.content.decode() and "通化市应急管理局" in response.content.decode()


def test_bad_input_is_refused_in_chinese_and_changes_nothing():
    before = Agency.objects.count(), Staff.objects.count(), Event.objects.count()
    base = ["add", "--uscc", make_uscc("11210400MB0000003"), "--jurisdiction", "某市", "--pack", "fushun-city",
            "--section", "一科", "--admin-username", "a1", "--admin-name", "某某"]
    for extra, message in (
        (["--name", "某" * 101], "名称不能超过100个字"),
        (["--name", "某市局", "--pack", "no-such-pack"], "政策包“no-such-pack”不存在"),
        (["--name", "某市局", "--uscc", "123"], "统一社会信用代码"),
        (["--name", "某市局", "--section", "科" * 61], "名称不能超过60个字"),
        (["--name", "某市局", "--body", "没有的司法局"], "没有名为“没有的司法局”的执法监督机关"),
    ):
        with pytest.raises(CommandError, match=message):
            _run(*base, *extra)
    with pytest.raises(CommandError, match="名称不能重复"):
        _run("body-add", "--name", "某司法局", "--jurisdiction", "某市")
        _run("body-add", "--name", "某司法局", "--jurisdiction", "某市")
    assert SupervisingBody.objects.count() == 1
    assert (Agency.objects.count(), Staff.objects.count()) == before[:2]


def test_import_a_province_from_csv_all_or_nothing(tmp_path):
    _run("body-add", "--name", "某省司法厅", "--jurisdiction", "某省人民政府所属行政执法部门")
    packs = ["fushun-city", "tonghua-city", "yuyao-city", "pingdingshan-hitech", "fushun-county-hrss"]
    rows = [[f"某省第{i}应急管理局", make_uscc(f"11210400MD{i:07d}"), f"第{i}区", packs[i % 5], "政策法规科、执法大队",
             f"adm{i}", f"管理员{i}", f"某{i}应急", "某省司法厅" if i % 2 else ""] for i in range(12)]
    bad = [*rows, ["某省第0应急管理局", make_uscc("11210400MD9999999"), "重复", "fushun-city", "一科", "dup", "重名", "", ""],
           ["缺科室局", make_uscc("11210400MD9999998"), "某区", "fushun-city", "", "nosec", "某某", "", ""]]
    with pytest.raises(CommandError) as refused:
        _run("import", str(_write_csv(tmp_path / "bad.csv", bad)), "--accounts", str(tmp_path / "a0.csv"))
    message = str(refused.value)
    assert "导入未进行" in message and "第14行（某省第0应急管理局）" in message and "第15行（缺科室局）：缺科室局：请至少填写一个科室" in message
    assert Agency.objects.count() == 0 and not (tmp_path / "a0.csv").exists()
    text = _run("import", str(_write_csv(tmp_path / "ok.csv", rows)), "--accounts", str(tmp_path / "accounts.csv"))
    assert "已导入 12 个执法主体" in text
    assert Agency.objects.count() == 12 and Section.objects.count() == 24
    assert Agency.objects.filter(supervised_by__body__name="某省司法厅").count() == 6
    with (tmp_path / "accounts.csv").open(encoding="utf-8") as f:
        accounts = list(csv.DictReader(f))
    assert len(accounts) == 12 and Staff.objects.get(username="adm7").check_password(accounts[7]["初始密码"])
    assert (tmp_path / "accounts.csv").stat().st_mode & 0o077 == 0
    with pytest.raises(CommandError, match="已存在"):
        _run("import", str(tmp_path / "ok.csv"), "--accounts", str(tmp_path / "accounts.csv"))


def test_two_agencies_on_different_packs_never_mix_numbers_or_portal_pages(client):
    _run("add", "--name", "甲市应急管理局", "--uscc", make_uscc("11210400MB0000011"), "--jurisdiction", "甲市",
         "--pack", "fushun-city", "--section", "执法一大队", "--admin-username", "jia", "--admin-name", "甲",
         "--prefix", "甲应急")
    _run("add", "--name", "乙市应急管理局", "--uscc", make_uscc("11220500MB0000012"), "--jurisdiction", "乙市",
         "--pack", "tonghua-city", "--section", "执法支队", "--admin-username", "yi", "--admin-name", "乙",
         "--prefix", "乙应急")
    numbers, cases = {}, {}
    for name in ("甲市应急管理局", "乙市应急管理局"):
        agency = Agency.objects.get(name=name)
        officer = StaffFactory(agency=agency, section=agency.sections.get(), roles=(Role.OFFICER,))
        CertificateFactory(staff=officer)
        cases[name] = (matter_open(acting_user=officer, kind="penalty", title=f"{name}案件", party=None), officer)
    for name in ("甲市应急管理局", "乙市应急管理局", "甲市应急管理局", "乙市应急管理局"):  # interleaved
        numbers.setdefault(name, []).append(issue(*cases[name]).number)
    jia, yi = numbers["甲市应急管理局"], numbers["乙市应急管理局"]
    assert all(n.startswith("甲应急") for n in jia) and all(n.startswith("乙应急") for n in yi)
    assert [n.rsplit("〕", 1)[1] for n in jia] == [n.rsplit("〕", 1)[1] for n in yi] == ["1号", "2号"]
    for name, other in (("甲市应急管理局", "乙市应急管理局"), ("乙市应急管理局", "甲市应急管理局")):
        agency = Agency.objects.get(name=name)
        for route in ("publicity:index", "publicity:officers", "publicity:complaints"):
            html = client.get(reverse(route) + f"?agency={agency.pk}").content.decode()
            assert name in html and other not in html, (route, name)


def test_the_portal_stays_one_bounded_page_with_thousands_of_agencies(client, django_assert_max_num_queries):
    from org.models import Agency

    Agency.objects.bulk_create(
        Agency(name=f"某省第{i:04d}号执法局", uscc=make_uscc(f"11210400ME{i:07d}"), jurisdiction=f"第{i}县",
               policy_pack="fushun-city")
        for i in range(1200)
    )
    for route in ("publicity:index", "publicity:officers", "publicity:powers", "publicity:complaints"):
        with django_assert_max_num_queries(30):
            html = client.get(reverse(route)).content.decode()
        assert html.count("某省第") <= 2 * 20 + 2, route  # the first ones only, with the directory linked
        assert reverse("publicity:agencies") in html
    with django_assert_max_num_queries(5):
        html = client.get(reverse("publicity:agencies")).content.decode()
    assert "共 1200 个执法机关" in html and "第 1/24 页" in html and "某省第0049号执法局" in html
    assert "某省第0050号执法局" not in html
    html = client.get(reverse("publicity:agencies") + "?page=24").content.decode()
    assert "某省第1199号执法局" in html and "某省第0049号执法局" not in html
    html = client.get(reverse("publicity:agencies") + "?q=第1037县").content.decode()
    assert "共 1 个执法机关" in html and "某省第1037号执法局" in html
    wanted = Agency.objects.get(name="某省第1037号执法局")
    assert f"?agency={wanted.pk}" in html
    page = client.get(reverse("publicity:index") + f"?agency={wanted.pk}").content.decode()
    assert "某省第1037号执法局" in page and "某省第0001号执法局" not in page
