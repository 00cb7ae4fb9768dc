"""双随机一公开 models: the random-inspection item list, recusals, and draws with their tasks."""

from django.conf import settings
from django.db import models


class InspectionItem(models.Model):
    """随机抽查事项 — one line of the 随机抽查事项清单 (000 公示制度第七条第二款、第十八条):
    事项, 依据, 主体, 对象, 内容, 比例, 频次, 方式."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="inspection_items", verbose_name="抽查主体"
    )
    name = models.CharField("抽查事项", max_length=200)
    basis = models.TextField("抽查依据")
    section = models.ForeignKey(
        "org.Section", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="实施机构"
    )
    target = models.CharField("抽查对象", max_length=200)
    target_industry = models.CharField("对象所属行业（为空则全部）", max_length=60, blank=True)
    content = models.TextField("抽查内容")
    proportion = models.DecimalField("抽查比例（%）", max_digits=5, decimal_places=2)
    frequency = models.CharField("抽查频次", max_length=60)
    draws_per_year = models.PositiveSmallIntegerField("每年抽取次数上限")
    method = models.CharField("抽查方式", max_length=100)
    officers_per_target = models.PositiveSmallIntegerField("每户检查人员数")
    active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "随机抽查事项"
        verbose_name_plural = "随机抽查事项清单"
        ordering = ["agency", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(proportion__gt=0, proportion__lte=100), name="inspection_item_proportion"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Recusal(models.Model):
    """回避 — an officer who must not inspect a party (relation to it), whatever the draw says."""

    officer = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="recusals", verbose_name="执法人员"
    )
    party = models.ForeignKey(
        "enterprises.Party", on_delete=models.PROTECT, related_name="recusals", verbose_name="检查对象"
    )
    reason = models.CharField("回避事由", max_length=200)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "回避登记"
        verbose_name_plural = "回避登记"
        constraints = [models.UniqueConstraint(fields=["officer", "party"], name="recusal_unique")]

    def __str__(self) -> str:
        return f"{self.officer} ↛ {self.party}"


class InspectionDraw(models.Model):
    """双随机抽取 — one draw for an item: the published seed, the inputs it ran on and the result.
    Anyone can re-run `inspections.draw.draw(seed, inputs)` and get `result` (000 第七条)."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="inspection_draws", verbose_name="抽查主体"
    )
    item = models.ForeignKey(
        "inspections.InspectionItem", on_delete=models.PROTECT, related_name="draws", verbose_name="抽查事项"
    )
    plan = models.CharField("抽查计划", max_length=200)
    seed = models.CharField("随机种子", max_length=64)
    inputs = models.JSONField("抽取输入")
    result = models.JSONField("抽取结果")
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)

    class Meta:
        verbose_name = "双随机抽取"
        verbose_name_plural = "双随机抽取"
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"{self.item} · {self.drawn_at:%Y-%m-%d}"


class InspectionTask(models.Model):
    """检查任务 — one drawn target with its drawn officers, and the published result."""

    draw = models.ForeignKey(
        "inspections.InspectionDraw", on_delete=models.PROTECT, related_name="tasks", verbose_name="抽取"
    )
    party = models.ForeignKey(
        "enterprises.Party", on_delete=models.PROTECT, related_name="inspection_tasks", verbose_name="检查对象"
    )
    officers = models.ManyToManyField("org.Staff", related_name="inspection_tasks", verbose_name="检查人员")
    result = models.TextField("检查结果", blank=True)
    result_at = models.DateTimeField("结果登记时间", null=True, blank=True)

    class Meta:
        verbose_name = "检查任务"
        verbose_name_plural = "检查任务"
        ordering = ["draw", "id"]

    def __str__(self) -> str:
        return f"{self.draw_id} · {self.party}"
