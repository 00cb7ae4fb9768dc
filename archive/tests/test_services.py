"""Case files through the services: assembled at closing, the archiving deadline open until sealed,
sealed files never change, later volumes, the printed file."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from archive.models import CaseFile, IntegrityCheck
from archive.services import casefile_add, casefile_new_volume, casefile_seal
from archive.tests.conftest import use_pack
from ledger.models import Event
from matters.selectors import matter_deadlines
from policy.calendar import compute_deadline, due_moment
from records.storage import blob_store

pytestmark = pytest.mark.django_db


def _archiving(matter):
    return next(r for r in matter_deadlines(matter) if r.rule_key == "archive.deadline_after_closing")


def _unchanged(fn, **kw) -> str:
    before = (Event.objects.count(), CaseFile.objects.count(), IntegrityCheck.objects.count())
    with pytest.raises((ValidationError, PermissionDenied)) as exc:
        fn(**kw)
    assert (Event.objects.count(), CaseFile.objects.count(), IntegrityCheck.objects.count()) == before
    e = exc.value
    return " ".join(e.messages) if isinstance(e, ValidationError) else str(e)


def test_fushun_closing_assembles_the_file_and_the_deadline_stays_open_until_sealed(desk):
    m = desk.close_inspection()
    row = _archiving(m)
    assert not row.met and row.status == "未到期" and "第十七条" in row.citation
    assert row.due == due_moment(compute_deadline(m.closed_at, 30, "days").due)

    case_file = CaseFile.objects.get(matter=m)
    every = list(case_file.items.order_by("position"))
    # the inspection's recording sits with its step, before the 文书 the step issued
    assert [i.title for i in every] == ["现场检查方案", "例行检查-现场检查", "现场检查记录", "结案审批表"]
    items = [i for i in every if i.instrument_id]
    assert all(i.number == i.instrument.number and i.author == desk.agency.name for i in items)
    assert items[0].first_page == 1 and items[1].first_page == 1 + items[0].pages + every[1].pages
    assert case_file.code == f"抚应急档〔{m.closed_at.year}〕1号" and case_file.party_name == desk.party.name
    assert case_file.handlers == "李执法、张执法" and case_file.state == "open"

    assert "档案管理员" in _unchanged(casefile_seal, acting_user=desk.chief, case_file=case_file)
    # 抚顺's pack sets no case-file retention: the archivist must choose one
    assert "archive.retention" in _unchanged(casefile_seal, acting_user=desk.archivist, case_file=case_file)
    sealed = casefile_seal(acting_user=desk.archivist, case_file=case_file, retention="10", remarks="材料齐全")
    assert sealed.state == "sealed" and sealed.retention_years == 10
    assert sealed.retain_until == compute_deadline(sealed.closed_on, 10, "years").due
    assert _archiving(m).met and _archiving(m).status == "已办结"
    report = sealed.checks.get()
    assert report.ok and report.at_sealing and {f["aspect"] for f in report.findings} == {"真实性", "完整性", "可用性", "安全性"}

    # the printed file: cover + contents, every 文书 page numbered, 备考表
    import pypdfium2 as pdfium

    with blob_store().open(sealed.pdf.current_version.sha256) as stream:
        pdf = pdfium.PdfDocument(stream.read())
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    pages = sum(i.pages for i in items)
    assert len(pdf) == 2 + pages + 1
    assert "行政执法案卷" in text and "卷内目录" in text and "备考表" in text and f"第 {pages} 页" in text
    seal_event = Event.objects.get(kind="casefile.seal", subject_id=str(sealed.pk))
    assert seal_event.data["pdf"] == sealed.pdf.current_version.sha256 and len(seal_event.data["items"]) == 4

    # sealed never changes; a later addition is a new volume with its reason
    scan = desk.folder / "补充.jpg"
    Image.new("RGB", (40, 40), "white").save(scan, dpi=(300, 300))
    msg = _unchanged(casefile_add, acting_user=desk.archivist, case_file=sealed, path=scan, original_name="补充.jpg",
                     title="补充材料", reason="纸质原件")
    assert "已归档" in msg and "新卷" in msg
    assert "理由" in _unchanged(casefile_new_volume, acting_user=desk.archivist, matter=m, reason=" ")
    second = casefile_new_volume(acting_user=desk.archivist, matter=m, reason="复议机关调取后补充的证据材料")
    item = casefile_add(acting_user=desk.archivist, case_file=second, path=scan, original_name="补充.jpg",
                        title="企业整改报告（纸质原件扫描）", reason="纸质原件扫描入卷")
    assert second.volume == 2 and second.code == f"{sealed.code}-2" and item.position == 1 and item.pages == 1
    with blob_store().open(item.version.sha256) as stream:
        assert stream.read() == scan.read_bytes()  # stored without recompression


def test_yuyao_counts_thirty_working_days_and_waits_for_sealing(desk):
    use_pack(desk, "yuyao-city")
    m = desk.close_inspection()
    row = _archiving(m)
    assert row.due == due_moment(compute_deadline(m.closed_at, 30, "working_days").due)
    assert (row.due - m.closed_at).days >= 40 and not row.met and "二（二）4（2）" in row.citation
    case_file = CaseFile.objects.get(matter=m)
    casefile_seal(acting_user=desk.archivist, case_file=case_file, retention="permanent")
    assert _archiving(m).met


def test_a_scan_below_the_packs_resolution_is_refused_naming_the_article(desk):
    m = desk.close_inspection()
    case_file = CaseFile.objects.get(matter=m)
    low = desk.folder / "低.jpg"
    Image.new("RGB", (60, 80), "white").save(low, dpi=(150, 150))
    records = Event.objects.filter(kind="record.create").count()
    msg = _unchanged(casefile_add, acting_user=desk.archivist, case_file=case_file, path=low, original_name="低.jpg",
                     title="原件", reason="纸质原件扫描")
    assert "150PPI" in msg and "180PPI" in msg and "第五条" in msg
    assert Event.objects.filter(kind="record.create").count() == records
    buf = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(buf, format="JPEG")  # no density at all
    (desk.folder / "无.jpg").write_bytes(buf.getvalue())
    assert "未载明分辨率" in _unchanged(casefile_add, acting_user=desk.archivist, case_file=case_file,
                                       path=desk.folder / "无.jpg", original_name="无.jpg", title="原件", reason="扫描")
    future = timezone.localdate().replace(year=timezone.localdate().year + 1)
    assert "晚于今天" in _unchanged(casefile_add, acting_user=desk.archivist, case_file=case_file, path=low,
                                    original_name="低.jpg", title="原件", reason="扫描", dated=future)


def test_the_case_file_collects_the_signed_service_address_confirmation_with_the_receipts(desk):
    """The party's 送达地址确认书 (行政处罚法第六十一条) is part of the service record: it is filed in the
    case file with the step during which it was registered, beside the 送达回证, dated as signed."""
    from archive.tests.test_retention import _decide_serve_close, _penalty_to_notice
    from matters.serving import service_address_record, service_scan_file
    from records.tests.clips import make_image

    use_pack(desk, "pingdingshan-hitech")  # (抚顺 wants a recording of every service too)
    m = _penalty_to_notice(desk, "确认书入卷")
    scan = service_scan_file(acting_user=desk.officer, matter=m, path=make_image(desk.folder / "确认书.jpg"),
                             original_name="确认书.jpg", title="送达地址确认书（王某签署）")
    signed = timezone.localdate() - timedelta(days=1)
    service_address_record(acting_user=desk.officer, matter=m, recipient="王某", signed_on=signed, scan=scan,
                           postal_address="抚顺市望花区某路1号")
    case_file = _decide_serve_close(desk, m, "确认书入卷")

    items = list(case_file.items.order_by("position").select_related("record"))
    confirmation = [i for i in items if i.record_id == scan.pk]
    assert len(confirmation) == 1
    confirmation = confirmation[0]
    assert confirmation.source == "service" and confirmation.title == "送达地址确认书（王某）"
    assert confirmation.dated == signed and confirmation.pages == 1  # a scanned page
    receipts = [i for i in items if i.source == "service" and i.record_id != scan.pk]
    assert [i.record.title for i in receipts] == ["告知回执确认书入卷", "决定回执确认书入卷"]
    # registered during the notice step: filed with that step, ahead of its 送达回证, before the decision's
    assert confirmation.step_id == receipts[0].step_id != receipts[1].step_id
    assert confirmation.position + 1 == receipts[0].position < receipts[1].position
