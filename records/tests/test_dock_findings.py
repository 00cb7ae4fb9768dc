"""Findings of a dock import: the device clock is checked against an independent time (the officer's
recorded start of the session), never against the time the dock copied the file; the finding names
its reference, and without one the version says it was not checked. Unreadable clips and
interruptions cite their articles; a duplicate's other name is kept on the record."""

import os
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from equipment.services import device_register
from ledger.models import Event
from records.models import DuplicateDelivery, Interruption, Record, RecordVersion
from records.tests.clips import make_video


@pytest.fixture
def device(agency, section):
    return device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-0001")


def _clip(path, start: datetime, *, copied: datetime, seconds: float = 1):
    """A clip with `start` embedded, written by the dock at `copied` (its mtime)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    make_video(path, seconds=seconds, creation_time=start)
    os.utime(path, (copied.timestamp(), copied.timestamp()))
    return path


def _ingest(folder, *args):
    out, err = StringIO(), StringIO()
    call_command("ingest", str(folder), "--device", "DSJ-0001", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _versions() -> dict[str, RecordVersion]:
    return {v.original_name: v for v in RecordVersion.objects.select_related("record")}


@pytest.fixture
def started():
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)


def test_a_dock_that_copies_hours_later_reports_no_drift(tmp_path, device, started):
    folder = tmp_path / "dock"
    copied = started + timedelta(hours=5)  # the dock copied the clip five hours after it was made
    _clip(folder / "clip_0900.mp4", started, copied=copied)
    _ingest(folder, "--session-start", _local(started))
    version = _versions()["clip_0900.mp4"]
    assert version.dock_time == copied
    assert version.findings == []
    assert version.clock_offset == 0
    assert version.clock_reference.startswith(f"执法人员登记的开始记录时间（{_local(started)}")


def test_without_an_independent_time_the_clock_is_not_checked_and_says_so(tmp_path, device, started):
    folder = tmp_path / "dock"
    _clip(folder / "clip.mp4", started, copied=started + timedelta(hours=5))
    _ingest(folder)
    version = _versions()["clip.mp4"]
    assert version.findings == [] and version.clock_offset is None
    assert version.clock_reference.startswith("未核对设备时间：没有独立的参照时间")


def test_a_seven_minute_fast_camera_is_found_and_the_finding_names_its_reference(
    tmp_path, device, started, login, make_staff
):
    folder = tmp_path / "dock"
    fast = timedelta(minutes=7)
    copied = started + timedelta(hours=3)
    _clip(folder / "a" / "clip1.mp4", started + fast, copied=copied)
    _clip(folder / "a" / "clip2.mp4", started + fast + timedelta(seconds=3), copied=copied)
    _clip(folder / "b" / "later.mp4", started + fast + timedelta(hours=2), copied=copied)  # another activity
    _ingest(folder, "--session-start", _local(started))

    versions = _versions()
    reference = f"执法人员登记的开始记录时间（{_local(started)}，与本次执法活动第一段录像的开始时间相比）"
    for name in ("a／clip1.mp4", "a／clip2.mp4"):
        (finding,) = versions[name].findings
        assert finding["code"] == "clock" and finding["reference"] == reference
        assert finding["message"] == f"设备时间比{reference}快 420 秒，设备时间可能未按要求校准。"
        assert finding["rule"] == "equipment.clock_tolerance" and "第八条" in finding["citation"]
        assert versions[name].clock_offset == 420
    later = versions["b／later.mp4"]
    assert later.findings == [] and later.clock_offset is None
    assert "不属于执法人员登记的开始记录时间" in later.clock_reference

    # The record page and the API show the reference and the offset.
    chief = make_staff("section_chief", "officer")
    client = login(chief)
    record = versions["a／clip1.mp4"].record
    page = client.get(f"/records/{record.pk}/").content.decode()
    assert f"比{reference}快 420 秒" in page
    body = client.get(f"/api/v1/records/{record.pk}/").json()
    assert body["versions"][0]["clock_offset"] == 420
    assert body["versions"][0]["clock_reference"] == reference


@pytest.mark.parametrize(
    ("value", "message"),
    [("明天上午", "格式不正确"), ("2999-01-01 09:00", "晚于现在")],
)
def test_a_bad_or_future_session_start_is_refused_and_nothing_is_stored(
    tmp_path, device, started, value, message
):
    folder = tmp_path / "dock"
    _clip(folder / "clip.mp4", started, copied=started + timedelta(hours=1))
    with pytest.raises(CommandError, match=message):
        _ingest(folder, "--session-start", value)
    assert Record.objects.count() == 0


def test_a_duplicate_s_other_name_is_kept_on_the_record(tmp_path, device, started, login, make_staff):
    folder = tmp_path / "dock"
    first = _clip(folder / "100MEDIA" / "clip.mp4", started, copied=started + timedelta(hours=1))
    second = folder / "备份" / "clip副本.mp4"
    second.parent.mkdir()
    second.write_bytes(first.read_bytes())
    os.utime(second, (first.stat().st_mtime, first.stat().st_mtime))
    _ingest(folder)
    assert Record.objects.count() == 1
    (duplicate,) = DuplicateDelivery.objects.all()
    assert (
        duplicate.name == "备份／clip副本.mp4" and duplicate.source == "dock" and duplicate.device == device
    )
    assert duplicate.version.original_name == "100MEDIA／clip.mp4"
    (event,) = Event.objects.filter(kind="record.duplicate")
    assert event.data["name"] == "备份／clip副本.mp4" and event.data["sha256"] == duplicate.version.sha256

    # A re-run skips both names without reading them again, and records nothing new.
    _out, err = _ingest(folder)
    assert err.count("已导入，跳过") == 2
    assert (
        DuplicateDelivery.objects.count() == 1 and Event.objects.filter(kind="record.duplicate").count() == 1
    )

    client = login(make_staff("section_chief", "officer"))
    record = duplicate.version.record
    assert "备份／clip副本.mp4" in client.get(f"/records/{record.pk}/").content.decode()
    (version,) = client.get(f"/api/v1/records/{record.pk}/").json()["versions"]
    assert [(d["name"], d["source"], d["device"]) for d in version["duplicates"]] == [
        ("备份／clip副本.mp4", "dock", "DSJ-0001")
    ]


def test_an_interruption_cites_its_article_on_the_record_page(tmp_path, device, started, login, make_staff):
    folder = tmp_path / "dock"
    copied = started + timedelta(hours=1)
    _clip(folder / "clip1.mp4", started, copied=copied)
    _clip(folder / "clip2.mp4", started + timedelta(minutes=3), copied=copied)  # a 3-minute gap
    _ingest(folder)
    (interruption,) = Interruption.objects.all()
    assert interruption.citation == "平台默认值（落实《抚顺市应急管理局执法音像记录管理制度》第十条的要求）"
    page = login(make_staff("section_chief", "officer")).get(f"/records/{interruption.before.record_id}/")
    assert "依据：平台默认值（落实《抚顺市应急管理局执法音像记录管理制度》第十条的要求）" in page.content.decode()
