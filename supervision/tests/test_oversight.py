"""AV spot checks drawn from a committed seed, 案卷评查 against the pack's sheet, 执法过错 and the
suspension that stops an officer being assigned (issue 16 items 2-4)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from archive.models import CaseFile
from archive.services import casefile_seal
from archive.tests.conftest import use_pack
from inspections.draw import commitment
from inspections.selectors import draw_inputs
from inspections.services import item_create
from ledger.models import Event
from matters.models import Matter
from matters.services import matter_open
from policy.services import supplement_adopt
from records.services import record_ingest
from records.tests.clips import make_video
from supervision import oversight_selectors as sel
from supervision.casereview import review_sheet
from supervision.faults import add_months
from supervision.oversight_models import CaseReview, Fault, SpotCheck
from supervision.spotchecks import spot_sample
from supervision.statistics import compute, statistics_refresh

pytestmark = pytest.mark.django_db


def _clip(desk, name, by, officers):
    path = make_video(desk.folder / name, seconds=1, creation_time=timezone.now() - timedelta(hours=2),
                      metadata={"comment": name})
    return record_ingest(acting_user=by, section=desk.section, path=path, original_name=name,
                         officers=officers).version.record


def _period():
    today = timezone.localdate()
    return {"title": "第四季度音像记录抽查", "period_start": (today - timedelta(days=2)).isoformat(),
            "period_end": today.isoformat()}


def test_the_draw_is_a_function_of_seed_and_inputs():
    inputs = {"recordings": [str(i) for i in range(1, 41)], "count": 4}
    first = spot_sample("a" * 32, inputs)
    assert first == spot_sample("a" * 32, dict(inputs, recordings=list(reversed(inputs["recordings"]))))
    assert len(first) == 4 and set(first) <= set(inputs["recordings"])
    assert spot_sample("b" * 32, inputs) != first  # another seed, another draw


def test_a_spot_check_commits_then_draws_reproducibly_and_is_answered(desk, login, make_staff):
    use_pack(desk, "pingdingshan-hitech")  # 第十六条; 10 % (平台默认值, the article says 一定比例)
    reviewer = make_staff("legal_reviewer", name="孙法规", username="sun")
    clips = [_clip(desk, f"巡查{i}.mp4", desk.officer, [desk.officer]) for i in range(3)]
    client = login(reviewer)
    future = dict(_period(), period_end=(timezone.localdate() + timedelta(days=1)).isoformat())
    assert "不能晚于今天" in client.post(reverse("supervision:spotcheck_new"), future).content.decode()
    assert not SpotCheck.objects.exists()

    response = client.post(reverse("supervision:spotcheck_new"), _period(), follow=True)
    sc = SpotCheck.objects.get()
    page = response.content.decode()
    assert sc.seed_sha256 in page and sc.seed not in page and "第十六条" in page
    assert Event.objects.filter(kind="spotcheck.commit", data__seed_sha256=sc.seed_sha256).exists()

    # the leader reads, but does not draw
    client = login(desk.leader)
    assert client.post(reverse("supervision:spotcheck_draw", args=[sc.pk])).status_code == 403
    client = login(reviewer)
    page = client.post(reverse("supervision:spotcheck_draw", args=[sc.pk]), follow=True).content.decode()
    sc.refresh_from_db()
    assert sc.seed in page and "抽取结果一致" in page
    assert commitment(sc.seed) == sc.seed_sha256
    assert sc.inputs["recordings"] == sorted((str(c.pk) for c in clips), key=int) and sc.inputs["count"] == 1
    assert spot_sample(sc.seed, sc.inputs) == sc.result["recordings"]
    (item,) = sc.items.all()
    assert str(item.record_id) in sc.result["recordings"] and list(item.officers.all()) == [desk.officer]
    assert Event.objects.filter(kind="spotcheck.draw", data__seed=sc.seed).exists()
    # drawn once: a second draw is refused
    page = client.post(reverse("supervision:spotcheck_draw", args=[sc.pk]), follow=True).content.decode()
    assert "不能再次抽取" in page and sc.items.count() == 1

    url = reverse("supervision:spotcheck_answer", args=[item.pk])
    page = client.post(url, {"recorded": "yes", "continuous": "no", "handled": "yes"}, follow=True).content.decode()
    assert "写明问题所在" in page
    client.post(url, {"recorded": "yes", "continuous": "no", "handled": "yes", "note": "中途关机约3分钟"})
    item.refresh_from_db()
    assert item.continuous is False and item.note == "中途关机约3分钟" and item.answered_by == reviewer
    page = client.post(url, {"recorded": "yes", "continuous": "yes", "handled": "yes"}, follow=True).content.decode()
    assert "结果不能修改" in page
    item.refresh_from_db()
    assert item.continuous is False


def test_answers_add_up_per_officer_and_section_for_the_year(desk, login, make_staff):
    use_pack(desk, "pingdingshan-hitech")
    reviewer = make_staff("legal_reviewer", name="孙法规", username="sun")
    admin = make_staff("admin", username="admin1")
    supplement_adopt(
        acting_user=admin, key="supervision.av_spot_check_proportion", value=100, unit="percent",
        document_title="关于音像记录全面检查的通知", document_number="平开应急〔2026〕1号", article="第二条",
        summary="本年度音像记录全部检查。", effective_from=timezone.localdate() - timedelta(days=5),
    )
    a = _clip(desk, "甲.mp4", desk.officer, [desk.officer])
    b = _clip(desk, "乙.mp4", desk.partner, [desk.partner])
    c = _clip(desk, "丙.mp4", desk.officer, [desk.officer, desk.partner])
    client = login(reviewer)
    client.post(reverse("supervision:spotcheck_new"), _period())
    sc = SpotCheck.objects.get()
    assert sc.proportion == Decimal("100") and "平开应急〔2026〕1号" in sc.basis
    client.post(reverse("supervision:spotcheck_draw", args=[sc.pk]))
    items = {i.record_id: i for i in sc.items.all()}
    assert set(items) == {a.pk, b.pk, c.pk}
    answers = {
        a.pk: {"recorded": "yes", "continuous": "yes", "handled": "yes"},
        b.pk: {"recorded": "yes", "continuous": "no", "handled": "yes", "note": "有中断未说明"},
        c.pk: {"recorded": "yes", "continuous": "yes", "handled": "no", "note": "超过24小时才移交"},
    }
    for pk, body in answers.items():
        client.post(reverse("supervision:spotcheck_answer", args=[items[pk].pk]), body)

    officers, sections = sel.evaluation(viewer=desk.leader, year=timezone.localdate().year)
    rows = {r.officer: r for r in officers}
    li, zhang = rows[desk.officer], rows[desk.partner]
    assert (li.checked, li.passed, dict(li.failed)) == (2, 1, {"handled": 1})
    assert (zhang.checked, zhang.passed, dict(zhang.failed)) == (2, 0, {"continuous": 1, "handled": 1})
    assert li.pass_rate == 50.0 and zhang.pass_rate == 0.0
    (section,) = sections
    assert (section.checked, section.passed) == (3, 1)

    page = login(desk.leader).get(reverse("supervision:evaluation")).content.decode()
    assert "李执法" in page and "张执法" in page and "50.0%" in page and "33.3%" in page


def _sealed(desk, title):
    m = desk.close_inspection(title)
    return casefile_seal(acting_user=desk.archivist, case_file=CaseFile.objects.get(matter=m), retention="10")


def _scores(sheet, **override):
    body = {f"score:{r['code']}": r["points"] for r in sheet if not r["veto"]}
    body.update(override)
    return body


def test_a_case_file_is_scored_item_by_item_and_the_pass_rate_follows(desk, login, make_staff):
    reviewer = make_staff("legal_reviewer", name="孙法规", username="sun")  # 抚顺: 政策法规科 (第二十条)
    good = _sealed(desk, "甲厂检查")
    bad = CaseFile.objects.get(matter=desk.close_inspection("乙厂检查"))
    client = login(reviewer)
    listing = client.get(reverse("supervision:casereviews")).content.decode()
    assert good.code in listing and bad.code not in listing  # not yet sealed (归档)
    rows = review_sheet(desk.agency)["rows"]
    page = client.post(reverse("supervision:casereview_new", args=[bad.pk]), _scores(rows)).content.decode()
    assert "只有已归档的案卷可以评查" in page and not CaseReview.objects.exists()
    bad = casefile_seal(acting_user=desk.archivist, case_file=bad, retention="10")
    assert "DB32/T 4181—2021" in listing or "行政执法案卷制作及评查规范" in listing

    assert sum(r["points"] for r in rows if not r["veto"]) == 100
    # out of range: refused by the form, nothing saved
    too_many = _scores(rows, **{"score:content.evidence": 25})
    assert client.post(reverse("supervision:casereview_new", args=[good.pk]), too_many).status_code == 200
    assert not CaseReview.objects.exists()

    body = _scores(rows, **{"score:content.evidence": 14, "score:form.binding": 3, "note:content.evidence": "询问笔录未签名"})
    client.post(reverse("supervision:casereview_new", args=[good.pk]), body)
    first = CaseReview.objects.get(case_file=good)
    assert first.total == 100 - 6 - 2 and first.passed and first.notes == {"content.evidence": "询问笔录未签名"}

    # a 基本标准 that fails fails the file whatever the points, and needs its reason
    vetoed = _scores(rows, **{"veto:basic.facts": "on"})
    page = client.post(reverse("supervision:casereview_new", args=[bad.pk]), vetoed).content.decode()
    assert "请写明理由" in page and not CaseReview.objects.filter(case_file=bad).exists()
    vetoed["note:basic.facts"] = "违法事实无证据证明"
    client.post(reverse("supervision:casereview_new", args=[bad.pk]), vetoed)
    second = CaseReview.objects.get(case_file=bad)
    assert second.total == 100 and not second.passed and second.vetoed == ["basic.facts"]

    page = client.post(reverse("supervision:casereview_new", args=[good.pk]), _scores(rows)).content.decode()
    assert "已评查过" in page

    year = timezone.localdate().year
    rates, total = sel.casereview_rates(viewer=desk.leader, year=year)
    assert [(r.name, r.reviewed, r.passed, r.rate) for r in rates] == [(desk.section.name, 2, 1, 50.0)]
    assert (total.reviewed, total.passed, total.rate) == (2, 1, 50.0)
    page = login(desk.leader).get(reverse("supervision:casereviews")).content.decode()
    assert "50.0%" in page and "不合格" in page
    detail = login(desk.leader).get(reverse("supervision:casereview", args=[second.pk])).content.decode()
    assert "违法事实无证据证明" in detail
    assert Event.objects.filter(kind="casereview.view", subject_id=str(second.pk), actor=desk.leader).exists()
    # the statistics' 案卷评查合格率 is fed by the same reviews
    statistics_refresh(desk.agency, year)
    figure = compute(desk.agency, year).figure("case_file_pass")
    assert figure is not None and figure.cell() == 1 and figure.rate() == 50.0


def test_a_fault_suspending_the_officer_stops_assignment_until_its_end(desk, login, make_staff, client):
    use_pack(desk, "pingdingshan-hitech")  # 第十八条（三）停止执法工作半年
    reviewer = make_staff("legal_reviewer", name="孙法规", username="sun")
    today = timezone.localdate()
    evidence = desk.clip("被删改的录像.mp4")
    earlier = matter_open(acting_user=desk.partner, kind="inspection", title="已分派的检查", party=desk.party,
                          officers=[desk.partner, desk.officer])
    login(reviewer)
    body = {
        "officer": desk.partner.pk, "kind": "altered", "facts": "剪辑现场检查录像，删去与当事人争执的片段。",
        "occurred_on": (today - timedelta(days=12)).isoformat(), "measures": ["self_examination", "suspension"],
        "suspension_start": (today - timedelta(days=10)).isoformat(), "rectification": "恢复原始录像并书面说明",
        "rectification_due": (today + timedelta(days=30)).isoformat(), "records": str(evidence.pk),
    }
    response = client.post(reverse("supervision:fault_new"), body, follow=True)
    fault = Fault.objects.get()
    end = add_months(today - timedelta(days=10), 6) - timedelta(days=1)
    assert fault.suspension_end == end and list(fault.records.all()) == [evidence]
    assert fault.number in response.content.decode() and "第十八条" in fault.basis

    # the officer takes no enforcement step meanwhile, even in a matter assigned before
    with pytest.raises(ValidationError, match=fault.number):
        desk.step(desk.partner, earlier, "plan", {"place": "厂区", "time": timezone.now() - timedelta(hours=1),
                                                  "facts": "复查"})
    assert not earlier.steps.exists()

    # the API refuses the assignment, naming the fault record and the last day
    client.force_login(desk.chief)
    opened = client.post(reverse("api-matters"), {"kind": "inspection", "title": "复查", "officers": [desk.partner.pk]},
                         content_type="application/json")
    assert opened.status_code == 400
    detail = str(opened.json())
    assert fault.number in detail and f"{end:%Y年%m月%d日}" in detail
    assert Matter.objects.filter(title="复查").count() == 0
    # the page leaves the officer out of the list and says why, until when and what to do instead
    page = client.get(reverse("matters:new")).content.decode()
    assert f'name="officers" value="{desk.partner.pk}"' not in page and f'name="officers" value="{desk.officer.pk}"' in page
    assert f"未列出：{desk.partner.name}因{fault.number}" in page and f"{end:%Y年%m月%d日}" in page
    listed = client.get(reverse("api-officers-assignable")).json()
    assert desk.partner.pk not in [s["id"] for s in listed] and desk.officer.pk in [s["id"] for s in listed]
    check = reverse("api-officer-check", kwargs={"pk": desk.partner.pk})
    on_end = client.get(check, {"on": end.isoformat()}).json()
    assert on_end["assignable"] is False and fault.number in on_end["reason"]
    assert client.get(check, {"on": (end + timedelta(days=1)).isoformat()}).json()["assignable"] is True
    ok = client.post(reverse("api-matters"), {"kind": "inspection", "title": "例行检查", "officers": [desk.officer.pk]},
                     content_type="application/json")
    assert ok.status_code == 201

    # nor is the officer among those a 双随机 draw may pick
    item = item_create(agency=desk.agency, acting_user=None, name="安全生产检查", basis="《安全生产法》第六十五条",
                       target="生产经营单位", content="主体责任", proportion=Decimal("100"), frequency="每年1次",
                       draws_per_year=1, method="现场检查", officers_per_target=2)
    *_, officers = draw_inputs(item)
    assert desk.partner not in officers.values() and desk.officer in officers.values()
    assert desk.partner in draw_inputs(item, on=end + timedelta(days=1))[2].values()  # back after the end
    page = login(desk.leader).get(reverse("supervision:fault", args=[fault.pk])).content.decode()
    assert "被删改的录像" in page and f"{end:%Y-%m-%d}" in page


def test_a_measure_the_agency_rules_do_not_provide_is_refused(desk, make_staff):
    from supervision.faults import fault_record

    reviewer = make_staff("legal_reviewer", username="sun")  # 抚顺: 第二十二条 — 整改 and 处分 only
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="未规定“停止执法工作”"):
        fault_record(acting_user=reviewer, officer=desk.partner, kind="lost", facts="丢失存储卡",
                     occurred_on=today, measures=["suspension"], suspension_start=today,
                     rectification="补办", rectification_due=today)
    with pytest.raises(ValidationError, match="责令限期整改"):
        fault_record(acting_user=reviewer, officer=desk.partner, kind="lost", facts="丢失存储卡",
                     occurred_on=today, measures=["discipline"])
    fault = fault_record(acting_user=reviewer, officer=desk.partner, kind="lost", facts="丢失存储卡",
                         occurred_on=today, measures=["discipline"], rectification="补录说明", rectification_due=today)
    assert fault.suspension_start is None and "第二十二条" in fault.basis
    assert Fault.objects.count() == 1


def test_the_api_opens_draws_answers_and_records_a_fault(desk, make_staff, client):
    use_pack(desk, "pingdingshan-hitech")
    reviewer = make_staff("legal_reviewer", username="sun")
    clip = _clip(desk, "接口.mp4", desk.officer, [desk.officer])
    client.force_login(reviewer)
    today = timezone.localdate()
    opened = client.post(reverse("supervision-spotcheck-list"), {**_period()}, content_type="application/json")
    assert opened.status_code == 201 and opened.json()["seed"] is None
    pk = opened.json()["id"]
    drawn = client.post(reverse("supervision-spotcheck-draw", args=[pk])).json()
    assert commitment(drawn["seed"]) == drawn["seed_sha256"] and drawn["result"]["recordings"] == [str(clip.pk)]
    item = client.get(reverse("supervision-spotcheck-detail", args=[pk])).json()["items"][0]["id"]
    answer = {"item": item, "recorded": True, "continuous": True, "handled": False}
    refused = client.post(reverse("supervision-spotcheck-answer", args=[pk]), answer, content_type="application/json")
    assert refused.status_code == 400 and "写明问题所在" in refused.json()["detail"]
    answer["note"] = "未按时移交"
    assert client.post(reverse("supervision-spotcheck-answer", args=[pk]), answer,
                       content_type="application/json").status_code == 200
    fault = client.post(reverse("supervision-fault-list"), {
        "officer": desk.officer.pk, "kind": "deleted", "facts": "删除现场录像", "occurred_on": today.isoformat(),
        "measures": ["suspension"], "suspension_start": today.isoformat(), "records": [clip.pk],
    }, content_type="application/json")
    assert fault.status_code == 201 and fault.json()["suspension_end"] == (add_months(today, 6) - timedelta(days=1)).isoformat()

    client.force_login(desk.leader)
    row = client.get(reverse("api-supervision-evaluation")).json()["officers"][0]
    assert (row["name"], row["checked"], row["passed"], row["failed"]) == ("李执法", 1, 0, {"handled": 1})
    assert row["faults"] == [fault.json()["id"]]
    denied = client.post(reverse("supervision-fault-list"), {"officer": desk.partner.pk}, content_type="application/json")
    assert denied.status_code == 403 and Fault.objects.count() == 1
