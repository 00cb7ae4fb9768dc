"""One case through /api/v1/ under each of the five agency packs — open, record, upload, review,
decide, publish — asserting what that agency's own text requires at each step (issue 11), then the
particular rules each text sets: 余姚 附件1 and 二（二）4（1）, 通化 第三条, 平顶山 较大数额, 抚顺 审核第四条、
第十条、第十二条, 抚顺县 第十条."""

import itertools
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from enterprises.services import enterprise_create
from ledger.models import Event
from matters.models import Matter, Step
from org.tests.factories import AgencyFactory, SectionFactory, make_uscc
from policy.selectors import agency_rules
from publicity.models import Publication
from publicity.services import publication_correct
from records.tests.clips import make_image, make_video
from review.models import LegalReview
from review.services import material_requirements, working_days_between

pytestmark = pytest.mark.django_db

_unique = itertools.count(1)


@pytest.fixture(autouse=True)
def plain_pdf(monkeypatch):
    """Each 文书 is still rendered (DOCX) and filed, but its PDF is a one-line page in a core font:
    embedding the CJK face takes most of a step's time, and the layout is test_instruments' subject."""
    from fpdf import FPDF

    from matters import rendering

    def render_pdf(blocks, path, *, title, number, identifier, moment):
        pdf = FPDF(format="A4", unit="mm")
        pdf.add_page()
        pdf.set_font("helvetica", size=10)
        pdf.set_keywords(identifier)
        pdf.cell(text=identifier)
        pdf.output(str(path))

    monkeypatch.setattr(rendering, "render_pdf", render_pdf)


class Api:
    def __init__(self, client, user):
        self.client, self.user = client, user

    def get(self, url, **params):
        self.client.force_login(self.user)
        return self.client.get(url, params)

    def post(self, url, body):
        self.client.force_login(self.user)
        return self.client.post(url, body, content_type="application/json")

    def step(self, mid, code, expect=201, **body):
        response = self.post(reverse("api-matter-transition", kwargs={"pk": mid, "code": code}), body)
        assert response.status_code == expect, (code, response.status_code, response.json())
        return response.json()

    def refused(self, mid, code, *fragments, **body) -> str:
        """Refused with the article named, and nothing written but the logged look at the matter."""
        before = Event.objects.count(), Step.objects.count()
        detail = self.step(mid, code, expect=400, **body)["detail"]
        for fragment in fragments:
            assert fragment in detail, (fragment, detail)
        assert Step.objects.count() == before[1]
        assert not Event.objects.filter(index__gt=before[0]).exclude(kind="matter.view").exists()
        return detail

    def upload(self, path, title):
        self.client.force_login(self.user)
        with path.open("rb") as fh:
            response = self.client.post("/api/v1/records/", {"file": fh, "title": title})
        assert response.status_code == 201, response.content
        return response.json()["id"]


class Office:
    """An agency under one pack, with the people a case needs."""

    def __init__(self, pack, make_staff, client, tmp_path):
        self.pack = pack
        self.agency = AgencyFactory(policy_pack=pack, instrument_prefix="测应急")
        self.section = SectionFactory(agency=self.agency, name="执法大队")
        kw = {"agency": self.agency, "section": self.section}
        self.a = make_staff("officer", certificate=True, name="张执法", **kw)
        self.b = make_staff("officer", certificate=True, name="李执法", **kw)
        self.chief = make_staff("section_chief", "officer", certificate=True, name="王科长", **kw)
        self.leader = make_staff("leader", name="赵局长", **kw)
        self.reviewer = make_staff("legal_reviewer", name="周法制", legal_qualification="A2023001", **kw)
        self.party = enterprise_create(
            agency=self.agency, uscc=make_uscc("91210403MA0000009"), name="某某化工有限公司",
            legal_representative="钱某", industry="化工",
        )
        self.pair = [self.a.pk, self.b.pk]
        self.folder = tmp_path
        self.api = {who: Api(client, getattr(self, who)) for who in ("a", "chief", "leader", "reviewer")}

    def clip_recorded_on(self, day, title):
        """A recording made at 10:00 on `day`, uploaded through the API now."""
        start = timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))
        path = make_video(self.folder / f"{title}.mp4", seconds=1, creation_time=start, metadata={"title": title})
        return self.api["a"].upload(path, title)

    def clip(self, title):
        path = make_video(self.folder / f"{title}.mp4", seconds=1, creation_time=timezone.now() - timedelta(minutes=9),
                          metadata={"title": f"{title}{next(_unique)}"})
        return self.api["a"].upload(path, title)

    def photo(self, title):
        path = make_image(self.folder / f"{title}.jpg", size=(40 + next(_unique) * 2, 40))
        return self.api["a"].upload(path, title)

    def open(self, kind, title):
        response = self.api["a"].post(
            reverse("api-matters"), {"kind": kind, "title": title, "party": self.party.pk, "officers": self.pair}
        )
        assert response.status_code == 201, response.json()
        return response.json()["id"]


