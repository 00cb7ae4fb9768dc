"""调阅 from a refusal, walked by clicking under each of the five agencies' packs: an officer of
another section, a co-officer of the matter, clicks the 文书's record on the matter page, is refused
with who approves under the pack, clicks 申请调阅 (the record filled in) and submits the reason; the
approver the pack names approves; the officer opens the record (a logged read). Then the archivist
registers a copy request at the desk for the requester the pack provides copying to, and registers
the copy (登记复制件) on the request page.

Where the regulation names no approver for another section's viewing (余姚 二（一）6 asks for an
approval system, 抚顺县 第十八条 for a supervision system, 通化 provides only a party's copy, 第二十八条)
the agency's own supplement (本单位补充规定) names it, as its administrator would enter it; before
that, the refusal offers no request (access/tests/test_views.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import AccessRequest, EvidenceCopy
from access.tests.conftest import seal_into_case_file
from enterprises.services import enterprise_create
from ledger.models import Event
from matters.services import matter_open, matter_transition
from matters.tests.test_agency_packs import plain_pdf  # noqa: F401 — 文书 PDFs in a core font
from org.choices import Role
from org.models import Staff
from org.services import agency_provision
from org.tests.factories import CertificateFactory, StaffFactory, make_uscc
from policy.selectors import agency_rules
from policy.services import supplement_adopt
from records.tests.clips import make_pdf
from zhifa.tests.browsing import click, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_pdf")]

PACKS = ("fushun-city", "pingdingshan-hitech", "tonghua-city", "yuyao-city", "fushun-county-hrss")
# The agency's own 调阅 rules where its regulation names no approver (kept with the pack's own rows).
SUPPLEMENT = [
    {"requester": "other_section", "action": "view", "approver": "section_chief", "note": "经承办科室负责人同意"},
    {"requester": "external_letter", "action": "copy", "approver": "section_chief", "note": "经承办科室负责人批准后复制寄送"},
]
# Who the archivist registers a copy for: a requester the pack (or the supplement) provides copying to,
# approved by the person who approved the viewing (抚顺 第八条: 局领导 for both) or by no one (平顶山
# 附件4 第四条: 司法机关 with their documents).
COPY_FOR = {
    "fushun-city": ("external_letter", []),
    "pingdingshan-hitech": ("judicial", ["单位介绍信", "申请人有效证件"]),
    "tonghua-city": ("external_letter", []),
    "yuyao-city": ("external_letter", []),
    "fushun-county-hrss": ("external_letter", []),
}


def _world(n: int, pack: str, folder):
    agency = agency_provision(
        name=f"第{n}应急管理局", uscc=make_uscc(f"11210400RC{n:07d}"), jurisdiction=f"第{n}区", policy_pack=pack,
        sections=["执法大队", "综合科"], admin_username=f"rcadm{n}", admin_name="管理员", instrument_prefix=f"第{n}调",
    )
    handling, other = agency.sections.get(name="执法大队"), agency.sections.get(name="综合科")

    def staff(*roles, section=handling, cert=False):
        person = StaffFactory(agency=agency, section=section, roles=roles)
        if cert:
            CertificateFactory(staff=person)
        return person

    people = {
        "author": staff(Role.OFFICER, cert=True), "asker": staff(Role.OFFICER, section=other, cert=True),
        "chief": staff(Role.SECTION_CHIEF, Role.OFFICER, cert=True), "leader": staff(Role.LEADER, section=None),
        "archivist": staff(Role.ARCHIVIST, section=None),
    }
    rows = list(agency_rules(agency).value("access.approval", None) or [])
    if not any(r["requester"] == "other_section" and r["action"] == "view" for r in rows):
        supplement_adopt(
            acting_user=Staff.objects.get(username=f"rcadm{n}"), key="access.approval", value=rows + SUPPLEMENT,
            unit="table", document_title=f"第{n}应急管理局记录信息调阅审批办法", document_number=f"第{n}应发〔2026〕1号",
            article="第三条", summary="本局其他科室查阅、外单位来函复制，经承办科室负责人同意。",
            effective_from=timezone.localdate(),
        )
    party = enterprise_create(agency=agency, uscc=make_uscc(f"91210400RC{n:07d}"), name=f"第{n}区某化工有限公司",
                              legal_representative="王某", industry="危险化学品")
    matter = matter_open(acting_user=people["author"], kind="inspection", title=f"第{n}局联合检查", party=party,
                         officers=[people["author"], people["asker"]])
    matter_transition(acting_user=people["author"], matter=matter, transition="plan",
                      data={"place": "厂区", "time": timezone.now() - timedelta(hours=1), "facts": "危化品储存"})
    record = matter.instruments.get(type="inspection_plan").pdf
    if agency_rules(agency).value("access.archived_only", False):
        seal_into_case_file(matter, [record], code=f"第{n}档〔2026〕1号")
    folder.mkdir()
    return agency, people, matter, record


def _open_request(page, number: str) -> None:
    click(page, "nav >> text=记录调阅")
    click(page, f"main >> text={number}")


def _approve(page, number: str) -> None:
    _open_request(page, number)
    page.select_option("#id_approve", "1")
    page.fill("#id_note", "同意")
    click(page, "#decide")
    assert page.inner_text("#state") == "已批准"


def test_recall_from_a_refusal_and_a_copy_under_each_pack(browser, live_server, tmp_path):
    for n, pack in enumerate(PACKS, start=1):
        agency, people, matter, record = _world(n, pack, tmp_path / pack)
        rules = agency_rules(agency)
        row = next(r for r in rules.value("access.approval") if r["requester"] == "other_section"
                   and r["action"] == "view")
        approver = people["chief"] if row["approver"] == Role.SECTION_CHIEF else people["leader"]
        supervised = rules.value("access.supervised_viewing", False)

        # the officer reaches the record by the link the matter page offers, and is refused
        asker = logged_in_page(browser, live_server.url, people["asker"])
        click(asker, "nav >> text=执法事项")
        click(asker, "main h1 >> text=执法事项")
        click(asker, f"main a:has-text('{matter.title}')")
        click(asker, f"main a:has-text('记录#{record.pk}')")
        refusal = asker.inner_text("#refusal-text")
        assert "执法大队" in refusal and rules.get("access.approval").cited("、").split("、")[0] in refusal, refusal
        assert ("档案管理员开启的调阅场次" in refusal) == supervised, refusal
        click(asker, "#request-access")
        assert asker.input_value("#id_records") == str(record.pk)
        asker.fill("#id_purpose", "联合检查后续处理，核对检查方案")
        click(asker, "#submit-request")
        assert asker.inner_text("#state") == "待审批", asker.inner_text("main")
        number = asker.inner_text("h1").split()[1]

        boss = logged_in_page(browser, live_server.url, approver)
        _approve(boss, number)
        keeper = logged_in_page(browser, live_server.url, people["archivist"])
        if supervised:  # 抚顺 第九条: viewed inside a session the records manager opens
            _open_request(keeper, number)
            keeper.fill("#id_place", "档案室")
            click(keeper, "#open-session")

        # the officer opens the record: a logged read under the approved request
        _open_request(asker, number)
        click(asker, ".view-record" if supervised else ".open-record")
        assert record.title in asker.inner_text("main")
        reads = Event.objects.filter(actor=people["asker"], kind="access.view" if supervised else "record.view")
        if supervised:  # the session's page and its file, each a read under the request
            assert reads.exists() and all(e.data["number"] == number for e in reads), list(reads.values("data"))
        else:
            assert [e.data["grant"] for e in reads.filter(subject_id=str(record.pk))] == [f"调阅申请{number}"]

        # 登记复制件: a copy request for the requester the pack provides copying to, then the copy
        kind, documents = COPY_FOR[pack]
        click(keeper, "nav >> text=记录调阅")
        click(keeper, "#new-request")
        keeper.select_option("#id_requester_kind", kind)
        keeper.select_option("#id_action", "copy")
        keeper.fill("#id_purpose", "诉讼证据")
        keeper.fill("#id_records", str(record.pk))
        keeper.fill("#id_requester_name", "王某")
        keeper.fill("#id_requester_org", "某市中级人民法院")
        for i, name in enumerate(documents, start=1):
            keeper.fill(f"#id_doc_kind_{i}", name)
            keeper.set_input_files(f"#id_doc_file_{i}", str(make_pdf(tmp_path / pack / f"d{i}.pdf", text=f"scan {i}")))
        click(keeper, "#submit-request")
        copy_number = keeper.inner_text("h1").split()[1]
        if keeper.inner_text("#state") == "待审批":
            _approve(boss, copy_number)  # the pack's (or the supplement's) approver of copies is the same person
            _open_request(keeper, copy_number)
        keeper.select_option("#id_record", str(record.pk))
        keeper.select_option("#id_medium", "disc")
        keeper.fill("#id_extractor", "书记员李某")
        keeper.fill("#id_proves", "检查方案的内容")
        click(keeper, "#make-copy")
        assert f"已登记“{record.title}”的复制件" in keeper.inner_text("main"), keeper.inner_text("main")
        copy = EvidenceCopy.objects.get(request__number=copy_number, request__agency=agency)
        assert copy.maker == people["archivist"] and copy.version.record == record
        assert AccessRequest.objects.filter(agency=agency).count() == 2
        for page in {asker, boss, keeper}:
            page.context.close()
