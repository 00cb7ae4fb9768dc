"""The supervision pages: findings with their history, the statistics with server-drawn charts and
their tables, the XLSX export, and who sees what (the pack names the supervising section)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ledger.models import Event
from org.tests.factories import SectionFactory
from records.services import record_ingest
from records.tests.clips import make_video
from supervision.models import Finding


def _late_file(desk):
    start = timezone.now() - timedelta(days=3)
    path = make_video(desk.folder / "夜查.mp4", seconds=1, creation_time=start)
    record_ingest(acting_user=desk.officer, section=desk.section, path=path, original_name="夜查.mp4",
                  filed_at=start + timedelta(hours=30))


@pytest.mark.django_db
def test_scan_button_and_findings_pages(desk, login, make_staff):
    _late_file(desk)
    client = login(desk.leader)
    response = client.post(reverse("supervision:scan"), follow=True)
    assert "合规扫描完成：新发现 1 项" in response.content.decode()
    (finding,) = Finding.objects.all()
    page = client.get(reverse("supervision:findings")).content.decode()
    assert "夜查" in page and finding.citation in page and desk.officer.name in page
    detail = client.get(reverse("supervision:finding", args=[finding.pk])).content.decode()
    assert "补写逾期存储的书面说明" in detail and "发现" in detail
    assert Event.objects.filter(kind="finding.view", subject_id=str(finding.pk), actor=desk.leader).exists()

    # A section chief of another section sees neither the finding nor that it exists (logged).
    other = SectionFactory(agency=desk.agency, name="危化科")
    chief = make_staff("section_chief", section=other, username="other_chief")
    client = login(chief)
    assert client.get(reverse("supervision:finding", args=[finding.pk])).status_code == 404
    assert Event.objects.filter(kind="finding.denied", subject_id=str(finding.pk), actor=chief).exists()
    assert "没有监督发现" in client.get(reverse("supervision:findings")).content.decode()


@pytest.mark.django_db
def test_statistics_page_draws_charts_with_tables_and_exports_xlsx(desk, login):
    desk.close_inspection(records=[desk.clip("现场检查.mp4")])
    client = login(desk.leader)
    page = client.get(reverse("supervision:statistics")).content.decode()
    assert page.count("<svg") >= 9 and "监督检查" in page and "音像记录按时存储" in page
    assert "<script" not in page.split("<main>")[1]  # charts are drawn on the server
    assert "https://" not in page and "//cdn" not in page
    assert "检查" in page and "按时率" in page
    response = client.get(reverse("supervision:statistics_export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["按月统计", "安全生产行政执法统计表", "按执法人员", "薄弱环节", "行政复议诉讼结果",
                               "案件类别与程序",
                               "法制审核意见", "监督发现按条款"]
    report = {r[0]: r[2] for r in book["安全生产行政执法统计表"].iter_rows(min_row=3, values_only=True)}
    assert report["监督检查次数"] == 1 and report["下达执法文书份数"] >= 3 and report["行政处罚次数"] == 0
    officers = list(book["按执法人员"].iter_rows(values_only=True))
    assert officers[0][1] == "监督检查（次）"
    assert {r[0]: r[1] for r in officers[1:]}[desk.officer.name] == 1
    assert "安全生产行政执法统计表" in page and "按执法人员" in page and desk.partner.name in page
    rows = list(book["按月统计"].iter_rows(values_only=True))
    inspections = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("监督检查"))
    assert rows[inspections + 1][1] == desk.section.name and rows[inspections + 1][14] == 1

    bad = client.get(reverse("supervision:statistics"), {"year": "99999"})
    assert bad.status_code == 200 and "监督检查" in bad.content.decode()


@pytest.mark.django_db
def test_the_pack_names_who_supervises(desk, make_staff):
    from supervision.selectors import supervises

    reviewer = make_staff("legal_reviewer", username="fagui")
    office = make_staff("office", username="bangongshi", section=SectionFactory(agency=desk.agency, name="办公室"))
    assert supervises(reviewer) and not supervises(office)  # 抚顺市: 政策法规科 (第二十条)
    desk.agency.policy_pack = "fushun-county-hrss"
    desk.agency.save(update_fields=["policy_pack"])
    reviewer.agency.refresh_from_db()
    office.agency.refresh_from_db()
    assert supervises(office) and not supervises(reviewer)  # 抚顺县: 办公室 (第二十条)
