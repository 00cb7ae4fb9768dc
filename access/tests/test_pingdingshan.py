"""The 平顶山高新区 pack (003 附件4): only archived case files follow the access rules (第十条); the
party's lawyer presents 授权委托书、律师函、律师执业证 (第五条); courts and procuratorates read on
their letter and ID without approval (第四条); staff borrow only with the leader's approval
(第七条); copies need the 刻盘存储记录表 signed before a disc is burned (附件3 第九条)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from access.services import Presented, copy_make, fee_note, request_decide, request_export, request_submit
from access.tests.conftest import seal_into_case_file
from matters.models import Step
from review.tests.helpers import make_matter

pytestmark = pytest.mark.django_db

LAWYER_DOCS = ["单位介绍信", "申请人有效身份证件", "授权委托书", "律师函", "律师执业证"]


@pytest.fixture(autouse=True)
def _pingdingshan(agency):
    agency.policy_pack = "pingdingshan-hitech"
    agency.save(update_fields=["policy_pack"])


def _closed(people, section, stored):
    matter = make_matter(section.agency, section, people.author, state="closed")
    step = Step.objects.create(matter=matter, transition="close", label="结案", from_state="executed",
                               to_state="closed", occurred_at=timezone.now(), acted_by=people.author)
    step.records.set(stored)
    matter.closed_at = timezone.now()
    matter.save(update_fields=["closed_at"])
    return matter


@pytest.fixture
def archived(people, section, stored):
    """The stored records are filed in a sealed case file of a closed case."""
    matter = _closed(people, section, stored)
    seal_into_case_file(matter, stored)
    return matter


def _when():
    return {"period_start": timezone.now() - timedelta(minutes=1), "period_end": timezone.now() + timedelta(days=2)}


def _docs(scan, names):
    return [Presented(kind=n, path=scan(f"{i}.pdf"), name=f"{n}.pdf") for i, n in enumerate(names)]


def test_records_not_yet_archived_are_outside_the_access_rules(people, stored):
    with pytest.raises(ValidationError) as refused:
        request_submit(acting_user=people.archivist, requester_kind="judicial", action="view", purpose="审查",
                       records=stored, requester_name="刘检察", requester_org="某区人民检察院", **_when())
    assert "尚未归档" in refused.value.messages[0] and "第十条" in refused.value.messages[0]


def test_a_closed_case_is_not_archived_until_its_case_file_is_sealed(people, section, stored, scan):
    from archive.models import CaseFile

    matter = _closed(people, section, stored)
    court = {"acting_user": people.archivist, "requester_kind": "judicial", "action": "view", "purpose": "审查",
             "requester_name": "刘检察", "requester_org": "某区人民检察院",
             "documents": _docs(scan, ["单位介绍信", "申请人有效证件"])}
    with pytest.raises(ValidationError) as refused:
        request_submit(records=stored, **court, **_when())
    assert "尚未归档" in refused.value.messages[0] and stored[0].title in refused.value.messages[0]
    # An open (unsealed) volume is not the archive either.
    case_file = seal_into_case_file(matter, stored[:1])
    CaseFile.objects.filter(pk=case_file.pk).update(state="open")
    with pytest.raises(ValidationError):
        request_submit(records=stored[:1], **court, **_when())
    CaseFile.objects.filter(pk=case_file.pk).update(state="sealed")
    # Sealed: the first record follows the access rules; the second, left out of the file, still does not.
    assert request_submit(records=stored[:1], **court, **_when()).state == "approved"
    with pytest.raises(ValidationError) as refused:
        request_submit(records=stored, **court, **_when())
    assert stored[1].title in refused.value.messages[0] and stored[0].title not in refused.value.messages[0]


def test_a_lawyer_without_the_practice_certificate_is_refused_with_the_list(people, stored, archived, scan):
    from matters.models import Instrument

    Instrument.objects.create(agency=archived.agency, matter=archived, type="penalty_decision",
                              title="行政处罚决定书", pdf=stored[0], issued_by=people.author, issued_at=timezone.now())
    lawyer = {"acting_user": people.archivist, "requester_kind": "party_lawyer", "action": "copy",
              "purpose": "代理", "requester_name": "陈律师", "requester_org": "某律师事务所", **_when()}
    with pytest.raises(ValidationError) as refused:
        request_submit(records=stored[:1], documents=_docs(scan, LAWYER_DOCS[:-1]), **lawyer)
    assert "缺少：律师执业证" in refused.value.messages[0]
    # Conclusive documents only (第五条): the 询问笔录 is not one, unless the case is in litigation (第六条).
    with pytest.raises(ValidationError) as refused:
        request_submit(records=stored, documents=_docs(scan, LAWYER_DOCS), **lawyer)
    assert "结论性文件" in refused.value.messages[0] and stored[1].title in refused.value.messages[0]
    request = request_submit(records=stored[:1], documents=_docs(scan, LAWYER_DOCS), **lawyer)
    assert request.state == "approved" and request.documents.count() == 5
    suing = request_submit(records=stored, documents=_docs(scan, LAWYER_DOCS), proceedings="litigation", **lawyer)
    assert suing.get_proceedings_display() == "行政诉讼"


def test_a_court_reads_without_approval_and_staff_borrow_with_the_leader(people, stored, archived, scan):
    court = request_submit(acting_user=people.archivist, requester_kind="judicial", action="view", purpose="审理",
                           records=stored, requester_name="刘法官", requester_org="某区人民法院",
                           documents=_docs(scan, ["单位介绍信", "申请人有效证件"]), **_when())
    assert court.state == "approved"
    borrow = request_submit(acting_user=people.outsider, requester_kind="other_section", action="borrow",
                            purpose="执法监督", records=stored, **_when())
    assert borrow.state == "pending" and borrow.approver_role == "leader"
    with pytest.raises(ValidationError):
        request_submit(acting_user=people.archivist, requester_kind="party", action="borrow", purpose="x",
                       records=stored, requester_name="某公司", **_when())


def test_a_disc_needs_the_signed_disc_log_and_the_statement_names_what_it_proves(people, stored, archived, tmp_path):
    request = request_submit(acting_user=people.outsider, requester_kind="other_section", action="copy",
                             purpose="涉诉案件", records=stored[:1], **_when())
    request = request_decide(request=request, approve=True, acting_user=people.leader)
    with pytest.raises(ValidationError) as refused:
        copy_make(request=request, version=stored[0].versions.get(), medium="disc", extractor="孙其他",
                  extracted_at=timezone.now(), acting_user=people.archivist)
    assert "证明对象" in refused.value.messages[0]
    copy_make(request=request, version=stored[0].versions.get(), medium="disc", extractor="孙其他",
              extracted_at=timezone.now(), proves="现场检查情况", fee="2.00", acting_user=people.archivist)
    assert fee_note(request.agency).startswith("查阅不收费；复制费用由申请人自行支付（") and "第十一条" in fee_note(
        request.agency
    )
    with pytest.raises(ValidationError) as refused:
        request_export(request=request, out_dir=tmp_path, acting_user=people.archivist)
    assert "刻盘存储记录表" in refused.value.messages[0] and "第九条" in refused.value.messages[0]


def test_an_approved_loan_is_lent_and_returned(people, stored, archived):
    from rest_framework.test import APIClient

    borrow = request_submit(acting_user=people.outsider, requester_kind="other_section", action="borrow",
                            purpose="执法监督", records=stored, **_when())
    client = APIClient()
    client.force_authenticate(people.archivist)
    early = client.post(f"/api/v1/access/requests/{borrow.pk}/loan/", {})
    assert early.status_code == 400 and "不是已批准的借阅" in early.json()["detail"]
    request_decide(request=borrow, approve=True, note="同意借阅三日", acting_user=people.leader)
    lent = client.post(f"/api/v1/access/requests/{borrow.pk}/loan/", {})
    assert lent.status_code == 200 and lent.json()["lent_at"]
    back = client.post(f"/api/v1/access/requests/{borrow.pk}/loan/", {"returned": True, "note": "案卷完整"})
    assert back.status_code == 200 and back.json()["return_note"] == "案卷完整"
    again = client.post(f"/api/v1/access/requests/{borrow.pk}/loan/", {"returned": True})
    assert again.status_code == 400
    from ledger.models import Event

    kinds = list(Event.objects.filter(data__number=borrow.number).order_by("index").values_list("kind", flat=True))
    assert kinds == ["access.request", "access.approve", "access.lend", "access.return"]
