"""The archivist's pages: the 待归档 queue with an overdue file in red, and the count on the home page;
other roles are refused with a Chinese message naming who can act."""

from datetime import timedelta

import pytest
from django.utils import timezone

from archive.models import CaseFile
from ledger.models import Event
from policy.models import Deadline

pytestmark = pytest.mark.django_db


def test_an_overdue_file_is_red_in_the_queue_and_counted_on_the_home_page(desk, login, make_staff):
    m = desk.close_inspection("逾期归档检查")
    case_file = CaseFile.objects.get(matter=m)
    Deadline.objects.filter(rule_key="archive.deadline_after_closing").update(due=timezone.now() - timedelta(days=1))
    client = login(desk.archivist)
    home = client.get("/").content.decode()
    assert "待归档案卷" in home and "1 卷" in home and "已逾期 1 卷" in home
    queue = client.get("/archive/").content.decode()
    assert 'class="overdue"' in queue and "已逾期" in queue and case_file.code in queue
    detail = client.get(f"/archive/files/{case_file.pk}/").content.decode()
    assert "卷内目录" in detail and "现场检查方案" in detail and "检测并归档" in detail
    refused = login(desk.officer).post(f"/archive/files/{case_file.pk}/seal/", {"retention": "10"})
    assert refused.status_code == 403 and "档案管理员" in refused.content.decode()
    assert CaseFile.objects.get(pk=case_file.pk).state == "open"
    # a chief of another section may not read the file: refused in Chinese, and the refusal logged
    from org.tests.factories import SectionFactory

    other = make_staff("section_chief", section=SectionFactory(agency=desk.agency, name="危化科"), username="wei")
    denied = login(other).get(f"/archive/files/{case_file.pk}/")
    assert denied.status_code == 403 and "调阅" in denied.content.decode()
    assert Event.objects.filter(kind="casefile.denied", actor=other, subject_id=str(case_file.pk)).exists()


def test_the_closed_matters_page_links_its_case_file(desk, login):
    m = desk.close_inspection("链接案卷检查", records=[desk.clip("link.mp4")])
    case_file = CaseFile.objects.get(matter=m)
    page = login(desk.chief).get(f"/matters/{m.pk}/").content.decode()
    assert f'href="/archive/files/{case_file.pk}/"' in page and case_file.code in page and "待立卷归档" in page
    # an officer, who may not open case files, sees its number and state and whom to ask
    page = login(desk.officer).get(f"/matters/{m.pk}/").content.decode()
    assert case_file.code in page and "请向档案管理员申请查看" in page
    assert f'href="/archive/files/{case_file.pk}/"' not in page


def test_a_proposed_disposal_waits_on_the_leaders_home_page(desk, login):
    """The leader approves destruction lists; until this queue, nothing told him one was waiting."""
    from archive.services import disposal_propose
    from archive.tests.test_destruction import _expired_file

    sealed, _ = _expired_file(desk, "期满待批")
    home = login(desk.leader).get("/").content.decode()
    assert 'id="queue-archivedisposals"' in home and "销毁清册待审批" in home
    disposal = disposal_propose(acting_user=desk.archivist, case_files=[sealed], reason="保管期限届满，经鉴定无保存价值")
    home = login(desk.leader).get("/").content.decode()
    assert f"/archive/disposals/#disposal-{disposal.pk}" in home and f"销毁清册 {disposal.pk}（1卷）" in home
    page = login(desk.leader).get("/archive/disposals/").content.decode()
    assert f'id="disposal-{disposal.pk}"' in page and "审批" in page
    # the archivist proposes; approving is not his, so the queue is not on his page
    assert "销毁清册待审批" not in login(desk.archivist).get("/").content.decode()
