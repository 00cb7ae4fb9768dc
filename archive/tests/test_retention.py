"""Retention from the pack, the longest row wins (平顶山 003 附件2 第十二条); a record in several files
keeps the longest; holds and unexpired files cannot be proposed for disposal; the leader approves."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from archive.models import CaseFile, Disposal
from archive.retention import record_retain_until
from archive.services import (
    carrier_register,
    casefile_seal,
    disposal_decide,
    disposal_propose,
    hold_place,
    hold_release,
)
from archive.tests.conftest import use_pack
from ledger.models import Event
from matters.services import matter_mark_major, matter_open

pytestmark = pytest.mark.django_db


def _penalty_to_notice(desk, title, *, major=False):
    d = desk
    ago = lambda days: timezone.now() - timedelta(days=days)  # noqa: E731
    m = matter_open(acting_user=d.officer, kind="penalty", title=title, party=d.party, officers=[d.officer, d.partner])
    d.step(d.officer, m, "request_filing", {"facts": "未按规定设置报警装置", "basis": "安全生产法第九十九条"}, at=ago(21))
    d.step(d.chief, m, "approve_filing", {"opinion": "同意"}, at=ago(21))
    if major:
        matter_mark_major(acting_user=d.chief, matter=m, reason="拟责令停产停业")
    d.step(d.officer, m, "propose", {"facts": "事实", "basis": "依据", "decision": "警告"}, at=ago(21))
    d.step(d.leader, m, "approve_proposal", {"opinion": "同意"}, at=ago(21))
    d.step(d.officer, m, "notify", {}, service=d.served(ago(20), f"告知回执{title}.docx"), at=ago(20))
    return m


def _pass_review(matter, desk, reviewer):
    """Legal review of the major decision, as review's own helper does (平顶山's pack lists no checklist)."""
    from review import services
    from review.tests.helpers import complete_submission

    review = services.review_submit(matter=matter, acting_user=desk.chief, transition="decide",
                                    **complete_submission(matter))
    services.review_assign(review=review, reviewer=reviewer, first=True, acting_user=reviewer)
    services.review_opinion_issue(
        review=review, acting_user=reviewer, findings=[], outcome="agree", opinion="同意作出决定。",
        meeting_on=date.today(), meeting_participants="法制审核机构全体人员", meeting_minutes="集体研究，同意。",
    )
    services.review_leader_decide(review=review, decision="approve", acting_user=desk.leader)


def _decide_serve_close(desk, m, title):
    d = desk
    d.step(d.leader, m, "decide", {"facts": "事实", "basis": "依据", "decision": "警告"})
    d.step(d.officer, m, "serve", {}, service=d.served(timezone.now(), f"决定回执{title}.docx"))
    d.step(d.chief, m, "close", {"result": "已执行"})
    return CaseFile.objects.get(matter=m)


def test_pingdingshan_hearing_case_keeps_10_years_and_a_major_penalty_for_ever(desk, make_staff):
    use_pack(desk, "pingdingshan-hitech")
    ago = lambda days: timezone.now() - timedelta(days=days)  # noqa: E731

    hearing = _penalty_to_notice(desk, "听证案")
    desk.step(desk.officer, hearing, "request_hearing", {"requested_on": ago(19).date()}, at=ago(19))
    desk.step(desk.officer, hearing, "notify_hearing",
              {"hearing_at": ago(2), "hearing_place": "听证室", "presider": "法规科"},
              service=desk.served(ago(18), "听证通知回执.docx"), at=ago(18))
    desk.step(desk.officer, hearing, "hold_hearing", {"participants": "王某、李执法", "defence": "请求从轻"},
              officers=[desk.officer, desk.partner], records=[desk.clip("听证.mp4")], at=ago(1))
    # decided after a hearing: reviewed first (行政处罚法第五十八条第一款第（二）项)
    reviewer = make_staff("legal_reviewer", legal_qualification="A1")
    _pass_review(hearing, desk, reviewer)
    heard = casefile_seal(acting_user=desk.archivist, case_file=_decide_serve_close(desk, hearing, "听证案"))
    assert (heard.retention_years, heard.retention_permanent) == (10, False)
    assert "适用听证程序的案件" in heard.retention_basis and "第十二条" in heard.retention_basis
    assert heard.retain_until == date(heard.closed_on.year + 10, heard.closed_on.month, heard.closed_on.day)

    major = _penalty_to_notice(desk, "重大案", major=True)
    desk.step(desk.leader, major, "discuss", {"time": ago(1), "participants": "局领导班子", "discussion": "同意",
                                               "conclusion": "警告"})
    _pass_review(major, desk, reviewer)
    # the archivist also judges the case complex (30 years): the longest row, 永久, wins
    forever = casefile_seal(acting_user=desk.archivist, case_file=_decide_serve_close(desk, major, "重大案"),
                            complex_case=True)
    assert forever.retention_permanent and forever.retain_until is None and forever.retention_label == "永久"
    assert "涉及重大行政处罚的案件" in forever.retention_basis

    # nothing of a permanent or unexpired file, and nothing on hold, can be proposed for destruction
    before = (Disposal.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError) as exc:
        disposal_propose(acting_user=desk.archivist, case_files=[heard, forever], reason="期满鉴定")
    msg = " ".join(exc.value.messages)
    assert "永久保管" in msg and "尚未届满" in msg and heard.code in msg
    assert (Disposal.objects.count(), Event.objects.count()) == before

    # ten years on (the hearing's recording too, past its own minimum), the file may go unless it is held
    CaseFile.objects.filter(pk=heard.pk).update(retain_until=timezone.localdate() - timedelta(days=1))
    from records.models import RecordVersion

    RecordVersion.objects.filter(record__case_file_items__case_file=heard, record__kind="video").update(
        recorded_start=timezone.now() - timedelta(days=3660), filed_at=timezone.now() - timedelta(days=3660)
    )
    heard.refresh_from_db()
    hold = hold_place(acting_user=desk.archivist, agency=desk.agency, kind="litigation", reference="（2036）豫04行初9号",
                      case_file=heard)
    with pytest.raises(ValidationError) as exc:
        disposal_propose(acting_user=desk.archivist, case_files=[heard], reason="期满鉴定")
    assert "保全中" in exc.value.messages[0] and "行政诉讼" in exc.value.messages[0]
    hold_release(acting_user=desk.archivist, hold=hold, reason="判决已生效")
    with pytest.raises(PermissionDenied):
        disposal_propose(acting_user=desk.leader, case_files=[heard], reason="期满鉴定")
    disposal = disposal_propose(acting_user=desk.archivist, case_files=[heard], reason="保管期限届满，经鉴定无继续保存价值")
    with pytest.raises(PermissionDenied):
        disposal_decide(acting_user=desk.archivist, disposal=disposal, approve=True)
    disposal_decide(acting_user=desk.leader, disposal=disposal, approve=True, note="同意销毁")
    heard.refresh_from_db()
    assert heard.state == "disposed"
    entry = disposal.items.get()
    assert {c["sha256"] for c in entry.contents} == {i.version.sha256 for i in heard.items.select_related("version")}
    assert Event.objects.filter(kind="disposal.approve", subject_id=str(disposal.pk)).exists()
    assert Event.objects.filter(subject_type="archive.casefile", subject_id=str(heard.pk), kind="casefile.seal").exists()


def test_a_recording_in_several_files_keeps_the_longest(desk):
    video = desk.clip("现场.mp4")
    first = desk.close_inspection("甲", records=[video])
    second = desk.close_inspection("乙", records=[video])
    # a disc holding both volumes before either is sealed: its period is chosen (the pack sets none) ...
    disc = carrier_register(acting_user=desk.archivist, number="GP-9", kind="disc", period="2026年", retention="10",
                            case_files=CaseFile.objects.filter(matter__in=[first, second]))
    a = casefile_seal(acting_user=desk.archivist, case_file=CaseFile.objects.get(matter=first), retention="5")
    assert record_retain_until(video) == (a.retain_until, False)
    b = casefile_seal(acting_user=desk.archivist, case_file=CaseFile.objects.get(matter=second), retention="30")
    assert record_retain_until(video) == (b.retain_until, False) and b.retain_until > a.retain_until
    # ... and follows the longest once sealed: never shortened by the 5 years, lengthened by the 30
    disc.refresh_from_db()
    assert disc.retention == "30年" and b.code in disc.retention_basis
    assert [e.data["to"] for e in Event.objects.filter(kind="carrier.retention")] == ["30年"]
    CaseFile.objects.filter(pk=a.pk).update(retain_until=timezone.localdate() - timedelta(days=1))
    a.refresh_from_db()
    with pytest.raises(ValidationError, match="还须保存"):
        disposal_propose(acting_user=desk.archivist, case_files=[a], reason="期满")
