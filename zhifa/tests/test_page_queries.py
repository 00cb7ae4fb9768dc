"""What the busiest pages cost in queries: each role's home page and the portal's decision search.
Pinned here so that they do not creep back one relation at a time, and checked flat: more matters,
queue items and deadlines do not add queries (bench/pagecost.py measures their time)."""

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.utils import timezone

from matters.models import Matter
from policy.models import Deadline
from policy.services import supplement_adopt
from publicity.tests.helpers import COMPANY, PERSON, draft, publish
from records.tests.test_read_queries import Counter  # counts a request's statements, savepoints left out
from review.tests.helpers import make_matter

pytestmark = pytest.mark.django_db

# session, staff, roles, the calendar's arrangements, certificates, overdue publications, the open
# matters handled (read once per request for the queues and the workbench), unserved 文书, services
# missing their receipt, their steps, deadlines, the agency's rule supplements, hazards, the bell.
OFFICER_HOME_QUERIES = 14
# A chief (no officer role): session, staff, roles, arrangements, the section's certificates valid
# today and its officers (one query each), the pack's routing of approvals (the agency's rules, read once per request), the
# approvals queue, the workbench, the bell.
CHIEF_HOME_QUERIES = 14
# … the review bench's counts (one query), the publicity queues (one query) and the archive's, the
# leader's decisions.
LEADER_HOME_QUERIES = 18
PORTAL_SEARCH_QUERIES = 3  # at most (a whole 文书号 takes three; most searches one)


@pytest.fixture
def people(make_staff):
    return {
        "officer": make_staff("officer", certificate=True),
        "chief": make_staff("section_chief", certificate=True),
        "leader": make_staff("leader"),
    }


def add_work(agency, section, officer, n: int) -> None:
    """n of each: a filing for the chief, a proposal for the leader, a decision to serve, an
    inspection to re-inspect, each filed matter with its statutory deadline (one overdue)."""
    matter_type = ContentType.objects.get_for_model(Matter)
    now = timezone.now()
    for i in range(n):
        for state in ("filing", "proposed", "decided", "filed"):
            matter = make_matter(agency, section, officer, state=state)
            if state == "filed":
                Deadline.objects.create(
                    agency=agency, subject_type=matter_type, subject_id=str(matter.pk),
                    rule_key="penalty.decision_deadline", pack_id=agency.policy_pack, start=now,
                    due=now + timedelta(days=-2 if i == 0 else 40), unit="days", amount=90,
                )  # fmt: skip
        rectifying = Matter.objects.create(
            agency=agency, section=section, kind="inspection", workflow="inspection", state="rectifying",
            title=f"某厂整改复查{i}", opened_by=officer, opened_at=now,
        )  # fmt: skip
        rectifying.officers.add(officer)


def queries(client, path: str, **params) -> int:
    counter = Counter()
    with connection.execute_wrapper(counter):
        response = client.get(path, params)
    assert response.status_code == 200
    return len(counter.statements())


def test_home_pages_cost_a_fixed_number_of_queries_whatever_waits(agency, section, people):
    add_work(agency, section, people["officer"], 1)
    pinned = {"officer": OFFICER_HOME_QUERIES, "chief": CHIEF_HOME_QUERIES, "leader": LEADER_HOME_QUERIES}
    clients, counts = {}, {}
    for role in pinned:
        clients[role] = Client()
        clients[role].force_login(people[role])
        clients[role].get("/")  # the first request of a session may touch more
        counts[role] = [queries(clients[role], "/")]
    add_work(agency, section, people["officer"], 3)  # four times the work waiting
    for role, client in clients.items():
        page = client.get("/").content.decode()
        counts[role].append(queries(client, "/"))
        if role == "officer":  # the queues and the workbench show what was added
            assert page.count("某厂整改复查") >= 4 and "已逾期" in page
    assert counts == {role: [n, n] for role, n in pinned.items()}


def test_what_a_request_reads_once_the_next_request_reads_afresh(agency, people, make_staff):
    """The home page reads the agency's rules once per request (utilities.memo), not once per
    process: a supplement adopted between two requests shows on the second."""
    client = Client()
    client.force_login(people["leader"])
    assert "平开应急〔2026〕9号" not in client.get("/").content.decode()
    supplement_adopt(
        acting_user=make_staff("admin", username="admin1"), key="review.time_limit", value=9,
        unit="working_days", document_title="关于法制审核期限的通知", document_number="平开应急〔2026〕9号",
        article="第二条", summary="法制审核9个工作日内审完。", effective_from=timezone.localdate(),
    )  # fmt: skip
    assert "平开应急〔2026〕9号" in client.get("/").content.decode()


def test_the_portal_search_costs_a_bounded_number_of_queries(agency, make_staff, client):
    officer = make_staff("officer", certificate=True)
    reviewer = make_staff("legal_reviewer", username="reviewer")
    today = date.today()
    for i in range(6):
        party = COMPANY | {"party_name": f"抚顺市东华精细化工有限公司{i}"} if i % 2 else PERSON
        publish(draft(agency, officer, party=party, instrument_number=f"抚应急罚决〔{today.year}〕{i + 1}号",
                      decided_on=today - timedelta(days=i)), reviewer)  # fmt: skip
    searches = [
        {},
        {"page": 2},
        {"party": "东华"},
        {"party": "王"},
        {"number": "罚决"},
        {"number": f"抚应急罚决〔{today.year}〕3号"},
        {"category": "penalty"},
        {"from": (today - timedelta(days=3)).isoformat(), "to": today.isoformat()},
    ]
    client.get("/public/decisions/")
    counts = [queries(client, "/public/decisions/", **search) for search in searches]
    assert max(counts) <= PORTAL_SEARCH_QUERIES, counts
