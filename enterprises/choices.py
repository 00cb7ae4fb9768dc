from django.db import models


class PartyKind(models.TextChoices):
    NATURAL_PERSON = "natural_person", "自然人"
    LEGAL_PERSON = "legal_person", "法人"
    OTHER_ORGANISATION = "other_organisation", "非法人组织"


class RiskLevel(models.TextChoices):
    MAJOR = "major", "重大风险"
    HIGH = "high", "较大风险"
    GENERAL = "general", "一般风险"
    LOW = "low", "低风险"
