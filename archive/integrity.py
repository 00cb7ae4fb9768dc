"""四性检测 (DA/T 70 电子档案四性检测): authenticity, completeness, usability and safety of a case
file, as a list of findings, one per thing checked that failed (and one line per aspect that held).
"""

import io
import zipfile
from dataclasses import asdict, dataclass

from ledger import merkle
from ledger.entries import entry_of
from ledger.models import Event
from records.blobstore import BlobStoreError
from records.storage import blob_store

AUTHENTICITY, COMPLETENESS, USABILITY, SAFETY = "真实性", "完整性", "可用性", "安全性"
ASPECTS = (AUTHENTICITY, COMPLETENESS, USABILITY, SAFETY)
AV_KINDS = ("video", "audio", "photo")
AV_FIELD_ATTRS = {"承办科室": "av_section", "制作人": "av_maker", "制作时间": "av_made_at", "证明内容": "av_proves"}


@dataclass
class Finding:
    aspect: str
    ok: bool
    item: str
    message: str


def run_checks(case_file, *, lock_date=None, long_term=None) -> list[dict]:
    """Every check over the file's items; `lock_date`: the Object Lock date the stored objects must
    have reached (a sealed file); `long_term`: {item pk: digest of its PDF/A copy} made for a
    volume being sealed (a sealed one has them on its items). Reads each stored file once for its
    hash and once to open it."""
    items = list(
        case_file.items.select_related("record", "version", "instrument", "step").order_by("position")
    )
    long_term = {i.pk: i.long_term_sha256 for i in items if i.long_term_sha256} | (long_term or {})
    findings: list[Finding] = []
    findings += _authenticity(items, long_term)
    findings += _completeness(case_file, items)
    findings += _usability(items, long_term)
    findings += _safety(items, lock_date, long_term)
    for aspect in ASPECTS:
        if not any(f.aspect == aspect and not f.ok for f in findings):
            findings.append(Finding(aspect, True, "", f"{aspect}检测通过（{len(items)} 件）。"))
    order = {a: i for i, a in enumerate(ASPECTS)}
    findings.sort(key=lambda f: (order[f.aspect], f.ok))
    return [asdict(f) for f in findings]


def _label(item) -> str:
    return f"第{item.position}件《{item.title}》"


def _authenticity(items, long_term) -> list[Finding]:
    """The stored bytes hash to the digest the ledger recorded when the version was filed, and that
    ledger event still hashes to its leaf; a PDF/A copy hashes to the digest its `casefile.pdfa` event
    registered at sealing, and that event to its leaf."""
    out = []
    ids = [str(i.record_id) for i in items]
    events: dict[str, list[Event]] = {}
    for event in Event.objects.filter(
        subject_type="records.record", subject_id__in=ids, kind__in=("record.create", "record.version")
    ):
        events.setdefault(event.subject_id, []).append(event)
    copies = {
        e.data.get("sha256"): e
        for e in Event.objects.filter(
            kind="casefile.pdfa", subject_type="archive.casefile", subject_id__in={str(i.case_file_id) for i in items}
        )
    }
    store = blob_store()
    for item in items:
        digest = item.version.sha256
        logged = [e for e in events.get(str(item.record_id), []) if e.data.get("sha256") == digest]
        if not logged:
            out.append(Finding(AUTHENTICITY, False, _label(item), "台账中没有该文件存储时登记的哈希值。"))
            continue
        event = logged[0]
        if merkle.leaf_hash(entry_of(event)).hex() != event.leaf_hash:
            out.append(Finding(AUTHENTICITY, False, _label(item), f"台账事件 #{event.index} 的内容已被改动。"))
        try:
            actual = store.rehash(digest)
        except BlobStoreError as exc:
            out.append(Finding(AUTHENTICITY, False, _label(item), f"无法读取存储的文件：{exc}"))
            continue
        if actual != digest:
            out.append(
                Finding(AUTHENTICITY, False, _label(item), f"文件内容的哈希值与台账登记的不一致（现为 {actual[:16]}…）。")
            )
        copy = long_term.get(item.pk)
        if copy and copy != digest and item.long_term_sha256 == copy:  # sealed: its registration is in the ledger
            logged = copies.get(copy)
            if logged is None:
                out.append(Finding(AUTHENTICITY, False, _label(item), "台账中没有 PDF/A 长期保存副本归档时登记的哈希值。"))
            elif merkle.leaf_hash(entry_of(logged)).hex() != logged.leaf_hash:
                out.append(Finding(AUTHENTICITY, False, _label(item), f"台账事件 #{logged.index} 的内容已被改动。"))
        if copy and copy != digest:
            try:
                if store.rehash(copy) != copy:
                    out.append(Finding(AUTHENTICITY, False, _label(item), "PDF/A 长期保存副本的哈希值与归档时登记的不一致。"))
            except BlobStoreError as exc:
                out.append(Finding(AUTHENTICITY, False, _label(item), f"无法读取 PDF/A 长期保存副本：{exc}"))
    return out


