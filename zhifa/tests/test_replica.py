"""The portal reads from a real PostgreSQL streaming replica, and failover (README "Several machines").

The test database's server runs without WAL for replicas (tools/pgserver.py: wal_level=minimal), so
the test starts its own primary with replication (the test database's schema copied with pg_dump)
and a hot-standby replica of it (pg_basebackup -R, a slot), points Django's `default` at the primary
and adds the `replica` alias and the router, as DATABASE_REPLICA_URL would. It proves that the
portal's pages are served from the replica, that a take-down never shows once it has returned even
while the replica has not replayed it, that a stopped replica leaves the portal answering from the
primary (with a warning), and that the promoted replica takes writes. Marked `stack`: CI's PostgreSQL
pass only.
"""

import contextlib
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.db.utils import ConnectionDoesNotExist, load_backend
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from publicity.models import Publication
from publicity.tests.helpers import draft, publish
from tools import pgserver
from utilities import dbrouter

ROOT = Path(__file__).resolve().parents[2]
REPLICA = dbrouter.REPLICA

pytestmark = pytest.mark.stack


def _quiet(_message: str) -> None:
    pass


def _where(server) -> dict:
    return {"NAME": "zhifa", "HOST": server.host, "PORT": server.port, "USER": "zhifa", "PASSWORD": ""}


def _point_default(server) -> None:
    connection.close()
    connection.settings_dict.update(_where(server))


def _add_replica_alias(server) -> None:
    """The `replica` connection, made here rather than in settings.DATABASES: Django's test guard
    lets a test use a connection it creates itself (this one reaches a cluster of the test's own)."""
    settings_dict = {**connection.settings_dict, **_where(server)}
    connections[REPLICA] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, REPLICA)


def _drop_replica_alias() -> None:
    with contextlib.suppress(AttributeError, ConnectionDoesNotExist):
        connections[REPLICA].close()
        del connections[REPLICA]


def _replay(replica, *, paused: bool) -> None:
    """Pause or resume the replica's replay; a pause is only requested, so wait until it holds."""
    call = "pg_wal_replay_pause()" if paused else "pg_wal_replay_resume()"
    result = pgserver._psql(Path(replica.bindir), replica.port, "-c", f"SELECT {call}")
    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 10
    while paused:
        state = pgserver._psql(Path(replica.bindir), replica.port, "-c", "SELECT pg_get_wal_replay_pause_state()")
        if state.stdout.strip() == "paused":
            return
        assert time.monotonic() < deadline, "the replica's replay did not pause within 10 s"
        time.sleep(0.02)


@pytest.fixture
def cluster(tmp_path):
    """A primary with replication holding the test database's schema, and a streaming replica of it;
    Django's default connection on the primary and the replica's alias and router, for the test."""
    if connection.vendor != "postgresql":
        pytest.skip("streaming replication is PostgreSQL's (CI's second pass)")
    s = dict(connection.settings_dict)
    with contextlib.ExitStack() as stack:
        primary = stack.enter_context(pgserver.running_server(log=_quiet, replication=True))
        pgserver.copy_database(primary, s, tmp_path / "schema.pgdump")
        replica = pgserver.start_replica(primary, log=_quiet)
        servers = {"primary": primary, "replica": replica}
        stack.callback(lambda: pgserver.stop_server(servers["replica"], log=_quiet))
        saved = dict(connection.settings_dict)
        try:
            _point_default(primary)
            _add_replica_alias(replica)
            dbrouter.replica_reset()
            with override_settings(ZHIFA_READ_REPLICA=True, DATABASE_ROUTERS=["utilities.dbrouter.ReplicaRouter"]):
                yield servers
        finally:
            _drop_replica_alias()
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
            dbrouter.replica_reset()


