"""Background tasks (see zhifa/celery.py). Each calls one service; none holds state of its own.

Queued: `upload_finish` (probe and store a completed resumable upload, file it as a record).
Periodic (beat): the sequencer, checkpoint signing, the compliance scan, reminders, take-down of
publications whose display period has ended, settling 电子送达 attempts left without an outcome.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

from zhifa.celery import app

log = logging.getLogger("zhifa.tasks")

SEQUENCER_BATCH = 10_000


def upload_task_id(upload_id) -> str:
    """The one task id per upload: a second finish request finds the first one's task."""
    return f"upload-finish-{upload_id}"


@app.task(name="zhifa.records.upload_finish", bind=True, max_retries=5)
def upload_finish(self, upload_id: str, staff_id: int, fields: dict) -> dict:
    """File a completed upload. Until it is filed the upload stays pending (its `record` empty); a
    worker killed mid-probe leaves nothing stored, and the task is delivered again (acks_late).
    A refusal (a kind the content contradicts, …) is the task's result, for the client to read."""
    from equipment.models import Device
    from org.models import Staff
    from records.models import Upload
    from records.services import Source
    from records.uploads import upload_finish as finish

    upload = Upload.objects.select_related("section").get(pk=upload_id)
    staff = Staff.objects.get(pk=staff_id)
    fields = dict(fields)
    if fields.get("device"):
        fields["device"] = Device.objects.get(serial=fields["device"], agency=upload.agency)
    try:
        version, created = finish(acting_user=staff, upload=upload, source=Source.UPLOAD, **fields)
    except ValidationError as error:
        return {"record": None, "error": "；".join(error.messages)}
    return {"record": version.record_id, "created": created, "error": ""}


@app.task(name="zhifa.ledger.integrate")
def ledger_integrate() -> int | None:
    """The sequencer: integrate committed events into the tree (ledger.sequencer, where installed;
    with the older ledger every event is integrated as it is written, and this does nothing)."""
    try:
        from ledger.sequencer import integrate_pending
    except ImportError:
        return None
    return integrate_pending(max_batch=SEQUENCER_BATCH)


@app.task(name="zhifa.ledger.checkpoint")
def ledger_checkpoint() -> int | None:
    from ledger.services import checkpoint_sign_if_due

    checkpoint = checkpoint_sign_if_due(max_age=timedelta(seconds=settings.ZHIFA_CHECKPOINT_INTERVAL))
    return checkpoint.size if checkpoint else None


@app.task(name="zhifa.supervision.scan")
def supervision_scan() -> int | None:
    from supervision.services import findings_scan_if_due

    result = findings_scan_if_due(max_age=timedelta(seconds=settings.ZHIFA_SUPERVISION_SCAN_INTERVAL))
    return result.opened if result else None


@app.task(name="zhifa.supervision.remind")
def supervision_remind() -> int:
    from supervision.reminders import reminders_run

    result = reminders_run()
    return result.opened


@app.task(name="zhifa.publicity.expire")
def publicity_expire() -> int:
    from publicity.services import publications_expire

    return publications_expire()


@app.task(name="zhifa.field.settle_sends")
def field_settle_sends() -> dict:
    """电子送达 attempts left without an outcome: settled honestly (field.services.electronic_sends_settle)."""
    from field.services import electronic_sends_settle

    return electronic_sends_settle()