def _completeness(case_file, items) -> list[Finding]:
    """Every 文书 the workflow issued and every recording the pack requires is in the file (this
    volume or an earlier one of the matter); the contents list is numbered without gaps; AV items
    name what the pack asks."""
    from archive.models import CaseFileItem
    from matters.models import Instrument
    from matters.services import av_requirement
    from policy.selectors import agency_rules

    out = []
    matter = case_file.matter
    in_files = set(
        CaseFileItem.objects.filter(case_file__matter=matter, case_file__volume__lte=case_file.volume).values_list(
            "record_id", flat=True
        )
    )
    for instrument in Instrument.objects.filter(matter=matter).order_by("issued_at", "pk"):
        if instrument.pdf_id and instrument.pdf_id not in in_files:
            out.append(
                Finding(COMPLETENESS, False, f"《{instrument.title}》{instrument.number}", "执法文书未归入案卷。")
            )
    rules = agency_rules(case_file.agency)
    for step in matter.steps.prefetch_related("records").order_by("acted_at", "pk"):
        found = av_requirement(matter, step.transition, rules)
        if found is None or step.exemption_id:
            continue
        row, rule = found
        recordings = [r.pk for r in step.records.all() if r.kind in AV_KINDS]
        if not any(pk in in_files for pk in recordings):
            out.append(
                Finding(
                    COMPLETENESS,
                    False,
                    f"环节“{step.label}”",
                    f"缺少必须的音像记录（{row['item']}，{rule.cited('、')}）：案卷中没有该环节的录音录像。",
                )
            )
    positions = [i.position for i in items]
    if positions != list(range(1, len(items) + 1)):
        out.append(Finding(COMPLETENESS, False, "卷内目录", f"卷内文件序号不连续：{positions}。"))
    page = 1
    for item in items:
        if item.pages:
            if item.first_page != page:
                out.append(Finding(COMPLETENESS, False, _label(item), f"页号应从第{page}页起，目录为{item.first_page}。"))
            page += item.pages
        if item.version.record_id != item.record_id:
            out.append(Finding(COMPLETENESS, False, _label(item), "目录所列版本不属于该记录。"))
    fields = rules.value("archive.av_item_fields", default=[])
    for item in items:
        if item.record.kind not in AV_KINDS:
            continue
        missing = [name for name in fields if not getattr(item, AV_FIELD_ATTRS.get(name, ""), None)]
        if missing:
            rule = rules.rule("archive.av_item_fields")
            out.append(
                Finding(COMPLETENESS, False, _label(item), f"音像资料未注明{'、'.join(missing)}（{rule.cited('、')}）。")
            )
    return out


def _usability(items, long_term) -> list[Finding]:
    out = []
    store = blob_store()
    for item in items:
        if (item.version.format or "").lower() == "pdf":
            out.append(_long_term_verdict(item, long_term.get(item.pk)))
        fmt = (item.version.format or "").lower()
        try:
            with store.open(item.version.sha256) as stream:
                data = stream.read() if fmt in ("pdf", "jpg", "jpeg", "png", "docx", "tif", "tiff") else None
            if fmt == "pdf":
                problem = pdf_problem(data)
            elif fmt in ("jpg", "jpeg", "png", "tif", "tiff"):
                problem = image_problem(data)
            elif fmt == "docx":
                problem = docx_problem(data)
            elif item.record.kind in ("video", "audio"):
                problem = media_problem(item.version.sha256)
            else:
                problem = None
        except BlobStoreError as exc:
            problem = f"无法读取：{exc}"
        if problem:
            out.append(Finding(USABILITY, False, _label(item), problem))
    return out


