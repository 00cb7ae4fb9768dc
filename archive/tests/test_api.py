"""The archive through /api/v1/archive/: the queue, a refused seal in Chinese that changes nothing,
sealing, holds, and a destruction list refused for an unexpired file."""

import pytest
from rest_framework.test import APIClient

from archive.models import CaseFile, Hold
from ledger.models import Event

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_queue_seal_hold_and_disposal_through_the_api(desk):
    m = desk.close_inspection("接口检查")
    case_file = CaseFile.objects.get(matter=m)
    archivist = _client(desk.archivist)

    queue = archivist.get("/api/v1/archive/case-files/queue/")
    assert queue.status_code == 200
    assert [r["case_file"]["code"] for r in queue.json()] == [case_file.code] and not queue.json()[0]["overdue"]

    officer = _client(desk.officer).post(f"/api/v1/archive/case-files/{case_file.pk}/seal/", {}, format="json")
    assert officer.status_code == 403 and "档案管理员" in officer.json()["detail"]

    writes = Event.objects.exclude(kind="casefile.view").count()  # the read itself is logged
    refused = archivist.post(f"/api/v1/archive/case-files/{case_file.pk}/seal/", {}, format="json")
    assert refused.status_code == 400 and "保管期限" in refused.json()["detail"]
    assert Event.objects.exclude(kind="casefile.view").count() == writes
    assert CaseFile.objects.get(pk=case_file.pk).state == "open"

    sealed = archivist.post(f"/api/v1/archive/case-files/{case_file.pk}/seal/", {"retention": "10"}, format="json")
    assert sealed.status_code == 200, sealed.content
    body = sealed.json()
    assert body["state"] == "sealed" and body["retention"] == "10年" and len(body["items"]) == 4
    assert body["checks"][0]["ok"] and all(i["sha256"] for i in body["items"])
    assert archivist.get("/api/v1/archive/case-files/queue/").json() == []

    hold = archivist.post("/api/v1/archive/holds/", {"kind": "reconsideration", "reference": "抚政复〔2026〕3号",
                                                      "case_file": case_file.pk}, format="json")
    assert hold.status_code == 201 and Hold.objects.get().case_file_id == case_file.pk
    proposal = archivist.post("/api/v1/archive/disposals/", {"case_files": [case_file.pk], "reason": "期满"},
                              format="json")
    assert proposal.status_code == 400
    assert "尚未届满" in proposal.json()["detail"] and "行政复议" in proposal.json()["detail"]
