"""A decision made in a matter is handed to publicity as a draft, in the decision's transaction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enterprises.models import Party
from matters.models import Instrument
from matters.services import ServiceInput, matter_open, matter_transition
from publicity.models import Publication
from publicity.selectors import portal_publications
from publicity.services import publication_correct
from records.services import record_ingest
from records.tests.clips import make_docx, make_video

pytestmark = pytest.mark.django_db


def _recording(officer, section, tmp_path):
    """The recording of an on-site service, which 抚顺 requires (000 音像记录设备使用管理办法和监督规则第四条)."""
    path = make_video(tmp_path / "送达录像.mp4", seconds=1, creation_time=timezone.now() - timedelta(minutes=5))
    return record_ingest(acting_user=officer, section=section, path=path, original_name=path.name).version.record


def test_a_penalty_decision_becomes_an_unpublished_draft_due_by_the_packs_deadline(
    agency, section, make_staff, tmp_path
):
    a = make_staff("officer", certificate=True)
    b = make_staff("officer", certificate=True)
    chief = make_staff("section_chief", "officer", certificate=True)
    leader = make_staff("leader")
    person = Party.objects.create(
        agency=agency, kind="natural_person", name="孙小明", id_number="110101199003070011",
        phone="13800000000", address="抚顺市某街1号",
    )
    matter = matter_open(acting_user=a, kind="penalty", title="未如实记录培训情况", party=person, officers=[a, b])

    def step(user, code, data=None, **kw):
        matter.refresh_from_db()
        return matter_transition(acting_user=user, matter=matter, transition=code, data=data or {}, **kw)

    # entered afterwards from the paper file, so that the 告知 periods have run
    late = {"occurred_at": timezone.now() - timedelta(days=11), "late_reason": "据纸质执法文书事后录入"}
    step(a, "request_filing", {"facts": "未如实记录", "basis": "安全生产法第九十七条"}, **late)
    step(chief, "approve_filing", **late)
    step(a, "propose", {"facts": "未如实记录", "basis": "安全生产法第九十七条", "decision": "罚款", "amount": "5000"},
         **late)
    step(leader, "approve_proposal", **late)
    receipt = record_ingest(
        acting_user=a, section=section, path=make_docx(tmp_path / "回执.docx", text="回执"), original_name="回执.docx"
    ).version.record
    step(a, "notify", service=ServiceInput("direct", "孙小明", timezone.now() - timedelta(days=10),
                                          signer="孙小明", receipt=receipt, av=_recording(a, section, tmp_path)),
         occurred_at=timezone.now() - timedelta(days=10), late_reason="据纸质执法文书事后录入")
    assert not Publication.objects.exists()
    step(leader, "decide", {"facts": "未如实记录", "basis": "安全生产法第九十七条", "decision": "罚款伍仟元",
                            "amount": "5000"})

    publication = Publication.objects.get()
    decision = Instrument.objects.get(matter=matter, type="penalty_decision")
    assert publication.source == f"matters.matter:{matter.pk}"
    assert publication.instrument_number == decision.number and publication.category == "penalty"
    assert publication.state == "draft" and publication not in portal_publications()
    # fushun-city: penalties are published within 7 working days of the decision.
    assert publication.due_on > timezone.localdate()
    # The draft keeps the party's data; what the public would see is masked.
    assert publication.content["party_id_number"] == "110101199003070011"
    assert "110101199003070011" not in str(publication.public) and "孙小明" not in str(publication.public)


def test_the_portal_shows_the_reviewed_summary_not_the_matters_title(agency, section, make_staff, client):
    """The public 事由 is a summary staff write on the draft and the reviewer checks with the rest;
    the matter's internal title never reaches the portal, and no draft is reviewed without one."""
    from django.core.exceptions import ValidationError
    from django.urls import reverse

    from publicity.services import publication_review
    from publicity.tests.helpers import publish

    a = make_staff("officer", certificate=True)
    b = make_staff("officer", certificate=True)
    reviewer = make_staff("legal_reviewer", username="reviewer")
    company = Party.objects.create(agency=agency, kind="legal_person", name="抚顺某化工有限公司",
                                   id_number="91210400MA0000000X")
    title = "（内部）东华化工举报线索核查-张科长交办"
    matter = matter_open(acting_user=a, kind="penalty", procedure="simple", title=title, party=company,
                         officers=[a, b])
    matter_transition(acting_user=a, matter=matter, transition="decide_on_spot", officers=[a, b],
                      data={"time": timezone.now(), "place": "厂区", "facts": "未佩戴防护用品",
                            "basis": "安全生产法第九十九条", "amount": "2000", "defence": "无"})  # fmt: skip
    item = Publication.objects.get(source=f"matters.matter:{matter.pk}")
    assert title not in str(item.public) and item.public["cause"] == ""
    with pytest.raises(ValidationError, match="尚未撰写公示摘要"):
        publication_review(publication=item, acting_user=reviewer)
    client.force_login(a)
    detail = reverse("publicity:staff_detail", kwargs={"pk": item.pk})
    assert "尚未撰写公示摘要" in client.get(detail).content.decode()
    too_long = client.post(reverse("publicity:staff_summary", kwargs={"pk": item.pk}), {"summary": "长" * 501})
    assert too_long.status_code == 302 and Publication.objects.get(pk=item.pk).version == item.version
    summary = "作业人员进入有限空间作业未按规定佩戴劳动防护用品"
    client.post(reverse("publicity:staff_summary", kwargs={"pk": item.pk}), {"summary": summary})
    item.refresh_from_db()
    assert item.version == 2 and item.versions.last().reason == "撰写公示摘要"
    publish(item, reviewer)
    page = client.get(reverse("publicity:decision", kwargs={"pk": item.pk})).content.decode()
    assert summary in page and title not in page
    assert summary in client.get(reverse("publicity:feed_csv")).content.decode("utf-8-sig")


