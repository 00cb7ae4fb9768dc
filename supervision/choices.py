from django.db import models


class FindingEventKind(models.TextChoices):
    OPENED = "opened", "发现"
    CLOSED = "closed", "已纠正"
    REOPENED = "reopened", "再次发现"


class Check(models.TextChoices):
    """The after-the-fact checks of the compliance scan; each names the pack rule it applies."""

    DEADLINE = "deadline", "法定期限逾期"
    AV_MISSING = "av_missing", "应音像记录的环节无记录"
    RECORD = "record", "记录存储问题"
    INTERRUPTION = "interruption", "记录中断未说明"
    PUBLICATION_LATE = "publication_late", "执法决定未按时公开"
    PUBLICATION_STALE = "publication_stale", "公示期满或应撤回未撤下"
    REVIEW_MISSING = "review_missing", "重大执法决定未经法制审核"
    SERVICE_PROOF = "service_proof", "文书送达缺少送达凭证"


class ReminderCategory(models.TextChoices):
    DEADLINE = "deadline", "办案期限"
    FINDING = "finding", "监督发现待纠正"
    HAZARD = "hazard", "隐患整改复查"
    PUBLICATION = "publication", "执法决定公开"
    REVIEW = "review", "法制审核期限"


class ChallengeKind(models.TextChoices):
    RECONSIDERATION = "reconsideration", "行政复议"
    LITIGATION = "litigation", "行政诉讼"


class ChallengeResult(models.TextChoices):
    """The results a 复议机关 (行政复议法 第六十三至六十九条) or a court (行政诉讼法 第六十九至七十七条)
    may reach, grouped as supervision counts them."""

    PENDING = "pending", "尚未审结"
    UPHELD = "upheld", "维持、驳回"
    CHANGED = "changed", "变更"
    REVOKED = "revoked", "撤销或部分撤销（含责令重作）"
    UNLAWFUL = "unlawful", "确认违法"
    INVALID = "invalid", "确认无效"
    PERFORM = "perform", "责令履行"
    WITHDRAWN = "withdrawn", "撤回、终止"
    SETTLED = "settled", "调解结案"


# 败诉 (复议诉讼败诉率): the decision changed, set aside, found unlawful or void, or the agency ordered to act.
LOST_RESULTS = (ChallengeResult.CHANGED, ChallengeResult.REVOKED, ChallengeResult.UNLAWFUL,
                ChallengeResult.INVALID, ChallengeResult.PERFORM)
