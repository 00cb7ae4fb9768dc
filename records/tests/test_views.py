"""The records pages: the detail page (metadata, versions, findings, ledger history), refusals,
the download form and the upload page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from ledger.models import Event
from org.tests.factories import SectionFactory
from records.choices import Confidentiality
from records.services import record_correct, record_ingest
from records.tests.clips import make_pdf, make_video

T0 = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai


@pytest.fixture
def officer(make_staff):
    return make_staff("officer")


@pytest.fixture
def late_clip(officer, section, tmp_path):
    path = make_video(tmp_path / "夜间检查.mp4", seconds=2, creation_time=T0)
    return record_ingest(
        acting_user=officer,
        section=section,
        path=path,
        original_name=path.name,
        filed_at=T0 + timedelta(hours=30),
    ).version


def _views(record) -> int:
    return Event.objects.filter(kind="record.view", subject_id=str(record.pk)).count()


def test_the_detail_page_shows_the_record_and_logs_the_view(login, officer, late_clip, tmp_path):
    record = late_clip.record
    fixed = make_video(tmp_path / "夜间检查-完整.mp4", seconds=2, creation_time=T0 + timedelta(seconds=5))
    v2 = record_correct(
        acting_user=officer, record=record, path=fixed, original_name=fixed.name, reason="原文件缺少最后一段"
    )
    assert _views(record) == 0

    response = login(officer).get(f"/records/{record.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "夜间检查" in html and f"#{record.pk}" in html
    # The current version's metadata.
    assert "当前版本（第2版）" in html
    assert "夜间检查-完整.mp4" in html and v2.sha256 in html
    assert "2026-05-06 17:30:05" in html  # recorded start, in Shanghai time
    assert f"（{v2.size} 字节）" in html
    # The versions table, with the correction and its reason.
    assert "第2版（更正第1版）" in html and "原文件缺少最后一段" in html
    assert late_clip.sha256[:16] in html
    # The findings of version 1, with the article they cite.
    assert "合规提示（第1版）" in html
    assert "超过24小时的存储期限" in html
    assert "第十四条" in html and "依据：" in html
    # The ledger history, with readable labels.
    for label in ("登记存储", "更正版本", "查看"):  # this very view is in the history already
        assert f"<td>{label}</td>" in html, label
    assert "用途：查看记录详情" in html
    assert _views(record) == 1
    event = Event.objects.get(kind="record.view", subject_id=str(record.pk))
    assert event.actor == officer and event.data == {"purpose": "查看记录详情"}


def test_an_officer_of_another_section_is_refused_in_chinese(login, late_clip, agency, make_staff):
    other = SectionFactory(agency=agency, name="执法监察二大队")
    response = login(make_staff("officer", section=other)).get(f"/records/{late_clip.record_id}/")
    assert response.status_code == 403
    html = response.content.decode()
    # 抚顺 调阅第六条: the approver named is the one the pack says, with its article, and the way to ask.
    assert "无权访问" in html and "执法监察一大队" in html and "承办科室主管领导批准" in html and "提交调阅申请" in html
    assert "记录信息调阅监督制度》第六条" in html
    assert _views(late_clip.record) == 0


def test_a_restricted_record_is_refused_to_a_colleague(login, officer, section, make_staff, tmp_path):
    path = make_pdf(tmp_path / "隐私.pdf")
    record = record_ingest(
        acting_user=officer,
        section=section,
        path=path,
        original_name=path.name,
        confidentiality=Confidentiality.RESTRICTED,
    ).version.record
    response = login(make_staff("officer")).get(f"/records/{record.pk}/")
    assert response.status_code == 403
    assert "涉及商业秘密或个人隐私" in response.content.decode()


def test_an_unknown_record_is_a_404(login, officer):
    assert login(officer).get("/records/999999/").status_code == 404


def test_the_download_form_returns_the_file_and_logs_the_purpose(login, officer, late_clip, tmp_path):
    client = login(officer)
    url = f"/records/{late_clip.record_id}/versions/1/download/"
    response = client.post(url, {"purpose": "行政复议"})
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data == (tmp_path / "夜间检查.mp4").read_bytes()
    assert "attachment" in response["Content-Disposition"]
    event = Event.objects.get(kind="record.download")
    assert event.actor == officer and event.data["purpose"] == "行政复议"

    refused = client.post(url, {"purpose": ""}, follow=True)
    assert "下载记录须填写用途。" in refused.content.decode()
    assert Event.objects.filter(kind="record.download").count() == 1
    assert client.get(url).status_code == 405


def test_an_explanation_can_be_added_from_the_page(login, officer, late_clip):
    client = login(officer)
    response = client.post(
        f"/records/{late_clip.record_id}/explain/",
        {"version": "1", "kind": "late_filing", "text": "在外地执法，回单位后导出。"},
        follow=True,
    )
    html = response.content.decode()
    assert "书面说明已保存。" in html
    assert "在外地执法，回单位后导出。" in html
    assert late_clip.explanations.get().written_by == officer


def test_an_explanation_without_a_subject_is_refused_politely(login, officer, late_clip):
    response = login(officer).post(
        f"/records/{late_clip.record_id}/explain/", {"text": "说明没有指向任何版本"}, follow=True
    )
    assert response.status_code == 200


def test_a_correction_from_the_page_keeps_the_old_version(login, officer, section, tmp_path):
    path = make_pdf(tmp_path / "笔录.pdf", text="v1")
    record = record_ingest(
        acting_user=officer, section=section, path=path, original_name=path.name
    ).version.record
    client = login(officer)
    fixed = make_pdf(tmp_path / "笔录2.pdf", text="v2")
    with open(fixed, "rb") as fh:
        response = client.post(
            f"/records/{record.pk}/correct/", {"file": fh, "reason": "补签名页"}, follow=True
        )
    html = response.content.decode()
    assert "已保存更正版本（第2版），原版本仍可查阅。" in html
    assert "补签名页" in html
    assert list(record.versions.values_list("number", flat=True)) == [1, 2]


def test_the_upload_page_renders_the_form(login, officer, agency, section):
    from equipment.services import device_register

    device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-7788")
    response = login(officer).get("/records/upload/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="upload-form"' in html and 'data-start="/api/v1/uploads/"' in html
    assert 'type="file"' in html and "DSJ-7788" in html
    assert "涉及国家秘密" in html and "自动识别" in html
    assert "records/upload.js" in html


def test_the_upload_page_is_refused_to_roles_that_may_not_file(login, make_staff):
    response = login(make_staff("archivist")).get("/records/upload/")
    assert response.status_code == 403
    assert "需要以下角色之一" in response.content.decode()


def test_the_list_shows_only_readable_records(login, officer, late_clip, agency, make_staff, tmp_path):
    other = SectionFactory(agency=agency, name="执法监察二大队")
    stranger = make_staff("officer", section=other)
    path = make_pdf(tmp_path / "二大队笔录.pdf")
    record_ingest(
        acting_user=stranger, section=other, path=path, original_name=path.name, filed_at=timezone.now()
    )
    html = login(officer).get("/records/").content.decode()
    assert "夜间检查" in html and "二大队笔录" not in html


def test_an_explanation_cannot_be_attached_to_another_sections_interruption(
    login, officer, late_clip, agency, make_staff, tmp_path
):
    from equipment.services import device_register
    from records.models import Explanation, Interruption

    other = SectionFactory(agency=agency, name="执法监察二大队")
    stranger = make_staff("officer", section=other)
    device = device_register(agency=agency, section=other, kind="body_camera", serial="DSJ-0200")
    for number, start in enumerate([T0, T0 + timedelta(minutes=2)]):
        path = make_video(tmp_path / f"b{number}.mp4", seconds=1, creation_time=start)
        record_ingest(acting_user=stranger, section=other, path=path, original_name=path.name, device=device)
    interruption = Interruption.objects.get()

    login(officer).post(
        f"/records/{late_clip.record_id}/explain/",
        {"interruption": str(interruption.pk), "kind": "interruption", "text": "替别的科室写的中断说明"},
    )
    assert not Explanation.objects.filter(interruption=interruption).exists()


def test_downloading_an_unknown_record_is_a_404(login, officer):
    response = login(officer).post("/records/999999/versions/1/download/", {"purpose": "核对"})
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_refused_look_is_logged_even_though_the_request_fails(tmp_path):
    """Without the test's wrapping transaction: the refusal must commit on its own."""
    from django.test import Client

    from ledger.models import Event
    from org.tests.factories import AgencyFactory, SectionFactory, StaffFactory
    from records.services import record_ingest
    from records.tests.clips import make_pdf

    agency = AgencyFactory()
    own, other = SectionFactory(agency=agency, name="一大队"), SectionFactory(agency=agency, name="二大队")
    author = StaffFactory(agency=agency, section=own, roles=("officer",))
    stranger = StaffFactory(agency=agency, section=other, roles=("officer",))
    record = record_ingest(
        acting_user=author, section=own, path=make_pdf(tmp_path / "a.pdf"), original_name="a.pdf"
    ).version.record
    client = Client()
    client.force_login(stranger)
    assert client.get(f"/records/{record.pk}/").status_code == 403
    assert client.get(f"/api/v1/records/{record.pk}/").status_code == 403
    denied = Event.objects.filter(kind="record.denied", subject_id=str(record.pk), actor=stranger)
    assert denied.count() == 2
    assert not Event.objects.filter(kind="record.view", actor=stranger).exists()


