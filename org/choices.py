from django.db import models


class Role(models.TextChoices):
    """What a member of staff may do. One person may hold several roles."""

    OFFICER = "officer", "执法人员"
    SECTION_CHIEF = "section_chief", "科室负责人"
    LEGAL_REVIEWER = "legal_reviewer", "法制审核人员"
    LEADER = "leader", "局领导"
    ARCHIVIST = "archivist", "档案管理员"
    OFFICE = "office", "办公室"
    ADMIN = "admin", "系统管理员"
    # Staff of a supervising body (司法行政部门), not of an agency: reads the agencies it supervises.
    OVERSIGHT = "oversight", "执法监督（司法行政）"


class SectionKind(models.TextChoices):
    SECTION = "section", "科室"
    BRIGADE = "brigade", "大队"
    STATION = "station", "安监所"


class CertificateStatus(models.TextChoices):
    VALID = "valid", "有效"
    SUSPENDED = "suspended", "暂扣"
    REVOKED = "revoked", "注销"
