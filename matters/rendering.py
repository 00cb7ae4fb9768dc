"""文书 rendering: a template file → DOCX (editable, as officers use) and PDF (for the file).

A template is a Django template (no HTML escaping) that renders to lines of a small layout
language; the same lines make both the DOCX and the PDF, so the two never say different things:

    @agency 文字        机关名称：居中、大字
    @title 文字         文书名称：居中、加粗、大字
    @number 文字        文书编号：居中
    @heading 文字       小标题：加粗、顶格
    @field 标签|内容     “标签：内容”，标签加粗
    @row 标签|内容       两栏表格的一行（相邻的 @row 组成一张表）
    @left / @center / @right 文字   顶格 / 居中 / 右对齐（落款、日期）
    @sign 文字          签名栏：文字后留出签名、日期的空白
    @note 文字          小字注记（如“本文书一式两份”）
    @pagebreak         另起一页
    @copies 甲|乙       一式多份：全文逐份重复，每份另起一页、右上角注明“（甲）”，页码每份单独计
    其他非空行           正文段落，首行缩进两字

Templates are looked up, first found wins, in
`<模板目录>/<机关统一社会信用代码>/`, `<模板目录>/` and the built-in `matters/doc_templates/`,
as `<文书种类>.txt`, then `_default.txt`. The 模板目录 is settings.ZHIFA_INSTRUMENT_TEMPLATES_DIR,
by default `<DATA_DIR>/instrument_templates`. A built-in template `{% extends "_base.txt" %}`,
so an agency can also replace only the letterhead (`_base.txt`).

The PDF embeds a CJK font from Debian's fonts-noto-cjk (CFF-flavoured OpenType, embedded
as a CIDFontType0C subset by fpdf2; ReportLab could not embed it). No viewer-supplied font is
ever relied on.
"""

import copy
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from django import template
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

BUILTIN_DIR = Path(__file__).resolve().parent / "doc_templates"
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
FONT_MISSING = (
    "无法生成 PDF 文书：未找到中文字体（Debian 软件包 fonts-noto-cjk，"
    "如 /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc）。"
    "请以 root 身份运行 bin/setup 安装，或在 ZHIFA_PDF_FONT 中指定字体文件。"
)
# Content text is split into paragraphs on this character, so a newline inside a value can
# never start a layout line of its own (a value "…\n@title x" stays text).
BREAK = "\u2028"
DIRECTIVES = frozenset(
    {"agency", "title", "number", "heading", "field", "row", "left", "center", "right", "sign", "note", "pagebreak",
     "copies"}
)

register = template.Library()


@dataclass(frozen=True)
class Block:
    kind: str  # a directive name, or "para"
    text: str = ""
    label: str = ""


# ---------------------------------------------------------------- template filters


