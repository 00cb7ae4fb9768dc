from django.db import models


class Event(models.Model):
    """台账事件 — one entry in the append-only log of everything done in zhifa.

    Services append an event in the same transaction as the change it records, without a number
    (待入账). The sequencer (ledger.sequencer) later makes it leaf number `index` of the ledger's
    Merkle tree (RFC 6962 hashing) and fills `entry`, the exact bytes that were hashed, so anyone
    can recompute the leaf. After that the row is never updated or deleted by the application.
    """

    index = models.BigIntegerField("序号", unique=True, null=True, blank=True)
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
    created_at = models.DateTimeField("时间", db_index=True)
    entry = models.TextField("叶子内容", blank=True)
    leaf_hash = models.CharField("叶子哈希", max_length=64, blank=True)

    class Meta:
        verbose_name = "台账事件"
        verbose_name_plural = "台账事件"
        ordering = [models.F("index").asc(nulls_last=True), "id"]  # 待入账 after the numbered ones
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="ledger_event_subject"),
            # the sequencer's queue: only events still waiting for their number
            models.Index(fields=["id"], condition=models.Q(index__isnull=True), name="ledger_event_pending"),
        ]

    def __str__(self) -> str:
        number = f"#{self.index}" if self.index is not None else "待入账"
        return f"{number} {self.kind} {self.subject_type}:{self.subject_id}"

    @property
    def integrated(self) -> bool:
        """Whether the sequencer has given this event its leaf number (入账)."""
        return self.index is not None


class Head(models.Model):
    """The ledger's current size and the right edge of its tree (one row). Only the sequencer (and
    checkpoint signing) locks it: writers never wait for it. Leaf numbers are handed out by the
    sequencer in batches, without gaps, in commit order."""

    size = models.BigIntegerField(default=0)
    frontier = models.JSONField(
        default=list, help_text="[[level, index, hash], …] complete subtrees on the right edge"
    )

    class Meta:
        verbose_name = "台账状态"
        verbose_name_plural = "台账状态"

    def __str__(self) -> str:
        return f"ledger size {self.size}"


class Node(models.Model):
    """A complete subtree of the Merkle tree: level L, index i covers leaves [i·2^L, (i+1)·2^L).
    Kept so that proofs need only a logarithmic number of lookups."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "树节点"
        verbose_name_plural = "树节点"
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="ledger_node_unique")]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class Checkpoint(models.Model):
    """签名检查点 — the tree size and root hash signed by the server (C2SP checkpoint as a signed note)."""

    size = models.BigIntegerField("树大小")
    root_hash = models.CharField("根哈希", max_length=64)
    note = models.TextField("签名检查点")
    created_at = models.DateTimeField("签署时间", auto_now_add=True)

    class Meta:
        verbose_name = "签名检查点"
        verbose_name_plural = "签名检查点"
        ordering = ["-size", "-id"]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class Cosignature(models.Model):
    """见证方副署 — a witness's cosignature of a checkpoint (c2sp.org/tlog-cosignature, Ed25519): the
    witness checked that the checkpoint extends every earlier one it saw. The published checkpoint
    carries these lines after the server's own signature."""

    checkpoint = models.ForeignKey(
        "ledger.Checkpoint", on_delete=models.PROTECT, related_name="cosignatures", verbose_name="检查点"
    )
    witness = models.CharField("见证方", max_length=200)
    line = models.TextField("副署签名行")
    signed_at = models.DateTimeField("副署时间")
    received_at = models.DateTimeField("收到时间", auto_now_add=True)

    class Meta:
        verbose_name = "见证方副署"
        verbose_name_plural = "见证方副署"
        ordering = ["checkpoint", "witness"]
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness"], name="ledger_cosignature_unique")
        ]

    def __str__(self) -> str:
        return f"{self.witness} @ {self.checkpoint.size}"


class Witness(models.Model):
    """见证方 — one witness zhifa submits its checkpoints to (ZHIFA_LEDGER_WITNESSES): the size it
    last cosigned for this ledger, as far as zhifa knows, and how the last attempt went. A witness
    that is down is retried at the next checkpoint or periodic run; it never blocks a write."""

    name = models.CharField("名称", max_length=200, unique=True)
    url = models.CharField("地址", max_length=500)
    size = models.BigIntegerField("已副署的大小", default=0)
    last_attempt_at = models.DateTimeField("最近提交时间", null=True, blank=True)
    last_success_at = models.DateTimeField("最近副署时间", null=True, blank=True)
    last_error = models.TextField("最近一次失败原因", blank=True)
    failures = models.PositiveIntegerField("连续失败次数", default=0)

    class Meta:
        verbose_name = "见证方"
        verbose_name_plural = "见证方"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VerifiedState(models.Model):
    """核验进度 — where a run of `zhifa ledger verify` that found nothing got to: the tree size it
    recomputed and that tree's right edge, so the next incremental run checks only what came after
    (the full run, on a schedule, checks everything again)."""

    size = models.BigIntegerField("已核验的大小")
    root_hash = models.CharField("根哈希", max_length=64)
    edge = models.JSONField("右边界", default=list, help_text="[[level, index, hash], …]")
    full = models.BooleanField("完整核验", default=True)
    started_at = models.DateTimeField("核验开始时间")
    verified_at = models.DateTimeField("核验完成时间", auto_now_add=True)

    class Meta:
        verbose_name = "核验进度"
        verbose_name_plural = "核验进度"
        ordering = ["-size", "-id"]

    def __str__(self) -> str:
        return f"verified {self.size}"


class WitnessedCheckpoint(models.Model):
    """见证方较新的检查点 — a checkpoint a witness cosigned that this database did not hold when it
    was recorded: after a restore to an earlier point (`zhifa restore --to-time`), the witnesses
    keep the larger tree they cosigned before. Until the ledger contains it again (the newer backup
    or WAL recovered), `zhifa ledger verify` names the events it lacks and no checkpoint is signed:
    a new tree head would fork from what the witnesses cosigned. Kept outside the ledger's events
    (as checkpoints are): recording it must not append to the tree it guards."""

    witness = models.CharField("见证方", max_length=200)
    size = models.BigIntegerField("树大小")
    root_hash = models.CharField("根哈希", max_length=64)
    note = models.TextField("签名检查点", help_text="本台账签名、见证方副署的检查点原文")
    ledger_size = models.BigIntegerField("记录时台账的大小")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "见证方较新的检查点"
        verbose_name_plural = "见证方较新的检查点"
        ordering = ["size", "witness"]
        constraints = [
            models.UniqueConstraint(fields=["witness", "size"], name="ledger_witnessed_unique"),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="ledger_witnessed_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.witness} @ {self.size}"
