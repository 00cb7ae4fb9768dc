from django.db import models

from records.choices import Confidentiality, ExplanationKind, RecordKind, ReturnKind, Source


class Record(models.Model):
    """执法记录 — a document or an audio/video recording kept in the vault (全过程记录).

    Its content lives in versions; the record itself is never deleted.
    """

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="records", verbose_name="执法主体"
    )
    section = models.ForeignKey(
        "org.Section", on_delete=models.PROTECT, related_name="records", verbose_name="承办科室"
    )
    kind = models.CharField("类型", max_length=10, choices=RecordKind.choices)
    title = models.CharField("名称", max_length=200)
    party = models.ForeignKey(
        "enterprises.Party",
        on_delete=models.PROTECT,
        related_name="records",
        null=True,
        blank=True,
        verbose_name="当事人",
    )
    device = models.ForeignKey(
        "equipment.Device",
        on_delete=models.PROTECT,
        related_name="records",
        null=True,
        blank=True,
        verbose_name="记录设备",
    )
    officers = models.ManyToManyField(
        "org.Staff", related_name="records_present", blank=True, verbose_name="在场执法人员"
    )
    confidentiality = models.CharField(
        "密级", max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    created_by = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        related_name="records_created",
        null=True,
        blank=True,
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "执法记录"
        verbose_name_plural = "执法记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def current_version(self):
        """The latest version (uses prefetched versions when there are any)."""
        versions = list(self.versions.all())
        return versions[-1] if versions else None


class RecordVersion(models.Model):
    """记录版本 — one stored file of a record. A correction is a new version pointing to the one
    it supersedes, with its reason; the old one stays readable."""

    record = models.ForeignKey(
        "records.Record", on_delete=models.PROTECT, related_name="versions", verbose_name="记录"
    )
    number = models.PositiveIntegerField("版本号")
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        related_name="superseded_by",
        null=True,
        blank=True,
        verbose_name="更正的版本",
    )
    reason = models.TextField("更正理由", blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.BigIntegerField("大小（字节）")
    original_name = models.CharField("原始文件名", max_length=255)
    format = models.CharField("格式", max_length=20, blank=True)
    media = models.JSONField("媒体信息", default=dict)
    readable = models.BooleanField("可正常读取", default=True)
    problem = models.CharField("读取问题", max_length=300, blank=True)
    recorded_start = models.DateTimeField("记录开始", null=True, blank=True)
    recorded_end = models.DateTimeField("记录结束", null=True, blank=True)
    time_source = models.CharField("时间来源", max_length=60, blank=True)
    dock_time = models.DateTimeField("采集站时间", null=True, blank=True)
    clock_reference = models.CharField(
        "设备时间参照",
        max_length=200,
        blank=True,
        help_text="the independent time the device clock was checked against, or why it was not checked",
    )
    clock_offset = models.FloatField(
        "设备时间偏差（秒）",
        null=True,
        blank=True,
        help_text="device time minus the reference; empty: not checked",
    )
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    filed_by = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        related_name="versions_filed",
        null=True,
        blank=True,
        verbose_name="存储人",
    )
    filed_at = models.DateTimeField("提交时间")
    stored_at = models.DateTimeField("存储完成时间")
    filing_deadline = models.DateTimeField("存储期限", null=True, blank=True)
    late = models.BooleanField("逾期存储", default=False)
    findings = models.JSONField("合规提示", default=list, help_text="[{code, message, rule, citation}]")

    class Meta:
        verbose_name = "记录版本"
        verbose_name_plural = "记录版本"
        ordering = ["record", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="record_version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.record} v{self.number}"


class Interruption(models.Model):
    """记录中断 — a gap between two consecutive clips of one device longer than the pack allows;
    it needs an explanation (000 执法音像记录管理制度第十条)."""

    device = models.ForeignKey(
        "equipment.Device", on_delete=models.PROTECT, related_name="interruptions", verbose_name="设备"
    )
    before = models.ForeignKey(
        "records.RecordVersion", on_delete=models.PROTECT, related_name="+", verbose_name="中断前片段"
    )
    after = models.ForeignKey(
        "records.RecordVersion", on_delete=models.PROTECT, related_name="+", verbose_name="中断后片段"
    )
    gap_seconds = models.FloatField("中断时长（秒）")
    rule = models.CharField("规则", max_length=60, blank=True)
    citation = models.CharField("依据", max_length=300, blank=True)
    found_at = models.DateTimeField("发现时间", auto_now_add=True)
    cleared_by = models.ForeignKey(
        "records.RecordVersion",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="补齐间隔的片段",
        help_text="a clip filed later that lies inside the gap: the two clips were not consecutive after all",
    )

    class Meta:
        verbose_name = "记录中断"
        verbose_name_plural = "记录中断"
        constraints = [models.UniqueConstraint(fields=["before", "after"], name="interruption_unique_pair")]

    def __str__(self) -> str:
        return f"{self.device} 中断 {self.gap_seconds:.0f} 秒"


class DuplicateDelivery(models.Model):
    """重复提交 — a file delivered again under another name (another dock folder, an upload of a clip
    already imported). The content is stored once; the other name is kept on the record."""

    version = models.ForeignKey(
        "records.RecordVersion", on_delete=models.PROTECT, related_name="duplicates", verbose_name="记录版本"
    )
    name = models.CharField("文件名", max_length=255)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    device = models.ForeignKey(
        "equipment.Device",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="记录设备",
    )
    dock_time = models.DateTimeField("采集站时间", null=True, blank=True)
    delivered_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name="提交人"
    )
    delivered_at = models.DateTimeField("提交时间")

    class Meta:
        verbose_name = "重复提交"
        verbose_name_plural = "重复提交"
        ordering = ["delivered_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name", "source"], name="duplicate_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Explanation(models.Model):
    """书面说明 — an explanation record: why a file was filed late, why recording stopped, why a
    device clock was off. Its own record, never edited."""

    kind = models.CharField("类型", max_length=20, choices=ExplanationKind.choices)
    version = models.ForeignKey(
        "records.RecordVersion",
        on_delete=models.PROTECT,
        related_name="explanations",
        null=True,
        blank=True,
        verbose_name="记录版本",
    )
    interruption = models.ForeignKey(
        "records.Interruption",
        on_delete=models.PROTECT,
        related_name="explanations",
        null=True,
        blank=True,
        verbose_name="中断",
    )
    text = models.TextField("说明")
    written_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name="说明人"
    )
    written_at = models.DateTimeField("说明时间", auto_now_add=True)

    class Meta:
        verbose_name = "书面说明"
        verbose_name_plural = "书面说明"
        ordering = ["written_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__isnull=False) | models.Q(interruption__isnull=False),
                name="explanation_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class Exemption(models.Model):
    """不适宜音像记录 — a record that a step was not filmed, with its reason, reported to the
    section chief (000 音像记录设备使用管理办法和监督规则第五条)."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="av_exemptions", verbose_name="执法主体"
    )
    section = models.ForeignKey(
        "org.Section", on_delete=models.PROTECT, related_name="av_exemptions", verbose_name="科室"
    )
    reason = models.CharField("情形", max_length=200)
    details = models.TextField("具体原因和依据")
    occurred_at = models.DateTimeField("执法时间")
    place = models.CharField("地点", max_length=200, blank=True)
    party = models.ForeignKey(
        "enterprises.Party",
        on_delete=models.PROTECT,
        related_name="av_exemptions",
        null=True,
        blank=True,
        verbose_name="当事人",
    )
    reported_to = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="av_exemptions_received", verbose_name="报告对象"
    )
    created_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="av_exemptions_made", verbose_name="记录人"
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)
    acknowledged_at = models.DateTimeField("知悉时间", null=True, blank=True)

    class Meta:
        verbose_name = "不适宜音像记录情况"
        verbose_name_plural = "不适宜音像记录情况"
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return self.reason


class Upload(models.Model):
    """上传会话 — a file being uploaded in pieces; it survives a dropped connection and resumes at
    `received`. The bytes wait in the data folder until the upload is complete and filed."""

    id = models.UUIDField(primary_key=True)
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="uploads")
    section = models.ForeignKey("org.Section", on_delete=models.PROTECT, related_name="uploads")
    created_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="uploads")
    file_name = models.CharField("文件名", max_length=255)
    size = models.BigIntegerField("大小")
    received = models.BigIntegerField("已接收", default=0)
    created_at = models.DateTimeField("开始时间", auto_now_add=True)
    version = models.ForeignKey(
        "records.RecordVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "上传会话"
        verbose_name_plural = "上传会话"

    def __str__(self) -> str:
        return f"{self.file_name} {self.received}/{self.size}"


class FieldReturn(models.Model):
    """返回单位登记 — an officer's return to the office after continuous, remote or out-of-town work;
    the filing period of the recordings made while away runs from it (000 执法音像记录管理制度第十四条;
    003 附件3第六条; 002 二（二）4（1））."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="field_returns")
    officer = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="field_returns", verbose_name="执法人员"
    )
    kind = models.CharField("情形", max_length=12, choices=ReturnKind.choices)
    away_from = models.DateTimeField("外出执法开始时间")
    returned_at = models.DateTimeField("返回单位时间")
    place = models.CharField("执法地点", max_length=200, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "返回单位登记"
        verbose_name_plural = "返回单位登记"
        ordering = ["-returned_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(returned_at__gt=models.F("away_from")), name="field_return_after_leaving"
            )
        ]

    def __str__(self) -> str:
        return f"{self.officer} {self.returned_at:%Y-%m-%d %H:%M}"
