"""登记保全 picks the case file, 登记存储载体 the enterprise, from the agency's (查找, then select): nothing
typed by number; another agency's, posted by hand, is refused and the refusal logged."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from archive.models import Carrier, CaseFile, Hold
from enterprises.services import enterprise_create
from ledger.models import Event
from matters.services import matter_open
from org.tests.factories import AgencyFactory, SectionFactory, make_uscc

pytestmark = pytest.mark.django_db


def offered(html: str, name: str = "case_file") -> set[int]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(0))} if select else set()


def foreign_case_file(make_staff) -> CaseFile:
    """A case file of another agency (built directly; assembling is tested in test_services)."""
    other = AgencyFactory()
    section = SectionFactory(agency=other, name="外单位执法科")
    officer = make_staff("officer", agency=other, section=section, username="other-officer", certificate=True)
    matter = matter_open(acting_user=officer, kind="inspection", title="外单位检查")
    today = timezone.localdate()
    return CaseFile.objects.create(agency=other, section=section, matter=matter, code="外档〔2026〕1号",
                                   title="外单位检查", cause="外单位检查", closed_on=today, retention_years=10,
                                   retain_until=today.replace(year=today.year + 10))


def test_the_hold_form_offers_the_agencys_case_files_and_refuses_another_agencys(desk, make_staff, login):
    routine = CaseFile.objects.get(matter=desk.close_inspection("例行检查"))
    special = CaseFile.objects.get(matter=desk.close_inspection("储罐区专项检查"))
    foreign = foreign_case_file(make_staff)
    client = login(make_staff("legal_reviewer", name="孙法规", username="sun"))
    url = reverse("archive:hold_new")

    page = client.get(url).content.decode()
    assert "系统内序号" not in page and offered(page) == {routine.pk, special.pk}

    # 查找 narrows the list, keeps what was filled in, and saves nothing
    body = {"kind": "litigation", "reference": "（2026）辽04行初12号"}
    html = client.post(url, {**body, "case_file_q": "储罐区", "find": "case_file"}).content.decode()
    assert offered(html) == {special.pk} and "（2026）辽04行初12号" in html
    html = client.post(url, {**body, "case_file": routine.pk, "case_file_q": "储罐区", "find": "case_file"})
    assert offered(html.content.decode()) == {routine.pk, special.pk}  # the picked one stays offered
    assert "没有找到本单位的案卷（“不存在”）" in client.post(
        url, {**body, "case_file_q": "不存在", "find": "case_file"}).content.decode()

    html = client.post(url, {**body, "case_file": foreign.pk}).content.decode()
    assert f"本单位没有案卷#{foreign.pk}：请在列表中查找并选择" in html and foreign.pk not in offered(html)
    assert Event.objects.filter(kind="casefile.denied", subject_id=str(foreign.pk)).exists()
    assert not Hold.objects.exists()

    assert client.post(url, {**body, "case_file": special.pk}).status_code == 302
    assert Hold.objects.get().case_file == special


def test_the_carrier_form_offers_the_register_and_refuses_another_agencys_enterprise(desk, make_staff, login):
    other_party = enterprise_create(agency=desk.agency, uscc=make_uscc("91210400MA0000002"), name="抚顺石化储运有限公司",
                                    legal_representative="刘某", industry="仓储")
    foreign = enterprise_create(agency=AgencyFactory(), uscc=make_uscc("91210400MA0000003"), name="外地化工有限公司",
                                legal_representative="陈某", industry="危险化学品")
    client = login(desk.archivist)
    url = reverse("archive:carrier_new")
    page = client.get(url).content.decode()
    assert "系统内序号" not in page and offered(page, "party") == {desk.party.pk, other_party.pk}

    body = {"number": "GP-2026-001", "kind": "disc", "period": "2026年5月", "confidentiality": "normal",
            "retention": "30", "holder": "钱档案"}
    html = client.post(url, {**body, "party_q": "石化", "find": "party"}).content.decode()
    assert offered(html, "party") == {other_party.pk} and "GP-2026-001" in html
    assert not Carrier.objects.exists()

    html = client.post(url, {**body, "party": foreign.pk}).content.decode()
    assert "本单位登记簿中没有这个生产经营单位" in html and "请在列表中查找并选择" in html
    assert Event.objects.filter(kind="enterprise.denied", subject_id=str(foreign.pk)).exists()
    assert not Carrier.objects.exists()

    assert client.post(url, {**body, "party": other_party.pk}).status_code == 302
    assert Carrier.objects.get().party_id == other_party.pk


def test_who_may_not_register_is_told_who_acts_and_the_refusal_is_logged(desk, make_staff, login):
    """A section chief sees holds and carriers but places and registers neither: both pages refuse,
    naming who acts and what to do, each refusal a `*.denied` event; a posted form changes nothing.
    A legal reviewer, who places holds for 复议 and 诉讼, sees the holds page (menu 保全)."""
    case_file = CaseFile.objects.get(matter=desk.close_inspection("储罐区专项检查"))
    chief = login(desk.chief)
    for url, who, what, kind in (
        (reverse("archive:hold_new"), "登记保全须由法制审核人员、局领导、档案管理员办理", "告知法制审核人员", "hold.denied"),
        (reverse("archive:carrier_new"), "存储载体由档案管理员登记和保管", "交档案管理员", "carrier.denied"),
    ):
        page = chief.get(url)
        assert page.status_code == 403 and who in page.content.decode() and what in page.content.decode()
        refused = chief.post(url, {"kind": "litigation", "reference": "（2026）行初1号", "case_file": case_file.pk,
                                   "number": "GP-1", "ckind": "disc", "period": "2026年", "retention": "30年"})
        assert refused.status_code == 403
        assert Event.objects.filter(kind=kind, actor=desk.chief, subject_id=str(desk.agency.pk)).count() == 2
    assert not Hold.objects.exists() and not Carrier.objects.exists()
    assert 'href="/archive/holds/new/"' in chief.get(reverse("archive:holds")).content.decode()

    reviewer = make_staff("legal_reviewer", name="孙法规", username="sun")
    client = login(reviewer)
    home = client.get("/").content.decode()
    assert f'href="{reverse("archive:holds")}">保全</a>' in home and f'href="{reverse("archive:queue")}"' not in home
    body = {"kind": "litigation", "reference": "（2026）辽04行初12号"}
    assert "请在列表中查找并选择保全的案卷" in client.post(reverse("archive:hold_new"), body).content.decode()
    assert not Hold.objects.exists()
    assert client.post(reverse("archive:hold_new"), {**body, "case_file": case_file.pk}).status_code == 302
    again = client.post(reverse("archive:hold_new"), {**body, "case_file": case_file.pk}).content.decode()
    assert f"案卷 {case_file.code}已在保全中（行政诉讼，（2026）辽04行初12号），无需重复登记" in again
    holds = client.get(reverse("archive:holds")).content.decode()
    assert Hold.objects.count() == 1 and "（2026）辽04行初12号" in holds and reverse("archive:carriers") not in holds
