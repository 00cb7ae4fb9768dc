"""The records API: multipart upload, the resumable upload protocol, downloads with a purpose and
a record's ledger history, as an HTTP client sees them."""

import hashlib
import io
import itertools
import os
from datetime import UTC, datetime

import pytest

from ledger.models import Event
from org.tests.factories import SectionFactory
from records.choices import Confidentiality
from records.models import Record, RecordVersion, Upload
from records.services import record_ingest
from records.tests.clips import make_pdf, make_video

T0 = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)
OCTET = "application/offset+octet-stream"


@pytest.fixture
def officer(make_staff):
    return make_staff("officer")


@pytest.fixture
def clip(tmp_path):
    return make_video(tmp_path / "现场检查.mp4", seconds=1, creation_time=T0)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _post_file(client, path, **fields):
    with open(path, "rb") as fh:
        return client.post("/api/v1/records/", {"file": fh, **fields})


# --- multipart upload ------------------------------------------------------------------------------------


def test_multipart_upload_creates_a_record_and_the_same_file_again_returns_it(login, officer, section, clip):
    client = login(officer)
    response = _post_file(client, clip, title="现场检查录像")
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["title"] == "现场检查录像" and body["kind"] == "video"
    assert body["section"] == section.pk and body["created_by"] == officer.pk
    assert body["confidentiality"] == "normal"
    (version,) = body["versions"]
    assert version["number"] == 1 and version["superseded"] is False
    assert version["sha256"] == _sha(clip.read_bytes())
    assert version["size"] == clip.stat().st_size
    assert version["original_name"] == "现场检查.mp4"
    assert version["source"] == "api" and version["readable"] is True
    assert version["recorded_start"].startswith("2026-05-06T17:30:00")  # Shanghai time

    again = _post_file(client, clip)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Record.objects.count() == 1


def test_a_multipart_upload_larger_than_the_memory_limit_is_read_from_disk(
    login, officer, tmp_path, settings
):
    # Django spools such uploads to a temporary file instead of holding them in memory.
    big = tmp_path / "大文件.mp4"
    big.write_bytes(os.urandom(settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 4096))
    response = _post_file(login(officer), big)
    assert response.status_code == 201
    assert response.json()["versions"][0]["sha256"] == _sha(big.read_bytes())


def test_multipart_upload_refusals_are_chinese_and_store_nothing(login, officer, tmp_path):
    client = login(officer)
    empty = tmp_path / "空.pdf"
    empty.write_bytes(b"")
    response = _post_file(client, empty)
    assert response.status_code == 400
    assert "文件" in response.json()["detail"]
    assert Record.objects.count() == 0


def test_upload_for_another_section_is_refused(login, officer, agency, tmp_path):
    other = SectionFactory(agency=agency, name="执法监察二大队")
    response = _post_file(login(officer), make_pdf(tmp_path / "a.pdf"), section=other.pk)
    assert response.status_code == 403
    assert response.json()["detail"] == "只能为本科室登记执法记录。"
    assert Record.objects.count() == 0


def test_a_role_that_may_not_file_is_refused(login, make_staff, tmp_path):
    archivist = make_staff("archivist")
    response = _post_file(login(archivist), make_pdf(tmp_path / "a.pdf"))
    assert response.status_code == 403
    assert "需要以下角色之一" in response.json()["detail"]


# --- resumable upload -------------------------------------------------------------------------------------


def _start(client, name, size):
    return client.post("/api/v1/uploads/", {"file_name": name, "size": size}, content_type="application/json")


def _patch(client, upload_id, offset, data):
    return client.patch(
        f"/api/v1/uploads/{upload_id}/", data=data, content_type=OCTET, HTTP_UPLOAD_OFFSET=str(offset)
    )


