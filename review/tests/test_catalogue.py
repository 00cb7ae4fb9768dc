"""Every catalogue entry triggers by itself from the matter's facts (issue 11 item 3), the 平顶山
较大数额 without a figure, and 抚顺 审核第十二条（二）: the 局主要负责人 decides on the section's objection."""

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enterprises.choices import PartyKind
from matters.models import Step
from matters.services import matter_transition
from review import services
from review.choices import ReviewState
from review.scope import gate, scope_for
from review.tests.helpers import checklist_all_pass, complete_submission, make_matter, make_party

pytestmark = pytest.mark.django_db


def _use(agency, pack):
    agency.policy_pack = pack
    agency.save(update_fields=["policy_pack"])


def _codes(matter, transition="decide"):
    return {h.code for h in scope_for(matter, transition)}


def _step(matter, officer, code, **kw):
    Step.objects.create(matter=matter, transition=code, label=code, from_state=matter.state, to_state=matter.state,
                        occurred_at=timezone.now(), acted_by=officer, **kw)


@pytest.fixture
def officer(make_staff):
    return make_staff("officer", certificate=True)


def test_fushun_entries_follow_the_facts(agency, section, officer):
    org = make_party(agency, PartyKind.LEGAL_PERSON, "某公司", "91210400MA0000000X")
    # 吊销许可证 as a proposed measure; 纠正已生效决定 by the corrected decision's number.
    revoke = make_matter(agency, section, officer, party=org, measures=["licence_revocation"])
    assert _codes(revoke) == {"penalty.licence-revocation"}
    corrects = make_matter(agency, section, officer, party=org, amount="500", measures=["correction"])
    corrects.data = {"corrects": "抚应急罚〔2026〕3号"}
    (hit,) = scope_for(corrects)
    assert hit.code == "penalty.correction" and "抚应急罚〔2026〕3号" in hit.reason
    # 没收 by its recorded value against the threshold (审核第三条（二）3).
    small = make_matter(agency, section, officer, party=org, measures=["confiscation"])
    small.data = {"confiscation_value": "99999"}
    assert _codes(small) == set()
    small.data = {"confiscation_value": "100000"}
    assert _codes(small) == {"penalty.confiscation"}
    # 停止供电、停止供应民用爆炸物品 is its own step, gated like 查封.
    cut = make_matter(agency, section, officer, party=org, kind="compulsion", state="registered")
    assert _codes(cut, "cut_supply") == {"compulsion.supply-cut"}
    assert "法制审核" in gate(cut, "cut_supply")
    # A licence revoked (审核第三条（一）) is what the 审查 step proposes.
    lic = make_matter(agency, section, officer, party=org, kind="licensing", state="accepted")
    matter_transition(acting_user=officer, matter=lic, transition="examine_application",
                      data={"findings": "取得许可的条件已不具备", "proposed_action": "revoke"},
                      officers=[officer, _partner(agency, section)])
    lic.refresh_from_db()
    assert lic.measures == ["licensing_revocation"] and _codes(lic) == {"licensing.revocation"}


def _partner(agency, section):
    from org.tests.factories import CertificateFactory, StaffFactory

    staff = StaffFactory(roles=("officer",), agency=agency, section=section)
    CertificateFactory(staff=staff)
    return staff


def test_confiscation_needs_its_value_at_the_proposal(agency, section, officer):
    matter = make_matter(agency, section, officer, state="filed")
    data = {"facts": "f", "basis": "b", "decision": "没收", "measures": ["confiscation"]}
    with pytest.raises(ValidationError, match="没收财物的价值"):
        matter_transition(acting_user=officer, matter=matter, transition="propose", data=data)
    with pytest.raises(ValidationError, match=r"999999999999\.99"):
        matter_transition(acting_user=officer, matter=matter, transition="propose",
                          data={**data, "confiscation_value": "10000000000000"})
    matter_transition(acting_user=officer, matter=matter, transition="propose",
                      data={**data, "confiscation_value": "120000"})
    matter.refresh_from_db()
    assert Decimal(matter.data["confiscation_value"]) == Decimal("120000") and _codes(matter) == {"penalty.confiscation"}


