from django.db import models


class MatterKind(models.TextChoices):
    INSPECTION = "inspection", "行政检查"
    PENALTY = "penalty", "行政处罚"
    COMPULSION = "compulsion", "行政强制"
    LICENSING = "licensing", "行政许可"
    CONFIRMATION = "confirmation", "行政确认"
    BENEFIT = "benefit", "行政给付"


class Procedure(models.TextChoices):
    GENERAL = "general", "一般程序"
    SIMPLE = "simple", "简易程序"


class ServiceMethod(models.TextChoices):
    """The five ways of serving a document (001 第十八至二十二条), and 电子送达 where the party agreed to it
    in a signed 送达地址确认书 (行政处罚法第六十一条第二款)."""

    DIRECT = "direct", "直接送达"
    POST = "post", "邮寄送达"
    LEFT = "left", "留置送达"
    ENTRUSTED = "entrusted", "委托、转交送达"
    PUBLIC_NOTICE = "public_notice", "公告送达"
    ELECTRONIC = "electronic", "电子送达"


class SignerRole(models.TextChoices):
    PARTY = "party", "当事人"
    OFFICER = "officer", "执法人员"
    WITNESS = "witness", "见证人"
    OTHER = "other", "其他有关人员"


class HazardState(models.TextChoices):
    OPEN = "open", "待整改"
    REPORTED = "reported", "已报告整改完毕"
    RECTIFIED = "rectified", "已整改"
    NOT_RECTIFIED = "not_rectified", "逾期未整改"
    REFERRED = "referred", "已移交立案查处"
