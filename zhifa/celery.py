"""The Celery application: queued work (filing a finished upload: probing and storing it) and the
periodic tasks beat schedules (the sequencer, checkpoint signing, the compliance scan, reminders,
publication take-down). See zhifa/tasks.py for the tasks and the README's production section.

    celery -A zhifa.celery worker   # runs the tasks
    celery -A zhifa.celery beat     # schedules the periodic ones

Not imported by Django itself (Celery takes a while to import, and every `zhifa` command would pay
for it): zhifa/tasks.py imports it, and the web process imports the tasks only to queue one.

Without ZHIFA_BROKER_URL the tasks run eagerly, in the process that calls them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")

app = Celery("zhifa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ("zhifa.tasks",)


def beat_schedule() -> dict:
    """The periodic tasks with their intervals in seconds, each dropped when the next one is due
    (a slow run never piles up a queue behind it)."""
    from django.conf import settings

    def every(seconds: float, task: str) -> dict:
        return {"task": task, "schedule": seconds, "options": {"expires": seconds}}

    checkpoint = min(settings.ZHIFA_CHECKPOINT_INTERVAL, 60)
    scan = min(settings.ZHIFA_SUPERVISION_SCAN_INTERVAL, 60)
    return {
        "ledger-sequencer": every(settings.ZHIFA_SEQUENCER_INTERVAL, "zhifa.ledger.integrate"),
        "ledger-checkpoint": every(checkpoint, "zhifa.ledger.checkpoint"),
        "supervision-scan": every(scan, "zhifa.supervision.scan"),
        "supervision-remind": every(600, "zhifa.supervision.remind"),
        "publicity-expire": every(3600, "zhifa.publicity.expire"),
        "field-settle-sends": every(300, "zhifa.field.settle_sends"),
    }


@app.on_after_finalize.connect
def _schedule(sender, **kwargs) -> None:
    sender.conf.beat_schedule = beat_schedule()
