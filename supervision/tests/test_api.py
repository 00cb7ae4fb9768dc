"""The supervision API: findings with history, the scan, the statistics and the viewer's reminders."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from records.services import record_ingest
from records.tests.clips import make_video


@pytest.mark.django_db
def test_findings_scan_statistics_and_reminders(desk):
    start = timezone.now() - timedelta(days=3)
    path = make_video(desk.folder / "夜查.mp4", seconds=1, creation_time=start)
    record_ingest(acting_user=desk.officer, section=desk.section, path=path, original_name="夜查.mp4",
                  filed_at=start + timedelta(hours=30))
    api = APIClient()
    api.force_authenticate(desk.leader)
    assert api.post("/api/v1/supervision/findings/scan/").json()["opened"] == 1
    (item,) = api.get("/api/v1/supervision/findings/").json()["results"]
    assert item["rule_key"] == "av.ingest_deadline" and item["officer_name"] == desk.officer.name
    detail = api.get(f"/api/v1/supervision/findings/{item['id']}/").json()
    assert [e["kind"] for e in detail["events"]] == ["opened"]
    stats = api.get("/api/v1/supervision/findings/statistics/", {"year": timezone.localdate().year}).json()
    figures = {f["key"]: f for f in stats["figures"]}
    assert figures["findings"]["total"][timezone.localdate().month - 1] == 1
    assert stats["findings_by_article"][0]["rule"] == "av.ingest_deadline"
    assert figures["findings"]["by_officer"] == {str(desk.officer.pk): 1}
    assert desk.officer.name in [o["name"] for o in stats["officers"]]
    recorded = figures["recordings_on_time"]
    assert recorded["rate"] == 0.0 and recorded["rate_label"] == "按时率"  # the one recording was stored late
    assert {r["item"] for r in stats["report"]} >= {"监督检查次数", "经济处罚（罚款）金额", "发现事故隐患项数"}
    assert stats["challenge_results"] == [] and isinstance(stats["weak_links"], list)
    bad = api.get("/api/v1/supervision/findings/statistics/", {"year": "1900"})
    assert bad.status_code == 400 and "2000" in bad.json()["detail"]

    officer = APIClient()
    officer.force_authenticate(desk.officer)
    assert officer.get("/api/v1/supervision/findings/").status_code == 403
    assert officer.get("/api/v1/supervision/findings/reminders/").json()["results"] == []
