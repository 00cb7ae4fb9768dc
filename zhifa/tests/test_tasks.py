"""The background tasks (zhifa/tasks.py) and their schedule. Without ZHIFA_BROKER_URL, as here,
`delay()` runs a task in the calling process: the same code a Celery worker runs under bin/deploy
(tested against a real Redis and worker in test_faults.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ledger.models import Checkpoint
from ledger.services import event_record
from publicity.choices import PublicationState
from publicity.models import Publication
from publicity.tests.helpers import draft, publish
from records.models import Record, Upload
from records.tests.clips import make_pdf
from supervision.models import ScanRun
from zhifa import tasks
from zhifa.celery import app, beat_schedule

pytestmark = pytest.mark.django_db


def test_beat_schedules_each_periodic_task_and_drops_a_late_run(settings):
    settings.ZHIFA_CHECKPOINT_INTERVAL = 3600
    schedule = beat_schedule()
    assert {entry["task"] for entry in schedule.values()} == {
        "zhifa.ledger.integrate",
        "zhifa.ledger.checkpoint",
        "zhifa.supervision.scan",
        "zhifa.supervision.remind",
        "zhifa.publicity.expire",
        "zhifa.field.settle_sends",
    }
    for entry in schedule.values():
        assert entry["task"] in app.tasks and entry["options"]["expires"] == entry["schedule"]
    assert schedule["ledger-checkpoint"]["schedule"] == 60  # checks every minute, signs hourly


def test_the_periodic_tasks_do_their_work(agency, make_staff, settings):
    officer = make_staff("officer", certificate=True)
    reviewer = make_staff("legal_reviewer", username="reviewer")
    item = publish(draft(agency, officer), reviewer)
    Publication.objects.filter(pk=item.pk).update(display_until=timezone.localdate() - timedelta(days=1))
    assert tasks.publicity_expire.delay().get() == 1
    assert Publication.objects.get(pk=item.pk).state == PublicationState.EXPIRED

    settings.ZHIFA_CHECKPOINT_INTERVAL = 0
    event_record(kind="test.event", subject=agency, data={})
    size = tasks.ledger_checkpoint.delay().get()
    assert size and Checkpoint.objects.order_by("-size").first().size == size

    assert tasks.supervision_scan.delay().get() is not None and ScanRun.objects.exists()
    assert tasks.supervision_remind.delay().get() >= 0
    assert tasks.ledger_integrate.delay().get() is None or isinstance(tasks.ledger_integrate.delay().get(), int)
    assert tasks.field_settle_sends.delay().get() == {"abandoned": 0, "unknown": 0}  # field/tests/test_send_failures


def test_the_upload_task_files_a_complete_upload_and_returns_a_refusal(make_staff, login, tmp_path):
    officer = make_staff("officer")
    client = login(officer)
    pdf = make_pdf(tmp_path / "询问笔录.pdf", text="ab").read_bytes()
    for kind, expected in (("video", "error"), (None, "record")):
        upload_id = client.post(
            "/api/v1/uploads/", {"file_name": "询问笔录.pdf", "size": len(pdf)}, content_type="application/json"
        ).json()["id"]
        client.patch(
            f"/api/v1/uploads/{upload_id}/", data=pdf, content_type="application/offset+octet-stream",
            HTTP_UPLOAD_OFFSET="0",
        )
        result = tasks.upload_finish.delay(upload_id, officer.pk, {"kind": kind} if kind else {}).get()
        if expected == "error":  # a PDF declared as video: refused, the upload stays pending
            assert result["record"] is None and "不符" in result["error"], result
            assert Upload.objects.get(pk=upload_id).version_id is None and not Record.objects.exists()
        else:
            assert result["error"] == "" and Record.objects.get().pk == result["record"]
            assert client.get(f"/api/v1/uploads/{upload_id}/").json()["record"] == result["record"]
