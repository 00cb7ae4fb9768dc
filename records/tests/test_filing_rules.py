"""The AV filing clock and interruption checks as each agency's text sets them (issue 11 item 2):
from the end of the day's work (抚顺), from a recorded return (抚顺, 平顶山), at most 3 working days
(余姚), interruptions wherever 断续记录 is forbidden, and a corrected version checked like the first."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from equipment.services import device_register
from ledger.models import Event
from records.models import FieldReturn, Interruption
from records.services import field_return_record, record_correct, record_ingest
from records.tests.clips import make_video

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=SH)  # an ordinary working week


def _use(agency, pack):
    agency.policy_pack = pack
    agency.save(update_fields=["policy_pack"])


@pytest.fixture
def officer(make_staff):
    return make_staff("officer")


@pytest.fixture
def device(agency, section):
    return device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-0101")


def _clip(officer, section, tmp_path, start, filed_at, *, device=None, name=None):
    path = make_video(tmp_path / (name or f"c{start:%d%H%M%S}.mp4"), seconds=1, creation_time=start)
    return record_ingest(
        acting_user=officer, section=section, path=path, original_name=path.name, device=device, filed_at=filed_at
    ).version


def _codes(version):
    return [f["code"] for f in version.findings]


def test_yuyao_file_four_working_days_late_is_found_three_is_only_late(agency, section, officer, tmp_path):
    _use(agency, "yuyao-city")
    late = _clip(officer, section, tmp_path, MONDAY, MONDAY.replace(day=6, hour=12))  # Friday: 4 working days
    assert late.late and _codes(late) == ["late_filing", "late_filing_max"]
    hard = late.findings[1]
    assert hard["rule"] == "av.ingest_deadline_max" and "二（二）4（1）" in hard["citation"]
    assert "3个工作日" in hard["message"]
    # Thursday is past the 24 hours but inside the 3 working days (特殊情况不得超过3个工作日).
    within = _clip(officer, section, tmp_path, MONDAY + timedelta(minutes=5), MONDAY.replace(day=5, hour=12))
    assert within.late and _codes(within) == ["late_filing"]


def test_fushun_runs_from_the_end_of_the_days_work_not_each_clip(agency, section, officer, device, tmp_path):
    # 000 设备第十一条、音像第十四条: 24 h after the day's work ended (the device's last clip, 17:00).
    evening = _clip(officer, section, tmp_path, MONDAY.replace(hour=17), MONDAY.replace(hour=18), device=device)
    assert not evening.late
    morning = _clip(officer, section, tmp_path, MONDAY.replace(hour=9), MONDAY.replace(day=3, hour=16), device=device)
    assert not morning.late and morning.filing_deadline == MONDAY.replace(day=3, hour=17, second=1)
    # 平顶山 (管理制度第八条) counts from each recording's end: the same morning clip is late there.
    _use(agency, "pingdingshan-hitech")
    other = _clip(
        officer, section, tmp_path, MONDAY.replace(hour=9, minute=30), MONDAY.replace(day=3, hour=16), device=device
    )
    assert other.late and "管理制度》第八条" in other.findings[0]["citation"]


def test_after_work_away_the_period_runs_from_the_recorded_return(agency, section, officer, tmp_path):
    back_at = MONDAY.replace(day=5, hour=15)
    with pytest.raises(ValidationError, match="晚于外出"):
        field_return_record(acting_user=officer, kind="remote", away_from=back_at, returned_at=MONDAY)
    with pytest.raises(ValidationError, match="不能晚于现在"):
        field_return_record(
            acting_user=officer, kind="remote", away_from=MONDAY, returned_at=datetime(2999, 1, 1, tzinfo=SH)
        )
    assert not FieldReturn.objects.exists()
    back = field_return_record(
        acting_user=officer, kind="remote", away_from=MONDAY - timedelta(hours=2), returned_at=back_at, place="清原县"
    )
    assert Event.objects.filter(kind="record.field_return", subject_id=str(back.pk)).exists()
    # Recorded Monday while away, filed Friday morning: within 24 h of Thursday's return (音像第十四条).
    version = _clip(officer, section, tmp_path, MONDAY, MONDAY.replace(day=6, hour=9))
    assert not version.late and version.filing_deadline == back_at + timedelta(hours=24)
    # Filed later than that it is late, counted from the return.
    after = _clip(officer, section, tmp_path, MONDAY + timedelta(minutes=5), MONDAY.replace(day=6, hour=16))
    assert after.late and "返回单位" in after.findings[0]["message"]
    assert after.findings[0]["rule"] == "av.ingest_deadline_after_return"


def test_only_the_chief_records_a_return_for_another_officer(agency, section, officer, make_staff):
    other = make_staff("officer")
    with pytest.raises(PermissionDenied):
        field_return_record(
            acting_user=other, officer=officer, kind="continuous", away_from=MONDAY, returned_at=MONDAY.replace(hour=20)
        )
    chief = make_staff("section_chief")
    back = field_return_record(
        acting_user=chief, officer=officer, kind="continuous", away_from=MONDAY, returned_at=MONDAY.replace(hour=20)
    )
    assert back.officer == officer and back.recorded_by == chief


def test_return_through_the_api(client, agency, section, officer):
    client.force_login(officer)
    url = reverse("api-field-returns")
    bad = client.post(url, {"kind": "remote", "away_from": "2026-11-05T10:00+08:00",
                            "returned_at": "2026-11-02T10:00+08:00"}, content_type="application/json")
    assert bad.status_code == 400 and "晚于外出" in bad.json()["detail"]
    ok = client.post(url, {"kind": "outlying", "away_from": "2026-11-02T08:00+08:00",
                           "returned_at": "2026-11-04T18:00+08:00", "place": "偏远山区"},
                     content_type="application/json")
    assert ok.status_code == 201, ok.json()
    assert [r["id"] for r in client.get(url).json()] == [ok.json()["id"]]


@pytest.mark.parametrize("pack", ["yuyao-city", "fushun-county-hrss"])
def test_interruptions_are_found_where_the_text_forbids_broken_recording(agency, section, officer, device, tmp_path,
                                                                          pack):
    # 002 二（二）3（3）; 004 第十二条第（四）项: 不得断续记录.
    _use(agency, pack)
    start = MONDAY
    _clip(officer, section, tmp_path, start, start + timedelta(hours=1), device=device, name="a.mp4")
    _clip(officer, section, tmp_path, start + timedelta(minutes=2), start + timedelta(hours=1), device=device,
          name="b.mp4")
    (gap,) = Interruption.objects.all()
    assert gap.gap_seconds == pytest.approx(119)


def test_a_corrected_version_is_checked_like_the_first(agency, section, officer, device, tmp_path):
    _use(agency, "yuyao-city")
    first = _clip(officer, section, tmp_path, MONDAY, MONDAY + timedelta(hours=1), device=device, name="a.mp4")
    assert not first.late
    _clip(officer, section, tmp_path, MONDAY + timedelta(minutes=3), MONDAY + timedelta(hours=1), device=device,
          name="next.mp4")
    assert Interruption.objects.count() == 1
    fixed = make_video(tmp_path / "fixed.mp4", seconds=1, creation_time=MONDAY + timedelta(seconds=1), noise=True)
    version = record_correct(
        acting_user=officer, record=first.record, path=fixed, original_name=fixed.name, reason="原文件损坏，重新导出"
    )
    # Corrected weeks later (now): past the 3 working days of 二（二）4（1）, as a first filing would be.
    assert version.filing_deadline is not None and version.late
    assert "late_filing_max" in _codes(version)
    # The gap after the corrected clip is found again (二（二）3（3）).
    gap = Interruption.objects.get(before=version)
    assert gap.gap_seconds == pytest.approx(178)
    assert "late_filing" in Event.objects.filter(kind="record.version").last().data["findings"]


def test_return_through_the_page(client, agency, section, officer):
    client.force_login(officer)
    url = reverse("records:returns")
    assert "返回单位" in client.get(url).content.decode()
    bad = client.post(url, {"kind": "remote", "away_from": "2026-11-05T10:00", "returned_at": "2026-11-02T10:00"})
    assert bad.status_code == 200 and "晚于外出" in bad.content.decode() and not FieldReturn.objects.exists()
    ok = client.post(url, {"kind": "remote", "away_from": "2026-11-02T08:00", "returned_at": "2026-11-04T18:00",
                           "place": "清原县"})
    assert ok.status_code == 302 and FieldReturn.objects.get().place == "清原县"
