"""The portal's decision search by agency (?agency=): a select fed by the agency directory, kept in the
pager's links, and an id that is no agency's an empty answer with a clear message, never an error."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from org.choices import Role
from org.tests.factories import AgencyFactory, CertificateFactory, SectionFactory, StaffFactory
from publicity import portal_page, selectors
from publicity.tests.helpers import COMPANY, draft, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_agencies(agency, make_staff):
    """Two decisions of `agency` and one of another agency, all published."""
    portal_page._agency_options[:] = [0.0, None]  # the per-process list re-read for this test's agencies
    other = AgencyFactory(name="通化市应急管理局", policy_pack="tonghua-city")
    people = []
    SectionFactory(agency=other, name="执法监察支队")
    for a in (agency, other):
        officer = StaffFactory(agency=a, section=a.sections.order_by("pk").first(), roles=(Role.OFFICER,))
        CertificateFactory(staff=officer)
        people.append((a, officer, StaffFactory(agency=a, roles=(Role.LEGAL_REVIEWER,))))
    today = date.today()
    (a, officer, reviewer), (b, b_officer, b_reviewer) = people
    party = COMPANY | {"party_name": "抚顺市某化工有限公司"}
    for n in (1, 2):
        publish(draft(a, officer, party=party, instrument_number=f"抚应急罚决〔2026〕{n}号",
                      decided_on=today - timedelta(days=n)), reviewer)
    publish(draft(b, b_officer, party=party, instrument_number="通应急罚决〔2026〕1号", decided_on=today), b_reviewer)
    yield agency, other
    portal_page._agency_options[:] = [0.0, None]


def _numbers(html: str) -> list[str]:
    return re.findall(r"<td>([抚通]应急罚决〔2026〕\d号)</td>", html)


def test_the_search_filters_by_agency_and_keeps_it_in_the_pager(client, two_agencies, monkeypatch):
    agency, other = two_agencies
    url = reverse("publicity:decisions")
    html = client.get(url).content.decode()
    assert _numbers(html) == ["通应急罚决〔2026〕1号", "抚应急罚决〔2026〕1号", "抚应急罚决〔2026〕2号"]
    # The select lists every agency of the directory, by name.
    assert f'<option value="{agency.pk}">{agency.name}</option>' in html
    assert f'<option value="{other.pk}">{other.name}</option>' in html

    html = client.get(url, {"agency": other.pk}).content.decode()
    assert _numbers(html) == ["通应急罚决〔2026〕1号"]
    assert f'<option value="{other.pk}" selected>{other.name}</option>' in html

    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    html = client.get(url, {"agency": agency.pk, "party": "化工"}).content.decode()
    assert _numbers(html) == ["抚应急罚决〔2026〕1号"]
    following = re.search(r'<a href="\?([^"]*)">下一页</a>', html).group(1).replace("&amp;", "&")
    assert f"agency={agency.pk}" in following and "party=" in following
    html = client.get(f"{url}?{following}").content.decode()
    assert _numbers(html) == ["抚应急罚决〔2026〕2号"]  # page 2 of the same agency, not the other's
    assert "下一页" not in html and f"agency={agency.pk}" in re.search(r'<a href="\?([^"]*)">上一页', html).group(1)


@pytest.mark.parametrize("raw", ["999999", "abc", "-1", "1.5", "9" * 19, "１", "'; drop table x"])
def test_an_id_that_is_no_agency_gives_an_empty_answer_and_says_so(client, two_agencies, raw):
    response = client.get(reverse("publicity:decisions"), {"agency": raw})
    html = response.content.decode()
    assert response.status_code == 200 and _numbers(html) == []
    assert "没有这个执法机关，请从列表中选择，或在执法机关目录中查找。" in html


def test_the_directory_links_each_agency_to_its_decisions(client, two_agencies):
    html = client.get(reverse("publicity:agencies")).content.decode()
    for a in two_agencies:
        assert f'{reverse("publicity:decisions")}?agency={a.pk}">执法决定' in html


def test_beyond_the_select_limit_the_form_keeps_the_choice_and_points_to_the_directory(client, two_agencies,
                                                                                      monkeypatch):
    agency, other = two_agencies
    monkeypatch.setattr(portal_page, "AGENCY_SELECT_MAX", 1)
    portal_page._agency_options[:] = [0.0, None]
    html = client.get(reverse("publicity:decisions"), {"agency": other.pk}).content.decode()
    assert f'<option value="{other.pk}" selected>{other.name}</option>' in html
    assert f'<option value="{agency.pk}"' not in html  # the list of every agency is not sent
    assert f'href="{reverse("publicity:agencies")}">在执法机关目录中查找' in html
    assert _numbers(html) == ["通应急罚决〔2026〕1号"]
