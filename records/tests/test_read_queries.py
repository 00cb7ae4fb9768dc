"""What a logged read of a record page costs: its queries are pinned here, so that they do not
creep back one relation at a time. Counted as production runs it (ZHIFA_LEDGER_INTEGRATE=worker:
the request writes its event; the sequencer numbers it elsewhere)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import override_settings

from ledger.models import Event
from ledger.services import event_record
from records.services import record_correct, record_ingest
from records.storage import blob_store
from records.tests.clips import make_video

T0 = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)

# session, staff, roles, the record with whether the viewer may read it and whether a disposal
# removed files of it, the read's event, versions (with the versions they supersede and are
# superseded by, and whether they have other names or an open interruption: here none, so neither
# is read), the explanations of the version with findings, the matters' steps, the agency's rule
# supplements, the calendar's arrangements, the reminder bell, the newest history.
LOGGED_READ_QUERIES = 12


@pytest.fixture
def officer(make_staff):
    return make_staff("officer")


@pytest.fixture
def corrected_clip(officer, section, tmp_path):
    first = make_video(tmp_path / "夜间检查.mp4", seconds=1, creation_time=T0)
    record = record_ingest(
        acting_user=officer,
        section=section,
        path=first,
        original_name=first.name,
        filed_at=T0 + timedelta(hours=3),
    ).version.record
    second = make_video(tmp_path / "夜间检查-完整.mp4", seconds=1, creation_time=T0 + timedelta(seconds=5))
    record_correct(
        acting_user=officer,
        record=record,
        path=second,
        original_name=second.name,
        reason="原文件缺少最后一段",
    )
    return record


class Counter:
    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)

    def statements(self) -> list[str]:  # a test's savepoints stand for the request's own transaction
        return [s for s in self.sql if "SAVEPOINT" not in s]


@override_settings(ZHIFA_LEDGER_INTEGRATE="worker")
def test_a_logged_record_read_costs_a_fixed_number_of_queries(login, officer, corrected_clip):
    client = login(officer)
    url = f"/records/{corrected_clip.pk}/"
    client.get(url)  # the first request of a session may touch more (its language, the session row)
    counts = []
    for _ in range(2):  # the same with one more read in the history
        counter = Counter()
        with connection.execute_wrapper(counter):
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(counter.statements()))
    assert counts == [LOGGED_READ_QUERIES] * 2
    # Each read is still one ledger event, written by the request itself.
    assert (
        Event.objects.filter(kind="record.view", subject_id=str(corrected_clip.pk), actor=officer).count()
        == 3
    )
    assert sum(s.startswith("INSERT INTO") and "ledger_event" in s for s in counter.sql) == 1


@override_settings(ZHIFA_LEDGER_INTEGRATE="worker")
def test_the_page_shows_the_newest_history_and_offers_the_rest(login, officer, corrected_clip):
    """A record read every day gathers thousands of read events: the page shows the newest 100,
    says how many earlier ones it leaves out, and shows all of them on request."""
    from records.views import HISTORY_SHOWN

    with transaction.atomic():
        for n in range(HISTORY_SHOWN):
            event_record(
                kind="record.view", subject=corrected_clip, acting_user=officer, data={"purpose": f"第{n}次"}
            )
    total = Event.objects.filter(subject_type="records.record", subject_id=str(corrected_clip.pk)).count() + 1
    client = login(officer)
    html = client.get(f"/records/{corrected_clip.pk}/").content.decode()
    assert f"以下为最近 {HISTORY_SHOWN} 条；更早的 {total - HISTORY_SHOWN} 条未显示。" in html
    assert "第99次" in html and "原文件缺少最后一段" not in html.split("<h2>台账记录</h2>")[1]
    everything = client.get(f"/records/{corrected_clip.pk}/?history=all").content.decode()
    section = everything.split("<h2>台账记录</h2>")[1]
    # every event, with this second read and the table's header row
    assert "条未显示" not in section and section.count("<tr>") == (total + 1) + 1


# session, staff, roles, the record (with whether the viewer may read it, and its agency), the read's
# event, the versions (with whether a later one supersedes them and whether they have other names),
# the officers; one more when a version has other names (with their devices). It was 7 plus 2 per
# version (whether it is superseded, its other names).
API_READ_QUERIES = 7


@override_settings(ZHIFA_LEDGER_INTEGRATE="worker")
def test_a_logged_api_read_costs_a_fixed_number_of_queries_however_many_versions(
    login, officer, make_staff, corrected_clip, tmp_path
):
    from equipment.services import device_register
    from records.api import RecordSerializer
    from records.models import Record

    client = login(officer)
    url = f"/api/v1/records/{corrected_clip.pk}/"

    def read() -> tuple[int, dict]:
        counter = Counter()
        with connection.execute_wrapper(counter):
            response = client.get(url)
        assert response.status_code == 200
        assert sum(s.startswith("INSERT INTO") and "ledger_event" in s for s in counter.sql) == 1
        return len(counter.statements()), response.json()

    client.get(url)  # the first request of a session may touch more
    assert read()[0] == API_READ_QUERIES
    # Another name for the first version's bytes, from a device, two officers, and a third version.
    camera = device_register(agency=officer.agency, section=officer.section, kind="body_camera", serial="CAM-Q-1")
    first = corrected_clip.versions.get(number=1)
    copy = tmp_path / "夜间检查-副本.mp4"
    copy.write_bytes(blob_store().open(first.sha256).read())
    assert not record_ingest(
        acting_user=officer, section=officer.section, path=copy, original_name=copy.name, device=camera,
        filed_at=T0 + timedelta(hours=4),
    ).created  # fmt: skip
    corrected_clip.officers.set([officer, make_staff("officer")])
    third = make_video(tmp_path / "夜间检查-终版.mp4", seconds=1, creation_time=T0 + timedelta(seconds=9))
    record_correct(acting_user=officer, record=corrected_clip, path=third, original_name=third.name, reason="再次补全")
    count, body = read()
    assert count == API_READ_QUERIES + 1
    assert [v["superseded"] for v in body["versions"]] == [True, True, False]
    assert body["versions"][0]["duplicates"][0]["device"] == "CAM-Q-1" and len(body["officers"]) == 2
    # The same JSON as the plain serializer gives for the record read without any of the above.
    assert body == json.loads(json.dumps(RecordSerializer(Record.objects.get(pk=corrected_clip.pk)).data))
    # Each read is a ledger event of its own, written by the request.
    assert Event.objects.filter(kind="record.view", subject_id=str(corrected_clip.pk), actor=officer).count() == 3


def test_the_benchs_unlogged_api_baseline_is_the_same_read_without_its_event(
    login, officer, corrected_clip, settings, monkeypatch
):
    """bench/reads.py --api compares the logged detail with this bench-only route: it must serve the
    same JSON through the product's own view, and write no event."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "bench" / "site"))
    settings.ROOT_URLCONF = "reads_urls"
    client = login(officer)
    views = Event.objects.filter(kind="record.view", subject_id=str(corrected_clip.pk))
    logged = client.get(f"/api/v1/records/{corrected_clip.pk}/")
    assert logged.status_code == 200 and views.count() == 1
    unlogged = client.get(f"/bench/unlogged/api/v1/records/{corrected_clip.pk}/")
    assert unlogged.status_code == 200 and unlogged.json() == logged.json() and views.count() == 1
