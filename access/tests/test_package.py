"""The evidence package: a BagIt bag that validates, a verifier inside it (standard library only)
that checks every proof and file and fails after one byte changes, and an ISO image that reads back
with the same files and hashes. Exported by the command, as the API and the page do."""

import hashlib
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import bagit
import pytest
from django.core.management import call_command
from django.utils import timezone

from access.models import Export
from access.services import copy_make, disc_log_sign, request_decide, request_submit
from ledger.models import Event
from utilities.package import iso_files, volume_label

pytestmark = pytest.mark.django_db


def _verify(bag: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", "data/tools/verify_package.py"], cwd=bag, capture_output=True, text=True, timeout=60
    )


def test_export_writes_a_bag_a_party_can_verify_and_an_iso_that_reads_back(people, stored, tmp_path):
    request = request_submit(
        acting_user=people.archivist, requester_kind="external_letter", action="copy", purpose="诉讼证据",
        records=stored, requester_name="某市中级人民法院", requester_org="某市中级人民法院",
        period_start=timezone.now() - timedelta(minutes=1), period_end=timezone.now() + timedelta(days=1),
        proceedings="litigation",
    )
    request = request_decide(request=request, approve=True, acting_user=people.leader)
    for record in stored:
        copy_make(request=request, version=record.versions.get(), medium="disc", extractor="书记员周某",
                  extracted_at=timezone.now(), proves="检查过程", fee="5", acting_user=people.archivist)
    disc_log_sign(request=request, place="某化工有限公司厂区", signers=["张承办", "王科长"], acting_user=people.leader)

    out = tmp_path / "out"
    call_command("access", "export", str(request.pk), "--out", str(out))
    export = Export.objects.get(request=request)
    bag_path, iso_path = out / export.package_number, out / f"{export.package_number}.iso"
    iso_sha = hashlib.sha256(iso_path.read_bytes()).hexdigest()
    assert export.iso_sha256 == iso_sha
    event = Event.objects.get(kind="access.export", data__number=request.number)
    assert event.data["iso_sha256"] == iso_sha

    bag = bagit.Bag(str(bag_path))
    bag.validate()
    cli = subprocess.run([sys.executable, "-m", "bagit", "--validate", str(bag_path)], capture_output=True, text=True,
                         timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert set(bag.algorithms) == {"sha256", "sha512"}
    names = {Path(p).name for p in bag.payload_files()}
    assert {"r0.pdf", "r1.pdf", "证据复制说明.pdf", "刻盘存储记录表.pdf", "verify_bundle.py", "README.txt"} <= names
    assert "python3 data/tools/verify_package.py" in (bag_path / "data" / "README.txt").read_text()

    ok = _verify(bag_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("台账证明成立") == 4 and "核验通过" in ok.stdout

    # The ISO holds the same files with the same hashes, under a label carrying the package number.
    on_disc = iso_files(iso_path)
    for path, digest in bag.entries.items():
        assert on_disc["/" + path] == digest["sha256"], path
    import pycdlib

    iso = pycdlib.PyCdlib()
    iso.open(str(iso_path))
    assert iso.pvd.volume_identifier.decode().strip() == volume_label(export.package_number)
    iso.close()

    # One byte changed in a file: both the bag and the verifier refuse it.
    target = bag_path / "data" / "files" / "r0.pdf"
    data = bytearray(target.read_bytes())
    data[10] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag_path)).validate()
    bad = _verify(bag_path)
    assert bad.returncode == 1 and "核验不通过" in bad.stdout and "r0.pdf" in bad.stdout


def test_a_changed_proof_fails_even_with_a_fixed_up_manifest(people, stored, tmp_path):
    """Someone who edits a proof and rewrites the manifests still fails: the proof no longer holds."""
    request = request_submit(
        acting_user=people.archivist, requester_kind="external_letter", action="copy", purpose="诉讼证据",
        records=stored[:1], requester_name="某法院", requester_org="某法院",
        period_start=timezone.now() - timedelta(minutes=1), period_end=timezone.now() + timedelta(days=1),
    )
    request = request_decide(request=request, approve=True, acting_user=people.leader)
    copy_make(request=request, version=stored[0].versions.get(), medium="file", extractor="某",
              extracted_at=timezone.now(), acting_user=people.archivist)
    call_command("access", "export", request.number, "--out", str(tmp_path / "o"))
    bag_path = next(p for p in (tmp_path / "o").iterdir() if p.is_dir())
    proof = bag_path / "data" / "proofs" / "files" / "r0.pdf.json"
    text = proof.read_text()
    proof.write_text(text.replace('"index": ', '"index": 1', 1))
    bag = bagit.Bag(str(bag_path))
    bag.save(manifests=True)
    bagit.Bag(str(bag_path)).validate()
    bad = _verify(bag_path)
    assert bad.returncode == 1 and "r0.pdf" in bad.stdout


def test_the_disc_log_takes_the_media_facts_from_the_stored_file(people, section, tmp_path):
    """003 附件3 第九条: officers, who recorded, start and end, place, device and model, format, length."""
    from access.models import DiscLog
    from access.rendering import disc_log_rows
    from equipment.services import device_register
    from records.services import record_ingest
    from records.tests.clips import make_video

    device = device_register(agency=section.agency, section=section, kind="body_camera", serial="DSJ-7",
                             model="海康 DSJ-V7")
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    clip = make_video(tmp_path / "检查.mp4", seconds=3, creation_time=start)
    version = record_ingest(acting_user=people.author, section=section, path=clip, original_name="检查.mp4",
                            device=device, officers=[people.author, people.chief]).version
    log = DiscLog(place="某化工厂区", signers=["张承办"], approved_by=people.leader, approved_at=timezone.now())
    rows = dict(disc_log_rows(version, log))
    assert rows["执法人员"] == "张承办、王科长" and rows["摄录人员"] == "张承办" and rows["摄录地点"] == "某化工厂区"
    assert "DSJ-V7" in rows["设备品牌和型号"] and "DSJ-7" in rows["设备品牌和型号"]
    assert rows["录音录像格式"].startswith("mp4") and "h264" in rows["录音录像格式"]
    assert rows["长度"] == "00:00:03"
    assert rows["摄录起止时间"].startswith(timezone.localtime(start).strftime("%Y-%m-%d %H:%M:%S"))
