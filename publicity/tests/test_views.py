import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from django.urls import reverse

from publicity.models import CorrectionRequest, Publication
from publicity.tests.helpers import PERSON, draft, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_staff):
    return make_staff("officer", certificate=True)


@pytest.fixture
def reviewer(make_staff):
    return make_staff("legal_reviewer", username="reviewer")


def test_search_by_party_type_and_date(agency, officer, reviewer, client):
    a = publish(draft(agency, officer, instrument_number="A号", decided_on=date(2026, 9, 1)), reviewer)
    b = publish(draft(agency, officer, party=PERSON, category="licensing", instrument_number="B号"), reviewer)
    url = reverse("publicity:decisions")
    assert "A号" in client.get(url, {"party": "抚顺某某"}).content.decode()
    assert "B号" not in client.get(url, {"party": "抚顺某某"}).content.decode()
    assert "B号" in client.get(url, {"party": "王"}).content.decode()  # the masked name's surname
    assert "A号" not in client.get(url, {"category": "licensing"}).content.decode()
    page = client.get(url, {"from": "2026-08-01", "to": "2026-09-02"}).content.decode()
    assert "A号" in page and "B号" not in page
    assert "B号" in client.get(url, {"number": "B号"}).content.decode()
    assert a.pk != b.pk


def test_search_pages_without_counting(agency, officer, reviewer, client):
    for n in range(21):
        publish(draft(agency, officer, instrument_number=f"第{n}号"), reviewer)
    first = client.get(reverse("publicity:decisions")).content.decode()
    assert "下一页" in first
    second = client.get(reverse("publicity:decisions"), {"page": 2}).content.decode()
    assert "上一页" in second and "下一页" not in second


def test_feeds(agency, officer, reviewer, client):
    item = publish(draft(agency, officer, instrument_number="F号"), reviewer)
    data = client.get(reverse("publicity:feed_json")).json()
    assert [i["instrument_number"] for i in data["items"]] == ["F号"]
    later = client.get(reverse("publicity:feed_json"), {"since": item.published_at.isoformat()}).json()
    assert later["items"] == []
    csv_body = client.get(reverse("publicity:feed_csv")).content.decode("utf-8-sig")
    assert csv_body.splitlines()[0].startswith("编号,公示时间,执法机关") and "F号" in csv_body
    atom = ET.fromstring(client.get(reverse("publicity:feed_atom")).content)  # noqa: S314 (our own output)
    entries = atom.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1 and "F号" in entries[0].find("{http://www.w3.org/2005/Atom}title").text


def test_correction_from_the_portal_and_its_answer(agency, officer, reviewer, client):
    item = publish(draft(agency, officer, instrument_number="C号"), reviewer)
    url = reverse("publicity:correction_new", kwargs={"pk": item.pk})
    from django.core.files.uploadedfile import SimpleUploadedFile

    evidence = SimpleUploadedFile("决定书.pdf", b"%PDF-1.4\n...\n%%EOF\n", content_type="application/pdf")
    response = client.post(
        url,
        {"applicant": "李某", "contact": "139", "statement": "金额有误", "evidence": "决定书", "evidence_file": evidence},
    )
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get()
    assert correction.evidence_record.confidentiality == "restricted"
    assert correction.evidence_record.versions.get().original_name == "决定书.pdf"
    status = client.get(response["Location"]).content.decode()
    assert correction.token in status and "正在核实" in status
    client.force_login(reviewer)
    decide = reverse("publicity:staff_correction", kwargs={"pk": correction.pk})
    response = client.post(decide, {"accept": "0", "answer": "经核实与决定书一致"})
    assert response.status_code == 302
    client.logout()
    status = client.get(reverse("publicity:correction", kwargs={"token": correction.token})).content.decode()
    assert "经核实与决定书一致" in status and "行政复议" in status


def _ask(client, item, file_bytes=None, **meta):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"applicant": "李某", "contact": "139", "statement": "金额有误", "evidence": "决定书"}
    if file_bytes is not None:
        data["evidence_file"] = SimpleUploadedFile("证据.pdf", file_bytes, content_type="application/pdf")
    return client.post(reverse("publicity:correction_new", kwargs={"pk": item.pk}), data, **meta)


