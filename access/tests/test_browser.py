"""Request → approval → accompanied viewing through the pages in a real headless Chromium, by
clicking: another section's officer asks, the leader approves, the archivist opens the session and
the record is viewed inside it (fushun-city pack, 000 记录信息调阅监督制度第六、九条)."""

import pytest

from ledger.models import Event
from zhifa.tests.browsing import logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Desk:
    def __init__(self, browser, base, user):
        self.page = logged_in_page(browser, base, user)
        self.context = self.page.context

    def click(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)

    def open_request(self, number: str) -> None:
        self.click("nav >> text=记录调阅")
        self.click(f"text={number}")


def test_another_section_asks_the_leader_approves_and_the_archivist_accompanies(browser, live_server, people, stored):
    asker = Desk(browser, live_server.url, people.outsider)
    asker.click("nav >> text=记录调阅")
    asker.click("#new-request")
    page = asker.page
    page.select_option("#id_requester_kind", "other_section")
    page.select_option("#id_action", "view")
    page.fill("#id_purpose", "执法监督：核查现场检查过程")
    page.fill("#id_records", f"{stored[0].pk}，{stored[1].pk}")
    asker.click("#submit-request")
    assert page.inner_text("#state") == "待审批"
    number = page.inner_text("h1").split()[1]

    leader = Desk(browser, live_server.url, people.leader)
    leader.open_request(number)
    leader.page.select_option("#id_approve", "1")
    leader.page.fill("#id_note", "同意，在档案室查阅")
    leader.click("#decide")
    assert leader.page.inner_text("#state") == "已批准"

    keeper = Desk(browser, live_server.url, people.archivist)
    keeper.open_request(number)
    keeper.page.fill("#id_place", "档案室")
    keeper.click("#open-session")
    assert "进行中" in keeper.page.content()
    keeper.click(".view-record >> nth=0")
    text = keeper.page.inner_text("main") if keeper.page.locator("main").count() else keeper.page.content()
    assert stored[0].title in text and "本次查看已登记" in text and "下载" not in keeper.page.inner_text("h1")
    keeper.click("text=返回调阅申请")
    keeper.page.fill("#id_note", "无异常")
    keeper.click("#close-session")
    assert "进行中" not in keeper.page.content()

    kinds = list(Event.objects.filter(data__number=number).order_by("index").values_list("kind", flat=True))
    assert kinds[:4] == ["access.request", "access.request_view", "access.request_view", "access.approve"]
    opened, viewed, closed = (kinds.index(k) for k in ("access.session_open", "access.view", "access.session_close"))
    assert opened < viewed < closed
    for desk in (asker, leader, keeper):
        desk.context.close()
