from django.db import models


class Event(models.Model):
    """台账事件 — one entry in the append-only log of everything done in zhifa.

    Services append an event in the same transaction as the change it records. Rows are never
    updated or deleted by the application.
    """

    kind = models.CharField("事件类型", max_length=60, db_index=True)
    actor = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        related_name="ledger_events",
        null=True,
        blank=True,
        verbose_name="操作人",
    )
    agency = models.ForeignKey(
        "org.Agency",
        on_delete=models.PROTECT,
        related_name="ledger_events",
        null=True,
        blank=True,
        verbose_name="执法主体",
    )
    subject_type = models.CharField("对象类型", max_length=60)
    subject_id = models.CharField("对象标识", max_length=64)
    data = models.JSONField("内容", default=dict)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "台账事件"
        verbose_name_plural = "台账事件"
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="ledger_event_subject")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.subject_type}:{self.subject_id}"
