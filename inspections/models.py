"""双随机一公开 models: the random-inspection item list, recusals, and draws with their tasks."""

from django.conf import settings
from django.db import models

from enterprises.choices import Sector
from inspections.choices import DrawState


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
    target_sector = models.CharField(
        "抽查对象的监管行业领域（为空则全部在册单位）", max_length=30, choices=Sector.choices, blank=True
    )
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
    """双随机抽取 — one draw for an item, done so that nobody can choose its outcome (000 第七条):

    1. commit: the system makes a secret seed and publishes only its SHA-256 (`seed_sha256`);
    2. fix: the inputs (targets in the item's scope, officers, exclusions) are taken from the data
       of that moment and published with their SHA-256;
    3. reveal: the seed is published and the draw runs on it.

    Whoever fixes the inputs cannot know the seed, and the seed cannot be changed once its hash is
    public; every commitment counts against the item's yearly number of draws. Anyone re-runs
    `inspections/draw.py` on the published seed and inputs and checks the hash.
    """

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="inspection_draws", verbose_name="抽查主体"
    )
    item = models.ForeignKey(
        "inspections.InspectionItem", on_delete=models.PROTECT, related_name="draws", verbose_name="抽查事项"
    )
    plan = models.CharField("抽查计划", max_length=200)
    state = models.CharField("状态", max_length=12, choices=DrawState.choices, default=DrawState.COMMITTED)
    seed = models.CharField("随机种子", max_length=64, help_text="揭示前不公开")
    seed_sha256 = models.CharField("随机种子的SHA-256承诺值", max_length=64, blank=True)
    inputs = models.JSONField("抽取输入", default=dict, blank=True)
    inputs_sha256 = models.CharField("抽取输入的SHA-256", max_length=64, blank=True)
    result = models.JSONField("抽取结果", default=dict, blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    drawn_at = models.DateTimeField("承诺时间", auto_now_add=True)
    fixed_at = models.DateTimeField("固定输入时间", null=True, blank=True)
    revealed_at = models.DateTimeField("揭示种子并抽取时间", null=True, blank=True)

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
    matter = models.OneToOneField(
        "matters.Matter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_task",
        verbose_name="实施检查的执法事项",
    )
    result = models.TextField("检查结果", blank=True)
    result_at = models.DateTimeField("结果登记时间", null=True, blank=True)

    class Meta:
        verbose_name = "检查任务"
        verbose_name_plural = "检查任务"
        ordering = ["draw", "id"]

    def __str__(self) -> str:
        return f"{self.draw_id} · {self.party}"

    @property
    def state(self) -> str:
        """未开始 / 检查中 / 已检查待登记结果 / 已登记结果 (TaskState). Uses the `inspected` annotation of
        the selectors where there is one, else asks the matter's steps."""
        from inspections.choices import INSPECTION_STEP, TaskState

        if self.result:
            return TaskState.RESULT
        if self.matter_id is None:
            return TaskState.NOT_STARTED
        inspected = getattr(self, "inspected", None)
        if inspected is None:
            inspected = self.matter.steps.filter(transition=INSPECTION_STEP).exists()
        return TaskState.INSPECTED if inspected else TaskState.INSPECTING

    def get_state_display(self) -> str:
        from inspections.choices import TaskState

        return TaskState(self.state).label
