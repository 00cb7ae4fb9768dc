"""Each role's home page lists what waits for it, with counts and links (issue 13 item 1)."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from matters.models import Matter
from org import queues
from org.queues import Queue, QueueItem
from policy.models import Deadline
from publicity.services import publication_review
from publicity.tests.helpers import draft
from review import services
from review.tests.helpers import complete_submission, make_matter

pytestmark = pytest.mark.django_db


def _count(page: str, code: str) -> int:
    found = re.search(rf'id="queue-{code}".*?data-count="(\d+)"', page, re.S)
    assert found, f"queue {code} not on the page"
    return int(found.group(1))


@pytest.fixture
def people(make_staff):
    return {
        "officer": make_staff("officer", certificate=True),
        "chief": make_staff("section_chief", certificate=True),
        "reviewer": make_staff("legal_reviewer", legal_qualification="A20231234567"),
        "leader": make_staff("leader"),
    }


def test_each_role_sees_its_queue_with_counts_and_links(agency, section, people, login, client):
    officer = people["officer"]
    filing = make_matter(agency, section, officer, state="filing")  # waits for the chief
    proposed = make_matter(agency, section, officer, state="proposed")  # waits for the leader
    decided = make_matter(agency, section, officer, state="decided")  # waits for its service
    rectifying = Matter.objects.create(
        agency=agency, section=section, kind="inspection", workflow="inspection", state="rectifying",
        title="某厂整改复查", opened_by=officer, opened_at=timezone.now(),
    )
    rectifying.officers.add(officer)
    in_scope = make_matter(agency, section, officer, amount="10000")
    with mock.patch("review.services._issue_letter", return_value=None):
        review = services.review_submit(matter=in_scope, acting_user=people["chief"], **complete_submission(in_scope))

    page = login(people["chief"]).get("/").content.decode()
    assert _count(page, "mattersapprove") == 1
    assert reverse("matters:detail", args=[filing.pk]) in page and "立案审批" in page

    page = login(people["leader"]).get("/").content.decode()
    assert _count(page, "mattersdecide") >= 1
    assert reverse("matters:detail", args=[proposed.pk]) in page

    page = login(officer).get("/").content.decode()
    assert _count(page, "mattersserve") == 1 and reverse("matters:detail", args=[decided.pk]) in page
    assert _count(page, "mattersreinspect") == 1
    assert reverse("matters:detail", args=[rectifying.pk]) + "#t-reinspect" in page
    assert "mattersapprove" not in page  # an officer approves nothing

    page = login(people["reviewer"]).get("/").content.decode()
    assert _count(page, "reviewconduct") == 1
    assert reverse("review:detail", args=[review.pk]) in page
    assert _count(page, "publicitypublish") == 0

    # Publicity: a draft waits for review, a reviewed item waits for publishing.
    waiting = draft(agency, people["reviewer"], instrument_number="抚应急罚〔2026〕1号")
    ready = draft(agency, people["reviewer"], instrument_number="抚应急罚〔2026〕2号")
    publication_review(publication=ready, acting_user=people["reviewer"])
    page = login(people["reviewer"]).get("/").content.decode()
    assert _count(page, "publicityreview") == 1 and _count(page, "publicitypublish") == 1
    assert reverse("publicity:staff_detail", args=[ready.pk]) in page.split('id="queue-publicitypublish"')[1]
    assert reverse("publicity:staff_detail", args=[waiting.pk]) in page

    # The leader also sees the reviews whose opinion waits for the decision.
    review.state = "opinion"
    review.save(update_fields=["state"])
    page = login(people["leader"]).get("/").content.decode()
    assert _count(page, "reviewleader") == 1


def test_another_app_adds_its_queue_without_zhifa_importing_it(agency, people, login):
    def archive(viewer):
        return [Queue("archive.file", "待归档", [QueueItem("某案卷", "/matters/1/")], order=70)]

    queues.register(archive)
    try:
        page = login(people["officer"]).get("/").content.decode()
        assert _count(page, "archivefile") == 1 and "待归档" in page
    finally:
        queues._providers.remove(archive)


def test_deadlines_show_as_a_month_calendar(agency, section, people, login):
    matter = make_matter(agency, section, people["officer"], state="filed")
    due = timezone.now() + timedelta(days=40)
    Deadline.objects.create(
        agency=agency, subject_type=ContentType.objects.get_for_model(Matter), subject_id=str(matter.pk),
        rule_key="penalty.decision_deadline", pack_id=agency.policy_pack, start=timezone.now(), due=due,
        unit="days", amount=40,
    )
    client = login(people["officer"])
    month = timezone.localtime(due).strftime("%Y-%m")
    page = client.get("/", {"month": month}).content.decode()
    assert 'class="month"' in page and "立案后作出处罚决定" in page.split('class="month"')[1]
    assert client.get("/", {"month": "9999-99"}).status_code == 200  # bad input falls back to today


def test_a_filing_the_pack_sends_to_the_leader_waits_in_the_leaders_queue(agency, section, people, login):
    # 通化 001 第九条 (matters.leader_approval_steps): the chief's approval is not the last word.
    agency.policy_pack = "tonghua-city"
    agency.save(update_fields=["policy_pack"])
    filing = make_matter(agency, section, people["officer"], state="filing")
    url = reverse("matters:detail", args=[filing.pk])

    page = login(people["chief"]).get("/").content.decode()
    assert _count(page, "mattersapprove") == 0
    page = login(people["chief"]).get(url).content.decode()
    assert 'id="go-approve_filing"' not in page and "须逐级报局主要负责人审批" in page

    page = login(people["leader"]).get("/").content.decode()
    assert _count(page, "mattersapprove") == 1 and url in page
    page = login(people["leader"]).get(url).content.decode()
    assert 'id="go-approve_filing"' in page
