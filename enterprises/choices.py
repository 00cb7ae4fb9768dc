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


class Sector(models.TextChoices):
    """监管行业领域 — the field of work-safety supervision an enterprise falls under, which decides
    the 随机抽查事项 whose scope it is in (a 工贸 item never draws a mine)."""

    HAZARDOUS_CHEMICALS = "hazardous_chemicals", "危险化学品"
    NON_COAL_MINE = "non_coal_mine", "非煤矿山"
    FIREWORKS = "fireworks", "烟花爆竹"
    INDUSTRY_TRADE = "industry_trade", "工贸（冶金、有色、建材、机械、轻工、纺织、烟草、商贸）"
    OTHER = "other", "其他"
