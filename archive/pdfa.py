"""Long-term format of 文书 in a sealed case file: PDF/A-2b (ISO 19005-2, level B), so that they stay
usable for as long as they are kept (档案法实施条例第四十条: usability through long-term keeping;
DA/T 70's usability check).

`convert` makes a PDF/A-2b copy with Ghostscript (Debian's `ghostscript`, installed by
tools/ghostscript.py from bin/setup), embedding Ghostscript's sRGB profile as the OutputIntent.

`check` is a PARTIAL validator written here with pikepdf: no full validator (veraPDF) can be
installed from the package registries this project reaches, so it checks the requirements of
ISO 19005-2 level B that decide whether a 文书 can still be read as it was in decades:

* the XMP metadata identifies the file as PDF/A part 2 (pdfaid:part=2, pdfaid:conformance B, U or A);
* a PDF/A OutputIntent (GTS_PDFA1) with an embedded ICC profile whose header is valid;
* every font used on a page (in forms, annotations and Type0 descendants too) is embedded;
* no encryption; a document ID in the trailer;
* no JavaScript and no action that runs or fetches something (Launch, ImportData, GoToR, …),
  no additional actions on the catalog or pages;
* no external content (external streams /F, reference XObjects /Ref, OPI) and no LZW filter.

It does not check what a full validator would also check (glyph widths against the embedded
font programs, colour spaces of every operator, XMP and Info dictionary agreement, …); the
verdict says so in its wording ("部分校验").
"""

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SRGB_PROFILE = Path("/usr/share/color/icc/ghostscript/srgb.icc")  # tools/ghostscript.py names the same file
CONVERT_TIMEOUT_S = 120
VALIDATOR = "PDF/A-2b 部分校验（本系统按 ISO 19005-2 B 级主要条款实现）"

# Actions that run code or reach outside the file (ISO 19005-2 6.5.1).
FORBIDDEN_ACTIONS = {
    "/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/Hide", "/SetOCGState", "/Rendition",
    "/Trans", "/GoTo3DView", "/JavaScript", "/GoToR", "/GoToE",
}


class PdfaError(Exception):
    """The PDF/A copy could not be made; the message (Chinese) says why and what to do."""


def _definition(folder: Path, profile: Path) -> Path:
    """A PostScript prologue that gives the output its PDF/A OutputIntent with the ICC profile
    embedded (Ghostscript's pdfmark operators)."""
    path = folder / "pdfa-intent.ps"
    path.write_text(
        "% PDF/A OutputIntent: sRGB, embedded\n"
        f"/ZhifaProfile ({profile}) def\n"
        "[/_objdef {zhifa_icc} /type /stream /OBJ pdfmark\n"
        "[{zhifa_icc} << /N 3 >> /PUT pdfmark\n"
        "[{zhifa_icc} ZhifaProfile (r) file /PUT pdfmark\n"
        "[/_objdef {zhifa_intent} /type /dict /OBJ pdfmark\n"
        "[{zhifa_intent} << /Type /OutputIntent /S /GTS_PDFA1 /DestOutputProfile {zhifa_icc}\n"
        "  /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) >> /PUT pdfmark\n"
        "[{Catalog} << /OutputIntents [ {zhifa_intent} ] >> /PUT pdfmark\n",
        encoding="ascii",
    )
    return path


