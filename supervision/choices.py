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


class SpotCheckState(models.TextChoices):
    COMMITTED = "committed", "已公布种子承诺值"
    DRAWN = "drawn", "已抽取"


class SpotCheckQuestion(models.TextChoices):
    """The three contents of an AV spot check (003 附件3 第十六条（一）至（三）); the pack words them."""

    RECORDED = "recorded", "规定事项已音像记录"
    CONTINUOUS = "continuous", "全过程不间断记录"
    HANDLED = "handled", "移交、存储、管理和使用符合规定"


class FaultKind(models.TextChoices):
    """执法过错的行为 (003 附件3 第十七条; 000 全过程记录制度第二十二条; 001 第三十条)."""

    DELETED = "deleted", "删除证据"
    LENT = "lent", "未经批准出借或让无关人员查阅"
    LEAKED = "leaked", "泄露记录信息"
    ALTERED = "altered", "删改、弄虚作假"
    LOST = "lost", "保管不当致损毁、丢失"
    OTHER = "other", "其他"


class FaultMeasure(models.TextChoices):
    """执法过错责任追究方式 (003 附件3 第十八条)."""

    SELF_EXAMINATION = "self_examination", "责令作出书面检查"
    CIRCULAR = "circular", "通报批评"
    SUSPENSION = "suspension", "停止执法工作"
    NO_AWARDS = "no_awards", "取消当年评优评先资格"
    DISCIPLINE = "discipline", "移送给予处分"


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
