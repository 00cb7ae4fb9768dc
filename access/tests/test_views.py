"""The pages: the register with its filters and its XLSX and PDF exports, the export from the
request page and the API, a keep mark on a record."""

import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from access.models import AccessRequest, Export, KeepMark
from access.services import copy_make, request_decide, request_submit
from ledger.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def copied(people, stored):
    request = request_submit(
        acting_user=people.archivist, requester_kind="external_letter", action="copy", purpose="诉讼证据",
        records=stored[:1], requester_name="某法院", requester_org="某市中级人民法院",
        period_start=timezone.now() - timedelta(minutes=1), period_end=timezone.now() + timedelta(days=1),
    )
    request = request_decide(request=request, approve=True, acting_user=people.leader)
    copy_make(request=request, version=stored[0].versions.get(), medium="disc", extractor="书记员",
              extracted_at=timezone.now(), fee="3.00", acting_user=people.archivist)
    return request


def test_the_register_filters_and_exports_xlsx_and_pdf(login, people, copied):
    client = login(people.archivist)
    page = client.get("/access/register/", {"number": copied.number})
    html = page.content.decode()
    assert page.status_code == 200 and "查阅登记簿" in html
    assert html.count(copied.number) >= 3 and "批准" in html and "复制" in html
    only_copies = client.get("/access/register/", {"kind": "access.copy"}).content.decode()
    assert "书记员" in only_copies and "某市中级人民法院" not in only_copies

    xlsx = client.get("/access/register/", {"number": copied.number, "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("台账序号", "时间", "登记类别", "经办人", "调阅编号", "内容")
    kinds = [r[2] for r in rows[2:]]
    assert kinds == ["申请", "批准", "复制"]
    events = list(Event.objects.filter(data__number=copied.number).order_by("index").values_list("index", flat=True))
    assert [r[0] for r in rows[2:]] == events  # each line is a ledger event

    pdf = client.get("/access/register/", {"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reads = Event.objects.filter(kind="access.register_read", actor=people.archivist).values_list("data", flat=True)
    assert [r["format"] for r in reads] == ["html", "html", "xlsx", "pdf"]
    # A reader without the register capability is refused.
    assert login(people.author).get("/access/register/").status_code == 403


def test_export_from_the_page_and_the_api(login, people, copied, settings):
    client = login(people.archivist)
    response = client.post(f"/access/{copied.pk}/export/", follow=True)
    export = Export.objects.get(request=copied)
    assert export.iso_sha256 in response.content.decode()
    assert (settings.DATA_DIR / "exports" / f"{export.package_number}.iso").is_file()
    api = client.post(f"/api/v1/access/requests/{copied.pk}/export/")
    assert api.status_code == 201 and api.json()["package_number"] == f"{copied.number}-2"
    assert Event.objects.filter(kind="access.export", data__number=copied.number).count() == 2


def test_an_export_without_copies_is_refused(login, people, stored):
    request = request_submit(
        acting_user=people.outsider, requester_kind="other_section", action="view", purpose="核查",
        records=stored, period_start=timezone.now(), period_end=timezone.now() + timedelta(days=1),
    )
    response = login(people.archivist).post(f"/api/v1/access/requests/{request.pk}/export/")
    assert response.status_code == 400 and "没有已登记的复制件" in response.json()["detail"]
    assert not Export.objects.exists()


def test_a_record_is_marked_for_long_term_keeping(login, people, stored):
    client = login(people.archivist)
    response = client.post("/api/v1/access/keep-marks/", {"record": stored[0].pk, "reason": "objection"})
    assert response.status_code == 201, response.json()
    assert KeepMark.objects.get(record=stored[0]).get_reason_display().startswith("当事人对现场执法")
    again = client.post("/api/v1/access/keep-marks/", {"record": stored[0].pk, "reason": "incident"})
    assert again.status_code == 400 and "已标记" in again.json()["detail"]
    other = client.post("/api/v1/access/keep-marks/", {"record": stored[1].pk, "reason": "other"})
    assert other.status_code == 400 and "说明" in other.json()["detail"]
    assert Event.objects.filter(kind="access.keep_mark", subject_id=str(stored[0].pk)).count() == 1


def test_the_request_list_takes_the_same_queries_for_many_requests(login, people, stored, django_assert_max_num_queries):
    client = login(people.archivist)

    def ask():
        request_submit(acting_user=people.outsider, requester_kind="other_section", action="view", purpose="核查",
                       records=stored, period_start=timezone.now(), period_end=timezone.now() + timedelta(days=1))

    ask()
    with django_assert_max_num_queries(12) as one:
        assert client.get("/access/").status_code == 200
    for _ in range(5):
        ask()
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get("/access/").content.decode()
    assert html.count("DY") >= 6


def test_the_refusal_offers_a_request_with_the_record_filled_in(login, people, stored):
    """抚顺 调阅第六条: another section's officer refused a record is told who approves and offered
    申请调阅; the form comes with the record's number and the requester kind for them."""
    record = stored[0]
    refused = login(people.outsider).get(f"/records/{record.pk}/")
    html = refused.content.decode()
    assert refused.status_code == 403 and "承办科室主管领导批准" in html and "第六条" in html
    assert "局领导开启" not in html and "档案管理员开启的调阅场次内查看" in html
    assert f'href="/access/new/?record={record.pk}"' in html and "申请调阅" in html
    assert Event.objects.filter(kind="record.denied", subject_id=str(record.pk)).count() == 1
    form = login(people.outsider).get(f"/access/new/?record={record.pk}").content.decode()
    assert f'name="records" value="{record.pk}"' in form
    assert '<option value="other_section" selected>' in form and '<option value="view" selected>' in form


def test_a_carried_number_is_checked_like_a_typed_one(login, people, stored, make_staff, tmp_path):
    """Another agency's record gets the answer a missing one gets (its look logged as a refusal of
    the viewer's own agency); text that is no number a Chinese error; nothing is filled in."""
    from org.tests.factories import AgencyFactory, SectionFactory
    from records.services import record_ingest
    from records.tests.clips import make_pdf

    elsewhere = AgencyFactory()
    stranger = make_staff("officer", agency=elsewhere, section=SectionFactory(agency=elsewhere))
    path = make_pdf(tmp_path / "x.pdf", text="another agency")
    foreign = record_ingest(acting_user=stranger, section=stranger.section, path=path,
                            original_name="x.pdf").version.record
    client = login(people.outsider)
    missing = 2**31 - 1
    answers = {}
    for pk in (foreign.pk, missing):
        page = client.get(f"/access/new/?record={pk}").content.decode()
        assert f"记录 #{pk} 不存在，或不属于本单位。" in page and 'name="records" value' not in page
        answers[pk] = re.search(r'id="carried-error">(.*?)</ul>', page).group(1).replace(str(pk), "N")
    assert answers[foreign.pk] == answers[missing]
    denied = Event.objects.get(kind="record.denied", subject_id=str(foreign.pk))
    assert denied.agency_id == people.outsider.agency_id and denied.actor == people.outsider
    for bad in ("abc", "0", str(2**31), "1;2"):
        page = client.get("/access/new/", {"record": bad}).content.decode()
        assert "记录编号" in page and 'id="carried-error"' in page, bad
    posted = client.post("/access/new/", {
        "requester_kind": "other_section", "action": "view", "purpose": "核查", "records": str(foreign.pk),
        "period_start": "2026-01-01T08:00", "period_end": "2099-01-01T08:00", "proceedings": "none"})
    assert f"记录 #{foreign.pk} 不存在，或不属于本单位。" in posted.content.decode()
    assert not AccessRequest.objects.exists()


def test_a_pack_without_a_procedure_offers_no_request_and_says_who_to_ask(login, people, stored, agency):
    """通化 provides no procedure for another section's viewing (only a party's copy, 第二十八条): the
    refusal says so, names the handling section and who can add the rule, and offers no button."""
    agency.policy_pack = "tonghua-city"
    agency.save(update_fields=["policy_pack"])
    html = login(people.outsider).get(f"/records/{stored[0].pk}/").content.decode()
    assert "未规定本局其他科室申请查阅记录的程序" in html and "承办科室：执法监察一大队" in html
    assert "政策法规科补充本单位的调阅规定" in html and "request-access" not in html


def test_the_copy_section_says_who_registers_copies_and_takes_the_approvals_minute(login, people, stored):
    """The form takes minutes: a copy taken in the minute of the approval is accepted, one minute
    earlier refused; staff who cannot register copies are told who does."""
    request = request_submit(
        acting_user=people.archivist, requester_kind="external_letter", action="copy", purpose="诉讼证据",
        records=stored[:1], requester_name="某法院", requester_org="某市中级人民法院",
        period_start=timezone.now() - timedelta(minutes=1), period_end=timezone.now() + timedelta(days=1),
    )
    request = request_decide(request=request, approve=True, acting_user=people.leader)
    minute = timezone.localtime(request.decided_at).replace(second=0, microsecond=0)
    version = stored[0].versions.get()
    with pytest.raises(ValidationError, match="提取时间不能早于批准时间"):
        copy_make(request=request, version=version, medium="disc", extractor="书记员",
                  extracted_at=minute - timedelta(minutes=1), acting_user=people.archivist)
    copy_make(request=request, version=version, medium="disc", extractor="书记员", extracted_at=minute,
              acting_user=people.archivist)
    page = login(people.leader).get(f"/access/{request.pk}/").content.decode()
    assert "复制件由档案管理员在本页登记" in page and 'id="copy-form"' not in page
