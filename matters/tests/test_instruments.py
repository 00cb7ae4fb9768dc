"""文书: numbering, rendering to DOCX and PDF, the vault, agency templates and signatures."""

import io
import threading
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from enterprises.models import Party
from ledger.models import Event
from matters.instrument_types import TYPES
from matters.instruments import (
    REQUIRED,
    instrument_issue,
    instrument_number_allocate,
    instrument_signed,
    signature_record,
)
from matters.models import Instrument, InstrumentSequence, Matter, Signature
from matters.tests.documents import assert_hides, assert_shows, pdf_fonts
from records.models import Record

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def officer(make_staff):
    return make_staff("officer", certificate=True)


@pytest.fixture
def numbered_agency(agency):
    agency.instrument_prefix = "测应急"
    agency.save(update_fields=["instrument_prefix"])
    return agency


@pytest.fixture
def party(agency):
    return Party.objects.create(
        agency=agency, kind="legal_person", name="测试化工有限公司", id_number="91210400MA0000001X",
        address="测试市望花区化工路1号",
    )


@pytest.fixture
def matter(numbered_agency, section, officer, party):
    m = Matter.objects.create(
        agency=numbered_agency, section=section, kind="penalty", workflow="penalty_general", state="filed",
        title="测试化工有限公司未如实记录安全生产教育和培训情况案", party=party, opened_by=officer,
        opened_at=timezone.now(), facts="未如实记录安全生产教育和培训情况。",
    )
    m.officers.set([officer])
    return m


def sample_content(code: str) -> dict:
    """Content filling every field of the kind, with Chinese text a reader would see."""
    kind = TYPES[code]
    content = {key: f"{label}：测试内容" for key, label in kind.fields}
    if "amount" in content:
        content["amount"] = "20000"
    if "hazards" in content:
        content["hazards"] = ["消防通道堵塞", "配电箱未接地"]
    if "items" in content:
        content["items"] = ["液化气钢瓶 2 只"]
    if code == "review_opinion":
        content.update(suggestions=["事实清楚，证据确凿。", "适用法律正确。"], counsel="测试律师事务所 张律师")
    return content


def issue(matter, officer, code="penalty_decision", **kw):
    if "content" not in kw:
        kw["content"] = sample_content(code)
    return instrument_issue(matter=matter, type_code=code, acting_user=officer, **kw)


# ---------------------------------------------------------------- numbering


