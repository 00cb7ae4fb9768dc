from django.db import models


class RecordKind(models.TextChoices):
    DOCUMENT = "document", "文字记录"
    VIDEO = "video", "录像"
    AUDIO = "audio", "录音"
    PHOTO = "photo", "照片"
    OTHER = "other", "其他"


class Confidentiality(models.TextChoices):
    NORMAL = "normal", "一般"
    RESTRICTED = "restricted", "涉及商业秘密或个人隐私"
    SECRET = "secret", "涉及国家秘密"


class Source(models.TextChoices):
    UPLOAD = "upload", "网页上传"
    API = "api", "接口上传"
    DOCK = "dock", "采集站导入"


class ExplanationKind(models.TextChoices):
    LATE_FILING = "late_filing", "逾期存储说明"
    INTERRUPTION = "interruption", "中断说明"
    CLOCK = "clock", "设备时间偏差说明"


class ReturnKind(models.TextChoices):
    """Why recordings could not be handed over the same day (000 执法音像记录管理制度第十四条; 003 附件3第六条)."""

    CONTINUOUS = "continuous", "连续工作"
    REMOTE = "remote", "异地执法"
    OUTLYING = "outlying", "偏远、交通不便地区执法"
