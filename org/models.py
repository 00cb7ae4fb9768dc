from datetime import date

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q

from org.choices import CertificateStatus, Role, SectionKind
from org.validators import validate_uscc


class Agency(models.Model):
    """执法主体 — an authority that enforces, e.g. 抚顺市应急管理局."""

    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30, blank=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc])
    jurisdiction = models.CharField("管辖范围", max_length=200)
    duties = models.TextField("主要职责", blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    complaint_channel = models.TextField("监督举报方式", blank=True)
    policy_pack = models.CharField("政策包", max_length=60)
    instrument_prefix = models.CharField("文书编号机关代字", max_length=20, blank=True)
    payment_bank = models.CharField("罚款代收银行", max_length=100, blank=True)
    payment_account = models.CharField("罚款缴纳账号", max_length=40, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "执法主体"
        verbose_name_plural = "执法主体"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SupervisingBody(models.Model):
    """行政执法监督机关 — the 司法行政部门 of a people's government (e.g. 抚顺市司法局), which supervises
    the enforcement of the agencies of its government (行政处罚法第七十五条; 000 第十七条: their
    执法事项清单 pass its review). Its staff read, never act, in the agencies it supervises."""

    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30, blank=True)
    jurisdiction = models.CharField("监督范围", max_length=200)
    agencies = models.ManyToManyField(
        "org.Agency", through="org.SupervisedAgency", related_name="supervising_bodies", verbose_name="被监督执法主体"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "执法监督机关"
        verbose_name_plural = "执法监督机关"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SupervisedAgency(models.Model):
    """An agency under a supervising body's 执法监督, from the day it was attached."""

    body = models.ForeignKey("org.SupervisingBody", on_delete=models.PROTECT, related_name="supervised")
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="supervised_by")
    attached_at = models.DateTimeField("纳入监督时间", auto_now_add=True)

    class Meta:
        verbose_name = "被监督执法主体"
        verbose_name_plural = "被监督执法主体"
        constraints = [models.UniqueConstraint(fields=["body", "agency"], name="supervised_agency_unique")]

    def __str__(self) -> str:
        return f"{self.body} → {self.agency}"


class Section(models.Model):
    """科室 / 大队 / 安监所 — a unit inside an agency."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="sections", verbose_name="执法主体"
    )
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=10, choices=SectionKind.choices, default=SectionKind.SECTION)
    duties = models.TextField("职责", blank=True)
    enforces = models.BooleanField("承担监管执法", default=True)

    class Meta:
        verbose_name = "科室"
        verbose_name_plural = "科室"
        ordering = ["agency", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="section_unique_name_in_agency")
        ]

    def __str__(self) -> str:
        return self.name


class StaffManager(UserManager):
    def get_queryset(self):
        return super().get_queryset().select_related("agency", "section")


class Staff(AbstractUser):
    """工作人员 — anyone who logs in: officers (with a 执法证), chiefs, reviewers, leaders, clerks."""

    name = models.CharField("姓名", max_length=30)
    agency = models.ForeignKey(
        "org.Agency",
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
        verbose_name="执法主体",
    )
    section = models.ForeignKey(
        "org.Section",
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
        verbose_name="科室",
    )
    position = models.CharField("职务", max_length=40, blank=True)
    phone = models.CharField("电话", max_length=30, blank=True)
    frontline = models.BooleanField("一线执法人员", default=False)
    supervising_body = models.ForeignKey(
        "org.SupervisingBody",
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
        verbose_name="监督机关",
    )
    legal_qualification = models.CharField(
        "法律职业资格证书编号",
        max_length=40,
        blank=True,
        help_text="初次从事行政处罚决定法制审核的人员须取得法律职业资格（行政处罚法第五十八条）。",
    )

    objects = StaffManager()

    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"
        ordering = ["agency", "section", "id"]
        constraints = [
            # One employer: an agency or a supervising body, never both.
            models.CheckConstraint(
                condition=Q(agency__isnull=True) | Q(supervising_body__isnull=True),
                name="staff_one_employer",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def role_codes(self) -> set[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = set(self.role_assignments.values_list("role", flat=True))
            self._role_codes = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [Role(code).label for code in Role.values if code in self.role_codes]


class RoleAssignment(models.Model):
    """A role held by a member of staff."""

    staff = models.ForeignKey(
        "org.Staff", on_delete=models.CASCADE, related_name="role_assignments", verbose_name="人员"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField("授予时间", auto_now_add=True)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        constraints = [
            models.UniqueConstraint(fields=["staff", "role"], name="role_assignment_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_assignment_known_role"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.get_role_display()}"


class EnforcementCertificateQuerySet(models.QuerySet):
    def valid_on(self, day: date):
        return self.filter(status=CertificateStatus.VALID, valid_from__lte=day, valid_to__gte=day)


class EnforcementCertificate(models.Model):
    """执法证 — the certificate that lets an officer enforce, in a category and a region, for a period."""

    staff = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="certificates", verbose_name="持证人"
    )
    number = models.CharField("证件编号", max_length=40, unique=True)
    category = models.CharField("执法类别", max_length=60)
    region = models.CharField("执法区域", max_length=100)
    issuer = models.CharField("发证机关", max_length=100, blank=True)
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止")
    status = models.CharField(
        "状态", max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.VALID
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = EnforcementCertificateQuerySet.as_manager()

    class Meta:
        verbose_name = "执法证"
        verbose_name_plural = "执法证"
        ordering = ["-valid_to"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="certificate_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def is_valid_on(self, day: date) -> bool:
        return self.status == CertificateStatus.VALID and self.valid_from <= day <= self.valid_to
