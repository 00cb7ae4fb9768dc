"""The kind of a record comes from the file's content, not from what the client declares: a mismatch
on upload (multipart, resumable) is refused in Chinese and stores nothing; a dock import, which
declares nothing, takes the kind the probe finds."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from equipment.services import device_register
from ledger.models import Event
from records.models import Record, RecordVersion
from records.services import record_correct, record_ingest
from records.tests.clips import make_image, make_pdf, make_video

T0 = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)


@pytest.fixture
def officer(make_staff):
    return make_staff("officer")


def _nothing_stored(data_dir) -> bool:
    blobs = data_dir / "blobs" / "sha256"
    return (
        Record.objects.count() == 0
        and not Event.objects.filter(kind="record.create").exists()
        and not (blobs.exists() and any(p.is_file() for p in blobs.rglob("*")))
    )


def _post(client, path, **fields):
    with open(path, "rb") as fh:
        return client.post("/api/v1/records/", {"file": fh, **fields})


def test_a_text_file_posted_as_a_video_is_refused_and_nothing_is_stored(login, officer, tmp_path, _data_dir):
    text = tmp_path / "现场情况.txt"
    text.write_text("这不是录像，只是几行文字。\n" * 20, encoding="utf-8")
    response = _post(login(officer), text, kind="video", title="现场录像")
    assert response.status_code == 400, response.content.decode()
    detail = response.json()["detail"]
    assert "与所选类型“录像”不符，未存储" in detail and "无法识别为录像、录音、照片或文档的文件" in detail
    assert _nothing_stored(_data_dir)


@pytest.mark.parametrize(
    ("maker", "name", "declared", "expected"),
    [
        (lambda p: make_video(p, seconds=1, creation_time=T0), "录像.mp4", "document", None),
        (lambda p: make_video(p, seconds=1, creation_time=T0), "录像.mp4", "photo", None),
        (lambda p: make_pdf(p), "笔录.pdf", "audio", None),
        (lambda p: make_video(p, seconds=1, creation_time=T0), "录像.mp4", None, "video"),
        (lambda p: make_pdf(p), "笔录.pdf", "document", "document"),
        (lambda p: make_image(p), "送达回执.jpg", "document", "document"),  # a photographed paper page
    ],
)
def test_the_declared_kind_must_agree_with_the_content(
    login, officer, tmp_path, _data_dir, maker, name, declared, expected
):
    path = tmp_path / name
    maker(path)
    fields = {"kind": declared} if declared else {}
    response = _post(login(officer), path, **fields)
    if expected is None:
        assert response.status_code == 400
        assert "不符，未存储" in response.json()["detail"]
        assert _nothing_stored(_data_dir)
    else:
        assert response.status_code == 201, response.content.decode()
        assert response.json()["kind"] == expected


def test_a_resumable_upload_finished_with_the_wrong_kind_is_refused_and_can_be_finished_right(
    login, officer, tmp_path, _data_dir
):
    client = login(officer)
    data = make_pdf(tmp_path / "询问笔录.pdf").read_bytes()
    started = client.post(
        "/api/v1/uploads/", {"file_name": "询问笔录.pdf", "size": len(data)}, content_type="application/json"
    )
    upload_id = started.json()["id"]
    patched = client.patch(
        f"/api/v1/uploads/{upload_id}/",
        data=data,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="0",
    )
    assert patched.status_code == 200
    finish = f"/api/v1/uploads/{upload_id}/finish/"
    wrong = client.post(finish, {"kind": "video"}, content_type="application/json")
    assert wrong.status_code == 400
    assert wrong.json()["detail"].startswith("文件“询问笔录.pdf”的内容经识别是文字记录，与所选类型“录像”不符")
    assert _nothing_stored(_data_dir)
    right = client.post(finish, {"kind": "document"}, content_type="application/json")
    assert right.status_code == 201 and right.json()["kind"] == "document"


def test_a_correction_must_be_of_the_record_s_kind(officer, section, tmp_path):
    clip = make_video(tmp_path / "录像.mp4", seconds=1, creation_time=T0)
    version = record_ingest(acting_user=officer, section=section, path=clip, original_name=clip.name).version
    note = tmp_path / "说明.txt"
    note.write_text("更正内容", encoding="utf-8")
    with pytest.raises(ValidationError, match="与所选类型“录像”不符"):
        record_correct(
            acting_user=officer, record=version.record, path=note, original_name=note.name, reason="换文件"
        )
    assert RecordVersion.objects.count() == 1


def test_a_dock_import_takes_the_kind_from_the_content(agency, section, tmp_path):
    device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-0001")
    folder = tmp_path / "dock"
    folder.mkdir()
    make_image(folder / "IMG_0001.MP4")  # a picture under a video's name
    (folder / "CLIP_0002.MP4").write_text("not a clip, a text note\n" * 50, encoding="utf-8")
    call_command("ingest", str(folder), "--device", "DSJ-0001", stdout=StringIO(), stderr=StringIO())
    kinds = {
        v.original_name: (v.record.kind, v.readable) for v in RecordVersion.objects.select_related("record")
    }
    assert kinds["IMG_0001.MP4"] == ("photo", True)
    # Unrecognisable content under a video's name is kept (it is what the dock delivered) and flagged.
    kind, readable = kinds["CLIP_0002.MP4"]
    assert readable is False
    (version,) = RecordVersion.objects.filter(original_name="CLIP_0002.MP4")
    assert [f["code"] for f in version.findings if f["code"] == "unreadable"] == ["unreadable"]
    assert kind == "video"