def test_a_revoked_decision_is_taken_down_in_the_revocations_transaction(agency, section, make_staff, tmp_path):
    """复议 revokes a decision after the matter was closed: the matter records it (only the leader may),
    refuses a revocation date in the future, and the published item is withdrawn with the note at once."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from publicity.tests.helpers import publish

    a = make_staff("officer", certificate=True)
    b = make_staff("officer", certificate=True)
    chief = make_staff("section_chief", "officer", certificate=True)
    leader = make_staff("leader")
    reviewer = make_staff("legal_reviewer", username="reviewer")
    company = Party.objects.create(agency=agency, kind="legal_person", name="抚顺某化工有限公司",
                                   id_number="91210400MA0000000X")
    matter = matter_open(acting_user=a, kind="penalty", procedure="simple", title="当场处罚", party=company,
                         officers=[a, b])

    def step(user, code, data=None, **kw):
        matter.refresh_from_db()
        return matter_transition(acting_user=user, matter=matter, transition=code, data=data or {}, **kw)

    step(a, "decide_on_spot", {"time": timezone.now(), "place": "厂区", "facts": "未佩戴防护用品",
                               "basis": "安全生产法第九十九条", "amount": "2000", "defence": "无"}, officers=[a, b])
    receipt = record_ingest(
        acting_user=a, section=section, path=make_docx(tmp_path / "回执.docx", text="回执"), original_name="回执.docx"
    ).version.record
    step(a, "serve", service=ServiceInput("direct", "王某", timezone.now(), signer="王某", receipt=receipt,
                                         av=_recording(a, section, tmp_path)))
    step(a, "pay", {"amount": "2000", "paid_on": timezone.localdate().isoformat()})
    step(chief, "close", {"result": "已缴纳"})
    drafted = Publication.objects.get(source=f"matters.matter:{matter.pk}")
    # A simple procedure is not by itself 社会危害不大、情节轻微、已及时纠正: the publisher marks that.
    assert drafted.minor is False
    drafted = publication_correct(publication=drafted, changes={"summary": "作业人员未按规定佩戴劳动防护用品"},
                                  reason="撰写公示摘要", acting_user=a)  # fmt: skip
    item = publish(drafted, reviewer)
    assert item in portal_publications()

    revoke = {"reason": "复议机关认为事实不清，决定撤销", "document": "抚政复决字〔2026〕12号",
              "revoked_on": timezone.localdate().isoformat()}
    with pytest.raises(PermissionDenied):
        step(chief, "revoke", revoke)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError, match="不能晚于今天"):
        step(leader, "revoke", {**revoke, "revoked_on": tomorrow})
    item.refresh_from_db()
    assert item.state == "published"
    closed_at = matter.closed_at
    step(leader, "revoke", revoke)
    matter.refresh_from_db()
    item.refresh_from_db()
    assert matter.state == "revoked" and matter.closed_at == closed_at  # closing time kept
    assert item.state == "withdrawn" and item not in portal_publications()
    assert item.withdrawal_note == "复议机关认为事实不清，决定撤销（抚政复决字〔2026〕12号）"
    assert item.withdrawal_due is not None
