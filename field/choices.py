from django.db import models


class SyncState(models.TextChoices):
    """What became of one item sent from a phone (离线同步)."""

    APPLIED = "applied", "已同步"
    CONFLICT = "conflict", "冲突，未同步"
    REFUSED = "refused", "被拒绝"


class RatingScore(models.IntegerChoices):
    """The enterprise's rating of one inspection (涉企检查评价)."""

    VERY_BAD = 1, "很不满意"
    BAD = 2, "不满意"
    FAIR = 3, "一般"
    GOOD = 4, "满意"
    VERY_GOOD = 5, "很满意"


class SendOutcome(models.TextChoices):
    """Why an attempt at 电子送达 by e-mail failed: the mail server's reply class (RFC 5321 4.2.1)."""

    REFUSED = "refused", "邮件服务器拒收"  # 5xx: permanent, the same address again cannot succeed
    DEFERRED = "deferred", "邮件服务器暂时拒收"  # 4xx: temporary, a later retry may succeed
    UNREACHABLE = "unreachable", "无法连接邮件服务器"  # no reply: refused connection, timeout, dropped line
