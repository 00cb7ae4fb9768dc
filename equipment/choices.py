from django.db import models


class DeviceKind(models.TextChoices):
    BODY_CAMERA = "body_camera", "执法记录仪"
    CAMERA = "camera", "照相机"
    VOICE_RECORDER = "voice_recorder", "录音笔"
    CAMCORDER = "camcorder", "摄像机"


class DeviceStatus(models.TextChoices):
    IN_SERVICE = "in_service", "在用"
    REPAIR = "repair", "维修"
    RETIRED = "retired", "报废"
