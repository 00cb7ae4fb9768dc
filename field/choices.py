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


class SendState(models.TextChoices):
    """Where one attempt at 电子送达 stands. An attempt is recorded before its message is stored or
    handed to the mail server, so an attempt the process or the database lost mid-way is found and
    settled (field.services.electronic_sends_settle) rather than forgotten."""

    PREPARED = "prepared", "待发送"  # recorded; the message not yet filed, never handed to the mail server
    SENDING = "sending", "发送中"  # filed and being handed to the mail server
    SENT = "sent", "已发送"  # the mail server accepted it
    FAILED = "failed", "发送未成功"  # the mail server refused it or was not reached
    UNKNOWN = "unknown", "发送结果不明"  # handed over, but no outcome was recorded: it may or may not have gone out
    ABANDONED = "abandoned", "未发出"  # the message could not be filed, so it was never handed over
