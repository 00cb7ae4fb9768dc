from django.db import models


class ReviewState(models.TextChoices):
    SUPPLEMENTING = "supplementing", "补正材料中"
    REVIEWING = "reviewing", "审核中"
    OPINION = "opinion", "已出具审核意见"
    PASSED = "passed", "审核通过"
    NOT_PASSED = "not_passed", "审核未通过"
    FILED = "filed", "决定已备案"


class Finding(models.TextChoices):
    PASS = "pass", "符合"
    ISSUE = "issue", "存在问题"
    NA = "na", "不适用"


class Outcome(models.TextChoices):
    """The seven kinds of opinion (000 第九条); the pack gives their wording."""

    AGREE = "agree", "同意"
    NOT_DECIDE = "not_decide", "不予作出决定"
    REINVESTIGATE = "reinvestigate", "重新调查或补充调查"
    CHANGE = "change", "变更或修正"
    CORRECT_PROCEDURE = "correct_procedure", "纠正程序"
    DISAGREE_REVOCATION = "disagree_revocation", "不同意撤销行政许可"
    TRANSFER = "transfer", "移送"


class LeaderDecision(models.TextChoices):
    APPROVE = "approve", "同意作出决定"
    REFUSE = "refuse", "不同意作出决定"
