from django.db import models


class RequesterKind(models.TextChoices):
    """Who asks (000 记录信息调阅监督制度第五至八条; 003 附件4 第三至五条). The codes are the
    `requester` values of the pack's access.approval table."""

    OWN_SECTION = "own_section", "承办科室"
    OTHER_SECTION = "other_section", "本局其他科室"
    EXTERNAL_VISIT = "external_visit", "外单位来人"
    EXTERNAL_LETTER = "external_letter", "外单位来函"
    JUDICIAL = "judicial", "公安、检察、法院、国家安全、纪检监察、审计等机关"
    PARTY = "party", "当事人"
    PARTY_LAWYER = "party_lawyer", "当事人代理律师"


STAFF_KINDS = (RequesterKind.OWN_SECTION, RequesterKind.OTHER_SECTION)
# The pack's row for staff who borrow a file out of the archive (003 附件4 第七条).
INTERNAL_BORROW = "internal_borrow"


class Action(models.TextChoices):
    VIEW = "view", "查阅"
    COPY = "copy", "复制"
    BORROW = "borrow", "借阅（外借）"


class RequestState(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "不予批准"


class Proceedings(models.TextChoices):
    """A matter in 复议 or 诉讼 follows those laws' rules on the file (003 附件4 第六条)."""

    NONE = "none", "无"
    RECONSIDERATION = "reconsideration", "行政复议"
    LITIGATION = "litigation", "行政诉讼"


class Medium(models.TextChoices):
    DISC = "disc", "光盘"
    FILE = "file", "电子文件"
    PAPER = "paper", "纸质复印件"


class KeepReason(models.TextChoices):
    """Why AV records are kept long-term (003 附件3 第十条); the labels are the pack's list."""

    OBJECTION = "objection", "当事人对现场执法、办案有异议或者投诉、上访"
    OBSTRUCTION = "obstruction", "当事人逃避、拒绝、阻碍执法或谩骂、侮辱、殴打执法人员"
    INCIDENT = "incident", "执法人员参与处置群体性事件、突发事件"
    OTHER = "other", "其他需要长期保存的重要情况"