def _iso(moment):
    return timezone.localtime(moment).isoformat(timespec="minutes")


# What each agency's text requires of the same penalty case (fine proposed for an organisation):
#   interview — whether 询问 is on the recording list; notify_av — whether a directly served 告知书 is;
#   review — whether the fine is in the catalogue, and why.
CASES = {
    "yuyao-city": {
        "interview": ("附件1第15行", "附件1"), "notify_av": ("附件1第20行",),
        "fine": "50000", "benchmark": "aqscf-97.minor", "within": False, "review": "达到50000元",
        "late": ["late_filing", "late_filing_max"],
    },
    "fushun-city": {
        "interview": ("设备第四条第（三）项", "音像记录设备使用管理办法和监督规则》第四条"),
        "notify_av": ("执法文书送达",),
        "fine": "100000", "benchmark": "aqscf-97.overdue", "within": True, "review": "达到100000元",
        "late": ["late_filing"],
    },
    "pingdingshan-hitech": {
        "interview": "disputed", "notify_av": "disputed",
        "fine": "3000", "benchmark": None, "within": None, "review": "未规定数额",
        "late": ["late_filing"],
    },
    "tonghua-city": {"interview": None, "notify_av": None, "fine": "200000", "benchmark": None, "review": None,
                     "late": ["late_filing"]},
    # 抚顺县 sets no filing period: a late file gets no finding.
    "fushun-county-hrss": {"interview": None, "notify_av": None, "fine": "200000", "benchmark": None, "review": None,
                           "late": []},
}


def _submission(matter_id):
    matter = Matter.objects.get(pk=matter_id)
    rules = agency_rules(matter.agency)
    return {
        "matter": matter_id,
        "application": {item: "见案卷" for item in rules.value("review.application_items", default=[])},
        "situation": "事实清楚，适用安全生产法，执行本机关裁量基准，执法人员均持证。",
        "draft_decision": "行政处罚决定书（草稿）",
        "materials": {
            row["item"]: {"note": "已附"}
            for row in material_requirements(matter, rules)
            if row["required"] and not row["supplied_by"]
        },
    }


def _review(office, mid):
    chief, reviewer, leader = office.api["chief"], office.api["reviewer"], office.api["leader"]
    submitted = chief.post(reverse("api-review-submit"), _submission(mid))
    assert submitted.status_code == 201, submitted.json()
    rid = submitted.json()["id"]
    assert reviewer.post(reverse("api-review-assign", kwargs={"pk": rid}),
                         {"reviewer": office.reviewer.pk, "first": True}).status_code == 200
    checklist = agency_rules(office.agency).value("review.checklist", default=[])
    opinion = reviewer.post(reverse("api-review-opinion", kwargs={"pk": rid}), {
        "findings": [{"finding": "pass"} for _ in checklist], "outcome": "agree", "opinion": "同意。",
        "meeting_on": timezone.localdate().isoformat(), "meeting_participants": "法制审核人员",
        "meeting_minutes": "集体研究同意。",
    })
    assert opinion.status_code == 200, opinion.json()
    decided = leader.post(reverse("api-review-decide", kwargs={"pk": rid}), {"decision": "approve"})
    assert decided.status_code == 200, decided.json()
    return rid


