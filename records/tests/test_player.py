"""The record page knows its case and plays its file (issue 13 item 7): range requests on the
file store and on S3 (moto), one logged read per playback, a second upload said to be stored."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from matters.models import Matter, Step
from records.services import record_ingest
from records.tests.clips import make_video
from review.tests.helpers import make_party

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_staff):
    return make_staff("officer")


@pytest.fixture
def clip(officer, section, tmp_path):
    path = make_video(tmp_path / "现场检查.mp4", seconds=2)
    return record_ingest(acting_user=officer, section=section, path=path, original_name=path.name).version


def _player_url(page: str) -> str:
    found = re.search(r'<video id="player"[^>]*src="([^"]+)"', page)
    assert found, "no player on the page"
    return found.group(1).replace("&amp;", "&")


def _plays(record) -> int:
    return Event.objects.filter(kind="record.play", subject_id=str(record.pk)).count()


def _ranges(client, url, version):
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    data = b"".join(whole.streaming_content)
    assert len(data) == version.size
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{version.size}"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == data[-10:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={version.size}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{version.size}"


def test_player_serves_ranges_from_the_file_store_and_logs_one_read_per_playback(login, officer, clip):
    client = login(officer)
    page = client.get(reverse("records:detail", args=[clip.record_id])).content.decode()
    url = _player_url(page)
    _ranges(client, url, clip)
    assert _plays(clip.record) == 1  # four requests of one playback: one read
    again = _player_url(client.get(reverse("records:detail", args=[clip.record_id])).content.decode())
    assert again != url
    client.get(again, HTTP_RANGE="bytes=0-1")
    assert _plays(clip.record) == 2
    direct = reverse("records:media", args=[clip.record_id, clip.number])
    for _ in range(2):  # without the page's playback id each request is a read of its own
        assert client.get(direct, {"p": "x"}, HTTP_RANGE="bytes=0-1").status_code == 206
    assert _plays(clip.record) == 4


def test_player_serves_ranges_from_s3(login, officer, section, tmp_path, make_s3_store, monkeypatch):
    store = make_s3_store()
    monkeypatch.setattr("records.services.blob_store", lambda: store)
    monkeypatch.setattr("records.selectors.blob_store", lambda: store)
    path = make_video(tmp_path / "扣押.mp4", seconds=2)
    version = record_ingest(acting_user=officer, section=section, path=path, original_name=path.name).version
    assert store.exists(version.sha256)
    client = login(officer)
    url = _player_url(client.get(reverse("records:detail", args=[version.record_id])).content.decode())
    _ranges(client, url, version)


def test_player_refuses_another_sections_record_and_logs_it(make_staff, clip, login, agency):
    from org.tests.factories import SectionFactory

    other = make_staff("officer", section=SectionFactory(agency=agency, name="另一科室"))
    url = reverse("records:media", args=[clip.record_id, clip.number])
    response = login(other).get(url, {"p": "0" * 32}, HTTP_RANGE="bytes=0-9")
    assert response.status_code == 403
    assert _plays(clip.record) == 0
    assert Event.objects.filter(kind="record.denied", subject_id=str(clip.record_id)).exists()


def test_record_page_knows_its_case_and_retention(login, officer, agency, section, clip):
    party = make_party(agency)
    matter = Matter.objects.create(
        agency=agency, section=section, kind="compulsion", workflow="compulsion", state="in_force",
        title="某仓库查封案", party=party, opened_by=officer, opened_at=timezone.now(),
    )
    step = Step.objects.create(matter=matter, transition="seal", label="查封、扣押", from_state="registered",
                               to_state="in_force", occurred_at=timezone.now(), acted_by=officer)
    step.records.add(clip.record)
    page = login(officer).get(reverse("records:detail", args=[clip.record_id])).content.decode()
    case = page.split('id="record-case"')[1].split("</td>")[0]
    assert reverse("matters:detail", args=[matter.pk]) in case and "查封、扣押" in case and party.name in case
    retention = page.split('id="record-retention"')[1].split("</td>")[0]
    assert re.search(r"至少保存至 \d{4}-\d{2}-\d{2}", retention) and "第" in retention
    assert "随案卷" in retention


def test_second_upload_of_the_same_bytes_keeps_the_name_and_says_so(login, officer, clip):
    client = login(officer)
    with open(_path_of(clip), "rb") as fh:
        data = fh.read()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/v1/records/", {"file": SimpleUploadedFile("另存为.mp4", data), "title": "再次上传"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == clip.record_id
    assert body["already_stored"]["name"] == "另存为.mp4" and "此前已经存储" in body["already_stored"]["message"]
    page = client.get(reverse("records:detail", args=[clip.record_id]), {"delivered": "另存为.mp4"})
    notice = page.content.decode().split('id="already-stored"')[1].split("</ul>")[0]
    assert "此前已经存储" in notice and "新文件名已记入本记录" in notice


def _path_of(version):
    from records.storage import blob_store

    return blob_store().path(version.sha256)


def test_proof_bundle_is_a_chinese_page_with_a_download(login, officer, clip):
    import json

    event = Event.objects.get(kind="record.create", subject_id=str(clip.record_id))
    client = login(officer)
    detail = client.get(reverse("records:detail", args=[clip.record_id])).content.decode()
    url = reverse("records:proof", args=[clip.record_id, event.index])
    assert url in detail
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "台账事件证明包" in html and "登记存储" in html and "如何核验" in html and 'id="proof-download"' in html
    download = client.get(url, {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment")
    bundle = json.loads(download.content)
    assert bundle["leaf"]["index"] == event.index and bundle["inclusion_proof"] is not None
    reads = Event.objects.filter(kind="record.view", subject_id=str(clip.record_id))
    assert sum("证明包" in e.data["purpose"] for e in reads) == 2
    # An index of another record's event is not this record's proof.
    assert client.get(reverse("records:proof", args=[clip.record_id, event.index + 999])).status_code == 404
