from django import template

register = template.Library()

EVENT_LABELS = {
    "record.create": "登记存储",
    "record.version": "更正版本",
    "record.view": "查看",
    "record.download": "下载",
    "record.explanation": "书面说明",
    "record.interruption": "发现中断",
    "record.export": "导出证据",
    "record.list": "列表查询",
    "record.denied": "调阅被拒绝",
    "record.duplicate": "重复提交",
    "record.play": "在线播放",
    "capability.denied": "无权限被拒绝",
}


@register.filter
def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind)


@register.filter
def needs_explanation(findings: list) -> str:
    """The explanation a version's findings call for: late filing first, then a clock offset."""
    codes = {f.get("code") for f in findings or []}
    if codes & {"late_filing", "late_filing_max"}:
        return "late_filing"
    return "clock" if "clock" in codes else ""


@register.filter
def event_summary(data: dict) -> str:
    parts = []
    for key, label in (
        ("purpose", "用途"),
        ("version", "版本"),
        ("name", "文件"),
        ("reason", "理由"),
        ("sha256", "SHA-256"),
    ):
        if data.get(key) not in (None, ""):
            value = str(data[key])
            parts.append(f"{label}：{value[:16] + '…' if key == 'sha256' else value}")
    return "；".join(parts)


@register.filter
def media_summary(media: dict) -> str:
    if not media:
        return ""
    parts = []
    if media.get("duration_seconds"):
        parts.append(f"时长 {media['duration_seconds']:.1f} 秒")
    if media.get("width") and media.get("height"):
        parts.append(f"{media['width']}×{media['height']}")
    if media.get("video_codec"):
        parts.append(f"视频 {media['video_codec']}")
    if media.get("audio_codec"):
        parts.append(f"音频 {media['audio_codec']}")
    if media.get("container"):
        parts.append(f"格式 {media['container']}")
    return "，".join(parts)


@register.filter
def seconds_abs(value) -> str:
    """A clock offset in whole seconds, without its sign (the words say fast or slow)."""
    return f"{abs(float(value)):.0f}"
