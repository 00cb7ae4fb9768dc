"""The PDF font: parsed once per process, never shared mutably between documents (issue 13 item 11)."""

import re
import threading
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from matters import rendering
from matters.rendering import Block

# Drawing a PDF never touches the database: run once, on SQLite (saves CI time).
pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PDF 渲染与数据库无关，已在 SQLite 上测试"
)

MOMENT = datetime(2026, 11, 24, 9, 30)


def blocks_for(text: str) -> list[Block]:
    return [Block("title", "行政处罚决定书"), Block("number", "测应急罚〔2026〕1号"), Block("para", text)]


def draw(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.pdf"
    rendering.render_pdf(
        blocks_for(text), path, title="行政处罚决定书", number="1", identifier=name, moment=MOMENT
    )
    return path


def read(path) -> tuple[str, bytes]:
    """The text PDFium extracts and the first page drawn as pixels (what a reader sees)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path.read_bytes())
    try:
        page = pdf[0]
        pixels = page.render(scale=0.6).to_pil().tobytes()
        return re.sub(r"[\s\u3000]+", "", page.get_textpage().get_text_range()), pixels
    finally:
        pdf.close()


@pytest.fixture
def fresh_font(monkeypatch):
    """Forget the process's parsed face and count how often fpdf2 parses one."""
    from fpdf import fonts

    rendering._prototype.cache_clear()
    parsed = []
    original = fonts.TTFFont.__init__

    def counting(self, *args, **kwargs):
        parsed.append(args[1])
        original(self, *args, **kwargs)

    monkeypatch.setattr(fonts.TTFFont, "__init__", counting)
    return parsed


def test_the_face_is_parsed_once_and_every_document_embeds_its_own_subset(tmp_path, fresh_font):
    texts = [
        "经查，当事人未如实记录安全生产教育和培训情况。",
        "责令限期改正，处罚款贰万元整。",
        "消防通道堵塞，配电箱未接地。",
    ]
    paths = [draw(tmp_path, f"doc{i}", text) for i, text in enumerate(texts)]
    assert len(fresh_font) == 1
    for path, text in zip(paths, texts, strict=True):
        data = path.read_bytes()
        assert b"/FontFile3" in data and b"/CIDFontType0C" in data  # the CFF subset is embedded
        assert text in read(path)[0]
    # Each subset holds that document's glyphs only: the first document's text is not in the second.
    assert "经查" not in read(paths[1])[0]


def test_a_missing_character_is_refused_for_its_document_only(tmp_path, fresh_font):
    from fpdf.fonts import SubsetMap

    with pytest.raises(ValidationError, match=r"U\+1F600") as first:
        draw(tmp_path, "a", "当事人签名处画了😀")
    assert "U+1F601" not in str(first.value)
    with pytest.raises(ValidationError, match=r"U\+1F601") as second:
        draw(tmp_path, "b", "另一处画了😁")
    assert "U+1F600" not in str(second.value)  # the first document's missing glyph is not carried over
    # The refused documents' fonts were released (fpdf2's glyph memo would keep them alive).
    assert SubsetMap.pick.cache_info().currsize == 0
    assert "当事人已签收" in read(draw(tmp_path, "c", "当事人已签收。"))[0]
    assert len(fresh_font) == 1


def test_documents_drawn_at_once_in_threads_match_those_drawn_one_by_one(tmp_path, fresh_font):
    texts = [
        "经查，你单位未如实记录安全生产教育和培训情况。",
        "现场检查发现液化气钢瓶二只，责令立即改正。",
        "依据《中华人民共和国安全生产法》第九十七条，处罚款壹万元。",
        "当事人对陈述、申辩的权利已知悉，不要求听证。",
    ]
    alone = [read(draw(tmp_path, f"alone{i}", text)) for i, text in enumerate(texts)]
    start = threading.Barrier(len(texts))
    errors = []

    def work(i, text):
        try:
            start.wait()
            draw(tmp_path, f"together{i}", text)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, text)) for i, text in enumerate(texts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for i, text in enumerate(texts):
        together = read(tmp_path / f"together{i}.pdf")
        assert text in together[0]
        assert together == alone[i]  # the same text and the same pixels
    assert len(fresh_font) == 1