def test_public_correction_requests_are_limited_per_address(agency, officer, reviewer, client, settings):
    from records.models import Record

    settings.ZHIFA_PUBLIC_REQUESTS_PER_HOUR = 2
    item = publish(draft(agency, officer, instrument_number="L号"), reviewer)
    first = {"REMOTE_ADDR": "203.0.113.7"}
    assert _ask(client, item, **first).status_code == 302
    assert _ask(client, item, b"%PDF-1.4 a", **first).status_code == 302
    records = Record.objects.count()
    refused = _ask(client, item, b"%PDF-1.4 b", **first)
    assert refused.status_code == 429
    assert "同一网络地址一小时内最多可提交 2 份更正申请，本次未提交" in refused.content.decode()
    assert CorrectionRequest.objects.count() == 2 and Record.objects.count() == records  # nothing kept
    assert set(CorrectionRequest.objects.values_list("client_address", flat=True)) == {"203.0.113.7"}
    client.force_login(reviewer)
    staff_page = client.get(reverse("publicity:staff_detail", kwargs={"pk": item.pk})).content.decode()
    assert "来源地址 203.0.113.7" in staff_page
    client.logout()
    # Another address is not held back; a forged X-Forwarded-For is not believed without a proxy.
    assert _ask(client, item, REMOTE_ADDR="198.51.100.9").status_code == 302
    assert _ask(client, item, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    # Behind one trusted proxy, the address the proxy appended counts, not what the client wrote.
    settings.ZHIFA_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    assert _ask(client, item, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.7", **proxy).status_code == 429
    assert _ask(client, item, HTTP_X_FORWARDED_FOR="203.0.113.7, 192.0.2.1", **proxy).status_code == 302
    assert CorrectionRequest.objects.filter(client_address="192.0.2.1").count() == 1
    # Requests an hour old no longer count against the hour.
    from datetime import timedelta

    from django.utils import timezone

    CorrectionRequest.objects.filter(client_address="203.0.113.7").update(
        created_at=timezone.now() - timedelta(hours=1, minutes=1)
    )
    assert _ask(client, item, **first).status_code == 302


def test_public_evidence_bytes_are_capped_per_day(agency, officer, reviewer, client, settings):
    from records.models import Record

    settings.ZHIFA_PUBLIC_EVIDENCE_BYTES_PER_DAY = 1000
    item = publish(draft(agency, officer, instrument_number="E号"), reviewer)
    assert _ask(client, item, b"%PDF-" + b"x" * 595, REMOTE_ADDR="203.0.113.1").status_code == 302
    records = Record.objects.count()
    refused = _ask(client, item, b"%PDF-" + b"y" * 495, REMOTE_ADDR="203.0.113.2")
    assert refused.status_code == 429 and "证据文件已达系统上限" in refused.content.decode()
    assert CorrectionRequest.objects.count() == 1 and Record.objects.count() == records
    # Without a file the request still goes in.
    assert _ask(client, item, REMOTE_ADDR="203.0.113.2").status_code == 302


def test_staff_review_and_publish_pages(agency, officer, reviewer, client):
    client.force_login(officer)
    response = client.post(
        reverse("publicity:staff_new"),
        {
            "category": "penalty",
            "decided_on": "2026-09-25",
            "party_kind": "legal_person",
            "party_name": "某公司",
            "instrument_number": "S号",
            "cause": "c",
            "basis": "b",
            "result": "r",
        },
    )
    assert response.status_code == 302, response.content.decode()
    item = Publication.objects.get(instrument_number="S号")
    assert client.post(reverse("publicity:staff_review", kwargs={"pk": item.pk})).status_code == 403
    client.force_login(reviewer)
    listing = client.get(reverse("publicity:staff_list")).content.decode()
    assert "逾期未公开" in listing and "S号" in listing  # due 2026-10-12, long past
    client.post(reverse("publicity:staff_review", kwargs={"pk": item.pk}))
    client.post(reverse("publicity:staff_publish", kwargs={"pk": item.pk}))
    item.refresh_from_db()
    assert item.state == "published"
    client.post(
        reverse("publicity:staff_withdraw", kwargs={"pk": item.pk}),
        {"reason": "复议撤销", "occurred_on": "2026-11-20"},
    )
    item.refresh_from_db()
    assert item.state == "withdrawn"


def test_officers_and_certificate_check(agency, officer, client):
    certificate = officer.certificates.get()
    page = client.get(reverse("publicity:officers")).content.decode()
    assert officer.name in page and certificate.number in page
    check = client.get(reverse("publicity:officers"), {"number": certificate.number}).content.decode()
    assert "有效" in re.sub(r"\s+", "", check)
    missing = client.get(reverse("publicity:officers"), {"number": "0000"}).content.decode()
    assert "查无此证" in missing


def test_procedures_are_drawn_from_the_running_workflows(client):
    from matters.workflows import WORKFLOWS

    page = client.get(reverse("publicity:procedures")).content.decode()
    for workflow in WORKFLOWS.values():
        assert f'id="flow-{workflow.code}"' in page
        for state in workflow.states:
            assert f'data-state="{state.code}"' in page


def test_flowchart_renderer_on_a_workflow_shaped_object():
    from dataclasses import dataclass

    from publicity.flowchart import render_svg, steps_within

    @dataclass
    class S:
        code: str
        label: str

    @dataclass
    class T:
        code: str
        label: str
        sources: tuple
        target: str | None

    @dataclass
    class W:
        code: str
        label: str
        states: tuple
        initial: str
        transitions: tuple

    w = W("x", "示例", (S("a", "登记"), S("b", "审查"), S("c", "办结")), "a",
          (T("go", "提交", ("a",), "b"), T("back", "退回", ("b",), "a"), T("done", "办结", ("b",), "c"),
           T("note", "补充材料", ("b",), None)))  # fmt: skip
    svg = render_svg(w)
    assert svg.startswith("<svg") and svg.count("<rect") == 3
    assert "提交" in svg and "退回" in svg and "办结" in svg
    assert steps_within(w) == [("审查", ["补充材料"])]


def test_overdue_items_are_flagged_on_the_dashboard(agency, officer, reviewer, client):
    item = draft(agency, officer, decided_on=date(2026, 9, 25), instrument_number="逾期1号")
    client.force_login(reviewer)
    page = client.get(reverse("home")).content.decode()
    assert "逾期未公开的执法决定" in page and "逾期1号" in page and "2026-10-12" in page
    publish(item, reviewer)
    assert "逾期1号" not in client.get(reverse("home")).content.decode()
