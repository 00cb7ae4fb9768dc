import pytest

from inspections.models import InspectionDraw
from inspections.selectors import draw_reproduces
from publicity import selectors
from zhifa.demo import demo_load

pytestmark = pytest.mark.django_db


def test_the_demo_portal_is_not_empty():
    agency = demo_load()
    assert len(selectors.portal_search().items) == 2
    assert [p.instrument_number for p in selectors.portal_withdrawals()] == ["抚应急罚〔2026〕101号"]
    assert selectors.portal_powers(agency=agency).count() == 4
    reviewer = agency.staff.filter(role_assignments__role="legal_reviewer").first()
    draw = InspectionDraw.objects.get()
    assert draw.tasks.count() == 4 and draw_reproduces(draw)  # 20 % of 20 enterprises
    person = next(i for i in selectors.portal_search().items if i["public"]["party_kind"] == "自然人")
    assert person["public"]["party"] == "陈**"
    assert selectors.publications_overdue(viewer=reviewer).exists()  # the inspection result left unpublished
