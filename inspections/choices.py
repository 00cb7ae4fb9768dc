from django.db import models


class DrawState(models.TextChoices):
    """A draw goes commit → fix inputs → reveal seed and draw; none of it can be repeated or undone."""

    COMMITTED = "committed", "已承诺随机种子"
    FIXED = "fixed", "已固定抽取输入"
    DRAWN = "drawn", "已抽取并公示"
