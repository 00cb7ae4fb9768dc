from django.db import models

from enterprises.choices import PartyKind, RiskLevel, Sector


class Party(models.Model):
    """当事人 / 行政相对人 — the person or organisation an enforcement act is directed at."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="parties", verbose_name="登记机关"
    )
    kind = models.CharField("类型", max_length=20, choices=PartyKind.choices)
    name = models.CharField("名称或姓名", max_length=120)
    id_number = models.CharField(
        "证件号码", max_length=40, help_text="自然人为身份证号码，单位为统一社会信用代码"
    )
    phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("住所或经营地址", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = "当事人"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "id_number"], name="party_unique_id_in_agency")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_enterprise(self) -> bool:
        """Whether the party is a registered 生产经营单位 (has a page in the register); a natural person has none."""
        return isinstance(self, Enterprise) or hasattr(self, "enterprise")


class Enterprise(Party):
    """生产经营单位 — a regulated enterprise with its base information (一企一档)."""

    legal_representative = models.CharField("法定代表人（主要负责人）", max_length=30)
    industry = models.CharField("所属行业", max_length=60)
    sector = models.CharField(
        "监管行业领域", max_length=30, choices=Sector.choices, blank=True, help_text="决定该单位属于哪些随机抽查事项的抽查对象"
    )
    region = models.CharField("所属区域", max_length=60, blank=True)
    business_scope = models.TextField("经营范围", blank=True)
    employees = models.PositiveIntegerField("从业人员数", null=True, blank=True)
    risk_level = models.CharField(
        "风险等级", max_length=10, choices=RiskLevel.choices, default=RiskLevel.GENERAL
    )
    major_hazard_source = models.BooleanField("构成重大危险源", default=False)
    hazardous_processes = models.CharField("危险化工工艺", max_length=200, blank=True)
    contact_person = models.CharField("安全管理联系人", max_length=30, blank=True)
    contact_phone = models.CharField("联系人电话", max_length=30, blank=True)
    supervising_section = models.ForeignKey(
        "org.Section",
        on_delete=models.PROTECT,
        related_name="enterprises",
        null=True,
        blank=True,
        verbose_name="监管科室",
    )

    class Meta:
        verbose_name = "生产经营单位"
        verbose_name_plural = "生产经营单位"
        ordering = ["name"]

    @property
    def uscc(self) -> str:
        return self.id_number
