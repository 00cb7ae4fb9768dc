"""Every link a role is shown leads somewhere it may go: log in through the log-in form as each role, under
each of the five agencies' packs, start at the home page and follow the pages' own links breadth-first.

A link shown that answers 403, 404 or 5xx is a dead end (a page should not offer what its viewer cannot do);
a page showing Django's English defaults (an unset value as "None", a model's "Matter object (3)") or an
empty href is unfinished. The route walker (test_endpoints.py) calls every route as every role; this
test checks what the pages actually offer.

The world is test_endpoints.py's (one object of every kind, built once per module and rolled back at the
end), with a matter of every workflow in each of its states and staff of another section; each case switches
the agency's pack inside its own savepoint. ZHIFA_LINKS_FULL=1 follows everything (see PAGES).
"""

import os
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import Resolver404, resolve

from matters.workflows import WORKFLOWS
from org.choices import Role
from org.permissions import CAPABILITIES, can
from org.tests.factories import PASSWORD
from zhifa.tests.test_endpoints import (  # noqa: F401 — the data folder fixtures, module-wide as there
    _build_world,
    _data_dir,
    _ledger_state,
    _shared_data,
)
from zhifa.tests.worlds import rolled_back_module

PACKS = ("fushun-city", "yuyao-city", "tonghua-city", "fushun-county-hrss", "pingdingshan-hitech")
# Each case fetches at most this many pages, breadth-first (the first reached are each role's daily pages):
# the whole walk under the demo's pack, the start of it under the others, to stay cheap in CI. With
# ZHIFA_LINKS_FULL=1 every case follows every link to depth 4 (about 5,000 pages in all, two minutes).
FULL = os.environ.get("ZHIFA_LINKS_FULL") == "1"
DEPTH = 4 if FULL else 3
PAGES = {"fushun-city": 20}
PAGES_ELSEWHERE = 8
# Pages that depend only on the pack and these capabilities of the viewer (policy/views.py; the rules page
# is among the slowest): checked once per pack and answer, not again for every role.
SAME_FOR_CAPABILITIES = {
    "policy:rules": {"policy.view_all_packs", "policy.manage_supplements"},
    "policy:calendar": {"calendar.manage"},
}
CHECKED: set[tuple] = set()
# Each role of the world; under the demo's pack also those who see the same pages from elsewhere: staff of
# another section (the records and matters there are not theirs), and a section chief who also
# investigates, as most do (what they see depends on the section, not on the pack).
ROLES = tuple(Role.values)
MORE = ("officer_elsewhere", "chief_elsewhere", "chief_officer")
CASES = [(pack, role) for pack in PACKS for role in ROLES + (MORE if pack == PACKS[0] or FULL else ())]

# Links never followed: leaving (logout), and the machine endpoints (JSON, feeds, the schema) that the
# route walker and the API tests cover; they show no links.
SKIPPED = re.compile(r"^/(logout/|api/|static/|public/feed)")
# Text a person should never read: Django's English defaults and raw Python leaking into a page.
LEFTOVER = re.compile(
    r"This field is required|\bNone\b|\bTrue\b|\bFalse\b|<bound method|\b[A-Z]\w+ object \(\d+\)"
    r"|Enter a valid|Select a valid choice|\bnan\b"
    # a matter's state as its code, not its label (the codes of one word could be prose; these cannot)
    + "".join(f"|\\b{s.code}\\b" for w in WORKFLOWS.values() for s in w.states if "_" in s.code)
)
# Links that lead to a refusal on purpose: the refusal page itself says who acts and what to do next.
# route name: what the refusal page says instead (one of).
DELIBERATE = {
    # 登记保全 and 登记存储载体 are offered to everyone who sees the holds and carriers pages: one who may not
    # register is told who does and what to hand them (archive.selectors.REFUSALS, walked by
    # archive/tests/test_holds_carriers_browser.py).
    "archive:hold_new": ("登记保全须由",),
    "archive:carrier_new": ("存储载体由档案管理员登记和保管",),
    # A record of another section (the archived record of a publication, a case file's record): the refusal
    # says whose it is and offers 申请调阅 (records/refused.html), the way to read it; where the pack sets no
    # procedure for another section (余姚, 通化 …), it says to ask the handling section and the leaders.
    "records:detail": ("申请调阅", "请由承办科室报局领导研究"),
}


