"""The records vault's services and read rules: what record_ingest stores and flags, corrections,
explanations, interruptions, exemptions, and who may read which record (each read in the ledger)."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from equipment.services import device_register
from ledger.models import Event
from org.tests.factories import SectionFactory
from policy.selectors import agency_rules
from records import selectors
from records.choices import Confidentiality, ExplanationKind, RecordKind
from records.models import Exemption, Explanation, Interruption, Record, RecordVersion
from records.services import (
    ClockCheck,
    exemption_record,
    explanation_add,
    record_correct,
    record_ingest,
)
from records.storage import blob_store
from records.tests.clips import corrupt, make_pdf, make_video

T0 = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)  # a Wednesday, 17:30 in Shanghai


def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored_blobs(data_dir) -> list:
    root = data_dir / "blobs" / "sha256"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def events_for(record, kind=None):
    qs = Event.objects.filter(subject_type="records.record", subject_id=str(record.pk)).order_by("index")
    return list(qs.filter(kind=kind) if kind else qs)


@pytest.fixture
def officer(make_staff):
    return make_staff("officer")


@pytest.fixture
def other_section(agency):
    return SectionFactory(agency=agency, name="执法监察二大队")


def ingest(officer, section, path, **kw):
    kw.setdefault("filed_at", T0 + timedelta(hours=1))
    return record_ingest(acting_user=officer, section=section, path=path, original_name=path.name, **kw)


# --- record_ingest ----------------------------------------------------------------------------------------


def test_a_video_becomes_a_record_with_version_1_and_a_ledger_event(officer, section, tmp_path, _data_dir):
    path = make_video(tmp_path / "现场检查.mp4", seconds=2, creation_time=T0)
    result = ingest(officer, section, path)

    assert result.created is True
    version = result.version
    record = version.record
    assert Record.objects.count() == 1
    assert record.kind == RecordKind.VIDEO
    assert record.title == "现场检查"
    assert record.section == section and record.created_by == officer
    assert version.number == 1 and version.supersedes is None
    assert version.sha256 == sha256_of(path)
    assert version.size == path.stat().st_size
    assert version.original_name == "现场检查.mp4" and version.format == "mp4"
    assert version.recorded_start == T0
    assert version.recorded_end == T0 + timedelta(seconds=2)
    assert version.time_source == "format:creation_time"
    assert version.readable is True and version.findings == [] and version.late is False
    assert version.filing_deadline == T0 + timedelta(seconds=2, hours=24)
    assert version.media["video_codec"] == "h264"

    # The bytes are on disk under their hash, read-only.
    stored = blob_store().path(version.sha256)
    assert stored.read_bytes() == path.read_bytes()
    assert stored.stat().st_mode & 0o222 == 0
    assert stored_blobs(_data_dir) == [stored]

    (event,) = events_for(record)
    assert event.kind == "record.create" and event.actor == officer
    assert event.data["sha256"] == version.sha256
    assert event.data["version"] == 1 and event.data["kind"] == "video"
    assert event.data["recorded_start"] == T0.isoformat()
    entry = json.loads(event.entry)
    assert entry["sha256"] == version.sha256 and entry["kind"] == "record.create"


def test_the_same_file_again_is_recognised_by_its_hash(officer, section, tmp_path, _data_dir):
    path = make_video(tmp_path / "a.mp4", seconds=1, creation_time=T0)
    first = ingest(officer, section, path)
    copy = tmp_path / "改了名字.mp4"
    copy.write_bytes(path.read_bytes())
    again = ingest(officer, section, copy)

    assert again.created is False
    assert again.version.pk == first.version.pk
    assert Record.objects.count() == 1 and RecordVersion.objects.count() == 1
    assert Event.objects.filter(kind="record.create").count() == 1
    assert len(stored_blobs(_data_dir)) == 1


def test_unreadable_media_is_stored_and_flagged(officer, section, tmp_path):
    path = corrupt(make_video(tmp_path / "断电.mp4", seconds=1, creation_time=T0), "truncate")
    version = ingest(officer, section, path).version

    assert version.readable is False
    assert "截断" in version.problem
    codes = [f["code"] for f in version.findings]
    assert "unreadable" in codes
    finding = next(f for f in version.findings if f["code"] == "unreadable")
    assert "无法完整解码" in finding["message"]
    # The article comes from the agency's pack with its citation.
    assert finding["rule"] == "av.complete_and_playable"
    assert finding["citation"] == (
        "《抚顺市应急管理局执法音像记录管理制度》第二条；《抚顺市应急管理局执法音像记录管理制度》第十八条"
    )
    assert blob_store().path(version.sha256).read_bytes() == path.read_bytes()
    assert events_for(version.record, "record.create")[0].data["findings"] == codes


def test_a_document_is_not_an_av_file_and_has_no_deadline(officer, section, tmp_path):
    path = make_pdf(tmp_path / "询问笔录.pdf")
    version = ingest(officer, section, path, filed_at=T0 + timedelta(days=30)).version
    assert version.record.kind == RecordKind.DOCUMENT
    assert version.filing_deadline is None and version.late is False and version.findings == []


def test_an_empty_file_is_refused_and_nothing_is_stored(officer, section, tmp_path, _data_dir):
    path = tmp_path / "空.mp4"
    path.write_bytes(b"")
    with pytest.raises(ValidationError) as exc:
        ingest(officer, section, path)
    assert "空文件（0字节）" in exc.value.messages[0] and "空.mp4" in exc.value.messages[0]
    assert Record.objects.count() == 0 and stored_blobs(_data_dir) == []
    assert not Event.objects.filter(kind="record.create").exists()


@pytest.mark.parametrize("name", ["子目录/现场.mp4", "..\\现场.mp4", "现场\x07.mp4", "现场\n.mp4", "  "])
def test_a_bad_file_name_is_refused_and_nothing_is_stored(officer, section, tmp_path, _data_dir, name):
    path = make_video(tmp_path / "clip.mp4", seconds=1, creation_time=T0)
    with pytest.raises(ValidationError) as exc:
        record_ingest(acting_user=officer, section=section, path=path, original_name=name)
    message = exc.value.messages[0]
    assert "路径分隔符或控制字符" in message or "文件名不能为空" in message
    assert Record.objects.count() == 0 and stored_blobs(_data_dir) == []


def test_a_file_over_the_size_limit_is_refused(officer, section, tmp_path, _data_dir, settings):
    path = make_video(tmp_path / "长录像.mp4", seconds=1, creation_time=T0)
    settings.ZHIFA_MAX_FILE_SIZE = path.stat().st_size - 1
    with pytest.raises(ValidationError) as exc:
        ingest(officer, section, path)
    assert "超过系统上限" in exc.value.messages[0] and "长录像.mp4" in exc.value.messages[0]
    assert Record.objects.count() == 0 and stored_blobs(_data_dir) == []
    settings.ZHIFA_MAX_FILE_SIZE = path.stat().st_size
    assert ingest(officer, section, path).created


def test_late_filing_is_flagged_with_the_article_and_can_be_explained(officer, section, tmp_path):
    path = make_video(tmp_path / "夜查.mp4", seconds=2, creation_time=T0)
    end = T0 + timedelta(seconds=2)
    version = ingest(officer, section, path, filed_at=end + timedelta(hours=30)).version

    assert version.late is True
    assert version.filing_deadline == end + timedelta(hours=24)
    (finding,) = version.findings
    assert finding["code"] == "late_filing" and finding["rule"] == "av.ingest_deadline"
    assert "30.0 小时" in finding["message"] and "须书面说明原因" in finding["message"]
    assert "第十四条" in finding["citation"]
    assert events_for(version.record, "record.create")[0].data["findings"] == ["late_filing"]

    with pytest.raises(ValidationError, match="不少于5个字"):
        explanation_add(acting_user=officer, version=version, kind=ExplanationKind.LATE_FILING, text="忘了")
    explanation = explanation_add(
        acting_user=officer,
        version=version,
        kind=ExplanationKind.LATE_FILING,
        text="连续两天在偏远乡镇执法，回到单位后立即导出。",
    )
    assert list(version.explanations.all()) == [explanation]
    assert explanation.written_by == officer
    (event,) = events_for(version.record, "record.explanation")
    assert event.data == {
        "explanation": explanation.pk,
        "kind": "late_filing",
        "version": 1,
        "interruption": None,
    }


def test_filing_within_the_deadline_is_not_late(officer, section, tmp_path):
    path = make_video(tmp_path / "a.mp4", seconds=2, creation_time=T0)
    version = ingest(officer, section, path, filed_at=T0 + timedelta(hours=23)).version
    assert version.late is False and version.findings == []


@pytest.mark.parametrize(
    ("offset", "expected"), [(timedelta(minutes=-5), ["clock"]), (timedelta(seconds=30), [])]
)
def test_a_device_clock_off_by_more_than_the_tolerance_is_flagged(
    officer, section, tmp_path, offset, expected
):
    path = make_video(tmp_path / "a.mp4", seconds=2, creation_time=T0)
    reference = "执法人员登记的开始记录时间（2026-05-06 17:30:00）"
    check = ClockCheck(reference, offset.total_seconds())
    version = ingest(officer, section, path, clock_check=check).version
    assert [f["code"] for f in version.findings] == expected
    assert version.clock_reference == reference and version.clock_offset == offset.total_seconds()
    if expected:
        finding = version.findings[0]
        assert finding["message"] == f"设备时间比{reference}慢 300 秒，设备时间可能未按要求校准。"
        assert finding["rule"] == "equipment.clock_tolerance" and finding["citation"]
        assert finding["reference"] == reference


def test_the_dock_s_copy_time_is_kept_but_never_taken_for_the_clock(officer, section, tmp_path):
    path = make_video(tmp_path / "a.mp4", seconds=2, creation_time=T0)
    copied = T0 + timedelta(hours=5)
    version = ingest(officer, section, path, dock_time=copied).version
    assert version.dock_time == copied and version.findings == []
    assert version.clock_offset is None and version.clock_reference == ""


def test_an_officer_of_another_section_cannot_file_for_this_section(
    section, other_section, make_staff, tmp_path
):
    stranger = make_staff("officer", section=other_section)
    path = make_video(tmp_path / "a.mp4", seconds=1, creation_time=T0)
    with pytest.raises(PermissionDenied, match="只能为本科室登记执法记录"):
        ingest(stranger, section, path)
    assert Record.objects.count() == 0


def test_a_role_without_filing_rights_cannot_file(section, make_staff, tmp_path):
    archivist = make_staff("archivist")
    path = make_video(tmp_path / "a.mp4", seconds=1, creation_time=T0)
    with pytest.raises(PermissionDenied, match="需要以下角色之一：执法人员、科室负责人"):
        ingest(archivist, section, path)


# --- interruptions ----------------------------------------------------------------------------------------


@pytest.fixture
def device(agency, section):
    return device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-0001")


def test_only_a_gap_between_tolerance_and_session_break_is_an_interruption(
    officer, section, device, tmp_path
):
    # Four one-second clips: gaps of 3 s (within tolerance), 2 min (an interruption), 2 h (a new session).
    starts = [
        T0,
        T0 + timedelta(seconds=4),
        T0 + timedelta(seconds=125),
        T0 + timedelta(seconds=126, hours=2),
    ]
    versions = []
    for number, start in enumerate(starts):
        path = make_video(tmp_path / f"clip{number}.mp4", seconds=1, creation_time=start)
        versions.append(ingest(officer, section, path, device=device).version)

    (interruption,) = Interruption.objects.all()
    assert interruption.device == device
    assert (interruption.before, interruption.after) == (versions[1], versions[2])
    assert interruption.gap_seconds == pytest.approx(120)
    assert "中断 120 秒" in str(interruption)
    (event,) = Event.objects.filter(kind="record.interruption")
    assert event.subject_type == "records.interruption" and event.subject_id == str(interruption.pk)
    assert event.data == {
        "device": "DSJ-0001",
        "gap_seconds": pytest.approx(120),
        "before": versions[1].pk,
        "after": versions[2].pk,
        "rule": "av.interruption_tolerance",
        "citation": "平台默认值（落实《抚顺市应急管理局执法音像记录管理制度》第十条的要求）",
    }
    assert event.agency == device.agency
    # It cites the article from the agency's pack, kept with the interruption.
    assert interruption.rule == "av.interruption_tolerance"
    assert interruption.citation == "平台默认值（落实《抚顺市应急管理局执法音像记录管理制度》第十条的要求）"

    # It needs an explanation, which is its own record.
    assert not interruption.explanations.exists()
    explanation = explanation_add(
        acting_user=officer,
        interruption=interruption,
        kind=ExplanationKind.INTERRUPTION,
        text="记录仪电量耗尽，更换电池后继续录制。",
    )
    assert list(interruption.explanations.all()) == [explanation]
    (logged,) = events_for(versions[1].record, "record.explanation")
    assert logged.data["interruption"] == interruption.pk


def test_an_interruption_is_found_when_clips_arrive_out_of_order(officer, section, device, tmp_path):
    late = make_video(tmp_path / "b.mp4", seconds=1, creation_time=T0 + timedelta(minutes=3))
    early = make_video(tmp_path / "a.mp4", seconds=1, creation_time=T0)
    after = ingest(officer, section, late, device=device).version
    before = ingest(officer, section, early, device=device).version
    (interruption,) = Interruption.objects.all()
    assert (interruption.before, interruption.after) == (before, after)
    assert interruption.gap_seconds == pytest.approx(179)


def test_clips_without_a_device_are_not_checked_for_interruptions(officer, section, tmp_path):
    for number, start in enumerate([T0, T0 + timedelta(minutes=3)]):
        ingest(officer, section, make_video(tmp_path / f"{number}.mp4", seconds=1, creation_time=start))
    assert not Interruption.objects.exists()


def test_a_clip_filling_the_gap_clears_the_interruption(officer, section, device, tmp_path):
    a = make_video(tmp_path / "a.mp4", seconds=1, fps=2, creation_time=T0)
    c = make_video(tmp_path / "c.mp4", seconds=1, fps=2, creation_time=T0 + timedelta(seconds=21))
    b = make_video(tmp_path / "b.mp4", seconds=14, fps=2, creation_time=T0 + timedelta(seconds=4))
    ingest(officer, section, a, device=device)
    ingest(officer, section, c, device=device)
    assert Interruption.objects.count() == 1  # 20 s between A and C
    filler = ingest(officer, section, b, device=device)  # 3 s after A, 3 s before C
    stale = Interruption.objects.get()  # kept, never deleted, but no longer open
    assert stale.cleared_by == filler.version
    assert not Interruption.objects.filter(cleared_by__isnull=True).exists()
    assert Event.objects.filter(kind="record.interruption_cleared", subject_id=str(stale.pk)).exists()


# --- corrections ------------------------------------------------------------------------------------------


def test_a_correction_supersedes_version_1_and_both_stay_readable(officer, section, tmp_path):
    original = make_pdf(tmp_path / "笔录.pdf", text="first")
    record = ingest(officer, section, original).version.record
    fixed = make_pdf(tmp_path / "笔录（更正）.pdf", text="second")

    with pytest.raises(ValidationError, match="更正须写明理由"):
        record_correct(acting_user=officer, record=record, path=fixed, original_name=fixed.name, reason=" ")
    with pytest.raises(ValidationError, match="更正版本与当前版本内容相同"):
        record_correct(
            acting_user=officer, record=record, path=original, original_name="x.pdf", reason="重新扫描"
        )
    assert record.versions.count() == 1

    v2 = record_correct(
        acting_user=officer,
        record=record,
        path=fixed,
        original_name=fixed.name,
        reason="原件缺第二页，重新扫描",
    )
    v1 = record.versions.get(number=1)
    assert v2.number == 2 and v2.supersedes == v1 and v1.superseded_by == v2
    assert v2.reason == "原件缺第二页，重新扫描"
    assert v2.sha256 == sha256_of(fixed) and v1.sha256 == sha256_of(original)
    assert record.current_version == v2
    with blob_store().open(v1.sha256) as fh:
        assert fh.read() == original.read_bytes()
    with blob_store().open(v2.sha256) as fh:
        assert fh.read() == fixed.read_bytes()
    # The old version can still be downloaded, and the download is logged.
    version, stream = selectors.version_download(
        viewer=officer, record_pk=record.pk, number=1, purpose="核对原件"
    )
    assert version == v1
    with stream:
        assert stream.read() == original.read_bytes()
    (event,) = events_for(record, "record.version")
    assert event.data["version"] == 2 and event.data["supersedes"] == 1
    assert event.data["reason"] == "原件缺第二页，重新扫描" and event.data["sha256"] == v2.sha256

    # A third version supersedes the second.
    third = make_pdf(tmp_path / "三.pdf", text="third")
    v3 = record_correct(
        acting_user=officer, record=record, path=third, original_name="三.pdf", reason="再次更正"
    )
    assert v3.supersedes == v2 and v3.number == 3


def test_an_officer_of_another_section_cannot_correct(officer, section, other_section, make_staff, tmp_path):
    record = ingest(officer, section, make_pdf(tmp_path / "a.pdf")).version.record
    stranger = make_staff("officer", section=other_section)
    fixed = make_pdf(tmp_path / "b.pdf", text="other")
    with pytest.raises(PermissionDenied, match="只能为本科室登记执法记录"):
        record_correct(
            acting_user=stranger, record=record, path=fixed, original_name="b.pdf", reason="更正内容"
        )
    assert record.versions.count() == 1


# --- exemptions -------------------------------------------------------------------------------------------


def test_an_exemption_with_a_pack_reason_is_reported_to_the_section_chief(officer, make_staff):
    chief = make_staff("section_chief")
    reason = "涉及国家秘密、商业秘密或者个人隐私"
    exemption = exemption_record(
        acting_user=officer,
        reason=reason,
        details="检查涉密车间，按规定不得摄录。",
        occurred_at=T0,
        place="某化工厂二车间",
    )
    assert exemption.reported_to == chief and exemption.created_by == officer
    assert exemption.section == officer.section and exemption.reason == reason
    (event,) = Event.objects.filter(kind="record.exemption")
    assert event.data == {"reason": reason, "reported_to": chief.pk}
    assert event.actor == officer


def test_an_unknown_exemption_reason_is_refused_listing_the_packs_reasons(officer, make_staff):
    make_staff("section_chief")
    with pytest.raises(ValidationError) as exc:
        exemption_record(acting_user=officer, reason="忘记带记录仪", details="x", occurred_at=T0)
    message = exc.value.messages[0]
    assert message.startswith("请选择政策包列明的不适宜音像记录情形：")
    assert "情况紧急，来不及记录" in message and "其他不适宜音像记录的情形" in message
    assert not Exemption.objects.exists()


def test_an_exemption_needs_details_and_someone_to_report_to(officer):
    with pytest.raises(ValidationError, match="请写明无法音像记录的具体原因和依据"):
        exemption_record(acting_user=officer, reason="情况紧急，来不及记录", details=" ", occurred_at=T0)
    with pytest.raises(ValidationError, match="本科室没有可报告的负责人"):
        exemption_record(
            acting_user=officer, reason="情况紧急，来不及记录", details="突发火情", occurred_at=T0
        )
    assert not Exemption.objects.exists()


def test_without_a_section_chief_the_exemption_goes_to_a_leader(officer, make_staff):
    leader = make_staff("leader", section=None)
    exemption = exemption_record(
        acting_user=officer, reason="情况紧急，来不及记录", details="突发火情，先行处置", occurred_at=T0
    )
    assert exemption.reported_to == leader


# --- who may read -----------------------------------------------------------------------------------------


@pytest.fixture
def people(make_staff, other_section):
    return {
        "filer": make_staff("officer"),
        "present": make_staff("officer"),
        "colleague": make_staff("officer"),
        "chief": make_staff("section_chief"),
        "stranger": make_staff("officer", section=other_section),
        "other_chief": make_staff("section_chief", section=other_section),
        "leader": make_staff("leader", section=None),
        "archivist": make_staff("archivist", section=None),
        "reviewer": make_staff("legal_reviewer", section=None),
    }


def _record(people, section, tmp_path, confidentiality, name):
    path = make_pdf(tmp_path / f"{name}.pdf", text=name.encode().hex())
    version = record_ingest(
        acting_user=people["filer"],
        section=section,
        path=path,
        original_name=path.name,
        officers=[people["present"]],
        confidentiality=confidentiality,
    ).version
    return version.record


def _readers(people, record) -> set[str]:
    allowed = set()
    for who, staff in people.items():
        try:
            selectors.record_for(viewer=staff, pk=record.pk)
        except PermissionDenied:
            continue
        allowed.add(who)
    return allowed


READERS = {
    Confidentiality.NORMAL: {"filer", "present", "colleague", "chief", "leader", "archivist"},
    Confidentiality.RESTRICTED: {"filer", "present", "chief", "leader"},
    Confidentiality.SECRET: {"filer", "leader"},
}


@pytest.mark.parametrize("confidentiality", list(READERS))
def test_who_may_read_a_record(people, section, tmp_path, confidentiality):
    record = _record(people, section, tmp_path, confidentiality, confidentiality)
    assert _readers(people, record) == READERS[confidentiality]
    # The list shows exactly the records each one may open.
    for who, staff in people.items():
        listed = selectors.record_list(viewer=staff).filter(pk=record.pk).exists()
        assert listed == (who in READERS[confidentiality]), who


def test_a_refusal_names_the_section_and_the_approval_needed(people, section, tmp_path):
    record = _record(people, section, tmp_path, Confidentiality.NORMAL, "a")
    with pytest.raises(PermissionDenied) as exc:
        selectors.record_for(viewer=people["stranger"], pk=record.pk)
    message = str(exc.value)
    assert "执法监察一大队" in message and "批准" in message and "密级：一般" in message
    assert not Event.objects.filter(kind__in=["record.view", "record.download"]).exists()


def test_a_record_of_another_agency_does_not_exist_for_the_viewer(people, section, tmp_path):
    from org.tests.factories import AgencyFactory, StaffFactory

    record = _record(people, section, tmp_path, Confidentiality.NORMAL, "a")
    elsewhere = StaffFactory(agency=AgencyFactory(), roles=("leader",))
    with pytest.raises(Http404):
        selectors.record_for(viewer=elsewhere, pk=record.pk)
    assert list(selectors.record_list(viewer=elsewhere)) == []
    # The attempt is logged as a refusal, in the viewer's own agency's name.
    denied = Event.objects.get(kind="record.denied", subject_id=str(record.pk))
    assert denied.actor == elsewhere and denied.agency_id == elsewhere.agency_id


def test_viewing_and_downloading_are_logged_with_who_and_why(people, section, tmp_path):
    record = _record(people, section, tmp_path, Confidentiality.NORMAL, "现场笔录")
    colleague = people["colleague"]

    assert selectors.record_view(viewer=colleague, pk=record.pk, purpose="案件审理") == record
    (view,) = events_for(record, "record.view")
    assert view.actor == colleague and view.data == {"purpose": "案件审理"}

    with pytest.raises(ValidationError, match="下载记录须填写用途"):
        selectors.version_download(viewer=colleague, record_pk=record.pk, number=1, purpose="  ")
    assert not events_for(record, "record.download")

    version, stream = selectors.version_download(
        viewer=colleague, record_pk=record.pk, number=1, purpose=" 当事人申请复制 "
    )
    with stream:
        assert hashlib.sha256(stream.read()).hexdigest() == version.sha256
    (download,) = events_for(record, "record.download")
    assert download.actor == colleague
    assert download.data == {"version": 1, "sha256": version.sha256, "purpose": "当事人申请复制"}


def test_a_refused_download_is_not_logged_and_opens_nothing(people, section, tmp_path):
    record = _record(people, section, tmp_path, Confidentiality.SECRET, "a")
    with pytest.raises(PermissionDenied):
        selectors.version_download(viewer=people["chief"], record_pk=record.pk, number=1, purpose="核查")
    with pytest.raises(PermissionDenied):
        selectors.record_view(viewer=people["chief"], pk=record.pk)
    assert not events_for(record, "record.download") and not events_for(record, "record.view")


def test_explanations_are_never_edited_in_place(officer, section, tmp_path):
    version = ingest(
        officer,
        section,
        make_video(tmp_path / "a.mp4", seconds=1, creation_time=T0),
        filed_at=T0 + timedelta(days=3),
    ).version
    explanation_add(
        acting_user=officer, version=version, kind=ExplanationKind.LATE_FILING, text="出差三天未能导出"
    )
    explanation_add(
        acting_user=officer, version=version, kind=ExplanationKind.LATE_FILING, text="补充：已报科长同意"
    )
    assert [e.text for e in Explanation.objects.filter(version=version)] == [
        "出差三天未能导出",
        "补充：已报科长同意",
    ]
    with pytest.raises(ValidationError, match="未知说明类型"):
        explanation_add(acting_user=officer, version=version, kind="excuse", text="随便写点什么")


def test_only_the_chief_reported_to_acknowledges_an_exemption(officer, section, make_staff):
    from records.services import exemption_acknowledge, exemption_record

    chief = make_staff("section_chief", name="科长")
    reason = agency_rules(section.agency).value("av.exemption_reasons")[0]
    exemption = exemption_record(
        acting_user=officer, reason=reason, details="现场为爆炸危险区域，未配备防爆记录仪", occurred_at=T0
    )
    assert exemption.reported_to == chief
    with pytest.raises(PermissionDenied, match="只有被报告的负责人"):
        exemption_acknowledge(acting_user=officer, exemption=exemption)
    exemption_acknowledge(acting_user=chief, exemption=exemption)
    assert Exemption.objects.get(pk=exemption.pk).acknowledged_at is not None
    assert Event.objects.filter(kind="record.exemption_acknowledged", actor=chief).exists()
    with pytest.raises(ValidationError, match="已于"):
        exemption_acknowledge(acting_user=chief, exemption=exemption)
