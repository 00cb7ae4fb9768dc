from django.db import models


class CaseFileState(models.TextChoices):
    OPEN = "open", "待归档"
    SEALED = "sealed", "已归档"
    DISPOSED = "disposed", "已销毁"


class ItemSource(models.TextChoices):
    INSTRUMENT = "instrument", "执法文书"
    STEP = "step", "环节记录"
    SERVICE = "service", "送达材料"
    ADDED = "added", "归档时补充"


class HoldKind(models.TextChoices):
    RECONSIDERATION = "reconsideration", "行政复议"
    LITIGATION = "litigation", "行政诉讼"
    ACCESS_REQUEST = "access_request", "调阅申请未办结"
    COMPLAINT = "complaint", "投诉举报未办结"


class DisposalState(models.TextChoices):
    PROPOSED = "proposed", "待审批"
    APPROVED = "approved", "已批准销毁"
    REJECTED = "rejected", "未批准"


class CollectionCategory(models.TextChoices):
    # 000 信息采集存储分析和归档制度 第三条
    BASE = "base", "企业基础信息"
    ENFORCEMENT = "enforcement", "行政执法信息"
    OTHER = "other", "其他监管信息"


class CarrierKind(models.TextChoices):
    DISC = "disc", "光盘"
    DRIVE = "drive", "移动硬盘"
    USB = "usb", "U盘"
    OTHER = "other", "其他"


class CustodyAction(models.TextChoices):
    REGISTER = "register", "登记入库"
    LEND = "lend", "借出"
    RETURN = "return", "归还"
    INSPECT = "inspect", "检查"
    MOVE = "move", "移库"


class RemovalState(models.TextChoices):
    WAITING = "waiting", "等待对象锁定期满"
    REMOVED = "removed", "已物理删除"
