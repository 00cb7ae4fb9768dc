"""`zhifa demo --pack <pack-id>` (issue 11 item 7): a demo agency for each pack beside the others."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from stdnum.cn import uscc

from equipment.selectors import equipment_shortfall
from org.choices import Role
from org.models import Agency
from zhifa.demo_packs import PROFILES, pack_demo_load

pytestmark = pytest.mark.django_db


def test_every_pack_loads_beside_the_others():
    # (The default 抚顺市 demo is covered by test_demo.py; its names and usernames have no prefix.)
    out = StringIO()
    for pack in PROFILES:
        call_command("demo", "--pack", pack, stdout=out)
    assert set(Agency.objects.values_list("policy_pack", flat=True)) == {
        "tonghua-city", "yuyao-city", "pingdingshan-hitech", "fushun-county-hrss",
    }
    text = out.getvalue()
    assert "已载入演示单位：通化市应急管理局（政策包 tonghua-city" in text and "th-admin" in text
    for pack, profile in PROFILES.items():
        agency = Agency.objects.get(policy_pack=pack)
        staff = list(agency.staff.all())
        assert all(s.username.startswith(profile.prefix) for s in staff)
        assert set().union(*(s.role_codes for s in staff)) == set(Role.values) - {Role.OVERSIGHT}, pack
        parties = list(agency.parties.all())
        assert len(parties) >= 5 and all(uscc.is_valid(p.id_number) for p in parties)
        assert agency.devices.exists(), pack
        # The devices fit the agency: where its regulation sets a standard, nothing is missing.
        office = agency.staff.get(username=f"{profile.prefix}office")
        rows, _rule = equipment_shortfall(viewer=office)
        assert not [row for row in rows if row.missing], pack
    # 通化 counts photos as 音像记录: its teams carry cameras as well.
    assert Agency.objects.get(policy_pack="tonghua-city").devices.filter(kind="camera").exists()
    # Loading again changes nothing.
    before = Agency.objects.count()
    call_command("demo", "--pack", "yuyao-city", stdout=out)
    assert Agency.objects.count() == before and "未重复载入" in out.getvalue()


def test_an_unknown_pack_is_refused():
    with pytest.raises(CommandError, match="nowhere"):
        call_command("demo", "--pack", "nowhere", stdout=StringIO())
    assert not Agency.objects.exists()


def test_a_pack_demo_can_log_in_and_see_its_rules(client):
    pack_demo_load(pack="fushun-county-hrss", today=date(2026, 11, 24))
    assert client.login(username="fsx-reviewer", password="zhifa-demo-2026")
    page = client.get("/policy/").content.decode()
    assert "抚顺县人力资源和社会保障局政策包" in page
    assert "安全生产法》第七十八条" not in page
