"""bench/province.py's generator (PostgreSQL): the events it makes in the server are a ledger the
product could have written (leaves numbered without gaps, actors of their own agency, subjects that
exist, times within the span), the indexes dropped for the load come back, and a load that would
fill the disk adds nothing."""

import json
import random
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def province():
    if connection.vendor != "postgresql":
        pytest.skip("bench/province.py 生成数据用 PostgreSQL 的 generate_series，只在 PostgreSQL 上运行")
    saved = list(sys.path)
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import province as module
    finally:
        sys.path[:] = saved  # bench/ holds a ledger.py and a portal.py: not left on the path
    with connection.cursor() as cursor:
        org = module.generate_org(cursor.cursor, 3, random.Random(5))
        module.generate_matters(cursor.cursor, org["layout"], 60, random.Random(5))
    return module


def _indexes(cursor) -> set[str]:
    cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'ledger_event'")
    return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_events_generated_in_the_server_form_a_plausible_ledger(province, monkeypatch):
    monkeypatch.setattr(province, "EVENTS_BATCH", 1000)  # three statements, indexes dropped and rebuilt
    with connection.cursor() as cursor:
        before = _indexes(cursor)
        start = province.event_count(cursor)
        made = province.generate_events(cursor.cursor, 2500)
        assert made["added"] == 2500
        assert province.event_count(cursor) == start + 2500
        assert _indexes(cursor) == before
        cursor.execute(
            "SELECT COUNT(*), COUNT(DISTINCT index), MIN(index), MAX(index), COUNT(DISTINCT leaf_hash),"
            " COUNT(DISTINCT kind), COUNT(DISTINCT actor_id), COUNT(DISTINCT agency_id), MIN(created_at),"
            " MAX(created_at) FROM ledger_event WHERE index >= %s",
            [start],
        )
        n, distinct, first, last, leaves, kinds, actors, agencies, earliest, latest = cursor.fetchone()
        assert (n, distinct, first, last, leaves) == (2500, 2500, start, start + 2499, 2500)
        # Drawn per row, not once per statement.
        assert kinds == len(province.EVENT_KINDS) and actors > 20 and agencies == 3
        assert province.START <= earliest < latest <= province.NOW
        cursor.execute(
            "SELECT COUNT(*) FROM ledger_event e JOIN org_staff s ON s.id = e.actor_id"
            " WHERE e.index >= %s AND s.agency_id = e.agency_id AND s.frontline",
            [start],
        )
        assert cursor.fetchone()[0] == 2500
        cursor.execute(
            "SELECT COUNT(*), COUNT(m.id) FROM ledger_event e LEFT JOIN matters_matter m"
            " ON m.id::text = e.subject_id WHERE e.index >= %s AND e.subject_type = 'matters.matter'",
            [start],
        )
        of_matters, found = cursor.fetchone()
        assert of_matters > 1000 and found == of_matters
        cursor.execute(
            "SELECT kind, subject_type, subject_id, created_at, entry, leaf_hash, data FROM ledger_event"
            " WHERE index >= %s ORDER BY index LIMIT 50",
            [start],
        )
        kinds_of = {kind: subject_type for kind, subject_type, _ in province.EVENT_KINDS}
        for kind, subject_type, subject_id, created_at, entry, leaf, data in cursor.fetchall():
            assert kinds_of[kind] == subject_type
            assert json.loads(entry) == {
                "kind": kind,
                "subject": f"{subject_type}:{subject_id}",
                "at": created_at.isoformat(),
            }
            assert len(leaf) == 64 and int(leaf, 16) >= 0
            assert json.loads(data) == ({"purpose": "查看执法事项"} if kind.endswith("view") else {})


@pytest.mark.django_db
def test_a_load_that_would_fill_the_disk_adds_nothing(province, monkeypatch, tmp_path):
    import shutil

    usage = shutil.disk_usage(tmp_path)._replace(free=11 * 2**30)  # 1 GiB over the 10 GiB reserve
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)
    with connection.cursor() as cursor:
        start = province.event_count(cursor)
        province.check_disk(cursor, tmp_path, 1000)  # 1,000 events fit
        with pytest.raises(SystemExit, match="not enough disk for 2,000,000 more events"):
            province.check_disk(cursor, tmp_path, 2_000_000)
        assert province.event_count(cursor) == start


@pytest.mark.django_db
def test_the_people_measured_are_an_officer_and_the_chief_of_one_section(province):
    with connection.cursor() as cursor:
        people = province.pick_people(cursor)
    officer, chief = people["officer"], people["chief"]
    assert officer.frontline and officer.section_id == chief.section_id
    assert officer.agency.name.startswith("省基准第")
    assert chief.role_assignments.filter(role="section_chief").exists()
