"""The portal finds any part of a party name and of a 文书号, through the trigram index or, for one
and two characters, by walking the date order; on SQLite and on PostgreSQL alike."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from publicity import selectors
from publicity.tests.helpers import COMPANY, PERSON, draft, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_staff):
    return make_staff("officer", certificate=True)


@pytest.fixture
def reviewer(make_staff):
    return make_staff("legal_reviewer", username="reviewer")


@pytest.fixture
def items(agency, officer, reviewer):
    today = date.today()
    fine = COMPANY | {"party_name": "抚顺市东华精细化工有限公司", "party_id_number": "91210400MA0XXXXX2B"}
    mine = COMPANY | {"party_name": "清原县红透山矿业有限公司", "party_id_number": "91210400MA0XXXXX3C"}
    return {
        "fine": publish(draft(agency, officer, party=fine, instrument_number="抚应急罚决〔2026〕7号",
                              decided_on=today - timedelta(days=3)), reviewer),
        "mine": publish(draft(agency, officer, party=mine, category="inspection",
                              instrument_number="抚应急检记〔2026〕12号", decided_on=today - timedelta(days=2)), reviewer),
        "person": publish(draft(agency, officer, party=PERSON, instrument_number="抚应急罚决〔2026〕8号",
                                decided_on=today - timedelta(days=1)), reviewer),
        "draft": draft(agency, officer, party=fine, instrument_number="抚应急罚决〔2026〕9号"),
    }  # fmt: skip


def _numbers(**query) -> list[str]:
    return [i["public"]["instrument_number"] for i in selectors.portal_search(**query).items]


@pytest.mark.parametrize("cap", [None, 0], ids=["index", "date-walk"])
def test_any_part_of_a_name_or_number_is_found(items, cap, monkeypatch):
    # cap=0: every long term counts as common, so SQLite walks the date order instead of the index.
    monkeypatch.setattr(selectors, "FTS_CAP", cap)
    assert _numbers(party="精细化工") == ["抚应急罚决〔2026〕7号"]  # the middle of the name
    assert _numbers(party="精细") == ["抚应急罚决〔2026〕7号"]  # two characters
    assert _numbers(party="矿") == ["抚应急检记〔2026〕12号"]  # one character
    assert _numbers(party="有限公司") == ["抚应急检记〔2026〕12号", "抚应急罚决〔2026〕7号"]  # newest first
    # A date range bounds the name's matches (on SQLite, the date-ordered index's own range).
    assert _numbers(party="有限公司", date_from=date.today() - timedelta(days=2)) == ["抚应急检记〔2026〕12号"]
    assert _numbers(party="有限公司", date_to=date.today() - timedelta(days=3)) == ["抚应急罚决〔2026〕7号"]
    assert _numbers(party="有限公司", page=2) == []
    assert _numbers(party="王") == ["抚应急罚决〔2026〕8号"]  # the masked person "王**"
    assert _numbers(party="小明") == []  # a masked name is not found by its hidden part
    assert _numbers(number="罚决") == ["抚应急罚决〔2026〕8号", "抚应急罚决〔2026〕7号"]  # never the draft
    assert _numbers(number="〔2026〕12") == ["抚应急检记〔2026〕12号"]
    assert _numbers(number="抚应急罚决〔2026〕7号") == ["抚应急罚决〔2026〕7号"]
    assert _numbers(party="精细化工", number="检记") == []
    assert _numbers(party="化工", category="inspection") == []
    # Wildcards are literal characters, and quotes cannot break the index's query syntax.
    assert _numbers(party="%") == [] and _numbers(party="_") == [] and _numbers(party='精"细化工') == []
    assert _numbers(party='"精细化工"') == []


def test_the_portal_page_finds_a_middle_part(items, client):
    url = reverse("publicity:decisions")
    page = client.get(url, {"party": "精细化工"}).content.decode()
    assert "抚顺市东华精细化工有限公司" in page and "红透山" not in page
    page = client.get(url, {"number": "检记"}).content.decode()
    assert "抚应急检记〔2026〕12号" in page and "罚决〔2026〕7号" not in page
    assert '名称中的任意文字' in page


def test_the_index_follows_every_change(items, agency, officer, reviewer):
    """The index is the database's own (triggers on SQLite, a GIN index on PostgreSQL): rows written
    by any path are found, and a corrected name is found by its new text only."""
    from publicity.services import publication_correct

    publication_correct(publication=items["fine"], changes={"party_name": "抚顺市东华新材料有限公司"},
                        reason="名称变更", acting_user=reviewer)  # fmt: skip
    assert _numbers(party="新材料") == []  # back to review: not on the portal until published again
    publish(items["fine"], reviewer)
    assert _numbers(party="新材料") == ["抚应急罚决〔2026〕7号"]
    assert _numbers(party="精细化工") == []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT rowid FROM publicity_search WHERE publicity_search MATCH ?", ['"新材料"'])
            assert [r[0] for r in cursor.fetchall()] == [items["fine"].pk]
            # the party index's rowid is the portal's order: julian day × DAY_KEY + id (migration 0004)
            cursor.execute("SELECT rowid FROM publicity_party_search WHERE publicity_party_search MATCH ?", ['"新材料"'])
            fine = items["fine"]
            key = (fine.decided_on.toordinal() + selectors.JULIAN_OFFSET) * selectors.DAY_KEY + fine.pk
            assert [r[0] for r in cursor.fetchall()] == [key]
            cursor.execute("SELECT party_public FROM publicity_party_search WHERE rowid = ?", [key])
            assert "新材料" in cursor.fetchone()[0]  # the old name left the index with its row
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'pub_party_trgm'")
            assert "gin_trgm_ops" in cursor.fetchone()[0]