@pytest.mark.django_db
def test_numbers_count_per_agency_type_and_year_in_the_official_style(matter, officer):
    first = issue(matter, officer)
    second = issue(matter, officer)
    notice = issue(matter, officer, "penalty_notice")
    next_year = issue(matter, officer, issued_at=datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI))
    this_year = timezone.localdate().year
    assert first.number == f"测应急罚决〔{this_year}〕1号"
    assert second.number == f"测应急罚决〔{this_year}〕2号"
    assert notice.number == f"测应急罚告〔{this_year}〕1号"
    assert (next_year.year, next_year.sequence, next_year.number) == (2027, 1, "测应急罚决〔2027〕1号")
    # 2026-12-31 16:30 UTC is already 2027 in China: the year is the agency's local year.
    late = issue(matter, officer, issued_at=datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC")))
    assert late.number == "测应急罚决〔2027〕2号"
    # Another agency counts on its own, under its own 代字.
    from org.tests.factories import AgencyFactory, SectionFactory, StaffFactory

    other = AgencyFactory(instrument_prefix="顺应急")
    other_officer = StaffFactory(agency=other, section=SectionFactory(agency=other), roles=("officer",))
    own = instrument_issue(
        agency=other, type_code="penalty_decision", content=sample_content("penalty_decision"),
        acting_user=other_officer,
    )
    assert own.number == f"顺应急罚决〔{this_year}〕1号"


@pytest.mark.django_db
def test_the_files_are_drawn_in_a_temporary_folder_that_is_removed(matter, officer, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    issue(matter, officer)
    with pytest.raises(ValidationError):
        issue(matter, officer, content=sample_content("penalty_decision") | {"facts": "😀"})
    assert list(scratch.iterdir()) == []


@pytest.mark.django_db
def test_unnumbered_kinds_get_no_number_and_use_no_sequence(matter, officer):
    record = issue(matter, officer, "interview_record")
    assert (record.number, record.sequence, record.year) == ("", None, None)
    assert not InstrumentSequence.objects.filter(type="interview_record").exists()


@pytest.mark.django_db
def test_a_rolled_back_issue_burns_no_number(matter, officer):
    with pytest.raises(RuntimeError), transaction.atomic():
        issue(matter, officer)
        raise RuntimeError("the step that issued it failed")
    assert not Instrument.objects.exists()
    assert issue(matter, officer).sequence == 1


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused(numbered_agency):
    with pytest.raises(RuntimeError):
        instrument_number_allocate(agency=numbered_agency, type_code="penalty_decision", year=2026)


@pytest.mark.django_db
def test_losing_the_race_to_create_the_years_counter_retries_on_the_winners_row(numbered_agency, monkeypatch):
    # Another transaction inserted the year's row after this one looked: the insert fails on the
    # unique constraint, and the retry locks and counts on the existing row.
    from django.db.models import QuerySet

    InstrumentSequence.objects.create(agency=numbered_agency, type="penalty_decision", year=2026, last=4)
    original_first = QuerySet.first
    looks = []

    def first(self):
        if self.model is InstrumentSequence:
            looks.append(1)
            if len(looks) == 1:
                return None
        return original_first(self)

    monkeypatch.setattr(QuerySet, "first", first)
    with transaction.atomic():
        n = instrument_number_allocate(agency=numbered_agency, type_code="penalty_decision", year=2026)
    assert n == 5 and len(looks) == 2
    assert InstrumentSequence.objects.get(type="penalty_decision", year=2026).last == 5


@pytest.mark.django_db
def test_a_number_taken_while_rendering_is_not_printed_twice(matter, officer, monkeypatch):
    # The document is drawn before the counter is locked, on the number it would give then; here
    # another issue takes that number in between, so the document is drawn again with the next.
    from matters import instruments

    real = instruments.instrument_number_allocate

    def other_issue_first(**kw):
        InstrumentSequence.objects.filter(type="penalty_decision").update(last=1)
        return real(**kw)

    issue(matter, officer)  # the counter exists and stands at 1 ...
    InstrumentSequence.objects.filter(type="penalty_decision").update(last=0)  # ... peeked as 0
    monkeypatch.setattr(instruments, "instrument_number_allocate", other_issue_first)
    made = issue(matter, officer)
    year = timezone.localdate().year
    assert made.number == f"测应急罚决〔{year}〕2号"
    assert_shows(made, made.number)
    assert_hides(made, f"测应急罚决〔{year}〕1号")


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issuers_get_one_to_twenty_without_gap_or_repeat(
    make_staff, agency, section, party, settings, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "需要 PostgreSQL：SQLite 测试库为内存共享缓存，不支持多线程并发写入（文件库由写锁串行化）"
        )
    # A one-line agency template keeps the twenty (or, when a number moved, forty) renders short.
    settings.ZHIFA_INSTRUMENT_TEMPLATES_DIR = str(tmp_path)
    (tmp_path / "rectification_order.txt").write_text("@title {{ title }}\n@number {{ number }}\n", encoding="utf-8")
    agency.instrument_prefix = "测应急"
    agency.save(update_fields=["instrument_prefix"])
    officers = [make_staff("officer", certificate=True) for _ in range(4)]
    m = Matter.objects.create(
        agency=agency, section=section, kind="penalty", workflow="penalty_general", state="filed",
        title="并发编号测试案", party=party, opened_by=officers[0], opened_at=timezone.now(),
    )
    m.officers.set(officers)
    workers = 20
    start = threading.Barrier(workers)
    numbers, errors = [], []
    lock = threading.Lock()

    def worker(i):
        try:
            start.wait()
            # The year's counter does not exist yet: the workers also race to create it.
            made = instrument_issue(
                matter=m, type_code="rectification_order", acting_user=officers[i % 4],
                content={"hazards": [f"隐患{i}"], "basis": "《安全生产法》第六十五条", "rectify_by": "2026-12-31"},
            )
            with lock:
                numbers.append((made.sequence, made.number))
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    year = timezone.localdate().year
    assert sorted(n for n, _ in numbers) == list(range(1, workers + 1))
    assert sorted(number for _, number in numbers) == sorted(f"测应急责改〔{year}〕{n}号" for n in range(1, 21))
    assert InstrumentSequence.objects.get(agency=agency, type="rectification_order", year=year).last == workers
    assert Event.objects.filter(kind="instrument.issue").count() == workers
    # Drawn before the lock on a guessed number, each document still prints the number it got.
    for made in Instrument.objects.filter(type="rectification_order"):
        assert_shows(made, made.number)


# ---------------------------------------------------------------- rendering


@pytest.mark.django_db
def test_every_kind_renders_to_a_docx_and_a_pdf_that_show_its_chinese_text(matter, officer, numbered_agency):
    if connection.vendor == "postgresql":
        pytest.skip("文书渲染与数据库无关，已在 SQLite 测试中逐种检查（节省 CI 时间）")
    assert len(TYPES) == 33
    for code, kind in TYPES.items():
        made = issue(matter, officer, code)
        assert_shows(made, kind.title, numbered_agency.name, *([made.number] if kind.numbered else []))
        fonts = pdf_fonts(made.pdf)
        assert fonts and all(f["embedded"] for f in fonts), code
        assert {f["file"] for f in fonts} == {"/FontFile3"}, code
        assert all(f["name"].endswith("NotoSerifCJKSC") for f in fonts), fonts
    assert Instrument.objects.count() == 33
    assert Record.objects.filter(kind="document").count() == 66


@pytest.mark.django_db
def test_a_decision_shows_its_content_party_amount_and_signature_lines(matter, officer):
    made = issue(
        matter, officer, "penalty_decision",
        content={
            "facts": "经查，你单位未如实记录安全生产教育和培训情况。\n以上事实有询问笔录为证。",
            "basis": "《安全生产法》第九十七条第（四）项",
            "decision": "罚款人民币贰万元整",
            "amount": "20000",
        },
    )
    assert_shows(made, "测试化工有限公司", "以上事实有询问笔录为证", "20000.00元（大写：贰万元整）", "当事人（签名）")
    # The Word file names a Chinese font for East Asian text and numbers its pages with fields.
    from matters.tests.documents import record_bytes

    with zipfile.ZipFile(io.BytesIO(record_bytes(made.docx))) as docx:
        styles = docx.read("word/styles.xml").decode()
        footers = "".join(docx.read(n).decode() for n in docx.namelist() if n.startswith("word/footer"))
    assert 'w:eastAsia="宋体"' in styles
    assert "NUMPAGES" in footers and " PAGE " in footers
    pdf = made.pdf
    assert pdf.party_id == matter.party_id and pdf.section_id == matter.section_id
    assert set(pdf.officers.all()) == set(matter.officers.all())
    event = Event.objects.get(kind="instrument.issue")
    assert event.data["number"] == made.number and event.subject_id == str(made.pk)


@pytest.mark.django_db
def test_figures_quoted_in_a_document_come_from_the_agencys_pack(matter, officer):
    """The payment period and the late surcharge are the pack's rules, with their article."""
    decision = issue(matter, officer, "penalty_decision", content=sample_content("penalty_decision") | {"payment": ""})
    assert_shows(decision, "15日内缴至指定银行", "每日按罚款数额的3%加处罚款")
    demand = issue(matter, officer, "payment_demand", content={"amount": "5000", "period": "2026-12-31"})
    assert_shows(demand, "依据《中华人民共和国行政处罚法》第七十二条第一款第（一）项", "3%加处罚款")


@pytest.mark.django_db
def test_content_cannot_inject_layout_lines(matter, officer):
    content = sample_content("penalty_decision") | {"facts": "第一行\n@title 伪造的标题"}
    made = issue(matter, officer, content=content)
    assert_shows(made, "第一行", "@title 伪造的标题")


@pytest.mark.django_db
def test_review_opinion_follows_the_seed_annex_and_is_issued_by_the_legal_reviewer(
    matter, make_staff, numbered_agency
):
    from org.tests.factories import SectionFactory

    legal = SectionFactory(agency=numbered_agency, name="政策法规科")
    reviewer = make_staff("legal_reviewer", section=legal)
    with pytest.raises(PermissionDenied):
        instrument_issue(
            matter=matter, type_code="review_opinion", acting_user=reviewer, content=sample_content("review_opinion")
        )
    made = instrument_issue(
        matter=matter, type_code="review_opinion", acting_user=reviewer, capability="review.conduct",
        content={
            "addressee": "执法监察一大队", "suggestions": ["事实清楚，证据确凿。", "建议按规定履行告知程序。"],
            "opinion": "同意作出行政处罚决定。", "counsel": "测试律师事务所 王律师",
        },
    )
    year = timezone.localdate().year
    assert made.number == f"测应急法审〔{year}〕1号"
    assert_shows(
        made,
        "重大行政执法决定法制审核意见书",
        "执法监察一大队：",
        "经我科组织法制审核小组对你处提交的测试化工有限公司未如实记录安全生产教育和培训情况案案件进行合法性审核",
        "1. 事实清楚，证据确凿。",
        "2. 建议按规定履行告知程序。",
        "审查意见：同意作出行政处罚决定。",
        "法律顾问、专家：测试律师事务所 王律师",
        "本文书一式两份：一份由政策法规科备案，一份交案件承办科室。",
        "共 1 页 第 1 页",
    )
    # 一式两份 (000 第十一条): two copies in one file, each marked, its pages counted on their own.
    import pypdfium2 as pdfium

    from matters.tests.documents import flat, record_bytes

    pages = [p.get_textpage().get_text_range() for p in pdfium.PdfDocument(record_bytes(made.pdf))]
    assert len(pages) == 2
    assert "（第一份政策法规科备案）" in flat(pages[0]) and "（第二份交案件承办科室）" in flat(pages[1])
    for page in pages:
        assert made.number in flat(page) and "共1页第1页" in flat(page)
    with zipfile.ZipFile(io.BytesIO(record_bytes(made.docx))) as docx:
        body = docx.read("word/document.xml").decode()
        footers = "".join(docx.read(n).decode() for n in docx.namelist() if n.startswith("word/footer"))
    assert body.count("<w:sectPr") == 2 and body.count('w:start="1"') == 2 and "SECTIONPAGES" in footers
    first_section = body[body.index("<w:sectPr"):body.index("</w:sectPr>")]
    assert "<w:footerReference" in first_section  # the second inherits it
    # The legal reviewer may not file for the case's section: the system files on their behalf.
    assert made.pdf.section_id == matter.section_id and made.pdf.created_by is None
    # Without a matter (an opinion on a matter kept on paper), it files under the reviewer's section.
    alone = instrument_issue(
        agency=numbered_agency, type_code="review_opinion", acting_user=reviewer, capability="review.conduct",
        content={"case": "某纸质案卷", "opinion": "建议补充调查。"},
    )
    assert alone.number == f"测应急法审〔{year}〕2号" and alone.pdf.section_id == legal.pk
    # The copies the agency's rules ask for, when the review names them.
    three = instrument_issue(
        agency=numbered_agency, type_code="review_opinion", acting_user=reviewer, capability="review.conduct",
        content={"opinion": "同意。", "copies": ["法制审核机构留存归档", "随案卷退一大队存档", "报局领导"]},
    )
    pages = [p.get_textpage().get_text_range() for p in pdfium.PdfDocument(record_bytes(three.pdf))]
    assert [flat(p).split("）")[0] for p in pages] == [
        "（第一份法制审核机构留存归档", "（第二份随案卷退一大队存档", "（第三份报局领导"
    ]
    assert_shows(three, "本文书一式三份：法制审核机构留存归档；随案卷退一大队存档；报局领导。")
    assert_shows(alone, "你处提交的某纸质案卷案件", "审查意见：建议补充调查。")


@pytest.mark.django_db
def test_an_agency_template_replaces_the_built_in_one(matter, officer, numbered_agency, settings, tmp_path):
    settings.ZHIFA_INSTRUMENT_TEMPLATES_DIR = str(tmp_path)
    (tmp_path / "penalty_notice.txt").write_text(
        '{% extends "_base.txt" %}{% block body %}\n本机关自定义告知书正文：{{ c.facts }}\n'
        "[{{ issued_by.password }}{{ party.pk }}]\n{% endblock %}\n",
        encoding="utf-8",
    )
    # One agency's own folder (by its 统一社会信用代码) wins over the shared one.
    own = tmp_path / numbered_agency.uscc
    own.mkdir()
    (own / "_base.txt").write_text(
        "@agency {{ agency.name }}（本局版头）\n@title {{ title }}\n@number {{ number }}\n{% block body %}{% endblock %}\n",
        encoding="utf-8",
    )
    made = issue(matter, officer, "penalty_notice", content={"facts": "甲", "basis": "乙", "decision": "丙"})
    # Templates see plain values: no password hash, no database ids.
    assert_shows(made, "本机关自定义告知书正文：甲", "（本局版头）", "[]")
    assert_hides(made, "当事人（签名）")  # the replaced base has no signature block
    assert_shows(issue(matter, officer, "penalty_decision"), "（本局版头）")


@pytest.mark.django_db
def test_a_broken_agency_template_is_refused_with_a_chinese_message(matter, officer, settings, tmp_path):
    settings.ZHIFA_INSTRUMENT_TEMPLATES_DIR = str(tmp_path)
    (tmp_path / "penalty_decision.txt").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(ValidationError, match="模板“penalty_decision”有语法错误"):
        issue(matter, officer)
    assert not Instrument.objects.exists() and not InstrumentSequence.objects.filter(last__gt=0).exists()


@pytest.mark.django_db
def test_a_character_the_font_lacks_is_refused_rather_than_printed_blank(matter, officer):
    content = sample_content("penalty_decision") | {"facts": "当事人签名处画了😀"}
    with pytest.raises(ValidationError, match="U\\+1F600"):
        issue(matter, officer, content=content)
    assert not Instrument.objects.exists()


@pytest.mark.django_db
def test_a_missing_font_stops_rendering_with_a_chinese_message(matter, officer, settings):
    settings.ZHIFA_PDF_FONT = "/nonexistent/NotoSerifCJK-Regular.ttc"
    with pytest.raises(ValidationError, match="fonts-noto-cjk"):
        issue(matter, officer)
    assert not Instrument.objects.exists()


# ---------------------------------------------------------------- validation


@pytest.mark.django_db
def test_unknown_kind_missing_content_and_foreign_users_are_refused(matter, officer, make_staff, numbered_agency):
    with pytest.raises(ValidationError, match="未知的文书种类"):
        issue(matter, officer, "no_such_kind", content={})
    with pytest.raises(ValidationError, match="缺少必填内容：基本情况"):
        issue(matter, officer, content={"facts": "  ", "basis": "x", "decision": "y"})
    with pytest.raises(PermissionDenied):
        issue(matter, make_staff("archivist"))
    from org.tests.factories import AgencyFactory, StaffFactory

    outsider = StaffFactory(agency=AgencyFactory(), roles=("officer",))
    with pytest.raises(PermissionDenied):
        issue(matter, outsider)
    numbered_agency.instrument_prefix = ""
    numbered_agency.save(update_fields=["instrument_prefix"])
    matter.refresh_from_db()
    with pytest.raises(ValidationError, match="机关代字"):
        issue(matter, officer)
    assert not Instrument.objects.exists()
    assert set(REQUIRED) <= set(TYPES)


# ---------------------------------------------------------------- signatures


@pytest.mark.django_db
def test_a_refusal_needs_a_witness_and_its_circumstances(matter, officer):
    made = issue(matter, officer, "rectification_order")
    assert made.party_signs and not instrument_signed(made)
    today = timezone.localdate()
    for witness, reason in (("", "当事人拒绝签名"), ("李见证", ""), ("", "")):
        with pytest.raises(ValidationError, match="第七条、第十条、第二十条"):
            signature_record(
                instrument=made, role="party", name="张某", signed_on=today, refused=True,
                refusal_reason=reason, witness=witness, acting_user=officer,
            )
    assert not Signature.objects.exists() and not Event.objects.filter(kind="instrument.sign").exists()
    assert not instrument_signed(made)
    refusal = signature_record(
        instrument=made, role="party", name="张某", signed_on=today, refused=True,
        refusal_reason="当事人以不认可检查结果为由拒绝签名", witness="李见证（村委会主任）", acting_user=officer,
    )
    assert str(refusal) == "张某（拒签）"
    assert instrument_signed(made)
    event = Event.objects.get(kind="instrument.sign")
    assert event.data["refused"] is True and event.data["witness"] == "李见证（村委会主任）"


@pytest.mark.django_db
def test_a_party_signature_completes_the_document_and_an_officers_does_not(matter, officer):
    made = issue(matter, officer, "inspection_record")
    signature_record(instrument=made, role="officer", name=officer.name, signed_on=date.today(), acting_user=officer)
    assert not instrument_signed(made)
    signature_record(instrument=made, role="party", name="张某", signed_on=date.today(), acting_user=officer)
    assert instrument_signed(made)
    internal = issue(matter, officer, "filing_approval")
    assert not internal.party_signs and instrument_signed(internal)
    with pytest.raises(ValidationError, match="未知的签名人身份"):
        signature_record(instrument=made, role="boss", name="x", signed_on=date.today(), acting_user=officer)
    with pytest.raises(ValidationError, match="执法人员、见证人应当签名"):
        signature_record(
            instrument=made, role="officer", name=officer.name, signed_on=date.today(), refused=True,
            refusal_reason="x", witness="y", acting_user=officer,
        )
    # A witness questioned signs their own 询问笔录; that completes it (001 第十条).
    record = issue(matter, officer, "interview_record")
    signature_record(instrument=record, role="other", name="证人王某", signed_on=date.today(), acting_user=officer)
    assert instrument_signed(record)
    # On a decision, only the party's signature (or witnessed refusal) counts.
    decision = issue(matter, officer, "penalty_decision")
    signature_record(instrument=decision, role="other", name="王某", signed_on=date.today(), acting_user=officer)
    assert not instrument_signed(decision)


@pytest.mark.django_db
def test_a_scanned_signature_page_goes_into_the_vault(matter, officer, tmp_path):
    from PIL import Image

    made = issue(matter, officer, "inspection_record")
    scan = tmp_path / "scan.png"
    Image.new("L", (40, 60), 255).save(scan)
    sig = signature_record(
        instrument=made, role="party", name="张某", signed_on=date.today(), scan_path=scan, acting_user=officer
    )
    assert sig.scan is not None and sig.scan.party_id == matter.party_id
    assert sig.scan.section_id == matter.section_id


def test_pdf_lines_break_the_chinese_way():
    from matters.rendering import wrap

    def measure(text):
        return float(len(text))

    # A closing mark never starts a line: the character before it moves down with it.
    assert wrap("甲乙丙，丁", 3, measure) == ["甲乙", "丙，丁"]
    # An opening mark never ends a line.
    assert wrap("甲乙《丙丁》", 3, measure) == ["甲乙", "《丙", "丁》"]
    # Numbers and Latin words stay whole.
    assert wrap("罚款20000元", 6, measure) == ["罚款", "20000元"]
    assert wrap("123456789", 4, measure) == ["1234", "5678", "9"]  # unless longer than a line
    assert "".join(wrap("经查，你单位未如实记录安全生产教育和培训情况。", 5, measure)) == "经查，你单位未如实记录安全生产教育和培训情况。"


@pytest.mark.django_db
def test_the_templates_command_exports_for_editing_and_checks_what_an_agency_changed(
    numbered_agency, settings, tmp_path
):
    from django.core.management import CommandError, call_command

    settings.ZHIFA_INSTRUMENT_TEMPLATES_DIR = str(tmp_path / "tpl")
    out = io.StringIO()
    call_command("templates", "export", "--agency", numbered_agency.uscc, "penalty_notice", "_base", stdout=out)
    own = tmp_path / "tpl" / numbered_agency.uscc
    assert sorted(p.name for p in own.iterdir()) == ["_base.txt", "penalty_notice.txt"]
    call_command("templates", "export", "--agency", numbered_agency.uscc, "penalty_notice", stdout=out)
    assert "已存在，未覆盖" in out.getvalue()

    (own / "penalty_notice.txt").write_text(
        (own / "penalty_notice.txt").read_text(encoding="utf-8").replace("经查，", "本局经调查，"), encoding="utf-8"
    )
    out = io.StringIO()
    call_command("templates", "check", "--agency", numbered_agency.uscc, "--out", str(tmp_path / "samples"),
                 "penalty_notice", "review_opinion", stdout=out)
    assert "✓ penalty_notice" in out.getvalue() and "✓ review_opinion" in out.getvalue()
    from matters.tests.documents import flat

    with open(tmp_path / "samples" / "penalty_notice.pdf", "rb") as f:
        import pypdfium2 as pdfium

        text = pdfium.PdfDocument(f.read())[0].get_textpage().get_text_range()
    assert "本局经调查，" in flat(text) and "测应急罚告〔" in flat(text)

    (own / "penalty_notice.txt").write_text("{% block %}", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 种文书的模板有问题"):
        call_command("templates", "check", "--agency", numbered_agency.uscc, "penalty_notice", stdout=out, stderr=err)
    assert "✗ penalty_notice" in err.getvalue() and "语法错误" in err.getvalue()
