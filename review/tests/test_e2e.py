"""The gate inside matter_transition: a decision in scope waits for review; 备案 after it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enterprises.models import Party
from matters.services import ServiceInput, matter_open, matter_transition
from org.tests.factories import AgencyFactory, SectionFactory
from records.services import record_ingest
from records.tests.clips import make_docx, make_video
from review.choices import ReviewState
from review.models import LegalReview
from review.tests.helpers import pass_review

pytestmark = pytest.mark.django_db


def _people(make_staff, agency, section):
    kw = {"agency": agency, "section": section}
    return {
        "a": make_staff("officer", certificate=True, name="张三", **kw),
        "b": make_staff("officer", certificate=True, name="李四", **kw),
        "chief": make_staff("section_chief", "officer", certificate=True, name="王科长", **kw),
        "leader": make_staff("leader", name="赵局长", **kw),
        "reviewer": make_staff("legal_reviewer", name="周审核", legal_qualification="A2023001", **kw),
    }


def _to_decision(p, agency, section, amount, tmp_path):
    """A citizen's case from filing to notice, with the fine proposed at `amount`."""
    party = Party.objects.create(agency=agency, kind="natural_person", name="孙某", id_number=f"21040219900101{amount}")
    a = p["a"]
    m = matter_open(acting_user=a, kind="penalty", title=f"孙某罚款{amount}元案", party=party, officers=[a, p["b"]])

    def step(user, code, data=None, **kw):
        m.refresh_from_db()
        return matter_transition(acting_user=user, matter=m, transition=code, data=data or {}, **kw)

    # entered afterwards from the paper file, so that the 告知 periods have run
    late = {"occurred_at": timezone.now() - timedelta(days=21), "late_reason": "据纸质执法文书事后录入"}
    step(a, "request_filing", {"facts": "f", "basis": "b"}, **late)
    step(p["chief"], "approve_filing", {}, **late)
    step(a, "propose", {"facts": "f", "basis": "b", "decision": "罚款", "amount": amount}, **late)
    step(p["leader"], "approve_proposal", {}, **late)
    receipt = record_ingest(
        acting_user=a, section=section, path=make_docx(tmp_path / f"回执{amount}.docx", text=f"回执{amount}"),
        original_name="送达回执.docx",
    ).version.record
    clip = make_video(tmp_path / f"送达{amount}.mp4", seconds=1, creation_time=timezone.now() - timedelta(minutes=5),
                      metadata={"title": amount})
    av = record_ingest(acting_user=a, section=section, path=clip, original_name=clip.name).version.record
    step(a, "notify", {}, service=ServiceInput("direct", "孙某", timezone.now() - timedelta(days=20),
                                               signer="孙某", receipt=receipt, av=av),
         occurred_at=timezone.now() - timedelta(days=20), late_reason="据纸质执法文书事后录入")
    m.refresh_from_db()
    return m, step


DECIDE = {"facts": "f", "basis": "b", "decision": "罚款"}


@pytest.mark.parametrize(
    ("pack", "below", "at"), [("fushun-city", "9999", "10000"), ("yuyao-city", "49999", "50000")]
)
def test_decide_below_threshold_passes_at_threshold_waits_for_review(make_staff, tmp_path, pack, below, at):
    agency = AgencyFactory(policy_pack=pack, instrument_prefix="测应急")
    section = SectionFactory(agency=agency, name="执法大队")
    p = _people(make_staff, agency, section)
    m, step = _to_decision(p, agency, section, below, tmp_path)
    step(p["leader"], "decide", {**DECIDE, "amount": below})
    m.refresh_from_db()
    assert m.state == "decided" and not LegalReview.objects.filter(matter=m).exists()

    m, step = _to_decision(p, agency, section, at, tmp_path)
    with pytest.raises(ValidationError) as exc:
        step(p["leader"], "decide", {**DECIDE, "amount": at})
    assert "法制审核" in exc.value.messages[0] and "尚未送法制审核" in exc.value.messages[0]
    m.refresh_from_db()
    assert m.state == "notified"
    review = pass_review(m, submitter=p["chief"], reviewer=p["reviewer"], leader=p["leader"])
    if pack == "fushun-city":  # 000 审核第四条: after review, the leaders' collective discussion
        with pytest.raises(ValidationError, match="第四条"):
            step(p["leader"], "decide", {**DECIDE, "amount": at})
        step(p["leader"], "discuss", {"time": timezone.now(), "participants": "局领导班子", "discussion": "同意",
                                      "conclusion": "罚款"})
    decided = step(p["leader"], "decide", {**DECIDE, "amount": at})
    review.refresh_from_db()
    assert review.state == ReviewState.FILED and review.filed_step == decided  # 备案


def test_a_decision_raising_the_fine_past_the_threshold_is_stopped(make_staff, tmp_path):
    agency = AgencyFactory(policy_pack="fushun-city", instrument_prefix="测应急")
    section = SectionFactory(agency=agency, name="执法大队")
    p = _people(make_staff, agency, section)
    m, step = _to_decision(p, agency, section, "9999", tmp_path)
    with pytest.raises(ValidationError) as exc:
        step(p["leader"], "decide", {**DECIDE, "amount": "10000"})
    assert "按拟作出的决定" in exc.value.messages[0] and "法制审核" in exc.value.messages[0]
    m.refresh_from_db()
    assert m.state == "notified" and m.fine_amount == 9999 and not m.instruments.filter(type="penalty_decision")