def _replica_queries(client: Client, url: str) -> tuple[str, list[str]]:
    """The page's text and the SQL it ran on the replica."""
    with CaptureQueriesContext(connections[REPLICA]) as ran:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), [q["sql"] for q in ran.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_portal_reads_the_replica_never_shows_a_take_down_and_survives_failover(cluster, caplog):
    from org.tests.factories import AgencyFactory, SectionFactory, StaffFactory

    primary, replica = cluster["primary"], cluster["replica"]
    agency = AgencyFactory()
    section = SectionFactory(agency=agency)
    officer = StaffFactory(roles=("officer",), agency=agency, section=section)
    reviewer = StaffFactory(roles=("legal_reviewer",), agency=agency, section=section)
    first = publish(draft(agency, officer, instrument_number="抚应急罚决〔2026〕101号"), reviewer)
    pgserver.wait_for_replay(primary, replica)
    client, staff = Client(), Client()
    staff.force_login(reviewer)

    # Published on the primary, replayed: the search, the list and the detail come from the replica.
    page, ran = _replica_queries(client, "/public/decisions/")
    assert "抚应急罚决〔2026〕101号" in page
    assert any("publicity_publication" in sql for sql in ran)
    page, ran = _replica_queries(client, f"/public/decisions/{first.pk}/")
    assert "抚应急罚决〔2026〕101号" in page and any("publicity_publication" in sql for sql in ran)

    # Replay paused: what the primary publishes now is not on the replica, so the search lacks it;
    # the replica is what answers. (Its own page, asked for by id, comes from the primary.)
    _replay(replica, paused=True)
    second = publish(draft(agency, officer, instrument_number="抚应急罚决〔2026〕102号"), reviewer)
    page, _ = _replica_queries(client, "/public/decisions/")
    assert "抚应急罚决〔2026〕101号" in page and "抚应急罚决〔2026〕102号" not in page
    assert "抚应急罚决〔2026〕102号" in client.get(f"/public/decisions/{second.pk}/").content.decode()

    # The take-down, with the replica still showing the item as published: from the moment the
    # API call returns, no portal page shows it (the primary decides what is on display).
    response = staff.post(
        f"/api/v1/publications/{first.pk}/withdraw/", {"reason": "行政复议决定撤销原处罚决定"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT state FROM publicity_publication WHERE id = %s", [first.pk])
        assert cursor.fetchone() == ("published",)
    for url in ("/public/decisions/", "/public/", "/public/feed.json", "/public/feed.csv", "/public/feed.atom",
                "/public/decisions/?number=101"):
        page, ran = _replica_queries(client, url)
        assert "抚应急罚决〔2026〕101号" not in page, url
        assert ran, url  # still served from the replica
    page = client.get(f"/public/decisions/{first.pk}/").content.decode()
    assert "撤回公告" in page and "行政复议决定撤销原处罚决定" in page

    # Replayed: the new item is found, the withdrawn one stays away.
    _replay(replica, paused=False)
    pgserver.wait_for_replay(primary, replica)
    page, _ = _replica_queries(client, "/public/decisions/")
    assert "抚应急罚决〔2026〕102号" in page and "抚应急罚决〔2026〕101号" not in page

    # The statistics: rebuilt on the primary when first asked for, so read there; once the replica
    # has replayed the rebuild, its cells are read on the replica.
    page, ran = _replica_queries(staff, "/supervision/statistics/")
    assert any("supervision_statbuild" in sql for sql in ran) and not any("supervision_statcell" in sql for sql in ran)
    pgserver.wait_for_replay(primary, replica)
    again, ran = _replica_queries(staff, "/supervision/statistics/")
    assert any("supervision_statcell" in sql for sql in ran)
    assert "执法统计" in page and "执法统计" in again

    # The replica stops: the portal answers from the primary, with a warning, never an error page.
    pgserver.halt_server(replica, log=_quiet)
    with caplog.at_level(logging.WARNING, logger="utilities.dbrouter"):
        for url in ("/public/decisions/", f"/public/decisions/{second.pk}/", "/public/feed.json"):
            response = client.get(url)
            assert response.status_code == 200 and "抚应急罚决〔2026〕102号" in response.content.decode(), url
        dbrouter.replica_reset()  # tried again: the connection is refused at once
        response = client.get("/public/decisions/")
        assert response.status_code == 200 and "抚应急罚决〔2026〕102号" in response.content.decode()
    warnings = [r for r in caplog.records if r.name == "utilities.dbrouter"]
    assert len(warnings) == 2 and all("read replica unavailable" in r.getMessage() for r in warnings)

    # Failover: the primary is lost, the replica is promoted and DATABASE_URL moves to it.
    replica = cluster["replica"] = pgserver.restart_server(replica, log=_quiet)
    pgserver.wait_for_replay(primary, replica)
    pgserver.halt_server(primary, log=_quiet)
    promoted = cluster["replica"] = pgserver.promote(replica, log=_quiet)
    _point_default(promoted)
    _drop_replica_alias()  # DATABASE_REPLICA_URL unset until a replica is built from the new primary
    with override_settings(ZHIFA_READ_REPLICA=False):
        third = publish(draft(agency, officer, instrument_number="抚应急罚决〔2026〕103号"), reviewer)
        assert Publication.objects.get(pk=third.pk).state == "published"
        page = client.get("/public/decisions/").content.decode()
    assert "抚应急罚决〔2026〕103号" in page and "抚应急罚决〔2026〕102号" in page
    assert "抚应急罚决〔2026〕101号" not in page


def test_settings_add_the_replica_only_from_its_variable(tmp_path):
    """DATABASE_REPLICA_URL adds the alias (mirroring the test database in tests) and the router;
    without it there is neither, and every query goes to the primary as before."""
    code = """if True:
        import importlib, os, sys
        for url in ("postgres://zhifa@10.0.0.2:5433/zhifa", ""):
            os.environ["DATABASE_REPLICA_URL"] = url
            sys.modules.pop("zhifa.settings", None)
            s = importlib.import_module("zhifa.settings")
            r = s.DATABASES.get("replica")
            print(sorted(s.DATABASES), s.ZHIFA_READ_REPLICA, getattr(s, "DATABASE_ROUTERS", []),
                  r and (r["HOST"], r["PORT"], r["NAME"], r["OPTIONS"]["connect_timeout"], r["TEST"]["MIRROR"]))
    """
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "ZHIFA_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://zhifa@127.0.0.1:5432/zhifa",
    }
    printed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    assert printed == [
        "['default', 'replica'] True ['utilities.dbrouter.ReplicaRouter'] ('10.0.0.2', 5433, 'zhifa', 2, 'default')",
        "['default'] False [] None",
    ]
