"""四性检测 (DA/T 70): the report names a missing required recording and an undecodable video;
`zhifa archive check` re-runs over every sealed file with one summary."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.models import CaseFile, IntegrityCheck
from archive.services import casefile_add, casefile_check, casefile_seal
from archive.tests.conftest import use_pack
from records.storage import blob_store
from records.tests.clips import corrupt, make_video

pytestmark = pytest.mark.django_db


def test_the_report_names_a_missing_required_recording_and_an_undecodable_video(desk):
    use_pack(desk, "tonghua-city")  # 通化: the on-site inspection must be recorded (001 第六条)
    clip = desk.clip("现场检查.mp4")
    m = desk.close_inspection("储罐检查", records=[clip])
    case_file = CaseFile.objects.get(matter=m)
    good = casefile_check(acting_user=desk.archivist, case_file=case_file)
    assert good.ok, good.findings

    # the disc the officer burnt of a second angle turns out damaged
    broken = corrupt(make_video(desk.folder / "光盘.mp4", seconds=1), "truncate", keep=0.5)
    casefile_add(acting_user=desk.archivist, case_file=case_file, path=broken, original_name="光盘.mp4",
                 title="现场检查录像光盘", reason="光盘资料入卷")
    # and the required recording's entry is lost from the contents list
    case_file.items.filter(record=clip).delete()
    report = casefile_check(acting_user=desk.archivist, case_file=case_file)
    assert not report.ok
    bad = [f for f in report.findings if not f["ok"]]
    text = " ".join(f"{f['aspect']} {f['item']} {f['message']}" for f in bad)
    assert "完整性" in text and "缺少必须的音像记录" in text and "现场检查" in text and "第六条" in text
    assert "可用性" in text and "《现场检查录像光盘》" in text
    assert "序号不连续" in text
    with pytest.raises(ValidationError, match="四性检测未通过"):
        casefile_seal(acting_user=desk.archivist, case_file=case_file, retention="10")
    assert CaseFile.objects.get(pk=case_file.pk).state == "open"


def test_the_check_command_rechecks_every_sealed_file_and_finds_a_changed_blob(desk, capsys):
    m = desk.close_inspection()
    sealed = casefile_seal(acting_user=desk.archivist, case_file=CaseFile.objects.get(matter=m), retention="5")
    call_command("archive", "check")
    assert "共检测已归档案卷 1 卷" in capsys.readouterr().out
    # someone alters a stored file behind the application's back
    item = sealed.items.first()
    path = blob_store().path(item.version.sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"%tampered")
    with pytest.raises(CommandError, match="1 卷未通过"):
        call_command("archive", "check")
    out = capsys.readouterr().out
    assert sealed.code in out and "真实性" in out and "哈希值与台账登记的不一致" in out and "安全性" in out
    assert IntegrityCheck.objects.filter(case_file=sealed, ok=False).count() == 1