def test_resumable_upload_end_to_end(login, officer, clip, _data_dir):
    client = login(officer)
    data = clip.read_bytes()
    half = len(data) // 2

    started = _start(client, "断点续传.mp4", len(data))
    assert started.status_code == 201
    upload_id = started.json()["id"]
    assert started.json() == {
        "id": upload_id,
        "file_name": "断点续传.mp4",
        "size": len(data),
        "received": 0,
        "record": None,
    }
    part = _data_dir / "uploads" / f"{upload_id}.part"
    assert part.exists() and part.stat().st_size == 0

    first = _patch(client, upload_id, 0, data[:half])
    assert first.status_code == 200 and first.json()["received"] == half
    assert part.read_bytes() == data[:half]

    # Too early: the file is not complete.
    early = client.post(f"/api/v1/uploads/{upload_id}/finish/", {}, content_type="application/json")
    assert early.status_code == 400
    assert early.json()["detail"] == f"文件尚未上传完整（{half}/{len(data)} 字节）。"

    # A piece for the wrong offset is refused and changes nothing.
    wrong = _patch(client, upload_id, half + 10, data[half + 10 :])
    assert wrong.status_code == 400
    detail = wrong.json()["detail"]
    assert f"服务器已接收 {half} 字节" in detail and f"请从 {half} 字节处续传" in detail
    again = _patch(client, upload_id, 0, data[:half])
    assert again.status_code == 400
    assert part.read_bytes() == data[:half]

    # After a dropped connection the client asks where to resume.
    state = client.get(f"/api/v1/uploads/{upload_id}/")
    assert state.status_code == 200 and state.json()["received"] == half

    rest = _patch(client, upload_id, half, data[half:])
    assert rest.status_code == 200 and rest.json()["received"] == len(data)

    # More than the declared size is refused.
    over = _patch(client, upload_id, len(data), b"x")
    assert over.status_code == 400 and over.json()["detail"] == "本次上传的数据长度不正确。"

    finished = client.post(
        f"/api/v1/uploads/{upload_id}/finish/", {"title": "续传录像"}, content_type="application/json"
    )
    assert finished.status_code == 201, finished.content.decode()
    body = finished.json()
    assert body["title"] == "续传录像"
    (version,) = body["versions"]
    assert version["sha256"] == _sha(data) and version["original_name"] == "断点续传.mp4"
    assert version["source"] == "upload"
    assert not part.exists()
    assert Upload.objects.get(pk=upload_id).version.sha256 == _sha(data)
    assert client.get(f"/api/v1/uploads/{upload_id}/").json()["record"] == body["id"]

    # Finishing twice returns the same record; appending after the finish is refused.
    twice = client.post(f"/api/v1/uploads/{upload_id}/finish/", {}, content_type="application/json")
    assert twice.status_code == 200 and twice.json()["id"] == body["id"]
    late = _patch(client, upload_id, len(data), b"x")
    assert late.status_code == 400 and late.json()["detail"] == "该上传已完成。"
    assert RecordVersion.objects.count() == 1


def test_an_upload_of_content_already_stored_returns_the_record(login, officer, section, clip):
    existing = record_ingest(acting_user=officer, section=section, path=clip, original_name=clip.name).version
    client = login(officer)
    data = clip.read_bytes()
    upload_id = _start(client, "copy.mp4", len(data)).json()["id"]
    assert _patch(client, upload_id, 0, data).status_code == 200
    finished = client.post(f"/api/v1/uploads/{upload_id}/finish/", {}, content_type="application/json")
    assert finished.status_code == 200 and finished.json()["id"] == existing.record_id
    assert Record.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "size", "message"),
    [
        ("a.mp4", 0, "空文件"),
        ("a/b.mp4", 10, "路径分隔符或控制字符"),
        ("a\tb.mp4", 10, "路径分隔符或控制字符"),
        ("a.mp4", 2**50, "超过系统上限"),
    ],
)
def test_an_upload_is_refused_at_the_start(login, officer, name, size, message):
    response = _start(login(officer), name, size)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Upload.objects.exists()


def test_another_user_cannot_see_or_continue_someones_upload(login, officer, make_staff, client):
    upload_id = _start(login(officer), "a.mp4", 100).json()["id"]
    client.logout()
    colleague = make_staff("officer")
    login(colleague)
    message = "您没有权限访问该上传会话：它不存在，或不是您发起的。"
    assert client.get(f"/api/v1/uploads/{upload_id}/").json() == {"detail": message}
    assert client.get(f"/api/v1/uploads/{upload_id}/").status_code == 403
    response = _patch(client, upload_id, 0, b"x" * 10)
    assert response.status_code == 403 and response.json()["detail"] == message
    finish = client.post(f"/api/v1/uploads/{upload_id}/finish/", {}, content_type="application/json")
    assert finish.status_code == 403
    assert Upload.objects.get(pk=upload_id).received == 0


