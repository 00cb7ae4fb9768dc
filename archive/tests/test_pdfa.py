"""文书 in a sealed case file are kept in PDF/A-2b beside their originals, and the 四性 usability
check reports the (partial, archive/pdfa.py) validator's verdict per 文书."""

import io

import pikepdf
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive import pdfa
from archive.models import CaseFile
from archive.services import casefile_add, casefile_check, casefile_seal
from ledger.models import Event
from records.storage import blob_store

pytestmark = pytest.mark.django_db


def _read(digest: str) -> bytes:
    with blob_store().open(digest) as stream:
        return stream.read()


def test_sealing_keeps_a_validated_pdfa_copy_of_each_instrument_beside_its_original(desk, login):
    m = desk.close_inspection("长期保存")
    case_file = CaseFile.objects.get(matter=m)
    pdfs = [i for i in case_file.items.select_related("version") if i.version.format == "pdf"]
    assert len(pdfs) >= 3  # the 文书 the inspection issued
    before = casefile_check(acting_user=desk.archivist, case_file=case_file)
    notes = {f["item"]: f["message"] for f in before.findings if f["aspect"] == "可用性" and f["item"]}
    for item in pdfs:  # fpdf2's 文书 are not PDF/A: the check says a copy will be made
        assert "原件不是 PDF/A-2b" in notes[f"第{item.position}件《{item.title}》"]
        assert pdfa.check(_read(item.version.sha256))

    # a scanned original that is PDF/A already is its own long-term file
    made = desk.folder / "scan.pdf"
    pdfa.convert(_plain_pdf(desk.folder / "plain.pdf"), made)
    added = casefile_add(acting_user=desk.archivist, case_file=case_file, path=made, original_name="整改报告.pdf",
                         title="整改报告（纸质原件扫描）", reason="纸质原件扫描入卷")

    sealed = casefile_seal(acting_user=desk.archivist, case_file=case_file, retention="10")
    added.refresh_from_db()
    assert added.long_term_sha256 == added.version.sha256
    report = sealed.checks.get(at_sealing=True)
    assert report.ok, report.findings
    verdicts = {f["item"]: f["message"] for f in report.findings if f["aspect"] == "可用性" and f["item"]}
    seal = Event.objects.get(kind="casefile.seal", subject_id=str(sealed.pk))
    for item in sealed.items.select_related("version").filter(pk__in=[i.pk for i in pdfs]):
        assert item.long_term_sha256 and item.long_term_sha256 != item.version.sha256
        copy = _read(item.long_term_sha256)
        assert item.long_term_size == len(copy)
        assert pdfa.check(copy) == []
        assert blob_store().exists(item.version.sha256)  # nothing is lost
        with pikepdf.open(io.BytesIO(copy)) as doc:
            assert doc.Root.OutputIntents[0].S == "/GTS_PDFA1"
            assert len(doc.pages) == item.pages
        assert "长期保存格式 PDF/A-2b 校验通过" in verdicts[f"第{item.position}件《{item.title}》"]
        assert "部分校验" in verdicts[f"第{item.position}件《{item.title}》"]
        assert seal.data["pdfa"][str(item.position)] == item.long_term_sha256

    page = login(desk.archivist).get(f"/archive/files/{sealed.pk}/").content.decode()
    assert page.count(">PDF/A-2b</span>") == len(pdfs) + 1 and "部分校验" in page

    # fixity: a PDF/A copy altered behind the application's back is found
    item = sealed.items.exclude(long_term_sha256="").first()
    path = blob_store().path(item.long_term_sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"%changed")
    with pytest.raises(CommandError, match="1 卷未通过"):
        call_command("archive", "check")


def _variant(good: bytes, change) -> bytes:
    with pikepdf.open(io.BytesIO(good)) as doc:
        extra = change(doc) or {}
        out = io.BytesIO()
        doc.save(out, **extra)
    return out.getvalue()


def _plain_pdf(path):
    from fpdf import FPDF

    plain = FPDF()
    plain.add_page()
    plain.set_font("helvetica", size=12)
    plain.cell(0, 10, "Notice")
    plain.output(str(path))
    return path


def test_the_validator_names_what_keeps_a_pdf_from_being_pdfa(tmp_path):
    source = _plain_pdf(tmp_path / "plain.pdf")
    found = " ".join(pdfa.check(source.read_bytes()))
    assert "XMP" in found and "OutputIntent" in found and "字体未嵌入：Helvetica" in found

    pdfa.convert(source, tmp_path / "a.pdf")
    good = (tmp_path / "a.pdf").read_bytes()
    assert pdfa.check(good) == []

    def javascript(doc):
        doc.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))

    def no_intent(doc):
        del doc.Root["/OutputIntents"]

    def part_one(doc):
        with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdfaid:part"] = "1"

    def launch(doc):
        doc.pages[0].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.Launch, F="calc.exe"))

    def encrypted(doc):
        return {"encryption": pikepdf.Encryption(owner="o", user="", R=6)}

    assert "含有 JavaScript。" in pdfa.check(_variant(good, javascript))
    assert any("OutputIntent" in p for p in pdfa.check(_variant(good, no_intent)))
    assert any("part=1" in p for p in pdfa.check(_variant(good, part_one)))
    launched = " ".join(pdfa.check(_variant(good, launch)))
    assert "附加动作" in launched and "Launch" in launched
    assert "文件已加密（PDF/A 不允许加密）。" in pdfa.check(_variant(good, encrypted))
    assert pdfa.check(b"not a pdf")
