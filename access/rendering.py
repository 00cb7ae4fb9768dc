"""The PDFs and spreadsheets of access: the 证据复制说明, the 刻盘存储记录表 (003 附件3 第九条) and
the 查阅登记簿. PDFs reuse the 文书 renderer (fpdf2 with Debian's Noto CJK)."""

from pathlib import Path

from django.utils import timezone

from matters.rendering import BREAK, Block, render_pdf


def _t(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _length(version) -> str:
    seconds = (version.media or {}).get("duration_seconds")
    if not seconds:
        return "—"
    seconds = round(float(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _format(version) -> str:
    media = version.media or {}
    parts = [version.format or media.get("container") or ""]
    parts += [media.get("video_codec") or "", media.get("audio_codec") or ""]
    return " / ".join(p for p in parts if p) or "—"


def statement_pdf(request, copies, path: Path) -> Path:
    """证据复制说明: one section per copy, with 制作人, 提取人, 提取时间, 证明对象 and the file's hash
    (000 执法音像记录管理制度第十六条; 003 附件3 第十四条)."""
    blocks = [
        Block("agency", request.agency.name),
        Block("title", "证据复制说明"),
        Block("number", f"调阅编号：{request.number}"),
        Block("row", f"{request.get_requester_kind_display()}　{request.requester_name}", "申请人"),
        Block("row", request.requester_org or "—", "申请单位"),
        Block("row", request.purpose, "调阅事由"),
        Block("row", f"{request.decided_by.name if request.decided_by else '无需审批'}　{_t(request.decided_at)}", "批准"),
    ]
    for i, copy in enumerate(copies, start=1):
        v = copy.version
        blocks += [
            Block("heading", f"{i}. {v.record.title}"),
            Block("row", f"{v.original_name}（第{v.number}版，{v.size} 字节）", "文件"),
            Block("row", f"{v.sha256[:32]}{BREAK}{v.sha256[32:]}", "SHA-256"),
            Block("row", copy.get_medium_display(), "载体"),
            Block("row", copy.maker.name, "制作人"),
            Block("row", copy.extractor or "—", "提取人"),
            Block("row", _t(copy.extracted_at), "提取时间"),
            Block("row", copy.proves or "—", "证明对象"),
            Block("row", f"{copy.fee} 元", "复制费用"),
        ]
    blocks.append(Block("note", "本说明所列文件的哈希值与光盘中台账证明登记的一致，可用光盘中的核验程序离线核对。"))
    render_pdf(blocks, path, title="证据复制说明", number=request.number, identifier=request.number,
               moment=timezone.localtime())
    return path


def disc_log_rows(version, log) -> list[tuple[str, str]]:
    """One file's lines of the 刻盘存储记录表, the media facts taken from the stored file's probe."""
    record = version.record
    device = record.device
    return [
        ("执法人员", "、".join(o.name for o in record.officers.all()) or "—"),
        ("摄录人员", record.created_by.name if record.created_by else "—"),
        ("摄录起止时间", f"{_t(version.recorded_start)} 至 {_t(version.recorded_end)}"),
        ("摄录地点", log.place),
        ("设备品牌和型号", f"{device.get_kind_display()} {device.model or ''}（编号 {device.serial}）" if device else "—"),
        ("录音录像格式", _format(version)),
        ("长度", _length(version)),
    ]


def disc_log_pdf(request, log, versions, path: Path) -> Path:
    """执法音像记录设备摄录内容刻盘存储记录表 (003 附件3 第九条): per file the officers, who
    recorded, start and end, place, device brand and model, format and length (from the media
    probe), then the signatures and the approval of the head of the department."""
    blocks = [
        Block("agency", request.agency.name),
        Block("title", "执法音像记录设备摄录内容刻盘存储记录表"),
        Block("number", f"调阅编号：{request.number}"),
    ]
    for i, v in enumerate(versions, start=1):
        blocks.append(Block("heading", f"{i}. {v.record.title}"))
        blocks += [Block("row", value, label) for label, value in disc_log_rows(v, log)]
    blocks += [
        Block("row", "、".join(log.signers), "办案人员签名"),
        Block("row", f"{log.approved_by.name}　{_t(log.approved_at)}", "主要负责人签字"),
    ]
    render_pdf(blocks, path, title="刻盘存储记录表", number=request.number, identifier=request.number,
               moment=timezone.localtime())
    return path


REGISTER_COLUMNS = ("台账序号", "时间", "登记类别", "经办人", "调阅编号", "内容")


def register_rows(lines, labels: dict) -> list[tuple]:
    rows = []
    for e in lines:
        data = dict(e.data)
        number = data.pop("number", "")
        detail = "；".join(f"{k}：{v}" for k, v in data.items() if v not in (None, "", [], {}))
        rows.append((e.index, _t(e.created_at), labels[e.kind], e.actor.name if e.actor else "系统", number,
                     detail[:500]))
    return rows


def register_xlsx(rows: list[tuple], path: Path, *, agency: str) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "查阅登记簿"
    sheet.append([f"{agency} 查阅登记簿"])
    sheet.append(list(REGISTER_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for letter, width in zip("ABCDEF", (10, 20, 14, 10, 14, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    book.save(path)
    return path


def register_pdf(rows: list[tuple], path: Path, *, agency: str) -> Path:
    blocks = [Block("agency", agency), Block("title", "查阅登记簿")]
    for index, moment, label, actor, number, detail in rows:
        blocks.append(Block("row", f"{moment}　{label}　{number}　经办人：{actor}{BREAK}{detail}", f"#{index}"))
    if not rows:
        blocks.append(Block("para", "（所选范围内没有登记）"))
    render_pdf(blocks, path, title="查阅登记簿", number="", identifier=agency, moment=timezone.localtime())
    return path