def convert(source: Path, out: Path) -> None:
    """Write a PDF/A-2b copy of `source` to `out` (the original is not touched).

    Raises PdfaError (Ghostscript or its profile missing, the conversion failed)."""
    gs = shutil.which("gs")
    if gs is None or not SRGB_PROFILE.is_file():
        raise PdfaError(
            "未安装 Ghostscript（Debian 软件包 ghostscript），无法把文书转换为长期保存格式 PDF/A-2b；"
            "请系统管理员运行 bin/setup 或 apt-get install ghostscript 后再归档。"
        )
    with tempfile.TemporaryDirectory() as folder:
        prologue = _definition(Path(folder), SRGB_PROFILE)
        command = [
            gs, "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-dPDFA=2", "-dPDFACompatibilityPolicy=1",
            "-sColorConversionStrategy=RGB", "-sDEVICE=pdfwrite", f"--permit-file-read={SRGB_PROFILE}",
            f"--permit-file-read={prologue}", f"--permit-file-read={source}", f"-sOutputFile={out}",
            str(prologue), str(source),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=CONVERT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfaError(f"转换 PDF/A 超过 {CONVERT_TIMEOUT_S} 秒未完成。") from exc
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        tail = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()[-3:]
        raise PdfaError(f"Ghostscript 转换 PDF/A 失败（退出码 {done.returncode}）：{' '.join(tail)[:300]}")


# --- the partial validator -------------------------------------------------------------------------------


def check(data: bytes) -> list[str]:
    """What keeps `data` from being PDF/A-2b, as Chinese sentences; empty: it passed every check
    made here (see the module docstring for what is and is not checked)."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return ["文件已加密（PDF/A 不允许加密）。"]
    except pikepdf.PdfError as exc:
        return [f"无法解析 PDF：{exc}"]
    with pdf:
        problems = []
        if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
            problems.append("文件已加密（PDF/A 不允许加密）。")
        problems += _identification(pdf)
        problems += _output_intent(pdf)
        ids = pdf.trailer.get("/ID")
        if not isinstance(ids, pikepdf.Array) or len(ids) != 2:
            problems.append("文件尾缺少文档标识 /ID。")
        problems += _objects(pdf)
        problems += _fonts(pdf)
    return problems


def _identification(pdf) -> list[str]:
    import pikepdf

    if "/Metadata" not in pdf.Root:
        return ["缺少 XMP 元数据，未声明 PDF/A 标识（pdfaid）。"]
    try:
        xmp = bytes(pdf.Root.Metadata.read_bytes()).decode("utf-8", "replace")
    except pikepdf.PdfError as exc:
        return [f"XMP 元数据无法读取：{exc}"]
    part = _xmp_value(xmp, "part")
    conformance = _xmp_value(xmp, "conformance")
    if part != "2" or (conformance or "").upper() not in ("B", "U", "A"):
        return [f"XMP 元数据声明的 PDF/A 标识为 part={part or '无'}、conformance={conformance or '无'}，应为 part=2、conformance=B。"]
    return []


def _xmp_value(xmp: str, name: str) -> str | None:
    """pdfaid:<name>, written as an attribute or as an element."""
    found = re.search(rf"pdfaid:{name}\s*=\s*[\"']([^\"']*)[\"']", xmp) or re.search(
        rf"<pdfaid:{name}>\s*([^<]*?)\s*</pdfaid:{name}>", xmp
    )
    return found.group(1) if found else None


def _output_intent(pdf) -> list[str]:
    import pikepdf

    intents = pdf.Root.get("/OutputIntents")
    chosen = [i for i in (intents or []) if isinstance(i, pikepdf.Dictionary) and i.get("/S") == "/GTS_PDFA1"]
    if not chosen:
        return ["缺少 PDF/A 输出意图（OutputIntent GTS_PDFA1）。"]
    profile = chosen[0].get("/DestOutputProfile")
    if not isinstance(profile, pikepdf.Stream):
        return ["PDF/A 输出意图没有嵌入 ICC 色彩特性文件。"]
    try:
        icc = profile.read_bytes()
    except pikepdf.PdfError as exc:
        return [f"嵌入的 ICC 色彩特性文件无法读取：{exc}"]
    if len(icc) < 128 or icc[36:40] != b"acsp":
        return ["嵌入的 ICC 色彩特性文件无效（文件头不是 ICC 格式）。"]
    return []


def _objects(pdf) -> list[str]:
    """Actions, JavaScript, external content and LZW anywhere in the file."""
    import pikepdf

    containers = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)
    problems = set()
    if "/AA" in pdf.Root:
        problems.add("文档目录含有附加动作（/AA）。")
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        problems.add("文件含有 JavaScript。")
    for page in pdf.pages:
        if "/AA" in page.obj:
            problems.add("页面含有附加动作（/AA）。")

    def visit(obj, depth=0):
        if depth > 50:
            return
        if isinstance(obj, pikepdf.Stream):
            head = obj.stream_dict
            if any(k in head for k in ("/F", "/FFilter", "/FDecodeParms")):
                problems.add("含有引用外部文件的数据流。")
            filters = head.get("/Filter")
            filters = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
            if "/LZWDecode" in [str(f) for f in filters if f is not None]:
                problems.add("使用了 PDF/A 不允许的 LZW 压缩。")
            if head.get("/Subtype") == "/Form" and "/Ref" in head:
                problems.add("含有引用外部文件的参考 XObject。")
            if "/OPI" in head:
                problems.add("含有 OPI 外部图像引用。")
            obj = head
        if isinstance(obj, pikepdf.Dictionary):
            kind = obj.get("/S")
            if obj.get("/Type") in (None, "/Action") and kind is not None and str(kind) in FORBIDDEN_ACTIONS:
                problems.add("含有 JavaScript。" if str(kind) == "/JavaScript" else f"含有 PDF/A 不允许的动作（{str(kind)[1:]}）。")
            if "/JS" in obj:
                problems.add("含有 JavaScript。")
            for _key, value in obj.items():
                if isinstance(value, containers) and not value.is_indirect:
                    visit(value, depth + 1)
        elif isinstance(obj, pikepdf.Array):
            for value in obj:
                if isinstance(value, containers) and not value.is_indirect:
                    visit(value, depth + 1)

    for obj in pdf.objects:
        if isinstance(obj, containers):
            visit(obj)
    return sorted(problems)


def _fonts(pdf) -> list[str]:
    """Every font a page, form, pattern or annotation appearance uses has its program embedded."""
    import pikepdf

    missing = set()
    seen = set()

    def font_embedded(font) -> bool:
        if font.get("/Subtype") == "/Type3":
            return True  # its glyphs are content streams in the file
        if font.get("/Subtype") == "/Type0":
            return all(font_embedded(d) for d in font.get("/DescendantFonts", []))
        descriptor = font.get("/FontDescriptor")
        return isinstance(descriptor, pikepdf.Dictionary) and any(
            k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
        )

    def resources(res, depth=0):
        if not isinstance(res, pikepdf.Dictionary) or depth > 20:
            return
        key = res.objgen if res.is_indirect else None
        if key is not None:
            if key in seen:
                return
            seen.add(key)
        fonts = res.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary):
            for name, font in fonts.items():
                if isinstance(font, pikepdf.Dictionary) and not font_embedded(font):
                    missing.add(str(font.get("/BaseFont", name))[1:])
        for group in ("/XObject", "/Pattern"):
            objects = res.get(group)
            if isinstance(objects, pikepdf.Dictionary):
                for _name, inner in objects.items():
                    if isinstance(inner, pikepdf.Stream | pikepdf.Dictionary):
                        resources(inner.get("/Resources"), depth + 1)

    for page in pdf.pages:
        resources(page.obj.get("/Resources"))
        for annot in page.obj.get("/Annots", []):
            appearance = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
            normal = appearance.get("/N") if isinstance(appearance, pikepdf.Dictionary) else None
            if isinstance(normal, pikepdf.Stream):
                resources(normal.get("/Resources"))
    return [f"字体未嵌入：{'、'.join(sorted(missing))}。"] if missing else []
