"""立卷归档: case files and their contents, integrity checks, legal holds, disposal, and the
enterprise files (一企一档) with their collections and storage carriers."""

from django.db import models

from archive.choices import (
    CarrierKind,
    CaseFileState,
    CollectionCategory,
    CustodyAction,
    DisposalState,
    HoldKind,
    ItemSource,
    RemovalState,
)
from records.choices import Confidentiality


class CaseFile(models.Model):
    """案卷: one volume of the file of a closed matter — cover, contents list (卷内目录) and 备考表.

    Assembled when the matter closes, checked and completed by the archivist, then sealed; a sealed
    volume never changes, a later addition is a new volume with its reason.
    """

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="case_files")
    section = models.ForeignKey("org.Section", on_delete=models.PROTECT, related_name="case_files")
    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="case_files")
    volume = models.PositiveSmallIntegerField("卷次", default=1)
    volume_reason = models.CharField("补充归档理由", max_length=300, blank=True)
    code = models.CharField("档号", max_length=60)
    title = models.CharField("案卷题名", max_length=200)
    cause = models.CharField("案由", max_length=200)
    party_name = models.CharField("当事人", max_length=200, blank=True)
    filed_on = models.DateField("立案日期", null=True, blank=True)
    closed_on = models.DateField("结案日期")
    handlers = models.CharField("承办人", max_length=300, blank=True)
    state = models.CharField("状态", max_length=10, choices=CaseFileState.choices, default=CaseFileState.OPEN)
    major_impact = models.BooleanField("有重大社会影响", default=False)
    complex_case = models.BooleanField("情况复杂、涉及多个法律关系", default=False)
    retention_years = models.PositiveSmallIntegerField("保管期限（年）", null=True, blank=True)
    retention_permanent = models.BooleanField("永久保管", default=False)
    retention_basis = models.CharField("保管期限依据", max_length=300, blank=True)
    retain_until = models.DateField("保管至", null=True, blank=True)
    remarks = models.TextField("备考表说明", blank=True)
    pdf = models.ForeignKey(
        "records.Record", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name="案卷PDF"
    )
    sealed_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name="立卷人"
    )
    sealed_at = models.DateTimeField("归档时间", null=True, blank=True)
    created_at = models.DateTimeField("组卷时间", auto_now_add=True)

    class Meta:
        ordering = ["-closed_on", "-pk"]
        verbose_name = "案卷"
        verbose_name_plural = "案卷"
        constraints = [
            models.UniqueConstraint(fields=["matter", "volume"], name="case_file_unique_volume"),
            models.UniqueConstraint(fields=["agency", "code"], name="case_file_unique_code"),
            models.CheckConstraint(
                condition=~models.Q(retention_permanent=True, retention_years__isnull=False),
                name="case_file_retention_one_kind",
            ),
        ]
        indexes = [models.Index(fields=["agency", "state"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def retention_label(self) -> str:
        if self.retention_permanent:
            return "永久"
        return f"{self.retention_years}年" if self.retention_years else "未定"


class CaseFileItem(models.Model):
    """卷内文件: one entry of the contents list — a 文书, a record or a recording, in procedure order."""

    case_file = models.ForeignKey("archive.CaseFile", on_delete=models.PROTECT, related_name="items")
    position = models.PositiveIntegerField("序号")
    source = models.CharField("来源", max_length=12, choices=ItemSource.choices)
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="case_file_items")
    version = models.ForeignKey("records.RecordVersion", on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(
        "matters.Instrument", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    step = models.ForeignKey("matters.Step", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    number = models.CharField("文号", max_length=60, blank=True)
    author = models.CharField("责任者", max_length=100)
    title = models.CharField("题名", max_length=200)
    dated = models.DateField("日期")
    pages = models.PositiveIntegerField("页数", default=0)
    first_page = models.PositiveIntegerField("起始页号", null=True, blank=True)
    # 000 记录信息调阅监督制度第四条: an AV item names its section, maker, time and what it proves.
    av_section = models.CharField("承办科室", max_length=100, blank=True)
    av_maker = models.CharField("制作人", max_length=100, blank=True)
    av_made_at = models.DateTimeField("制作时间", null=True, blank=True)
    av_proves = models.CharField("证明内容", max_length=300, blank=True)
    added_reason = models.CharField("补充理由", max_length=300, blank=True)
    added_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    # A PDF kept in its long-term format (PDF/A-2b) beside the original, set when the volume is
    # sealed: the original's own digest when it already conforms, else the copy's (archive.pdfa).
    long_term_sha256 = models.CharField("长期保存格式文件 SHA-256", max_length=64, blank=True)
    long_term_size = models.PositiveBigIntegerField("长期保存格式文件大小", null=True, blank=True)

    class Meta:
        ordering = ["case_file", "position"]
        verbose_name = "卷内文件"
        verbose_name_plural = "卷内文件"
        constraints = [
            models.UniqueConstraint(fields=["case_file", "position"], name="case_file_item_unique_position"),
            models.UniqueConstraint(fields=["case_file", "record"], name="case_file_item_unique_record"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    @property
    def page_label(self) -> str:
        if not self.first_page or not self.pages:
            return ""
        last = self.first_page + self.pages - 1
        return str(self.first_page) if last == self.first_page else f"{self.first_page}-{last}"


class IntegrityCheck(models.Model):
    """四性检测报告 (DA/T 70): authenticity, completeness, usability and safety of one case file."""

    case_file = models.ForeignKey("archive.CaseFile", on_delete=models.PROTECT, related_name="checks")
    ok = models.BooleanField("通过")
    findings = models.JSONField("检测结果", default=list, help_text="[{aspect, ok, item, message}]")
    ran_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    ran_at = models.DateTimeField("检测时间")
    at_sealing = models.BooleanField("归档时检测", default=False)

    class Meta:
        ordering = ["-ran_at", "-pk"]
        verbose_name = "四性检测报告"
        verbose_name_plural = "四性检测报告"

    def __str__(self) -> str:
        return f"{self.case_file} {'通过' if self.ok else '未通过'}"


class Hold(models.Model):
    """保全（暂停销毁）: a case file or record kept beyond its retention while a 复议, 诉讼, access
    request or complaint is open, until released."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="archive_holds")
    kind = models.CharField("事由", max_length=20, choices=HoldKind.choices)
    reference = models.CharField("案号或编号", max_length=100)
    case_file = models.ForeignKey(
        "archive.CaseFile", on_delete=models.PROTECT, related_name="holds", null=True, blank=True
    )
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    placed_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    placed_at = models.DateTimeField("保全时间")
    released_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    released_at = models.DateTimeField("解除时间", null=True, blank=True)
    release_reason = models.CharField("解除理由", max_length=300, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = "保全"
        verbose_name_plural = "保全"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case_file__isnull=False) | models.Q(record__isnull=False), name="hold_has_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


class Disposal(models.Model):
    """销毁清册: a list of case files whose retention has run, proposed by the archivist and
    approved (or not) by the leader; what, why, who and when stay for ever."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="disposals")
    state = models.CharField("状态", max_length=10, choices=DisposalState.choices, default=DisposalState.PROPOSED)
    reason = models.TextField("鉴定意见")
    proposed_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField("提出时间")
    decided_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name = "销毁清册"
        verbose_name_plural = "销毁清册"

    def __str__(self) -> str:
        return f"销毁清册 {self.pk}（{self.get_state_display()}）"

    @property
    def removal_status(self) -> str:
        """Where the physical removal of an approved list stands, in words (empty before approval)."""
        rows = list(self.removals.all())
        if not rows:
            return ""
        done = [r for r in rows if r.state == RemovalState.REMOVED]
        waiting = [r for r in rows if r.state == RemovalState.WAITING]
        text = f"已从存储中删除 {len(done)} 个文件"
        if waiting:
            dates = [r.locked_until for r in waiting if r.locked_until]
            until = f"锁定至 {max(dates):%Y-%m-%d}" if dates else "尚未删除"
            text += f"；{len(waiting)} 个文件受对象存储锁定保护（{until}），锁定期满后由 zhifa archive purge 删除，在此之前销毁尚未完成"
        return text + "。"


class DisposalItem(models.Model):
    """One case file on a destruction list, with what it held (titles and hashes stay)."""

    disposal = models.ForeignKey("archive.Disposal", on_delete=models.PROTECT, related_name="items")
    case_file = models.ForeignKey("archive.CaseFile", on_delete=models.PROTECT, related_name="disposal_items")
    contents = models.JSONField("卷内文件", default=list, help_text="[{record, title, sha256, size}]")

    class Meta:
        verbose_name = "销毁清册条目"
        verbose_name_plural = "销毁清册条目"
        constraints = [
            models.UniqueConstraint(fields=["disposal", "case_file"], name="disposal_item_unique")
        ]

    def __str__(self) -> str:
        return str(self.case_file)


class BlobRemoval(models.Model):
    """物理删除: one stored file of an approved destruction list, removed from the blob store (or
    waiting while the store's Object Lock still keeps it). The record's metadata, hashes and ledger
    events stay; only the bytes go."""

    disposal = models.ForeignKey("archive.Disposal", on_delete=models.PROTECT, related_name="removals")
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField("SHA-256", max_length=64)
    state = models.CharField("状态", max_length=10, choices=RemovalState.choices, default=RemovalState.WAITING)
    locked_until = models.DateTimeField("对象锁定至", null=True, blank=True)
    removed_at = models.DateTimeField("删除时间", null=True, blank=True)

    class Meta:
        ordering = ["disposal", "pk"]
        verbose_name = "物理删除"
        verbose_name_plural = "物理删除"
        constraints = [
            models.UniqueConstraint(fields=["disposal", "record", "sha256"], name="blob_removal_unique"),
            models.CheckConstraint(
                condition=~models.Q(state="removed", removed_at__isnull=True), name="blob_removal_removed_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} {self.get_state_display()}"


class Collection(models.Model):
    """信息采集: one collection of an enterprise's information (scans of paper originals and other
    files) with its 说明 (000 信息采集存储分析和归档制度第七条) and the originals lent for it (第九条)."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="collections")
    section = models.ForeignKey("org.Section", on_delete=models.PROTECT, related_name="collections")
    party = models.ForeignKey("enterprises.Party", on_delete=models.PROTECT, related_name="collections")
    category = models.CharField("信息类别", max_length=12, choices=CollectionCategory.choices)
    subject = models.CharField("事项名称", max_length=200)
    summary = models.TextField("内容概述")
    collected_on = models.DateField("采集时间")
    collected_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    originals_from = models.CharField("原始资料提供方", max_length=200, blank=True)
    originals_due = models.DateTimeField("原始资料应返还时间", null=True, blank=True)
    originals_returned_at = models.DateTimeField("原始资料返还时间", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["party", "-collected_on", "pk"]
        verbose_name = "信息采集"
        verbose_name_plural = "信息采集"

    def __str__(self) -> str:
        return f"{self.party} {self.subject}"


class CollectionItem(models.Model):
    """One stored file of a collection, with the resolution measured from the image itself."""

    collection = models.ForeignKey("archive.Collection", on_delete=models.PROTECT, related_name="items")
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+")
    ppi = models.PositiveIntegerField("分辨率（PPI）", null=True, blank=True)

    class Meta:
        ordering = ["collection", "pk"]
        verbose_name = "采集文件"
        verbose_name_plural = "采集文件"

    def __str__(self) -> str:
        return str(self.record)


class Carrier(models.Model):
    """存储载体: a disc or drive holding archived electronic information, labelled (第十八条) and
    with its custody logged (第二十条)."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="carriers")
    number = models.CharField("编号", max_length=40)
    kind = models.CharField("载体类型", max_length=10, choices=CarrierKind.choices)
    party = models.ForeignKey(
        "enterprises.Party", on_delete=models.PROTECT, related_name="carriers", null=True, blank=True
    )
    period = models.CharField("时间", max_length=40)
    confidentiality = models.CharField(
        "密级", max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    # the label's text (第十八条); the period itself below, from what it carries or, where the pack
    # sets none, chosen by the archivist (carriers registered before it was kept hold the text only)
    retention = models.CharField("保管期限", max_length=20)
    retention_years = models.PositiveSmallIntegerField("保管期限（年）", null=True, blank=True)
    retention_permanent = models.BooleanField("永久保管", default=False)
    retention_basis = models.CharField("保管期限依据", max_length=300, blank=True)
    case_files = models.ManyToManyField("archive.CaseFile", related_name="carriers", blank=True,
                                        verbose_name="所存案卷")
    contents = models.TextField("内容", blank=True)
    holder = models.CharField("当前保管人", max_length=100)
    registered_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField("登记时间")

    class Meta:
        ordering = ["number"]
        verbose_name = "存储载体"
        verbose_name_plural = "存储载体"
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="carrier_unique_number"),
            models.CheckConstraint(
                condition=~models.Q(retention_permanent=True, retention_years__isnull=False),
                name="carrier_retention_one_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CustodyEntry(models.Model):
    """保管利用记录: one event in a carrier's custody."""

    carrier = models.ForeignKey("archive.Carrier", on_delete=models.PROTECT, related_name="custody")
    action = models.CharField("事项", max_length=10, choices=CustodyAction.choices)
    holder = models.CharField("保管人或借用人", max_length=100)
    note = models.CharField("说明", max_length=300, blank=True)
    occurred_at = models.DateTimeField("时间")
    recorded_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["carrier", "occurred_at", "pk"]
        verbose_name = "载体保管记录"
        verbose_name_plural = "载体保管记录"

    def __str__(self) -> str:
        return f"{self.carrier} {self.get_action_display()}"
