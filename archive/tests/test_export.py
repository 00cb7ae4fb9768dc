"""A sealed case file exports as an evidence package (utilities.package, the bag format of the access
exports): the bag validates, its verifier passes every file against the ledger and fails after one
changed byte, and the ISO reads back with the same files; by command, API and page, each a ledger event."""

import hashlib
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from archive.models import CaseFile
from archive.services import casefile_seal
from ledger.models import Event
from utilities.package import iso_files

pytestmark = pytest.mark.django_db


def _verify(bag: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", "data/tools/verify_package.py"], cwd=bag, capture_output=True, text=True, timeout=60
    )


def test_a_sealed_file_exports_by_command_and_the_package_checks_out(desk, tmp_path, capsys):
    m = desk.close_inspection("导出检查", records=[desk.clip("现场.mp4")])
    case_file = CaseFile.objects.get(matter=m)
    with pytest.raises(CommandError, match="只有已归档的案卷可以导出"):
        call_command("archive", "export", str(case_file.pk), "--out", str(tmp_path / "early"))
    assert not Event.objects.filter(kind="casefile.export").exists()
    case_file = casefile_seal(acting_user=desk.archivist, case_file=case_file, retention="10")

    call_command("archive", "export", str(case_file.pk), "--out", str(tmp_path / "out"))
    printed = capsys.readouterr().out
    assert case_file.code in printed and "verify_package.py" in printed
    bag_path = next(p for p in (tmp_path / "out").iterdir() if p.is_dir())
    bagit.Bag(str(bag_path)).validate()
    files = sorted(p.name for p in (bag_path / "data" / "files").iterdir())
    items = list(case_file.items.select_related("version").order_by("position"))
    copies = [i for i in items if i.long_term_sha256 and i.long_term_sha256 != i.version.sha256]
    assert copies and len(files) == len(items) + len(copies) and files[0].startswith("001-")
    assert sum(name.endswith("（PDF-A）.pdf") for name in files) == len(copies)
    docs = sorted(p.name for p in (bag_path / "data" / "documents").iterdir())
    assert docs == sorted([f"案卷-{case_file.code}.pdf", "卷内文件清单.json"])
    on_disc = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (bag_path / "data" / "files").iterdir()}
    assert on_disc == {i.version.sha256 for i in items} | {i.long_term_sha256 for i in copies}
    ok = _verify(bag_path)
    assert ok.returncode == 0 and "核验通过" in ok.stdout, ok.stdout + ok.stderr

    iso = bag_path.parent / f"{bag_path.name}.iso"
    read_back = iso_files(iso)
    for path in (bag_path / "data" / "files").iterdir():
        assert read_back[f"/data/files/{path.name}"] == hashlib.sha256(path.read_bytes()).hexdigest()
    event = Event.objects.get(kind="casefile.export", subject_id=str(case_file.pk))
    assert event.data["iso_sha256"] == hashlib.sha256(iso.read_bytes()).hexdigest()

    # one changed byte in a file, with the manifests fixed up to match, still fails against the ledger
    target = next((bag_path / "data" / "files").iterdir())
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    bag = bagit.Bag(str(bag_path))
    bag.save(manifests=True)
    bad = _verify(bag_path)
    assert bad.returncode == 1 and "核验不通过" in bad.stdout and target.name in bad.stdout


def test_the_api_and_the_page_export_and_others_are_refused(desk, login, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    m = desk.close_inspection("接口导出", records=[desk.clip("接口.mp4")])
    case_file = casefile_seal(acting_user=desk.archivist, case_file=CaseFile.objects.get(matter=m), retention="10")
    officer = APIClient()
    officer.force_authenticate(desk.officer)
    refused = officer.post(f"/api/v1/archive/case-files/{case_file.pk}/export/")
    assert refused.status_code == 403 and "档案管理员" in refused.json()["detail"]
    archivist = APIClient()
    archivist.force_authenticate(desk.archivist)
    made = archivist.post(f"/api/v1/archive/case-files/{case_file.pk}/export/")
    assert made.status_code == 201, made.content
    body = made.json()
    assert Path(body["iso_path"]).is_file() and body["package_number"].endswith("-1")
    bagit.Bag(body["bag_path"]).validate()

    client = login(desk.archivist)
    page = client.get(f"/archive/files/{case_file.pk}/").content.decode()
    assert "导出归档包" in page
    done = client.post(f"/archive/files/{case_file.pk}/export/", follow=True).content.decode()
    assert "已导出归档包" in done
    assert Event.objects.filter(kind="casefile.export", subject_id=str(case_file.pk)).count() == 2
    assert (tmp_path / "exports" / (body["package_number"].rsplit("-", 1)[0] + "-2")).is_dir()
