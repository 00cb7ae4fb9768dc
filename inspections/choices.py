from django.db import models


class DrawState(models.TextChoices):
    """A draw goes commit → fix inputs → reveal seed and draw; none of it can be repeated or undone."""

    COMMITTED = "committed", "已承诺随机种子"
    FIXED = "fixed", "已固定抽取输入"
    DRAWN = "drawn", "已抽取并公示"


class TaskState(models.TextChoices):
    """Where a drawn task stands: its inspection matter opened, its 现场检查 recorded (the inspection
    workflow's `inspect` step, which takes the matter to 已现场检查), its result registered."""

    NOT_STARTED = "not_started", "未开始"
    INSPECTING = "inspecting", "检查中"
    INSPECTED = "inspected", "已检查待登记结果"
    RESULT = "result", "已登记结果"


# The inspection workflow's step that records the on-site inspection (matters.workflows.INSPECTION):
# a task's result comes from it (001 第六条、第七条; 002 二（一）3 publishes 检查结果).
INSPECTION_STEP = "inspect"