def test_pingdingshan_licensing_after_a_hearing_and_every_fine_without_a_figure(agency, section, officer):
    _use(agency, "pingdingshan-hitech")
    lic = make_matter(agency, section, officer, kind="licensing", state="reviewed")
    assert _codes(lic) == set()
    _step(lic, officer, "hold_hearing")
    assert _codes(lic) == {"licensing.hearing"}
    fine = make_matter(agency, section, officer, amount="200")
    (hit,) = scope_for(fine)
    assert hit.code == "penalty.fine" and "尚未确定标准" in hit.reason
    # Once the pack (or an agency supplement) sets a figure, that figure decides.
    from policy.packs import Rule

    adopted = Rule(key="review.fine_threshold_organisation", value=30000, unit="yuan", citations=(), summary="",
                   pack_id="pingdingshan-hitech")
    from policy import selectors

    real = selectors.agency_rules

    def with_figure(agency_, on=None):
        resolved = real(agency_, on)
        resolved.rules = {**resolved.rules, adopted.key: adopted, "review.fine_threshold_person": adopted}
        return resolved

    with mock.patch("review.scope.agency_rules", with_figure):
        assert _codes(fine) == set()
        fine.fine_amount = Decimal(30000)
        assert _codes(fine) == {"penalty.fine"}


def test_fushun_leader_may_decide_on_the_sections_objection(agency, section, officer, make_staff):
    chief = make_staff("section_chief", certificate=True)
    reviewer = make_staff("legal_reviewer", legal_qualification="A1")
    leader = make_staff("leader")
    matter = make_matter(agency, section, officer, amount="20000")
    review = services.review_submit(matter=matter, acting_user=chief, **complete_submission(matter))
    services.review_assign(review=review, reviewer=reviewer, first=True, acting_user=reviewer)
    with mock.patch("review.services._issue_letter", return_value=None):
        services.review_opinion_issue(
            review=review, acting_user=reviewer, findings=checklist_all_pass(matter), outcome="change",
            opinion="裁量偏重，建议变更。", meeting_on=date.today(), meeting_participants="全科",
            meeting_minutes="研究决定",
        )
    with pytest.raises(ValidationError, match="第十二条"):
        services.review_leader_decide(review=review, decision="approve", acting_user=leader)
    review = services.review_leader_decide(
        review=review, decision="approve", acting_user=leader, note="承办科室认为裁量适当，局主要负责人决定维持"
    )
    assert review.state == ReviewState.PASSED and not review.leader_collective
    assert gate(matter, "decide") is None  # 第十四条: 局主要负责人同意 stands for the discussion


def test_yuyao_sets_no_leader_route_so_only_collective_discussion_overrides(agency, section, officer, make_staff):
    _use(agency, "yuyao-city")
    chief = make_staff("section_chief", certificate=True)
    reviewer = make_staff("legal_reviewer", legal_qualification="A1")
    leader = make_staff("leader")
    matter = make_matter(agency, section, officer, amount="60000")
    review = services.review_submit(matter=matter, acting_user=chief, **complete_submission(matter))
    services.review_assign(review=review, reviewer=reviewer, first=True, acting_user=reviewer)
    with mock.patch("review.services._issue_letter", return_value=None):
        services.review_opinion_issue(
            review=review, acting_user=reviewer, findings=checklist_all_pass(matter), outcome="change",
            opinion="建议变更。",
        )
    with pytest.raises(ValidationError, match="集体讨论"):
        services.review_leader_decide(review=review, decision="approve", acting_user=leader, note="坚持原意见")


@pytest.mark.parametrize("pack", ["fushun-city", "yuyao-city", "pingdingshan-hitech", "tonghua-city", "fushun-county-hrss"])
def test_a_penalty_decided_after_a_hearing_is_reviewed_under_every_pack(agency, section, officer, pack):
    """行政处罚法第五十八条第一款第（二）项 binds every agency: a catalogue that does not list the hearing (余姚,
    平顶山) or a pack with no catalogue at all (通化, 抚顺县) does not take it out of review; 抚顺's catalogue lists
    it itself, once."""
    _use(agency, pack)
    matter = make_matter(agency, section, officer, amount="200", state="heard")
    before = _codes(matter)
    _step(matter, officer, "hold_hearing")
    hits = [h for h in scope_for(matter) if h.trigger == "hearing"]
    assert len(hits) == 1 and _codes(matter) - before == {hits[0].code}
    if pack == "fushun-city":
        assert hits[0].code == "penalty.hearing" and "第三条" in hits[0].citation
    else:
        assert hits[0].code == "penalty.statutory-hearing" and "第五十八条第一款" in hits[0].citation
    refusal = gate(matter, "decide")
    assert "经过听证程序" in refusal and "尚未送法制审核" in refusal and "第五十八条" in refusal
