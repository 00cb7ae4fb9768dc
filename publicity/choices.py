from django.db import models


class Category(models.TextChoices):
    """执法类别 of a published decision; 许可 and 处罚 have the shorter publication deadline."""

    LICENSING = "licensing", "行政许可"
    PENALTY = "penalty", "行政处罚"
    COMPULSION = "compulsion", "行政强制"
    INSPECTION = "inspection", "行政检查"
    CONFIRMATION = "confirmation", "行政确认"
    BENEFIT = "benefit", "行政给付"
    OTHER = "other", "其他"


class PublicationState(models.TextChoices):
    DRAFT = "draft", "待审查"
    REVIEWED = "reviewed", "已审查待发布"
    PUBLISHED = "published", "已公示"
    WITHDRAWN = "withdrawn", "已撤回"
    EXPIRED = "expired", "公示期满已撤下"


class CorrectionState(models.TextChoices):
    PENDING = "pending", "待核实"
    CORRECTED = "corrected", "已更正"
    REFUSED = "refused", "不予更正"


# Which pack rule sets the publication deadline of each category (000 公示制度第二十一条).
DEADLINE_RULE = {
    Category.LICENSING: "publicity.licensing_deadline",
    Category.PENALTY: "publicity.penalty_deadline",
}
OTHER_DEADLINE_RULE = "publicity.other_deadline"
