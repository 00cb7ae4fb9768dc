"""A 司法局 supervising five agencies, one under each agency pack: its supervisor logs in by the login
page and, by clicking only, opens each agency (its pack's legal-review thresholds, with their
articles), a closed inspection (steps, 文书, the archiving deadline counted and cited as that pack
says), the legal review where the pack's catalogue called for one, the statistics with 案卷评查,
and a record's metadata. Each page opened is an `oversight.view` event in the ledger of the agency
read; an agency the body does not supervise is not listed and its id is refused as a missing one."""

import pytest

from archive.tests.conftest import pack_desk
from ledger.models import Event
from matters.tests.test_agency_packs import plain_pdf  # noqa: F401 — 文书 PDFs in a core font (layout is not tested here)
from org.services import supervising_body_attach, supervising_body_create, supervisor_create
from org.tests.factories import PASSWORD
from policy.selectors import agency_rules
from records.choices import RecordKind
from review.services import review_submit
from review.tests.helpers import complete_submission, make_matter
from supervision import body_selectors
from supervision.tests.test_body import _page
from zhifa.tests.browsing import click, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_pdf")]

PACKS = ("fushun-city", "fushun-county-hrss", "pingdingshan-hitech", "tonghua-city", "yuyao-city")


def _agency(n: int, pack: str, tmp_path):
    desk = pack_desk(n, pack, tmp_path, mark="MP", party_name=f"第{n}区某化工有限公司")
    agency, section, party = desk.agency, desk.section, desk.party
    inspection = desk.close_inspection(f"第{n}局储罐区检查")
    review = None
    if agency_rules(agency).get("review.scope"):  # a major decision sent to legal review as the pack's catalogue says
        major = make_matter(agency, section, desk.officer, amount="120000", party=party)
        review = review_submit(matter=major, acting_user=desk.chief, **complete_submission(major))
    return {"agency": agency, "inspection": inspection, "review": review,
            "record": inspection.steps.get(transition="inspect").records.get(kind=RecordKind.VIDEO)}


def test_a_supervisor_walks_five_agencies_under_five_packs_by_clicking(browser, live_server, tmp_path, client):
    body = supervising_body_create(name="某市司法局", jurisdiction="某市人民政府所属行政执法部门")
    worlds = [_agency(n, pack, tmp_path) for n, pack in enumerate(PACKS, start=1)]
    for w in worlds:
        supervising_body_attach(body=body, agency=w["agency"])
    stranger = _agency(9, "fushun-city", tmp_path)  # an agency this body does not supervise
    supervisor = supervisor_create(body=body, username="sfj", name="司法局监督员", password=PASSWORD)

    page = logged_in_page(browser, live_server.url, supervisor)
    assert "行政执法监督" in page.inner_text("h1")
    listed = page.inner_text("#supervised-agencies")
    assert all(w["agency"].name in listed for w in worlds) and stranger["agency"].name not in listed

    for w in worlds:
        agency, inspection = w["agency"], w["inspection"]
        rules = agency_rules(agency)
        before = Event.objects.order_by("-pk").values_list("pk", flat=True).first()

        # The agency: its pack's legal-review thresholds, each with its article, or 未规定.
        click(page, f"#supervised-agencies >> text={agency.name}")
        table = page.inner_text("#oversight-pack-rules")
        for row in body_selectors.oversight_pack_rules(agency=agency):
            rule = rules.get(row.key)
            line = page.locator("#oversight-pack-rules tr", has_text=row.title).inner_text()
            if rule is None:
                assert "—" in line and "本单位政策包未规定。" in line, (agency.policy_pack, line)
            else:
                assert row.value in line and rule.cited("、") in line, (agency.policy_pack, line)
        threshold = rules.get("review.fine_threshold_organisation")
        assert ("100000元" in table) == (agency.policy_pack == "fushun-city")
        assert ("50000元" in table) == (agency.policy_pack == "yuyao-city")
        assert (threshold is None) == (agency.policy_pack not in ("fushun-city", "yuyao-city"))

        # The inspection: steps, its three 文书, the archiving deadline as the pack counts and cites it.
        click(page, f"#oversight-matters >> text={inspection.title}")
        steps = [r.inner_text().split("\t")[0] for r in page.locator("#oversight-steps tr").all()[1:]]
        assert steps == list(inspection.steps.order_by("acted_at", "pk").values_list("label", flat=True))
        assert len(steps) == 3 and steps[-1] == "结案审批"
        assert page.locator("#oversight-instruments tr").count() == 1 + inspection.instruments.count() == 4
        deadline = rules.get("archive.deadline_after_closing")
        deadlines = page.inner_text("#oversight-deadlines")
        if deadline is None:  # 平顶山's pack sets no archiving period after closing
            assert "结案后立卷归档" not in deadlines
        else:
            assert "结案后立卷归档" in deadlines and deadline.cited("、") in deadlines, deadlines
        assert page.locator("main form[method=post]").count() == 0  # read-only

        # The legal review, where the pack's catalogue called for one: due by the pack's time limit.
        if w["review"] is not None:
            click(page, "#body-nav >> text=执法事项")
            click(page, f"#oversight-matters >> text={w['review'].matter.title}")
            reviews = page.inner_text("#oversight-reviews")
            assert w["review"].get_state_display() in reviews and "未送法制审核" not in reviews

        # Statistics with 案卷评查, then the records' metadata and one record.
        click(page, "#body-nav >> text=执法统计与案卷评查")
        assert "案卷评查结果" in page.inner_text("main") and page.locator("#oversight-figures tr").count() > 1
        click(page, "#body-nav >> text=执法记录（元数据）")
        click(page, f"#oversight-records >> text={w['record'].title}")
        assert w["record"].versions.get().sha256 in page.inner_text("#oversight-versions")
        click(page, "header >> text=执法监督")

        # Every page opened is an oversight.view in this agency's ledger, the supervisor as actor.
        looked = list(Event.objects.filter(pk__gt=before).values_list("kind", "agency_id", "actor_id", "subject_type"))
        assert {(k, a, s) for k, a, s, _ in looked} == {("oversight.view", agency.pk, supervisor.pk)}, looked
        opened = 5 + (2 if w["review"] else 0)  # agency, inspection, (list, review matter), statistics, records, record
        assert len(looked) == opened, looked
        assert {t for *_, t in looked} == {"org.agency", "matters.matter", "records.record"}
    page.context.close()

    # An agency not supervised (or a matter of it): the missing-id page, and the refusal is logged.
    client.force_login(supervisor)
    missing = client.get(f"/supervision/body/agencies/{10 ** 9}/")
    for url, kind in ((f"/supervision/body/agencies/{stranger['agency'].pk}/", "agency.denied"),
                      (f"/supervision/body/matters/{stranger['inspection'].pk}/", "matter.denied")):
        last = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
        response = client.get(url)
        assert response.status_code == 404 == missing.status_code
        assert _page(response) == _page(missing)  # the same page as an id that does not exist
        assert list(Event.objects.filter(pk__gt=last).values_list("kind", "actor_id")) == [(kind, supervisor.pk)]
