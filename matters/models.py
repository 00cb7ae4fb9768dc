"""执法事项: matters, the steps they went through, their 文书, signatures and service."""

from django.conf import settings
from django.db import models

from matters.choices import HazardState, MatterKind, Procedure, ServiceMethod, SignerRole
from records.choices import Confidentiality


class Matter(models.Model):
    """执法事项 / 案件: one enforcement act from opening to closing, run by a workflow."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="matters")
    section = models.ForeignKey("org.Section", on_delete=models.PROTECT, related_name="matters")
    kind = models.CharField("类别", max_length=20, choices=MatterKind.choices)
    procedure = models.CharField(
        "程序", max_length=10, choices=Procedure.choices, default=Procedure.GENERAL
    )
    workflow = models.CharField("流程", max_length=40)
    state = models.CharField("当前环节", max_length=40)
    title = models.CharField("事由", max_length=200)
    party = models.ForeignKey(
        "enterprises.Party", on_delete=models.PROTECT, related_name="matters", null=True, blank=True
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="matters", verbose_name="承办执法人员"
    )
    facts = models.TextField("违法事实 / 基本情况", blank=True)
    legal_basis = models.TextField("依据", blank=True)
    fine_amount = models.DecimalField("罚款数额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    measures = models.JSONField("其他处理措施", default=list, blank=True)
    major = models.BooleanField("重大案件", default=False)
    major_reason = models.CharField("重大案件理由", max_length=300, blank=True)
    confidentiality = models.CharField(
        "密级", max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    data = models.JSONField("环节信息", default=dict, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="matters_opened"
    )
    opened_at = models.DateTimeField("登记时间")
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = "执法事项"
        verbose_name_plural = "执法事项"
        indexes = [
            models.Index(fields=["agency", "state"]),
            # The workbench and the queues read open matters only: a partial index keeps them as fast
            # at a million closed matters as at none (bench/province.py).
            models.Index(
                fields=["agency", "section"], condition=models.Q(closed_at__isnull=True), name="matter_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.title}"

    @property
    def state_label(self) -> str:
        """The state as the matter's workflow names it (已立案调查), not its code."""
        from matters.workflows import workflow_for

        return workflow_for(self.kind, self.procedure).state(self.state).label