@pytest.mark.parametrize("pack", list(CASES))
def test_one_penalty_case_under_each_agencys_own_rules(pack, client, make_staff, tmp_path):
    case, office = CASES[pack], Office(pack, make_staff, client, tmp_path)
    a, chief, leader = office.api["a"], office.api["chief"], office.api["leader"]
    now = timezone.now()
    mid = office.open("penalty", "某某化工未按规定进行安全生产教育培训案")
    a.step(mid, "request_filing", data={"facts": "未对从业人员进行安全生产教育培训", "basis": "安全生产法第九十七条"})
    # 通化 第九条: filing goes up to the 局主要负责人; a chief's approval is not the last word there.
    leader_steps = {
        row["step"] for row in agency_rules(office.agency).value("matters.leader_approval_steps", default=[])
        if row["matter_kind"] == "penalty"
    }
    if "approve_filing" in leader_steps:
        chief.step(mid, "approve_filing", expect=403, data={"opinion": "同意立案"})
        leader.step(mid, "approve_filing", data={"opinion": "同意立案"})
    else:
        chief.step(mid, "approve_filing", data={"opinion": "同意立案"})

    # 询问: on the list always (余姚 附件1, 抚顺 设备第四条), when disputed (平顶山 附件1), or not at all.
    interview = {"data": {"time": _iso(now - timedelta(days=3)), "place": "执法办案场所", "interviewee": "钱某",
                          "questions": "培训情况"}, "officers": office.pair}
    if case["interview"] == "disputed":
        a.refused(mid, "interview", "是否可能引发争议", "附件1第二部分第1项", **interview)
        a.refused(mid, "interview", "必须有音像记录", "照片", **interview, disputed=True)
        step = a.step(mid, "interview", **interview, disputed=False)
        assert step["data"]["disputed"] is False
    elif case["interview"]:
        a.refused(mid, "interview", "必须有音像记录", *case["interview"], **interview)
        a.step(mid, "interview", **interview, records=[office.clip("询问录像")])
    else:
        a.step(mid, "interview", **interview)

    # A recording uploaded 4 working days after it was made: late where a filing period is set, and past
    # 余姚's outer limit of 3 working days (二（二）4（1）).
    day = timezone.localdate()
    while working_days_between(day, timezone.localdate()) < 4:
        day -= timedelta(days=1)
    late = a.get(reverse("record-detail", kwargs={"pk": office.clip_recorded_on(day, "补交录像")})).json()
    findings = late["versions"][0]["findings"]
    assert [f["code"] for f in findings] == case["late"]
    if "late_filing_max" in case["late"]:
        assert "二（二）4（1）" in findings[1]["citation"]

    proposal = {"facts": "未对从业人员进行安全生产教育培训", "basis": "安全生产法第九十七条",
                "decision": "罚款", "amount": case["fine"]}
    if case["benchmark"]:
        a.refused(mid, "propose", "不在本单位的裁量基准表中", data={**proposal, "benchmark": "no-such"})
        proposal["benchmark"] = case["benchmark"]
    a.step(mid, "propose", data=proposal)
    place = Matter.objects.get(pk=mid).data.get("benchmark")
    assert (place["within"] if place else None) == case.get("within")
    if place:  # the 呈批 page shows where the proposal sits in the benchmark, flagged when outside
        client.force_login(office.a)
        page = client.get(reverse("matters:detail", kwargs={"pk": mid})).content.decode()
        assert "裁量基准" in page and ("超出裁量幅度" in page) == (not case["within"])
    leader.step(mid, "approve_proposal", data={"opinion": "同意"})

    # 告知 served directly: a recording where the list names 文书送达 (余姚 附件1第20行, 抚顺 设备第四条).
    served = {"method": "direct", "recipient": "钱某", "signer": "钱某",
              "served_at": _iso(timezone.now()), "receipt": office.photo("告知书回执")}
    if case["notify_av"] == "disputed":
        a.step(mid, "notify", data={}, service=served, disputed=False)
    elif case["notify_av"]:
        a.refused(mid, "notify", *case["notify_av"], data={}, service=served)
        a.step(mid, "notify", data={}, service={**served, "av": office.clip("告知送达录像")})
    else:
        a.step(mid, "notify", data={}, service=served)
    defence = {"data": {"time": _iso(now - timedelta(days=1)), "defence": "无异议", "adopted": "无需复核"}}
    if pack == "yuyao-city":  # 附件1第14行: 听取当事人陈述申辩
        a.refused(mid, "record_defence", "附件1第14行", "陈述申辩开始前", **defence)
        defence["records"] = [office.clip("陈述申辩录像")]
    a.step(mid, "record_defence", **defence)
    if case["fine"] != "3000":  # 行政处罚法第六十三条: the party waives the hearing in writing, so no waiting
        leader.refused(mid, "decide", "要求听证的期限", "当事人放弃听证", data={
            "facts": "未对从业人员进行安全生产教育培训", "basis": "安全生产法第九十七条", "decision": "罚款",
            "amount": case["fine"]})
        a.step(mid, "waive_hearing", data={"waived_on": timezone.localdate().isoformat(), "statement": "本单位放弃听证"})

    decide = {"facts": "未对从业人员进行安全生产教育培训", "basis": "安全生产法第九十七条", "decision": "罚款",
              "amount": case["fine"]}
    scope = a.get(reverse("api-review-scope", kwargs={"pk": mid})).json()
    assert scope["required"] == bool(case["review"])
    if case["review"]:
        assert case["review"] in scope["entries"][0]["reason"]
        leader.refused(mid, "decide", "法制审核", data=decide)
        rid = _review(office, mid)
        client.force_login(office.reviewer)
        listed = client.get(reverse("review:workbench")).content.decode()
        assert case["review"] in listed  # the workbench says why the case is under review
        if place:  # and the review page shows the proposal's place in the benchmark
            page = client.get(reverse("review:detail", kwargs={"pk": rid})).content.decode()
            assert ("超出裁量幅度" in page) == (not case["within"])
            assert place["violation"] in page
        if pack == "fushun-city":  # 审核第四条: then the leaders' collective discussion
            leader.refused(mid, "decide", "集体讨论", "第四条", data=decide)
            leader.step(mid, "discuss", data={"time": _iso(timezone.now()), "participants": "局领导班子",
                                              "discussion": "同意审核意见", "conclusion": "罚款"})
        assert LegalReview.objects.get(pk=rid).state == "passed"
    leader.step(mid, "decide", data=decide)
    serve = {"method": "left", "recipient": "钱某", "served_at": _iso(timezone.now()), "place": "公司办公室",
             "refusal_reason": "拒绝签收", "witness": "社区干部刘某", "receipt": office.photo("决定书回执"),
             "av": office.photo("留置送达照片") if pack in ("tonghua-city", "pingdingshan-hitech")
             else office.clip("留置送达录像")}
    a.step(mid, "serve", data={}, service=serve)

    # Published through the portal's staff API after its review (000 公示第二十四条 where it applies).
    publication = Publication.objects.get(source=f"matters.matter:{mid}")
    # The public summary is written for the portal (the internal matter title is never published).
    publication = publication_correct(
        publication=publication, changes={"summary": "未按规定对从业人员进行安全生产教育培训"},
        reason="撰写公示摘要", acting_user=office.leader,
    )
    for action in ("review", "publish"):
        response = leader.post(reverse(f"publication-{action}", kwargs={"pk": publication.pk}), {})
        assert response.status_code == 200, response.json()
    publication.refresh_from_db()
    assert publication.state == "published"
    assert Matter.objects.get(pk=mid).state == "served"


