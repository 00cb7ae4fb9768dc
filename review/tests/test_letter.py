"""The 意见书 (000 第十一条, 附件2): numbered by the agency's prefix, DOCX and PDF in Chinese, two copies."""

from datetime import date

import pytest

from matters.tests import documents
from org.tests.factories import SectionFactory
from review import services
from review.tests.helpers import checklist_all_pass, complete_submission, make_matter

pytestmark = pytest.mark.django_db


def test_opinion_letter_renders_in_chinese_as_docx_and_pdf(agency, section, make_staff):
    agency.instrument_prefix = "抚应急"
    agency.save()
    legal = SectionFactory(agency=agency, name="政策法规科")
    officer = make_staff("officer", certificate=True)
    chief = make_staff("section_chief", certificate=True)
    reviewer = make_staff("legal_reviewer", section=legal, legal_qualification="A20231234567")
    matter = make_matter(agency, section, officer, amount="20000")
    review = services.review_submit(matter=matter, acting_user=chief, **complete_submission(matter))
    services.review_assign(review=review, reviewer=reviewer, first=True, acting_user=reviewer)
    opinion = services.review_opinion_issue(
        review=review,
        acting_user=reviewer,
        findings=checklist_all_pass(matter),
        outcome="agree",
        opinion="事实清楚，证据确凿，同意作出行政处罚决定。",
        suggestions=["违法事实清楚，证据确凿充分。", "建议在决定书中写明履行方式。"],
        adviser="测试律师事务所 王律师",
        meeting_on=date.today(),
        meeting_minutes="科务会集体研究，同意。",
    )
    letter = opinion.instrument
    assert letter.number == f"抚应急法审〔{date.today().year}〕1号"
    assert letter.docx and letter.pdf  # both in the vault
    for text in (documents.docx_text(letter.docx), documents.pdf_text(letter.pdf)):
        flat = text.replace("\n", "").replace(" ", "")
        for expected in (
            "重大行政执法决定法制审核意见书",
            "执法监察一大队：",
            matter.title,
            "1.违法事实清楚，证据确凿充分。",
            "审查意见：同意。事实清楚，证据确凿，同意作出行政处罚决定。",
            "测试律师事务所王律师",
            "本文书一式两份：一份由政策法规科备案，一份交案件承办科室。",
        ):
            assert expected.replace(" ", "") in flat, expected
    assert [c["holder"] for c in opinion.copies] == ["法制审核机构留存归档", "随案卷退执法监察一大队存档"]