def _as_date(value):
    if isinstance(value, datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


@register.filter
def cn_date(value) -> str:
    """2026年11月24日; a value that is not a date is shown as it is."""
    moment = _as_date(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    return f"{moment.year}年{moment.month}月{moment.day}日"


@register.filter
def cn_datetime(value) -> str:
    """2026年11月24日9时30分."""
    moment = _as_date(value)
    if not isinstance(moment, datetime):
        return cn_date(value)
    return f"{moment.year}年{moment.month}月{moment.day}日{moment.hour}时{moment.minute:02d}分"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def _cn_integer(n: int) -> str:
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    zero = False
    for gi in range(len(groups) - 1, -1, -1):
        g = groups[gi]
        if g == 0:
            zero = bool(out)
            continue
        if zero or (out and g < 1000):
            out += "零"
        zero = False
        part = ""
        pending_zero = False
        for ui in range(3, -1, -1):
            d = (g // 10**ui) % 10
            if d == 0:
                pending_zero = bool(part)
                continue
            if pending_zero:
                part += "零"
                pending_zero = False
            part += _DIGITS[d] + _UNITS[ui]
        out += part + _GROUPS[gi]
    return out


@register.filter
def yuan(value) -> str:
    """5000 → 5000.00元（大写：伍仟元整）, the way fines are written on decisions."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    fen_total = int(amount * 100)
    integer, jiao, fen = fen_total // 100, (fen_total // 10) % 10, fen_total % 10
    words = _cn_integer(integer) + "元"
    if jiao == 0 and fen == 0:
        words += "整"
    else:
        if jiao:
            words += _DIGITS[jiao] + "角"
        elif integer:
            words += "零"
        if fen:
            words += _DIGITS[fen] + "分"
    return f"{amount}元（大写：{words}）"


# ---------------------------------------------------------------- content and template


def _text(value) -> str:
    """A content value as template text: lists numbered, one paragraph per line."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "；".join(f"{k}：{_text(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list | tuple):
        items = [_text(v) for v in value]
        return BREAK.join(f"{i}. {item}" for i, item in enumerate(items, 1))
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return BREAK.join(line.strip() for line in text.split("\n") if line.strip())


def content_text(content: dict) -> dict[str, str]:
    """The content a template sees as `c`: every value flattened to safe text."""
    return {str(k): _text(v) for k, v in (content or {}).items()}


def content_lists(content: dict) -> dict[str, list[str]]:
    """The list values of the content, item by item, for a template to loop over (`lists`): each
    item one line, with no "|" (the separator of @field, @row and @copies)."""
    return {
        str(k): [_text(item).replace(BREAK, " ").replace("|", "｜") for item in v]
        for k, v in (content or {}).items()
        if isinstance(v, list | tuple)
    }


_CN_NUM = "〇一二三四五六七八九十"


@register.filter
def cn_num(value) -> str:
    """1 → 一 … 99 → 九十九 (copy and item ordinals)."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return str(value)
    if not 0 <= n < 100:
        return str(n)
    if n <= 10:
        return _CN_NUM[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_NUM[tens]) + "十" + (_CN_NUM[ones] if ones else "")


def template_dirs(agency) -> list[Path]:
    root = getattr(settings, "ZHIFA_INSTRUMENT_TEMPLATES_DIR", "") or Path(settings.DATA_DIR) / "instrument_templates"
    root = Path(root)
    dirs = []
    if agency is not None and agency.uscc:
        dirs.append(root / agency.uscc)
    dirs += [root, BUILTIN_DIR]
    return dirs


def _engine(agency) -> template.Engine:
    # No cached loader: an agency may drop a replacement in while the server runs.
    return template.Engine(
        dirs=[str(d) for d in template_dirs(agency)],
        loaders=["django.template.loaders.filesystem.Loader"],
        autoescape=False,
        builtins=["matters.rendering"],
    )


def template_for(agency, type_code: str) -> template.Template:
    engine = _engine(agency)
    try:
        return engine.select_template([f"{type_code}.txt", "_default.txt"])
    except template.TemplateSyntaxError as exc:
        raise ValidationError(f"文书模板“{type_code}”有语法错误：{exc}") from exc
    except template.TemplateDoesNotExist as exc:
        raise ValidationError(f"找不到文书“{type_code}”的模板。") from exc


def layout(agency, type_code: str, context: dict) -> list[Block]:
    """Render the template for `type_code` and parse its lines into blocks."""
    tpl = template_for(agency, type_code)
    try:
        text = tpl.render(template.Context(context))
    except template.TemplateSyntaxError as exc:
        raise ValidationError(f"文书模板“{type_code}”有语法错误：{exc}") from exc
    except template.VariableDoesNotExist as exc:
        raise ValidationError(f"文书模板“{type_code}”引用了不存在的内容：{exc}") from exc
    return parse(text)


_DIRECTIVE = re.compile(r"^@([a-z]+)(?:\s+(.*))?$")


def parse(text: str) -> list[Block]:
    blocks: list[Block] = []
    for raw in text.split("\n"):  # not splitlines(): that would also split on BREAK
        line = raw.strip()
        if not line:
            continue
        m = _DIRECTIVE.match(line)
        if not m or m.group(1) not in DIRECTIVES:
            blocks.extend(Block("para", part) for part in line.split(BREAK) if part.strip())
            continue
        kind, rest = m.group(1), (m.group(2) or "").strip()
        if kind in ("field", "row"):
            label, _, value = rest.partition("|")
            blocks.append(Block(kind, value.strip(), label.strip()))
        else:
            blocks.append(Block(kind, rest))
    return blocks


def split_copies(blocks: list[Block]) -> tuple[list[str], list[Block]]:
    """The labels of an @copies line (none: one copy, unlabelled) and the blocks without it."""
    labels: list[str] = []
    body = []
    for block in blocks:
        if block.kind == "copies":
            labels = [part.strip() for part in block.text.split("|") if part.strip()]
        else:
            body.append(block)
    return labels, body


# ---------------------------------------------------------------- DOCX

BODY_PT = 14  # 四号
SIZES_PT = {"agency": 18, "title": 22, "number": 14, "heading": 14, "note": 10.5}


def render_docx(blocks: list[Block], path: Path, *, title: str, number: str, identifier: str, moment) -> None:
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    sec = doc.sections[0]
    # GB/T 9704 page: A4, 37/35/28/26 mm margins.
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.5

    def para(text: str, *, align=None, size=None, bold=False, indent=False, label=""):
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt((size or BODY_PT) * 2)
        if label:
            r = p.add_run(f"{label}：")
            r.bold = True
            if size:
                r.font.size = Pt(size)
        if text:
            r = p.add_run(text)
            r.bold = bold
            if size:
                r.font.size = Pt(size)
        return p

    def draw(blocks: list[Block]) -> None:
        table = None
        for block in blocks:
            if block.kind != "row":
                table = None
            k = block.kind
            if k == "agency":
                para(block.text, align=WD_ALIGN_PARAGRAPH.CENTER, size=SIZES_PT[k], bold=True)
            elif k == "title":
                p = para(block.text, align=WD_ALIGN_PARAGRAPH.CENTER, size=SIZES_PT[k], bold=True)
                p.paragraph_format.space_after = Pt(6)
            elif k in ("number", "center"):
                para(block.text, align=WD_ALIGN_PARAGRAPH.CENTER, size=SIZES_PT.get(k))
            elif k == "heading":
                para(block.text, size=SIZES_PT[k], bold=True)
            elif k == "field":
                lines = block.text.split(BREAK)
                para(lines[0], label=block.label)
                for line in lines[1:]:
                    para(line, indent=True)
            elif k == "row":
                if table is None:
                    table = doc.add_table(rows=0, cols=2)
                    table.style = "Table Grid"
                    table.alignment = WD_TABLE_ALIGNMENT.CENTER
                cells = table.add_row().cells
                cells[0].width, cells[1].width = Cm(4), Cm(11.6)
                cells[0].paragraphs[0].add_run(block.label).bold = True
                lines = block.text.split(BREAK) if block.text else [""]
                cells[1].paragraphs[0].add_run(lines[0])
                for line in lines[1:]:
                    cells[1].add_paragraph(line)
            elif k == "left":
                para(block.text)
            elif k == "right":
                para(block.text, align=WD_ALIGN_PARAGRAPH.RIGHT)
            elif k == "sign":
                # The date sits against the right margin whatever the label's length (a right tab).
                p = para(f"{block.text}：＿＿＿＿＿＿＿＿\t年　　月　　日")
                p.paragraph_format.tab_stops.add_tab_stop(Cm(21 - 2.8 - 2.6), WD_TAB_ALIGNMENT.RIGHT)
            elif k == "note":
                para(block.text, size=SIZES_PT[k])
            elif k == "pagebreak":
                doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            else:
                for line in block.text.split(BREAK):
                    para(line, indent=True)

    labels, body = split_copies(blocks)
    # 共 N 页 第 N 页 in the footer, as fields Word and LibreOffice fill in; made before the copies,
    # whose sections inherit it.
    footer = sec.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def field(instr: str):
        run = footer.add_run()
        for tag, attrs in (("w:fldChar", {"w:fldCharType": "begin"}), ("w:instrText", None),
                           ("w:fldChar", {"w:fldCharType": "separate"})):
            el = OxmlElement(tag)
            if attrs:
                for a, v in attrs.items():
                    el.set(qn(a), v)
            else:
                el.set(qn("xml:space"), "preserve")
                el.text = f" {instr} "
            run._r.append(el)
        footer.add_run("1")
        end = OxmlElement("w:fldChar")
        end.set(qn("w:fldCharType"), "end")
        footer.add_run()._r.append(end)

    footer.add_run("共 ")
    field("SECTIONPAGES" if labels else "NUMPAGES")
    footer.add_run(" 页　第 ")
    field("PAGE")
    footer.add_run(" 页")

    for i, label in enumerate(labels or [""]):
        # Each copy is a section of its own, its pages counted from 1 (SECTIONPAGES below).
        section = doc.add_section(WD_SECTION.NEW_PAGE) if i else sec
        if labels and section._sectPr.find(qn("w:pgNumType")) is None:  # a new section copies the last one's
            pg = OxmlElement("w:pgNumType")
            pg.set(qn("w:start"), "1")
            cols = section._sectPr.find(qn("w:cols"))
            if cols is not None:
                cols.addprevious(pg)
            else:
                section._sectPr.append(pg)
        if labels:
            para(f"（{label}）", align=WD_ALIGN_PARAGRAPH.RIGHT, size=SIZES_PT["note"])
        draw(body)

    props = doc.core_properties
    props.title = title
    props.subject = number
    props.identifier = identifier
    props.author = "zhifa"
    props.created = props.modified = moment.replace(tzinfo=None) if isinstance(moment, datetime) else moment
    doc.save(str(path))


# ---------------------------------------------------------------- PDF


def font_path() -> Path:
    configured = getattr(settings, "ZHIFA_PDF_FONT", "")
    candidates = [configured] if configured else FONT_CANDIDATES
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ValidationError(FONT_MISSING)


def _face_index(path: str) -> int:
    """The simplified-Chinese face of a font collection (Noto CJK's SC), else the first."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(path, lazy=True) as collection:
        for i, face in enumerate(collection.fonts):
            family = face["name"].getDebugName(1) or ""
            if family.endswith(" SC"):
                return i
    return 0


# ---------------------------------------------------------------- the font, parsed once per process
#
# fpdf2's add_font reads the face's cmap and metrics (some 65,000 glyphs) and keeps a fontTools
# TTFont that output() subsets in place, so neither can simply be shared between documents. The
# parsed face is kept per process as a prototype whose tables never change once built; each
# document gets a shallow copy with its own mutable parts: the glyphs it used, its missing
# characters, its font descriptor and a freshly opened TTFont for the subsetting.

# A CID-keyed CFF face is embedded as its CFF table alone (/FontFile3, CIDFontType0C), so the
# per-document font opens only that and the tables a well-formed font needs; every other table
# (layout, vertical metrics, cmap, names) would be read and subset for nothing.
CFF_TABLES = frozenset({"CFF ", "head", "hhea", "maxp", "post"})
# Tables a PDF viewer never uses, also dropped by fpdf2's subsetter: removed before it runs, so it
# does not decompile them to look for extended layout formats first.
UNUSED_TABLES = frozenset(
    {"BASE", "GDEF", "GPOS", "GSUB", "JSTF", "MATH", "FFTM", "hdmx", "meta", "sbix", "SVG ", "CBDT", "CBLC",
     "EBDT", "EBLC", "EBSC", "CPAL", "COLR"}
)
_PROTOTYPES_LOCK = threading.Lock()


class _Widths(dict):
    """Advance widths by code point; an unknown one reads as the face's default width without
    being stored (fpdf2's defaultdict would insert it, writing to state shared between threads)."""

    __slots__ = ("default",)

    def __missing__(self, key):
        return self.default


@lru_cache(maxsize=4)
def _prototype(path: str, stamp: tuple[int, int]):
    """The face parsed once per process (and per version of the file on disk: `stamp` is its
    modification time and size, so an upgraded font package is read again)."""
    from fpdf import FPDF

    holder = FPDF()
    holder.add_font("cjk", fname=path, collection_font_number=_face_index(path))
    proto = holder.fonts["cjk"]
    widths = _Widths(proto.cw)
    widths.default = proto.cw.default_factory()
    proto.cw = widths
    proto.close()  # each document opens its own TTFont; the parsed tables are not needed again
    proto.ttfont = None
    proto.subset = None
    return proto


def _document_font(pdf, path: Path) -> None:
    """Give `pdf` the CJK face as "cjk" without parsing it again."""
    from fontTools import ttLib
    from fpdf.fonts import SubsetMap

    stat = path.stat()
    with _PROTOTYPES_LOCK:  # one parse when several threads issue the first 文书 together
        proto = _prototype(str(path), (stat.st_mtime_ns, stat.st_size))
    font = copy.copy(proto)  # shares the read-only cmap, glyph ids and widths
    font.i = len(pdf.fonts) + 1
    font.desc = copy.copy(proto.desc)  # output() names it and gives it an object number
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    # recalcBBoxes off: the subset keeps the whole face's bounding box (a valid superset) instead of
    # recomputing it from every outline.
    font.ttfont = ttLib.TTFont(
        str(path), fontNumber=proto.collection_font_number, lazy=True, recalcTimestamp=False, recalcBBoxes=False
    )
    keep_only = CFF_TABLES if proto.is_cff and proto.is_cid_keyed else None
    for tag in list(font.ttfont.reader.keys()):
        if tag in UNUSED_TABLES or (keep_only is not None and tag not in keep_only):
            del font.ttfont[tag]
    font.subset = SubsetMap(font)
    pdf.fonts["cjk"] = font
    if font.is_cff and font.is_cid_keyed:
        pdf.pdf_version = max(pdf.pdf_version, "1.6")  # as add_font does for such a face


def _release_font(font) -> None:
    """Close a document's TTFont and drop fpdf2's memo of its glyphs (a functools.cache shared by
    every SubsetMap, which would otherwise keep the document's font alive). fpdf2 does the same at
    the end of output(); this is for a document refused or failed before that."""
    font.subset.pick.cache_clear()
    font.subset.get_glyph.cache_clear()
    font.close()


# Chinese line-breaking (避头尾): these never begin a line, those never end one.
NO_START = frozenset("，。、；：？！）》」』”’〕】〉…—％,.;:?!)]}·～%")
NO_END = frozenset("（《「『“‘〔【〈([{")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/:%]*|.", re.S)


def wrap(text: str, width: float, measure) -> list[str]:
    """Break `text` into lines no wider than `width`: between any two CJK characters, never
    inside a Latin word or number, and never with a closing mark first or an opening mark last."""
    lines: list[str] = []
    line, used = "", 0.0
    for token in _TOKEN.findall(text):
        size = measure(token)
        if size > width:  # a word longer than the line: it has to be cut
            for ch in token:
                if line and used + measure(ch) > width:
                    lines.append(line)
                    line, used = "", 0.0
                line += ch
                used += measure(ch)
            continue
        if line and used + size > width:
            carry = ""
            if token in NO_START and len(line) > 1:
                carry, line = line[-1], line[:-1]
            while len(line) > 1 and line[-1] in NO_END:
                carry, line = line[-1] + carry, line[:-1]
            lines.append(line)
            line, used = carry, measure(carry) if carry else 0.0
        line += token
        used += size
    lines.append(line)
    return lines


def render_pdf(blocks: list[Block], path: Path, *, title: str, number: str, identifier: str, moment) -> None:
    from fpdf import FPDF

    font = font_path()

    pdf = FPDF(format="A4", unit="mm")
    try:
        _document_font(pdf, font)
    except (OSError, ValueError, KeyError) as exc:
        raise ValidationError(f"{FONT_MISSING}（{font}：{exc}）") from exc
    try:
        _draw_pdf(pdf, blocks, path, title=title, number=number, identifier=identifier, moment=moment)
    except BaseException:
        _release_font(pdf.fonts["cjk"])
        raise


def _draw_pdf(
    pdf, blocks: list[Block], path: Path, *, title: str, number: str, identifier: str, moment
) -> None:
    from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos

    pdf.set_margins(28, 37, 26)
    pdf.set_auto_page_break(True, margin=35)
    pdf.set_title(title)
    pdf.set_subject(number)
    pdf.set_keywords(identifier)
    pdf.set_creator("zhifa")
    if isinstance(moment, datetime):
        pdf.set_creation_date(moment)
    pdf.add_page()
    width = pdf.epw

    def write(text: str, *, size=BODY_PT, align=Align.L, bold=False, indent=False, gap=0.0):
        pdf.set_font("cjk", size=size)
        line_h = size * 0.3528 * 1.5  # pt → mm, 1.5 lines
        lines = wrap(("　　" if indent else "") + text, width - 2 * pdf.c_margin - 0.05, pdf.get_string_width)
        args = {"w": width, "h": line_h, "text": "\n".join(lines), "align": align,
                "wrapmode": WrapMode.CHAR, "new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
        if bold:
            # One embedded face: bold is drawn by also stroking the outline (render mode 2), inside
            # q/Q so the mode does not leak (fpdf2 does not reset Tr when set back to fill).
            with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=size * 0.012):
                pdf.multi_cell(**args)
        else:
            pdf.multi_cell(**args)
        if gap:
            pdf.ln(gap)

    rows: list[Block] = []

    def flush_rows():
        if not rows:
            return
        pdf.set_font("cjk", size=BODY_PT - 2)
        with pdf.table(
            col_widths=(28, 72), first_row_as_headings=False, wrapmode=WrapMode.CHAR,
            line_height=(BODY_PT - 2) * 0.3528 * 1.6, text_align=("CENTER", "LEFT"), padding=1.5,
        ) as table:
            for block in rows:
                row = table.row()
                row.cell(block.label)
                row.cell(block.text.replace(BREAK, "\n"))
        rows.clear()

    def draw(blocks: list[Block]) -> None:
        for block in blocks:
            if block.kind == "row":
                rows.append(block)
                continue
            flush_rows()
            k = block.kind
            if k == "agency":
                write(block.text, size=SIZES_PT[k], align=Align.C, bold=True)
            elif k == "title":
                write(block.text, size=SIZES_PT[k], align=Align.C, bold=True, gap=2)
            elif k in ("number", "center"):
                write(block.text, align=Align.C, size=SIZES_PT.get(k, BODY_PT))
            elif k == "heading":
                write(block.text, size=SIZES_PT[k], bold=True)
            elif k == "field":
                lines = block.text.split(BREAK)
                write(f"{block.label}：{lines[0]}")
                for line in lines[1:]:
                    write(line, indent=True)
            elif k == "left":
                write(block.text)
            elif k == "right":
                write(block.text, align=Align.R)
            elif k == "sign":
                # Label and a line to sign on, then the date against the right margin.
                pdf.set_font("cjk", size=BODY_PT)
                line_h = BODY_PT * 0.3528 * 1.5
                left = width * 0.66
                label = f"{block.text}："
                blank = max(4, int((left - pdf.get_string_width(label) - 2 * pdf.c_margin) / pdf.get_string_width("＿")))
                pdf.cell(left, line_h, label + "＿" * blank)
                pdf.cell(width - left, line_h, "年　　月　　日", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            elif k == "note":
                write(block.text, size=SIZES_PT[k])
            elif k == "pagebreak":
                pdf.add_page()
            else:
                for line in block.text.split(BREAK):
                    write(line, indent=True)
        flush_rows()

    labels, body = split_copies(blocks)
    starts = []
    for i, label in enumerate(labels or [""]):
        if i:
            pdf.add_page()
        starts.append(pdf.page)
        if label:
            write(f"（{label}）", size=SIZES_PT["note"], align=Align.R)
        draw(body)
    # 共 N 页 第 N 页, counted within each copy: drawn on every page once all pages exist.
    last = pdf.page
    pdf.set_auto_page_break(False)
    pdf.set_font("cjk", size=10.5)
    for start, end in zip(starts, [*starts[1:], last + 1], strict=True):
        for page in range(start, end):
            pdf.page = page
            pdf.set_xy(pdf.l_margin, pdf.h - 20)
            pdf.cell(width, 8, f"共 {end - start} 页　第 {page - start + 1} 页", align=Align.C)
    for stamp in _pdf_stamps:  # marks other apps print on every page (the verification QR code)
        for page in range(1, last + 1):
            pdf.page = page
            stamp(pdf, identifier=identifier, number=number)
    pdf.page = last
    missing = sorted(set(pdf.fonts["cjk"].missing_glyphs))
    if missing:
        # A character the font lacks would print as a blank in an official document.
        shown = "、".join(f"“{chr(c)}”（U+{c:04X}）" for c in missing[:10])
        raise ValidationError(f"文书中有字体无法显示的字符：{shown}。请改用规范汉字，或打印后手写补充。")
    pdf.output(str(path))


# ---------------------------------------------------------------- hooks of other apps
#
# An app adds a mark to every page of a 文书 PDF, and learns of each 文书 issued, without matters
# importing it (`field` prints the verification QR code and registers its token):
#
#     rendering.register_pdf_stamp(stamp)   # stamp(pdf, *, identifier, number), on each page
#     rendering.register_issued(hook)       # hook(instrument, *, identifier), in the transaction

_pdf_stamps: list = []
_issued_hooks: list = []


def register_pdf_stamp(stamp) -> None:
    if stamp not in _pdf_stamps:
        _pdf_stamps.append(stamp)


def register_issued(hook) -> None:
    if hook not in _issued_hooks:
        _issued_hooks.append(hook)


def run_issued(instrument, *, identifier: str) -> None:
    for hook in _issued_hooks:
        hook(instrument, identifier=identifier)
