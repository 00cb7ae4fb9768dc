"""登记存储载体: the carrier's 保管期限 (its label must say it, 抚顺 fs-info 第十八条) follows the case files
it holds — the longest of theirs — with its basis shown. Where the pack sets case-file retention
(平顶山 003 附件2 第十二条, `archive.retention`) the pack decides and a period chosen by hand is refused;
where it sets none the archivist chooses, never shorter than a held file's. A refusal changes nothing;
a held file sealed later for longer takes the carrier with it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from archive.models import Carrier, CaseFile, CaseFileItem
from archive.services import record_keep_long_term
from archive.tests.conftest import use_pack
from archive.tests.test_pickers import foreign_case_file
from ledger.models import Event
from matters.services import matter_open
from policy.selectors import agency_rules

pytestmark = pytest.mark.django_db

PACKS = ("fushun-city", "fushun-county-hrss", "pingdingshan-hitech", "tonghua-city", "yuyao-city")


def _open_file(desk, code: str) -> CaseFile:
    """A volume being assembled (built directly: assembling is tested in test_services)."""
    matter = matter_open(acting_user=desk.officer, kind="inspection", title=f"检查{code}", party=desk.party)
    return CaseFile.objects.create(agency=desk.agency, section=desk.section, matter=matter, code=code,
                                   title=f"检查{code}", cause="检查", closed_on=timezone.localdate())


def _post(client, body, **fields):
    return client.post(reverse("archive:carrier_new"), {**body, **fields})


def _refused(response, says: str, carriers: int) -> None:
    html = response.content.decode()
    assert response.status_code == 200 and says in html, html[html.find("<main"):][:3000]
    assert Carrier.objects.count() == carriers


def test_of_the_five_packs_only_pingdingshans_sets_the_retention_a_carrier_follows(desk):
    ruling = []
    for pack in PACKS:
        use_pack(desk, pack)
        if agency_rules(desk.agency).get("archive.retention") is not None:
            ruling.append(pack)
    assert ruling == ["pingdingshan-hitech"]


def test_where_the_pack_sets_none_the_archivist_chooses_never_shorter_than_a_held_file(desk, login, make_staff):
    d = desk
    assert agency_rules(d.agency).get("archive.retention") is None  # 抚顺市
    # a volume sealed for 30 years holding a record (sealing, and carriers following it, in test_retention)
    sealed = _open_file(d, "抚应急档〔2025〕3号")
    CaseFile.objects.filter(pk=sealed.pk).update(state="sealed", retention_years=30, retention_basis="档案管理员选定")
    sealed.refresh_from_db()
    receipt = d.receipt()
    CaseFileItem.objects.create(case_file=sealed, position=1, source="added", record=receipt,
                                version=receipt.current_version, author="郑档案", title="送达回执",
                                dated=timezone.localdate())
    pending = _open_file(d, "抚应急档〔2026〕9号")
    client = login(d.archivist)
    body = {"number": "GP-1", "kind": "disc", "period": "2026年", "confidentiality": "normal", "holder": "郑档案"}

    page = client.get(reverse("archive:carrier_new")).content.decode()
    assert "本单位政策包未规定保管期限" in page and sealed.code in page and pending.code in page
    # nothing held, nothing chosen: the label's rule, and what to do
    _refused(_post(client, body), "载体标签须注明保管期限（", 0)
    _refused(_post(client, body, retention="3"), "保管期限“3”无效：请选择永久、30年、10年或5年。", 0)  # no 档案 tier
    # shorter than the sealed file it holds
    _refused(_post(client, body, case_files=[sealed.pk], retention="10"), "不能短于载体所存案卷中最长的保管期限：30年", 0)
    # an id that is none of this viewer's case files: refused, nothing saved, the refusal logged
    foreign = foreign_case_file(make_staff)
    _refused(_post(client, body, case_files=[foreign.pk]), f"没有您可选择的案卷#{foreign.pk}", 0)
    assert Event.objects.filter(subject_id=str(foreign.pk), kind__endswith="denied", actor=d.archivist).exists()
    assert not Event.objects.filter(kind="carrier.register").exists()

    # held files only: the longest of theirs, with its basis
    response = _post(client, body, case_files=[sealed.pk, pending.pk])
    carrier = Carrier.objects.get(number="GP-1")
    assert response.status_code == 302 and (carrier.retention, carrier.retention_years) == ("30年", 30)
    assert sealed.code in carrier.retention_basis and set(carrier.case_files.all()) == {sealed, pending}
    label = client.get(response.url).content.decode()
    assert "保管期限</strong>：30年" in label and "保管期限依据：案卷" in label and pending.code in label
    event = Event.objects.get(kind="carrier.register")
    assert event.data["retention"] == "30年" and event.data["case_files"] == [sealed.pk, pending.pk]

    # an open file whose period is not set yet: chosen by hand, 10年; sealing it for ever takes the carrier along
    assert _post(client, {**body, "number": "GP-2"}, case_files=[pending.pk], retention="10").status_code == 302
    assert Carrier.objects.get(number="GP-2").retention_basis == "本单位政策包未规定，由档案管理员按档案管理规定确定"
    # through the API: the same rules, "30年" as a label says it is taken
    api = client.post("/api/v1/archive/carriers/", {**body, "number": "GP-3", "retention": "5年",
                                                    "case_files": [sealed.pk]}, content_type="application/json")
    assert api.status_code == 400 and "不能短于" in api.content.decode() and Carrier.objects.count() == 2
    api = client.post("/api/v1/archive/carriers/", {**body, "number": "GP-3", "retention": "3年"},
                      content_type="application/json")
    assert api.status_code == 400 and "保管期限“3年”无效" in api.content.decode() and Carrier.objects.count() == 2
    api = client.post("/api/v1/archive/carriers/", {**body, "number": "GP-3", "retention": "永久",
                                                    "case_files": [sealed.pk]}, content_type="application/json")
    assert api.status_code == 201 and api.json()["retention"] == "永久" and api.json()["held"] == [
        {"id": sealed.pk, "code": sealed.code}]

    # a record in the sealed volume marked for long-term keeping (003 附件3 第十条): the volume is kept for
    # ever, and so is each carrier holding it for less, a `carrier.retention` event each
    record_keep_long_term(record=receipt, basis="长期保存", acting_user=d.archivist)
    assert dict(Carrier.objects.values_list("number", "retention")) == {"GP-1": "永久", "GP-2": "10年", "GP-3": "永久"}
    raised = Event.objects.get(kind="carrier.retention")
    assert (raised.subject_id, raised.data["from"], raised.data["to"]) == (str(carrier.pk), "30年", "永久")


def test_where_the_pack_sets_it_the_pack_decides_and_cites_its_article(desk, login):
    d = desk
    use_pack(d, "pingdingshan-hitech")
    rule = agency_rules(d.agency).rule("archive.retention")
    held = _open_file(d, "平档〔2026〕1号")
    client = login(d.archivist)
    body = {"number": "GP-1", "kind": "disc", "period": "2026年", "confidentiality": "normal"}
    page = client.get(reverse("archive:carrier_new")).content.decode()
    assert 'id="retention-rule"' in page and rule.cited() in page
    _refused(_post(client, body), f"本单位政策包按案件类别规定保管期限（{rule.cited('、')}）：请查找并勾选载体所存的案卷", 0)
    _refused(_post(client, body, case_files=[held.pk], retention="30"), "“保管期限”请选“按政策包确定”", 0)
    assert _post(client, body, case_files=[held.pk]).status_code == 302
    carrier = Carrier.objects.get()
    # an inspection is 其他案件: 5 years, the pack's row and article its basis
    assert carrier.retention == "5年" and "其他案件" in carrier.retention_basis and rule.cited("、") in carrier.retention_basis