def test_the_list_page_logs_one_read_of_the_records_it_shows(login, officer, section, agency, make_staff, tmp_path):
    """The list shows titles, sections and file names: one `record.list` event names those shown
    (and only those the viewer may see)."""
    mine = record_ingest(
        acting_user=officer, section=section, path=make_pdf(tmp_path / "a.pdf", "a"), original_name="a.pdf",
        title="本科室检查笔录",
    ).version.record
    other = SectionFactory(agency=agency, name="执法监察二大队")
    hidden = record_ingest(
        acting_user=make_staff("officer", section=other), section=other, path=make_pdf(tmp_path / "b.pdf", "b"),
        original_name="b.pdf", title="二大队检查笔录",
    ).version.record
    before = Event.objects.count()
    response = login(officer).get("/records/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "本科室检查笔录" in html and "二大队检查笔录" not in html
    added = list(Event.objects.order_by("index")[before:])
    assert [e.kind for e in added] == ["record.list"]
    assert added[0].actor == officer and added[0].data["records"] == [mine.pk]
    assert hidden.pk not in added[0].data["records"]


def test_a_pack_without_an_access_approver_says_so(login, late_clip, agency, make_staff):
    agency.policy_pack = "tonghua-city"
    agency.save(update_fields=["policy_pack"])
    other = SectionFactory(agency=agency, name="执法监察二大队")
    html = login(make_staff("officer", section=other)).get(f"/records/{late_clip.record_id}/").content.decode()
    assert "未规定本局其他科室申请查阅记录的程序" in html and "承办科室：执法监察一大队" in html
    assert "承办科室负责人批准" not in html and "申请调阅" not in html