def test_a_patch_without_the_offset_header_is_refused(login, officer):
    client = login(officer)
    upload_id = _start(client, "a.mp4", 100).json()["id"]
    response = client.patch(f"/api/v1/uploads/{upload_id}/", data=b"x" * 10, content_type=OCTET)
    assert response.status_code == 400
    assert response.json()["detail"] == "缺少 Upload-Offset 或 Content-Length 请求头。"


# --- downloads and history --------------------------------------------------------------------------------


@pytest.fixture
def record(officer, section, clip):
    return record_ingest(
        acting_user=officer, section=section, path=clip, original_name=clip.name
    ).version.record


def test_download_returns_the_bytes_and_is_logged_with_the_purpose(login, officer, record, clip):
    client = login(officer)
    url = f"/api/v1/records/{record.pk}/versions/1/content/"
    response = client.get(url, {"purpose": "案件审理"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == clip.read_bytes()
    assert "attachment" in response["Content-Disposition"]
    event = Event.objects.get(kind="record.download")
    assert event.actor == officer and event.subject_id == str(record.pk)
    assert event.data["purpose"] == "案件审理" and event.data["version"] == 1

    missing = client.get(url)
    assert missing.status_code == 400
    assert missing.json()["detail"] == "下载记录须填写用途。"
    assert Event.objects.filter(kind="record.download").count() == 1


def test_retrieve_logs_a_view_and_history_lists_the_events(login, officer, record):
    client = login(officer)
    detail = client.get(f"/api/v1/records/{record.pk}/", {"purpose": "执法监督"})
    assert detail.status_code == 200 and detail.json()["id"] == record.pk
    assert (
        client.get(f"/api/v1/records/{record.pk}/versions/1/content/", {"purpose": "复核"}).status_code == 200
    )

    history = client.get(f"/api/v1/records/{record.pk}/history/")
    assert history.status_code == 200
    assert history.json()["count"] == 4 and history.json()["next"] is None
    rows = history.json()["results"]
    # Reading the history is itself a logged read.
    assert [r["kind"] for r in rows] == ["record.create", "record.view", "record.download", "record.view"]
    assert rows[-1]["data"]["purpose"] == "查看台账历史"
    assert rows[1]["data"] == {"purpose": "执法监督"} and rows[1]["actor"] == officer.name
    assert rows[0]["data"]["sha256"] == record.versions.get().sha256
    assert rows[0]["index"] < rows[1]["index"] < rows[2]["index"]


def test_history_pages_the_newest_events_back_to_the_first_each_read_logged_once(login, officer, record):
    """Over 100 events: the newest 100 first (as the record page shows them), then older pages through
    the `next` cursor, which stays put while new reads are logged."""
    from records.selectors import record_view

    for i in range(230):
        record_view(viewer=officer, pk=record.pk, purpose=f"复核{i}")
    client = login(officer)
    url = f"/api/v1/records/{record.pk}/history/"
    views = Event.objects.filter(kind="record.view", data__purpose="查看台账历史")
    first = client.get(url)
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 232 and len(body["results"]) == 100
    assert body["results"][-1]["data"] == {"purpose": "查看台账历史"}  # this read, newest, listed last
    assert body["results"][0]["data"] == {"purpose": "复核131"}
    pages = [body["results"]]
    while body["next"]:
        assert body["next"].startswith("http://testserver/api/v1/records/") and "events_before=" in body["next"]
        logged = views.count()
        body = client.get(body["next"]).json()
        assert views.count() == logged + 1  # each page read is one logged read
        pages.append(body["results"])
    assert [len(p) for p in pages] == [100, 100, 32]
    rows = [r for p in reversed(pages) for r in p]
    assert rows[0]["kind"] == "record.create"
    assert [r["data"].get("purpose") for r in rows[1:231]] == [f"复核{i}" for i in range(230)]
    assert all(a["index"] < b["index"] for a, b in itertools.pairwise(rows))
    assert views.last().data == {"purpose": "查看台账历史", "events_before": Event.objects.get(
        kind="record.view", data__purpose="复核31").pk}

    small = client.get(url, {"limit": 5}).json()
    assert len(small["results"]) == 5 and "limit=5" in small["next"]
    assert client.get(small["next"]).json()["results"][-1]["index"] == small["results"][0]["index"] - 1


def test_history_paging_refuses_bad_parameters_in_chinese_and_logs_nothing(login, officer, record, section, clip,
                                                                             tmp_path):
    other = record_ingest(acting_user=officer, section=section, path=make_pdf(tmp_path / "笔录.pdf"),
                          original_name="笔录.pdf").version.record
    foreign = Event.objects.filter(subject_id=str(other.pk), kind="record.create").get()
    client = login(officer)
    url = f"/api/v1/records/{record.pk}/history/"
    count = Event.objects.count()
    for params, fragment in [
        ({"limit": "0"}, "limit（每页事件数）应为 1 到 1000 的整数"),
        ({"limit": "1001"}, "1 到 1000"),
        ({"limit": "十"}, "收到“十”"),
        ({"events_before": "-3"}, "events_before（事件编号）应为"),
        ({"events_before": "9" * 40}, "events_before"),
        ({"events_before": str(foreign.pk)}, "不是该记录台账历史中的事件"),
    ]:
        response = client.get(url, params)
        assert response.status_code == 400, params
        assert fragment in response.json()["detail"], (params, response.json())
    assert Event.objects.count() == count


def test_history_pages_through_events_waiting_for_the_sequencer(login, officer, record, settings):
    """Events not numbered yet come last; a cursor on one of them pages on through the numbered ones."""
    from django.core.management import call_command

    from records.selectors import record_view

    settings.ZHIFA_LEDGER_INTEGRATE = "worker"
    settings.ZHIFA_LEDGER_CHECKPOINT_INTERVAL = 0
    for i in range(4):
        record_view(viewer=officer, pk=record.pk, purpose=f"待入账{i}")
    call_command("ledger", "sequence", stdout=io.StringIO())
    for i in range(4):
        record_view(viewer=officer, pk=record.pk, purpose=f"未入账{i}")
    client = login(officer)
    body = client.get(f"/api/v1/records/{record.pk}/history/", {"limit": 3}).json()
    pages = [body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        pages.append(body["results"])
    rows = [r for p in reversed(pages) for r in p]
    purposes = [r["data"].get("purpose") for r in rows]
    assert purposes == [None, *[f"待入账{i}" for i in range(4)], *[f"未入账{i}" for i in range(4)], "查看台账历史"]
    assert [r["ledger"] for r in rows] == ["已入账"] * 5 + ["待入账"] * 5
    assert [len(p) for p in pages] == [3, 3, 3, 1]


def test_an_officer_of_another_section_cannot_read_through_the_api(login, record, agency, make_staff):
    other = SectionFactory(agency=agency, name="执法监察二大队")
    client = login(make_staff("officer", section=other))
    for url, params in [
        (f"/api/v1/records/{record.pk}/", {}),
        (f"/api/v1/records/{record.pk}/history/", {}),
        (f"/api/v1/records/{record.pk}/versions/1/content/", {"purpose": "看看"}),
    ]:
        response = client.get(url, params)
        assert response.status_code == 403, url
        assert "批准" in response.json()["detail"]
    assert client.get("/api/v1/records/").json()["results"] == []
    assert not Event.objects.filter(kind__in=["record.view", "record.download"]).exists()


def test_an_unknown_record_is_a_404(login, officer):
    response = login(officer).get("/api/v1/records/999999/")
    assert response.status_code == 404


def test_an_unknown_version_is_a_404(login, officer, record):
    response = login(officer).get(f"/api/v1/records/{record.pk}/versions/7/content/", {"purpose": "核对"})
    assert response.status_code == 404


def test_posting_a_known_file_does_not_disclose_a_record_the_poster_may_not_read(
    login, make_staff, agency, section, tmp_path
):
    filer = make_staff("officer")
    path = make_pdf(tmp_path / "机密.pdf", text="secret")
    record_ingest(
        acting_user=filer,
        section=section,
        path=path,
        original_name=path.name,
        title="某涉密项目检查录像",
        confidentiality=Confidentiality.SECRET,
    )
    other = SectionFactory(agency=agency, name="执法监察二大队")
    response = _post_file(login(make_staff("officer", section=other)), path)
    assert "某涉密项目检查录像" not in response.content.decode()
