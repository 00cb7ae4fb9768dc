"""行政执法公示 models: published decisions with every version, correction requests, and the list
of enforcement powers shown before enforcement (事前公开)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from enterprises.choices import PartyKind
from publicity.choices import Category, CorrectionState, PublicationState


class Publication(models.Model):
    """执法决定公示信息 — one enforcement decision as the public sees it, from draft to taken down.

    `content` is the full snapshot taken when the decision was handed over (it never follows the
    source data); `public` is what `publicity.masking.public_view` made of it, the only thing the
    portal and the feeds serve. Taking down changes the state; nothing is deleted.
    """

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="publications", verbose_name="执法机关"
    )
    category = models.CharField("执法类别", max_length=20, choices=Category.choices)
    state = models.CharField(
        "状态", max_length=12, choices=PublicationState.choices, default=PublicationState.DRAFT
    )
    party_kind = models.CharField("当事人类型", max_length=20, choices=PartyKind.choices)
    minor = models.BooleanField("情节轻微且已及时纠正", default=False)
    decided_on = models.DateField("决定日期")
    instrument_number = models.CharField("文书号", max_length=80)
    party_public = models.CharField("公示的当事人名称", max_length=120)
    content = models.JSONField("内容快照")
    public = models.JSONField("公示内容")
    row_html = models.TextField("列表行", blank=True, help_text="`public` as one escaped row of the portal's list")
    version = models.PositiveIntegerField("版本", default=1)
    due_on = models.DateField("应公开日期")
    published_at = models.DateTimeField("公示时间", null=True, blank=True)
    display_until = models.DateField("公示截止日期", null=True, blank=True)
    taken_down_at = models.DateTimeField("撤下时间", null=True, blank=True)
    withdrawal_note = models.TextField("撤回说明", blank=True)
    withdrawal_due = models.DateField("应撤回日期", null=True, blank=True)
    source = models.CharField("来源", max_length=80, blank=True, help_text="如 matters.matter:12")
    record = models.ForeignKey(
        "records.Record",
        on_delete=models.PROTECT,
        related_name="publications",
        null=True,
        blank=True,
        verbose_name="存档记录",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField("审查时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "执法决定公示"
        verbose_name_plural = "执法决定公示"
        ordering = ["-decided_on", "-id"]
        indexes = [
            # The portal's search reads ids from these alone (display_until included), then 20 rows;
            # a text search walks the first in date order, matching name and number in the index.
            # Any part of a name or number is found through the trigram indexes of migration 0003.
            models.Index(
                fields=["state", "decided_on", "id", "display_until", "party_public", "instrument_number"],
                name="pub_state_decided_text",
            ),
            models.Index(
                fields=["state", "category", "decided_on", "id", "display_until"], name="pub_state_category"
            ),
            models.Index(fields=["instrument_number"], name="pub_instrument"),
            models.Index(fields=["agency", "state", "due_on"], name="pub_agency_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=PublicationState.PUBLISHED) | Q(published_at__isnull=False),
                name="publication_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_number} · {self.party_public}"


class PublicationVersion(models.Model):
    """One version of a publication's content: the first draft, each correction, the withdrawal."""

    publication = models.ForeignKey(
        "publicity.Publication", on_delete=models.PROTECT, related_name="versions", verbose_name="公示信息"
    )
    number = models.PositiveIntegerField("版本号")
    content = models.JSONField("内容快照")
    public = models.JSONField("公示内容")
    reason = models.TextField("变更原因", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "公示信息版本"
        verbose_name_plural = "公示信息版本"
        ordering = ["publication", "number"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "number"], name="publication_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.publication_id} v{self.number}"


def _token() -> str:
    return secrets.token_urlsafe(12)


class CorrectionRequest(models.Model):
    """公示信息更正申请 (000 公示制度第二十五条): anyone with evidence; staff verify and answer."""

    publication = models.ForeignKey(
        "publicity.Publication", on_delete=models.PROTECT, related_name="corrections", verbose_name="公示信息"
    )
    token = models.CharField("查询码", max_length=24, unique=True, default=_token)
    applicant = models.CharField("申请人", max_length=60)
    contact = models.CharField("联系方式", max_length=100)
    statement = models.TextField("申请更正的内容和理由")
    evidence = models.TextField("证据说明")
    evidence_record = models.ForeignKey(
        "records.Record", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        "状态", max_length=10, choices=CorrectionState.choices, default=CorrectionState.PENDING
    )
    answer = models.TextField("答复理由", blank=True)
    appeal = models.TextField("申诉途径", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("答复时间", null=True, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    client_address = models.GenericIPAddressField("提交来源地址", null=True, blank=True)

    class Meta:
        verbose_name = "更正申请"
        verbose_name_plural = "更正申请"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client_address", "created_at"])]

    def __str__(self) -> str:
        return f"{self.applicant} → {self.publication_id}"


class EnforcementPower(models.Model):
    """行政执法事项（权责清单）— one enforcement power with its legal basis (000 公示制度第七条、第十七条)."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="powers", verbose_name="执法主体"
    )
    code = models.CharField("事项编码", max_length=40)
    name = models.CharField("事项名称", max_length=200)
    category = models.CharField("执法类别", max_length=20, choices=Category.choices)
    basis = models.TextField("法律依据")
    section = models.ForeignKey(
        "org.Section", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="承办机构"
    )
    workflow = models.CharField("执法流程", max_length=40, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "行政执法事项"
        verbose_name_plural = "行政执法事项"
        ordering = ["agency", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="power_code_unique")]

    def __str__(self) -> str:
        return self.name


class BasisChange(models.Model):
    """执法依据或职能变化 — a law or duty that changed; the items that cite it must be updated
    within the pack's period (000 公示制度第十九条)."""

    agency = models.ForeignKey(
        "org.Agency", on_delete=models.PROTECT, related_name="basis_changes", verbose_name="执法主体"
    )
    basis = models.CharField("变化的依据或职能", max_length=200)
    description = models.TextField("变化情况")
    effective_on = models.DateField("生效或调整日期")
    due_on = models.DateField("应更新日期")
    resolved_at = models.DateTimeField("更新完成时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "依据或职能变化"
        verbose_name_plural = "依据或职能变化"
        ordering = ["-effective_on"]

    def __str__(self) -> str:
        return self.basis
