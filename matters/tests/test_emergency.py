"""The emergency route of 行政强制法 第十九条: a seizure on the spot, reported to the leader within the
pack's hours, approved afterwards (after legal review where in scope) or released at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from matters.selectors import matter_deadlines, workbench
from matters.services import ServiceInput, matter_open
from matters.tests.test_services import clip, company, leader, refused, scan, step, team, tonghua  # noqa: F401
from review import services as review_services
from review.tests.helpers import complete_submission

pytestmark = pytest.mark.django_db
NOW = timezone.now
SEIZE = {"reason": "储罐泄漏", "urgency": "泄漏持续，不立即扣押将引发事故", "basis": "安全生产法第六十五条",
         "items": "液氯钢瓶 3个"}


def _seized(agency, section, team, company, tmp_path, hours_ago):  # noqa: F811
    a, b = team
    m = matter_open(acting_user=a, kind="compulsion", title="紧急扣押危险物品", party=company, officers=[a, b])
    served = ServiceInput("direct", "钱某", NOW() - timedelta(hours=hours_ago), signer="钱某",
                          receipt=scan(a, section, tmp_path))
    step(a, m, "seal_on_spot", SEIZE, officers=[a, b], service=served, records=[clip(a, section, tmp_path, "扣押.mp4")],
         at=NOW() - timedelta(hours=hours_ago))
    m.refresh_from_db()
    assert m.state == "emergency"
    return m


def report(when, late_reason=""):
    return {"time": when, "leader": "赵局长", "content": "已当场扣押液氯钢瓶3个", "late_reason": late_reason}


def reported(user, matter, when):
    """The report, recorded as having happened when it was made (so later steps follow it)."""
    return step(user, matter, "report_emergency", report(when), occurred_at=when)


def test_late_report_is_refused_without_a_reason_and_kept_as_late(tonghua, agency, section, team, leader, company, tmp_path):  # noqa: F811
    a, _ = team
    m = _seized(agency, section, team, company, tmp_path, hours_ago=30)
    rows = {r.rule_key: r for r in matter_deadlines(m)}
    assert "第十九条" in rows["compulsion.emergency_report"].citation
    assert any(r.rule_key == "compulsion.emergency_report" and r.overdue for r in workbench(viewer=a))
    msg = refused(step, a, m, "report_emergency", report(NOW() - timedelta(minutes=5)))
    assert "24小时" in msg and "超过时限的原因" in msg and "第十九条" in msg
    assert "晚于现在" in refused(step, a, m, "report_emergency", report(NOW() + timedelta(hours=1)))
    assert "不能早于" in refused(step, a, m, "report_emergency", report(NOW() - timedelta(hours=31)))
    done = step(a, m, "report_emergency", report(NOW() - timedelta(minutes=5), "夜间无法联系负责人"))
    assert done.data["late_reason"] == "夜间无法联系负责人"
    assert all(r.met for r in matter_deadlines(m) if r.rule_key == "compulsion.emergency_report")


def test_leader_approves_after_the_report_or_releases_at_once(tonghua, agency, section, team, leader, company, tmp_path):  # noqa: F811
    a, _ = team
    m = _seized(agency, section, team, company, tmp_path, hours_ago=2)
    assert "须先登记" in refused(step, leader, m, "approve_emergency", {"opinion": "同意"})
    assert "“补办批准”：此环节须由局领导决定" in refused(step, a, m, "approve_emergency", {"opinion": "同意"})
    reported(a, m, NOW() - timedelta(hours=1))
    step(leader, m, "approve_emergency", {"opinion": "同意补办"})
    m.refresh_from_db()
    assert m.state == "in_force"

    other = _seized(agency, section, team, company, tmp_path, hours_ago=2)
    reported(a, other, NOW() - timedelta(hours=1))
    served = ServiceInput("direct", "钱某", NOW() - timedelta(minutes=10), signer="钱某",
                          receipt=scan(a, section, tmp_path, "解除回执.docx"))
    step(leader, other, "refuse_emergency", {"reason": "不属于情况紧急", "items": "液氯钢瓶 3个"}, service=served)
    other.refresh_from_db()
    assert other.state == "released"


def test_fushun_approval_waits_for_the_review_after_the_fact(agency, section, team, leader, company, tmp_path, make_staff):  # noqa: F811
    """抚顺's catalogue puts a seizure in review scope: the seizure itself goes ahead on the spot,
    the leader's approval afterwards waits for the review."""
    agency.policy_pack = "fushun-city"
    agency.save(update_fields=["policy_pack"])
    a, _ = team
    m = _seized(agency, section, team, company, tmp_path, hours_ago=2)
    reported(a, m, NOW() - timedelta(hours=1))
    assert "法制审核" in refused(step, leader, m, "approve_emergency", {"opinion": "同意"})
    review = review_services.review_submit(matter=m, acting_user=a, transition="seal", **complete_submission(m))
    assert review.scope and review.scope[0]["trigger"] in ("seizure", "premises_sealing")
    from datetime import date
    from unittest import mock

    from review.choices import ReviewState
    from review.tests.helpers import checklist_all_pass

    reviewer = make_staff("legal_reviewer", legal_qualification="A20231234567")
    with mock.patch("review.services._issue_letter", return_value=None):
        review_services.review_assign(review=review, reviewer=reviewer, first=True, acting_user=reviewer)
        review_services.review_opinion_issue(
            review=review, acting_user=reviewer, findings=checklist_all_pass(m), outcome="agree", opinion="同意。",
            meeting_on=date.today(), meeting_minutes="科务会研究同意。",
        )
    # 抚顺 审核第四条: a seizure of dangerous goods is a 第三条（三）1 decision, so after the review it
    # goes to the leaders' collective discussion; the compulsion route has no 集体讨论 step, so the
    # leaders record their decision as collective.
    review_services.review_leader_decide(review=review, decision="approve", acting_user=leader, collective=True,
                                         note="局领导集体讨论：同意补办扣押批准。")
    step(leader, m, "approve_emergency", {"opinion": "同意补办"})
    review.refresh_from_db()
    assert review.state == ReviewState.FILED  # 备案 of the approval