class Step(models.Model):
    """One transition a matter went through: who did what, when, with which records."""

    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="steps")
    transition = models.CharField("环节", max_length=40)
    label = models.CharField("名称", max_length=60)
    from_state = models.CharField("原环节", max_length=40)
    to_state = models.CharField("新环节", max_length=40)
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="matter_steps", verbose_name="参与执法人员", blank=True
    )
    note = models.TextField("说明", blank=True)
    data = models.JSONField("填报内容", default=dict, blank=True)
    records = models.ManyToManyField("records.Record", related_name="matter_steps", blank=True)
    exemption = models.ForeignKey(
        "records.Exemption", on_delete=models.PROTECT, related_name="matter_steps", null=True, blank=True
    )
    occurred_at = models.DateTimeField("发生时间")
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acted_at = models.DateTimeField("办理时间", auto_now_add=True)
    event_index = models.BigIntegerField("存证序号", null=True, blank=True)
    # The step's ledger event: its leaf number is given by the sequencer after the commit.
    event = models.ForeignKey("ledger.Event", on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        ordering = ["acted_at", "pk"]
        verbose_name = "办理环节"
        verbose_name_plural = "办理环节"

    def __str__(self) -> str:
        return self.label

    @property
    def ledger_index(self) -> int | None:
        """The step's leaf in the ledger; None while its event waits for the sequencer (待入账)."""
        if self.event_index is not None:
            return self.event_index
        return self.event.index if self.event_id else None


class Hazard(models.Model):
    """隐患 found in an inspection, with its rectification due date."""

    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="hazards")
    description = models.TextField("隐患描述")
    location = models.CharField("部位", max_length=200, blank=True)
    rectify_by = models.DateField("整改期限", null=True, blank=True)
    state = models.CharField("状态", max_length=20, choices=HazardState.choices, default=HazardState.OPEN)
    found_in = models.ForeignKey("matters.Step", on_delete=models.PROTECT, related_name="hazards_found")
    checked_in = models.ForeignKey(
        "matters.Step", on_delete=models.PROTECT, related_name="hazards_checked", null=True, blank=True
    )
    # The register (隐患台账): each hazard's own evidence, deadline, report and re-inspection.
    photo = models.ForeignKey(
        "records.Record", on_delete=models.PROTECT, related_name="hazards_shown", null=True, blank=True
    )
    rule_broken = models.CharField("违反的规定", max_length=300, blank=True)
    article = models.CharField("条款", max_length=60, blank=True)
    deadline = models.ForeignKey(
        "policy.Deadline", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reported_at = models.DateTimeField("报告整改完毕时间", null=True, blank=True)
    report_note = models.TextField("整改情况报告", blank=True)
    report_photos = models.ManyToManyField(
        "records.Record", related_name="hazard_reports", blank=True, verbose_name="整改照片"
    )
    checked_at = models.DateTimeField("复查时间", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    check_note = models.TextField("复查意见", blank=True)
    penalty = models.ForeignKey(
        "matters.Matter", on_delete=models.PROTECT, related_name="hazards_referred", null=True, blank=True
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = "隐患"
        verbose_name_plural = "隐患"

    def __str__(self) -> str:
        return self.description[:40]


class InstrumentSequence(models.Model):
    """The last number issued for one agency, 文书 type and year (the 〔年〕号 counter)."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    type = models.CharField("文书种类", max_length=40)
    year = models.PositiveSmallIntegerField("年度")
    last = models.PositiveIntegerField("已用号", default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "type", "year"], name="instrument_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.year}: {self.last}"


class Instrument(models.Model):
    """文书: an official document of a matter, numbered 〔年〕号, its DOCX and PDF in the vault."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="instruments")
    matter = models.ForeignKey(
        "matters.Matter", on_delete=models.PROTECT, related_name="instruments", null=True, blank=True
    )
    step = models.ForeignKey(
        "matters.Step", on_delete=models.PROTECT, related_name="instruments", null=True, blank=True
    )
    type = models.CharField("文书种类", max_length=40)
    title = models.CharField("文书名称", max_length=100)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    sequence = models.PositiveIntegerField("序号", null=True, blank=True)
    number = models.CharField("文书编号", max_length=60, blank=True)
    content = models.JSONField("内容", default=dict)
    docx = models.ForeignKey(
        "records.Record", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    pdf = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    party_signs = models.BooleanField("须当事人签名", default=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("制作时间")

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = "文书"
        verbose_name_plural = "文书"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "type", "year", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="instrument_number_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.number}".strip()


class Signature(models.Model):
    """A signature on a 文书, or the refusal to sign (拒绝签名) recorded with a witness."""

    instrument = models.ForeignKey("matters.Instrument", on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField("身份", max_length=10, choices=SignerRole.choices)
    name = models.CharField("姓名", max_length=60)
    refused = models.BooleanField("拒绝签名", default=False)
    refusal_reason = models.CharField("拒签情况", max_length=300, blank=True)
    witness = models.CharField("见证人", max_length=60, blank=True)
    signed_on = models.DateField("签名日期")
    scan = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "签名"
        verbose_name_plural = "签名"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refused=False) | ~models.Q(witness=""), name="signature_refusal_has_witness"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（拒签）" if self.refused else self.name


class Service(models.Model):
    """送达 of one 文书 in one of the five ways, with what that way must leave behind."""

    instrument = models.ForeignKey("matters.Instrument", on_delete=models.PROTECT, related_name="services")
    method = models.CharField("送达方式", max_length=20, choices=ServiceMethod.choices)
    recipient = models.CharField("受送达人", max_length=100)
    served_at = models.DateTimeField("送达时间")
    place = models.CharField("送达地点", max_length=200, blank=True)
    details = models.JSONField("送达情况", default=dict)
    records = models.ManyToManyField("records.Record", related_name="services", blank=True)
    # The scanned 送达回证: one record proves one service (the database holds it to that).
    receipt = models.OneToOneField(
        "records.Record",
        on_delete=models.PROTECT,
        related_name="receipt_of",
        null=True,
        blank=True,
        verbose_name="送达回证",
    )
    receipt_added_at = models.DateTimeField("补充回证登记时间", null=True, blank=True)
    address = models.ForeignKey(
        "matters.ServiceAddress",
        on_delete=models.PROTECT,
        related_name="services",
        null=True,
        blank=True,
        verbose_name="送达地址确认书",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["served_at", "pk"]
        verbose_name = "送达"
        verbose_name_plural = "送达"

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.recipient}"


class ServiceAddress(models.Model):
    """送达地址确认书: where the party of a matter accepts service and whether it agrees to electronic
    service (行政处罚法第六十一条第二款), kept with the scan of the signed page."""

    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="service_addresses")
    party = models.ForeignKey(
        "enterprises.Party", on_delete=models.PROTECT, related_name="service_addresses", null=True, blank=True
    )
    recipient = models.CharField("受送达人", max_length=100)
    postal_address = models.CharField("送达地址", max_length=200, blank=True)
    email = models.CharField("电子邮箱", max_length=100, blank=True)
    fax = models.CharField("传真号码", max_length=30, blank=True)
    phone = models.CharField("手机号码", max_length=30, blank=True)
    electronic = models.BooleanField("同意电子送达", default=False)
    signed_on = models.DateField("签署日期")
    scan = models.ForeignKey(
        "records.Record", on_delete=models.PROTECT, related_name="service_addresses", verbose_name="确认书扫描件"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "送达地址确认书"
        verbose_name_plural = "送达地址确认书"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(electronic=False) | ~models.Q(email="") | ~models.Q(fax="") | ~models.Q(phone=""),
                name="service_address_electronic_has_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient}（{self.signed_on:%Y-%m-%d}）"

    @property
    def electronic_addresses(self) -> list[str]:
        """The addresses the party accepted electronic service at."""
        return [a for a in (self.email, self.fax, self.phone) if a] if self.electronic else []
