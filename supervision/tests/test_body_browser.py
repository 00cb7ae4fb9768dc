"""The 司法局's supervisor logs in by the login page and, by clicking only, opens a matter of each of
two supervised agencies on different packs; each look is in that agency's ledger."""

import pytest

from ledger.models import Event
from matters.services import matter_open, matter_transition
from org.choices import Role
from org.services import agency_provision, supervising_body_attach, supervising_body_create, supervisor_create
from org.tests.factories import PASSWORD, CertificateFactory, StaffFactory, make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_opens_a_matter_of_two_agencies_on_two_packs_by_clicking(browser, live_server):
    body = supervising_body_create(name="抚顺市司法局", jurisdiction="抚顺市人民政府所属行政执法部门")
    agencies = []
    for n, pack in enumerate(("fushun-city", "tonghua-city"), start=1):
        agency = agency_provision(name=f"第{n}应急管理局", uscc=make_uscc(f"11210400MF{n:07d}"), jurisdiction=f"第{n}区",
                                  policy_pack=pack, sections=["执法大队"], admin_username=f"adm{n}", admin_name="管理员",
                                  instrument_prefix=f"第{n}应急")
        supervising_body_attach(body=body, agency=agency)
        officer = StaffFactory(agency=agency, section=agency.sections.get(), roles=(Role.OFFICER,))
        CertificateFactory(staff=officer)
        case = matter_open(acting_user=officer, kind="penalty", title=f"第{n}局某化工厂处罚案", party=None)
        matter_transition(acting_user=officer, matter=case, transition="request_filing",
                          data={"facts": "事实", "basis": "依据"})
        agencies.append((agency, case))
    supervisor = supervisor_create(body=body, username="sfj", name="司法局监督员", password=PASSWORD)

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "sfj")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "行政执法监督" in page.inner_text("h1")
    for agency, case in agencies:
        with page.expect_navigation():
            page.click(f"#supervised-agencies >> text={agency.name}")
        with page.expect_navigation():
            page.click(f"#oversight-matters >> text={case.title}")
        text = page.inner_text("main")
        assert case.title in text and agency.name in text and "立案申请" in text
        assert "办理环节" in text and "文书" in text and "法制审核" in text and "期限" in text
        # A read-only page: no form that could change the matter.
        assert page.locator("main form[method=post]").count() == 0
        with page.expect_navigation():
            page.click("header >> text=执法监督")
        looked = Event.objects.filter(kind="oversight.view", actor=supervisor, agency=agency)
        assert looked.filter(subject_type="matters.matter", subject_id=str(case.pk)).exists()
        assert looked.filter(subject_type="org.agency").exists()
    context.close()
