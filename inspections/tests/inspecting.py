"""Carry out a drawn task's inspection as the drawn officers do: plan it, then record the 现场检查
(the step after which its result may be registered)."""

import itertools
from datetime import timedelta

from django.utils import timezone

from matters.services import matter_transition
from records.services import record_ingest
from records.tests.clips import make_audio, make_image

_SIZES = itertools.count(64)


def task_plan(task, officer):
    matter_transition(
        acting_user=officer, matter=task.matter, transition="plan",
        data={"place": "生产车间", "time": timezone.now() - timedelta(minutes=30), "facts": "安全生产主体责任"},
    )  # fmt: skip
    task.matter.refresh_from_db()


def task_inspect(task, officer, folder):
    """Plan (where not yet planned) and record the on-site inspection with a photo and its sound recording
    (the 抚顺 pack wants 音像记录 of it)."""
    task.refresh_from_db()
    if task.matter.state == "registered":
        task_plan(task, officer)
    path = make_image(folder / f"现场-{next(_SIZES)}.jpg", size=(next(_SIZES), 48))
    photo = record_ingest(
        acting_user=officer, section=officer.section, path=path, original_name=path.name, title="现场检查照片"
    ).version.record
    sound = make_audio(folder / f"现场-{next(_SIZES)}.wav", seconds=1 + next(_SIZES) / 1000)
    audio = record_ingest(
        acting_user=officer, section=officer.section, path=sound, original_name=sound.name, title="现场检查录音"
    ).version.record
    matter_transition(
        acting_user=officer, matter=task.matter, transition="inspect", officers=list(task.officers.all()),
        records=[photo, audio],
        data={"place": "生产车间", "time": timezone.now() - timedelta(minutes=10), "findings": "未发现问题", "hazards": ""},
    )  # fmt: skip
    task.matter.refresh_from_db()