def _long_term_verdict(item, copy: str | None) -> Finding:
    """The validator's verdict on the file a PDF item is kept in for the long term: its PDF/A copy
    (or the original, where that conforms). Before sealing, the original's verdict says whether a
    copy will be made."""
    from archive import pdfa

    try:
        with blob_store().open(copy or item.version.sha256) as stream:
            problems = pdfa.check(stream.read())
    except BlobStoreError as exc:
        return Finding(USABILITY, False, _label(item), f"无法读取长期保存格式文件：{exc}")
    if copy is None:
        if not problems:
            return Finding(USABILITY, True, _label(item), f"原件符合 PDF/A-2b（{pdfa.VALIDATOR}）。")
        return Finding(
            USABILITY, True, _label(item),
            f"原件不是 PDF/A-2b（{'；'.join(problems)}），归档时转换为 PDF/A-2b 副本，与原件一并保存。",
        )
    if problems:
        return Finding(USABILITY, False, _label(item), f"长期保存格式 PDF/A-2b 校验未通过：{'；'.join(problems)}")
    which = "原件" if copy == item.version.sha256 else f"PDF/A 副本 {copy[:12]}…"
    return Finding(USABILITY, True, _label(item), f"长期保存格式 PDF/A-2b 校验通过（{which}；{pdfa.VALIDATOR}）。")


def pdf_problem(data: bytes) -> str | None:
    """None when every page of the PDF renders."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
        try:
            if len(document) == 0:
                return "PDF 没有页面。"
            for index in range(len(document)):
                page = document[index]
                page.render(scale=0.2).close()
                page.close()
        finally:
            document.close()
    except pdfium.PdfiumError as exc:
        return f"PDF 无法打开或渲染：{exc}"
    return None


def image_problem(data: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        return f"图像无法解码：{exc}"
    return None


def docx_problem(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            bad = package.testzip()
            if bad or "word/document.xml" not in package.namelist():
                return "DOCX 文件不完整。"
    except zipfile.BadZipFile as exc:
        return f"DOCX 文件无法打开：{exc}"
    return None


def media_problem(sha256: str) -> str | None:
    """Demux every packet and decode the key frames (and the first audio frames) with FFmpeg."""
    import av

    store = blob_store()
    try:
        with store.open(sha256) as stream, av.open(stream, mode="r") as container:
            streams = [s for s in container.streams if s.type in ("video", "audio")]
            if not streams:
                return "文件中没有音视频流。"
            for s in container.streams.video:
                s.codec_context.skip_frame = "NONKEY"
            decoded = {s.index: 0 for s in streams}
            for packet in container.demux(*streams):  # the last, empty packet of each stream flushes it
                if packet.stream.type not in ("video", "audio"):
                    continue
                for _frame in packet.decode():
                    decoded[packet.stream.index] += 1
            empty = [s for s in streams if decoded[s.index] == 0]
            if empty:
                return f"{'、'.join(s.type for s in empty)}流无法解码出任何画面或声音。"
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        return f"音视频无法解码：{exc}"
    return None


def _safety(items, lock_date, long_term) -> list[Finding]:
    out = []
    store = blob_store()
    kept = [(item, item.version.sha256) for item in items]
    kept += [(item, long_term[item.pk]) for item in items if long_term.get(item.pk, item.version.sha256) != item.version.sha256]
    for item, digest in kept:
        try:
            if not store.exists(digest):
                out.append(Finding(SAFETY, False, _label(item), "存储中找不到该文件。"))
                continue
            path = getattr(store, "path", None)
            if path is not None and path(digest).stat().st_mode & 0o222:
                out.append(Finding(SAFETY, False, _label(item), "存储的文件可被改写（应为只读）。"))
            if lock_date is not None:
                locked = store.retained_until(digest)
                if locked is not None and locked.date() < lock_date:
                    out.append(
                        Finding(SAFETY, False, _label(item), f"对象锁定只到 {locked:%Y-%m-%d}，短于保管期限 {lock_date}。")
                    )
        except BlobStoreError as exc:
            out.append(Finding(SAFETY, False, _label(item), f"存储不可访问：{exc}"))
    return out


def summary(findings: list[dict]) -> str:
    bad = [f for f in findings if not f["ok"]]
    if not bad:
        return "四性检测通过。"
    return "；".join(f"{f['aspect']}：{f['item']}{f['message']}" for f in bad)