# --- what one agency's text sets -------------------------------------------------------------------------


def _seal(office, **extra):
    mid = office.open("compulsion", "查封违法储存的危险化学品")
    body = {"data": {"reason": "违法储存危险化学品", "basis": "安全生产法第六十五条", "items": "液氯钢瓶 3只"},
            "officers": office.pair,
            "service": {"method": "direct", "recipient": "钱某", "signer": "钱某",
                        "served_at": _iso(timezone.now()), "receipt": office.photo("查封回执")}}
    return mid, body


@pytest.mark.parametrize(("pack", "cited"), [("yuyao-city", ("附件1", "附件1第22、23行", "查封、扣押开始前")),
                                             ("fushun-county-hrss", ("第十条",))])
def test_a_seizure_without_a_recording_is_refused_citing_the_list(pack, cited, client, make_staff, tmp_path):
    office = Office(pack, make_staff, client, tmp_path)
    mid, body = _seal(office)
    office.api["a"].refused(mid, "seal", "必须有音像记录", *cited, **body)
    office.api["a"].step(mid, "seal", **body, records=[office.clip("查封录像")])


def test_a_tonghua_hazard_photo_satisfies_its_list(client, make_staff, tmp_path):
    office = Office("tonghua-city", make_staff, client, tmp_path)
    a = office.api["a"]
    mid = office.open("inspection", "年度监督检查")
    a.step(mid, "plan", data={"place": "厂区", "time": _iso(timezone.now()), "facts": "危化品储存"})
    inspect = {"data": {"place": "储罐区", "time": _iso(timezone.now() - timedelta(hours=1)),
                        "findings": "储罐区警示标志缺失", "hazards": "储罐区未设置安全警示标志"},
               "officers": office.pair}
    a.refused(mid, "inspect", "必须有音像记录", "录像、录音、照片", "第六条", **inspect)
    a.step(mid, "inspect", **inspect, records=[office.photo("隐患照片")])  # 001 第三条: 照相 is 音像记录
    assert Matter.objects.get(pk=mid).hazards.count() == 1


def test_a_fushun_review_supplemented_on_9_november_is_due_18_november(client, make_staff, tmp_path):
    office = Office("fushun-city", make_staff, client, tmp_path)
    matter = Matter.objects.create(
        agency=office.agency, section=office.section, kind="penalty", workflow="penalty_general", state="notified",
        title="拟吊销许可证案", party=office.party, measures=["licence_revocation"], opened_by=office.a,
        opened_at=timezone.now(),
    )
    chief, reviewer = office.api["chief"], office.api["reviewer"]
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 2)):
        rid = chief.post(reverse("api-review-submit"), _submission(matter.pk)).json()["id"]
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 4)):
        asked = reviewer.post(reverse("api-review-supplement", kwargs={"pk": rid}),
                              {"items": ["现场检查照片"], "supply_by": "2026-11-09"})
    assert asked.status_code == 200, asked.json()
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 9)):
        provided = chief.post(reverse("api-review-provide", kwargs={"pk": rid}),
                              {"materials": {"现场检查照片": {"note": "已补"}}})
    assert provided.status_code == 200, provided.json()
    # 审核第十条: 7 working days from the day all supplements arrived, not the 5 left before.
    assert timezone.localtime(LegalReview.objects.get(pk=rid).due).date() == date(2026, 11, 18)
