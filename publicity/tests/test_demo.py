import re

import pytest
from django.utils import timezone

from inspections.models import InspectionDraw
from inspections.selectors import draw_reproduces
from matters.instrument_types import TYPES
from publicity import selectors
from publicity.models import Publication
from zhifa.demo import demo_load

pytestmark = pytest.mark.django_db


def test_the_demo_portal_is_not_empty():
    agency = demo_load()
    assert len(selectors.portal_search().items) == 2
    year = timezone.localdate().year
    assert [p.instrument_number for p in selectors.portal_withdrawals()] == [f"抚应急罚决〔{year}〕101号"]
    assert selectors.portal_powers(agency=agency).count() == 4
    reviewer = agency.staff.filter(role_assignments__role="legal_reviewer").first()
    draw = InspectionDraw.objects.get()
    assert draw.tasks.count() == 2 and draw_reproduces(draw)  # 20 % of the 10 工贸 enterprises of 20
    assert {t.party.enterprise.sector for t in draw.tasks.all()} == {"industry_trade"}
    person = next(i for i in selectors.portal_search().items if i["public"]["party_kind"] == "自然人")
    assert person["public"]["party"] == "陈**"
    assert selectors.publications_overdue(viewer=reviewer).exists()  # the inspection result left unpublished


def test_one_code_per_kind_of_instrument():
    """Each kind of 文书 has one 代字, and what the portal shows uses the one matters numbers with:
    a 行政处罚决定书 is 罚决 (never 罚), a 现场检查记录 检记 (never 检)."""
    abbrs = [t.abbr for t in TYPES.values() if t.abbr]
    assert len(abbrs) == len(set(abbrs))
    demo_load()
    kind_of = {"penalty": "penalty_decision", "licensing": "licensing_decision", "inspection": "inspection_record"}
    for item in Publication.objects.all():
        abbr = re.fullmatch(r"抚应急(.+)〔\d{4}〕\d+号", item.instrument_number).group(1)
        assert abbr == TYPES[kind_of[item.category]].abbr, item.instrument_number