class _Page(HTMLParser):
    """The hrefs of a page's <a> elements and its visible text (without scripts and styles)."""

    def __init__(self):
        super().__init__()
        self.links: list[str | None] = []
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def _target(href: str, base: str) -> str | None:
    """The same-site path (with its query) `href` leads to, or None for another site, a fragment or a scheme."""
    from urllib.parse import urljoin

    if href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    parts = urlsplit(urljoin("http://testserver" + base, href))
    if parts.netloc != "testserver":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _route(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def _followed(path: str) -> bool:
    if SKIPPED.match(path):
        return False
    pages = parse_qs(urlsplit(path).query).get("page", ["1"])
    return not (pages[0].isdigit() and int(pages[0]) > 2)


def check_page(html: str, path: str) -> tuple[list[str], list[str]]:
    """What is wrong in a page's own text and links (leftover English, empty hrefs), and its hrefs."""
    page = _Page()
    page.feed(html)
    text = " ".join(" ".join(page.text).split())
    findings = [
        f"English {m.group()!r} on {path}: …{text[max(0, m.start() - 30): m.end() + 30]}…"
        for m in LEFTOVER.finditer(text)
    ]
    hrefs = []
    for href in page.links:
        if href is None:
            continue  # an anchor without href is a named target, not a link
        if not href.strip() or "None" in href:
            findings.append(f"empty href {href!r} on {path}")
        else:
            hrefs.append(href.strip())
    return findings, hrefs


def crawl(client, *, cap, start="/", depth=DEPTH, pack="", caps=frozenset()) -> tuple[list[str], int]:
    """Breadth-first over the same-site links from `start`: the findings, and the pages fetched. A page of
    SAME_FOR_CAPABILITIES already checked under `pack` for a viewer with the same of `caps` is skipped."""
    findings: list[str] = []
    seen = {start}
    queue = deque([(start, 0, "登录后")])
    fetched = 0
    while queue and fetched < cap:
        path, level, source = queue.popleft()
        if (route := _route(path)) in SAME_FOR_CAPABILITIES:
            key = (pack, path, frozenset(caps & SAME_FOR_CAPABILITIES[route]))
            if key in CHECKED:
                continue
            CHECKED.add(key)
        response = client.get(path)
        fetched += 1
        status = response.status_code
        if status >= 500 or status in (403, 404):
            body = "" if getattr(response, "streaming", False) else response.content.decode()
            allowed = DELIBERATE.get(_route(path), ()) if status == 403 else ()
            if not any(words in body for words in allowed):
                said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
                findings.append(f"{status} {path} (linked from {source}): {said[-400:]}")
        content_type = response.get("Content-Type", "")
        if status in (301, 302, 303, 307, 308):
            target = _target(response["Location"], path)
            if target is not None and target not in seen and _followed(target):
                seen.add(target)
                queue.appendleft((target, level, source))
            continue
        if getattr(response, "streaming", False):
            # Read to its end, as the test client wants: its wrapper then closes the file without the
            # request_finished signal closing the database connection (the world's transaction with it).
            for _chunk in response.streaming_content:
                pass
            continue
        if status != 200 or not content_type.startswith("text/html"):
            continue
        page_findings, hrefs = check_page(response.content.decode(), path)
        findings += page_findings
        for href in hrefs:
            target = _target(href, path)
            if target is None or target in seen or not _followed(target) or level + 1 > depth:
                continue
            seen.add(target)
            queue.append((target, level + 1, path))
    return findings, fetched


# --- the world: test_endpoints.py's, once per module, in a transaction rolled back at the end ---


@pytest.fixture(scope="module")
def _shared_world(django_db_setup, django_db_blocker, _shared_data, tmp_path_factory):  # noqa: F811
    with rolled_back_module(django_db_blocker):
        with django_db_blocker.unblock():
            users, objects = _build_world(tmp_path_factory.mktemp("links-files"))
            _matters_in_every_state(objects["agency"], users[Role.OFFICER])
            users.update(_more_staff(objects["agency"], objects["section"]))
            ledger = _ledger_state()
        yield users, objects, ledger


def _more_staff(agency_pk, section_pk) -> dict:
    from org.models import Agency, Section
    from org.tests.factories import SectionFactory, staff_maker

    agency = Agency.objects.get(pk=agency_pk)
    make_staff = staff_maker(agency, SectionFactory(agency=agency, name="危险化学品安全监督管理科"))
    return {
        "officer_elsewhere": make_staff(Role.OFFICER, certificate=True, username="links_officer2").pk,
        "chief_elsewhere": make_staff(Role.SECTION_CHIEF, Role.OFFICER, certificate=True,
                                      username="links_chief2").pk,
        "chief_officer": make_staff(Role.SECTION_CHIEF, Role.OFFICER, certificate=True, username="links_chief1",
                                    section=Section.objects.get(pk=section_pk)).pk,
    }


def _matters_in_every_state(agency_pk, officer_pk):
    """A matter of every workflow in each of its states, put there directly (the crawl is about what each
    page links to, not the workflow); a matter in a final state is closed."""
    from django.utils import timezone

    from matters.models import Matter
    from matters.workflows import WORKFLOWS
    from org.models import Staff
    from review.tests.helpers import make_matter

    officer = Staff.objects.get(pk=officer_pk)
    for workflow in WORKFLOWS.values():
        for state in workflow.states:
            matter = make_matter(officer.agency, officer.section, officer, amount="30000", kind=workflow.kind,
                                 state=state.code)
            Matter.objects.filter(pk=matter.pk).update(
                workflow=workflow.code, title=f"{workflow.label}测试（{state.label}）",
                closed_at=timezone.now() if state.final else None,
            )


@pytest.mark.django_db
@pytest.mark.parametrize(("pack", "role"), CASES)
def test_every_link_shown_leads_somewhere(pack, role, _shared_world, client):
    from org.models import Agency, Staff

    users, objects, ledger = _shared_world
    assert _ledger_state() == ledger, "a case's writes leaked into the shared world"
    Agency.objects.filter(pk=objects["agency"]).update(policy_pack=pack)
    user = Staff.objects.get(pk=users[role])
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, f"{user.username} could not log in"
    findings, fetched = crawl(client, cap=10_000 if FULL else PAGES.get(pack, PAGES_ELSEWHERE),
                              pack=pack, caps={c for c in CAPABILITIES if can(user, c)})
    assert fetched > 1, "the home page links to nothing"
    assert not findings, "\n".join(findings)


def test_the_crawler_reports_what_it_is_for():
    html = (
        '<html><head><title>事项</title><script>var x = None;</script></head><body><a href="">空</a>'
        '<a href="/matters/None/">无</a><a name="top"></a><a href="#top">顶部</a><p>当事人：None</p>'
        '<p>Matter object (3)</p><p>This field is required.</p><a href="/records/?page=3">下页</a></body></html>'
    )
    findings, hrefs = check_page(html, "/x/")
    assert [f.split(" on ")[0] for f in findings] == [
        "English 'None'", "English 'Matter object (3)'", "English 'This field is required'",
        "empty href ''", "empty href '/matters/None/'",
    ]
    assert "当事人：None" in findings[0] and "var x" not in findings[0]
    assert hrefs == ["#top", "/records/?page=3"]
    assert _target("#top", "/x/") is None and _target("http://example.org/", "/x/") is None
    assert _target("../y/?a=1", "/x/z/") == "/x/y/?a=1"
    assert not _followed("/records/?page=3") and _followed("/records/?page=2") and not _followed("/logout/")
