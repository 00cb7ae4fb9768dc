from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from policy.calendar import compute_deadline
from publicity import selectors
from publicity.choices import PublicationState
from publicity.models import PublicationVersion
from publicity.services import (
    basis_change_record,
    correction_decide,
    correction_request,
    publication_correct,
    publication_draft,
    publication_publish,
    publication_review,
    publication_withdraw,
    publications_expire,
)
from publicity.tests.helpers import COMPANY, PERSON, draft, publish
from records.models import Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_staff):
    return make_staff("officer", certificate=True)


@pytest.fixture
def reviewer(make_staff):
    return make_staff("legal_reviewer", username="reviewer")


def test_an_unreviewed_item_is_not_visible(agency, officer, reviewer, client):
    item = draft(agency, officer, instrument_number="抚应急罚〔2026〕1号")
    assert item.state == PublicationState.DRAFT
    assert not selectors.portal_publications().filter(pk=item.pk).exists()
    assert client.get(reverse("publicity:decision", kwargs={"pk": item.pk})).status_code == 404
    assert "抚应急罚〔2026〕1号" not in client.get(reverse("publicity:decisions")).content.decode()
    with pytest.raises(ValidationError, match="第二十四条"):
        publication_publish(publication=item, acting_user=reviewer)
    publication_review(publication=item, acting_user=reviewer)
    assert not selectors.portal_publications().filter(pk=item.pk).exists()
    publication_publish(publication=item, acting_user=reviewer)
    assert selectors.portal_publications().filter(pk=item.pk).exists()
    assert "抚应急罚〔2026〕1号" in client.get(reverse("publicity:decisions")).content.decode()


def test_only_reviewers_review(agency, officer):
    item = draft(agency, officer)
    with pytest.raises(PermissionDenied):
        publication_review(publication=item, acting_user=officer)


def test_penalty_decided_the_friday_before_national_day_is_due_by_the_calendar(agency, officer, reviewer):
    friday = date(2026, 9, 25)
    item = draft(agency, officer, decided_on=friday)
    # 7 working days (000 第二十一条): 9-28, 29, 30, then 10-1..7 are the National Day holiday,
    # 10-8, 9, 10 (Saturday, a make-up working day) and 10-12.
    assert item.due_on == compute_deadline(friday, 7, "working_days").due == date(2026, 10, 12)
    other = draft(agency, officer, category="inspection", decided_on=friday)
    assert other.due_on == compute_deadline(friday, 20, "working_days").due
    overdue = selectors.publications_overdue(viewer=reviewer, today=date(2026, 10, 13))
    assert item in overdue and other not in overdue
    assert item not in selectors.publications_overdue(viewer=reviewer, today=date(2026, 10, 12))


def test_natural_person_item_comes_down_after_a_year_but_stays_in_the_vault(agency, officer, reviewer):
    item = publish(draft(agency, officer, party=PERSON), reviewer)
    company = publish(draft(agency, officer), reviewer)
    published_on = timezone.localdate(item.published_at)
    assert item.display_until == compute_deadline(published_on, 1, "years").due  # 000 第二十二条
    assert company.display_until == compute_deadline(published_on, 2, "years").due
    after = item.display_until + timedelta(days=1)
    assert not selectors.portal_publications(today=after).filter(pk=item.pk).exists()
    assert selectors.portal_publications(today=after).filter(pk=company.pk).exists()
    assert publications_expire(today=after) == 1
    item.refresh_from_db()
    assert item.state == PublicationState.EXPIRED
    assert Record.objects.filter(pk=item.record_id).exists()
    assert item.record.versions.count() >= 1
    assert PublicationVersion.objects.filter(publication=item).exists()
    assert Event.objects.filter(kind="publication.expire", subject_id=str(item.pk)).exists()


def test_a_revoked_decision_is_withdrawn_with_its_note(agency, officer, reviewer, client):
    item = publish(draft(agency, officer, instrument_number="抚应急罚〔2026〕9号"), reviewer)
    with pytest.raises(ValidationError, match="第四十八条"):
        publication_withdraw(publication=item, reason="", acting_user=reviewer)
    item = publication_withdraw(
        publication=item, reason="原处罚决定经行政复议被撤销", acting_user=reviewer, occurred_on=date(2026, 9, 30)
    )
    assert item.state == PublicationState.WITHDRAWN
    assert item.withdrawal_due == compute_deadline(date(2026, 9, 30), 3, "working_days").due
    assert not selectors.portal_publications().filter(pk=item.pk).exists()
    page = client.get(reverse("publicity:decision", kwargs={"pk": item.pk})).content.decode()
    assert "原处罚决定经行政复议被撤销" in page and "已撤回" in page
    assert COMPANY["party_name"] not in page and "罚款人民币二万元" not in page
    notices = client.get(reverse("publicity:withdrawals")).content.decode()
    assert "原处罚决定经行政复议被撤销" in notices
    assert item.record.versions.count() == 2  # the content stays in the vault, with the withdrawal


def test_the_snapshot_does_not_follow_its_source(agency, officer, reviewer):
    from enterprises.services import enterprise_create
    from org.tests.factories import make_uscc

    ent = enterprise_create(
        agency=agency,
        uscc=make_uscc("91210403MA0000009"),
        name="原名称有限公司",
        legal_representative="某某",
        industry="化工",
        acting_user=None,
    )
    item = publication_draft(
        agency=agency,
        category="penalty",
        decided_on=timezone.localdate(),
        party=ent,
        instrument_number="抚应急罚〔2026〕77号",
        cause="事由",
        basis="依据",
        result="结果",
        source="enterprises.enterprise:1",
        acting_user=officer,
    )
    ent.name = "新名称有限公司"
    ent.save()
    item.refresh_from_db()
    assert item.public["party"] == "原名称有限公司"


def test_correction_request_verified_and_answered(agency, officer, reviewer):
    item = publish(draft(agency, officer, result="罚款人民币二万元"), reviewer)
    with pytest.raises(ValidationError, match="证据"):
        correction_request(publication=item, applicant="李某", contact="13900000000", statement="金额有误", evidence="")
    request = correction_request(
        publication=item, applicant="李某", contact="13900000000", statement="金额有误", evidence="决定书原件载明一万元"
    )
    refused = correction_request(
        publication=item, applicant="赵某", contact="赵某@example.cn", statement="名称有误", evidence="无"
    )
    correction_decide(correction=refused, accept=False, answer="经核实，公示名称与决定书一致。", acting_user=reviewer)
    refused.refresh_from_db()
    assert refused.state == "refused" and "行政复议" in refused.appeal
    correction_decide(
        correction=request,
        accept=True,
        answer="经核实决定书载明罚款一万元，已更正。",
        changes={"result": "罚款人民币一万元"},
        acting_user=reviewer,
    )
    item.refresh_from_db()
    # A corrected item goes back through review before the public sees it again (第二十四条).
    assert item.state == PublicationState.DRAFT and item.version == 2
    assert item.public["result"] == "罚款人民币一万元"
    assert [v.number for v in item.versions.all()] == [1, 2]
    publish(item, reviewer)
    assert selectors.portal_publications().filter(pk=item.pk).exists()


def test_correct_refuses_unknown_fields(agency, officer):
    item = draft(agency, officer)
    with pytest.raises(ValidationError):
        publication_correct(publication=item, changes={"agency": "x"}, reason="r", acting_user=officer)


def test_basis_change_lists_affected_items(agency, officer, reviewer):
    item = publish(draft(agency, officer, basis="《安全生产法》第九十九条"), reviewer)
    change = basis_change_record(
        agency=agency, basis="第九十九条", description="条文修改", effective_on=date(2026, 9, 25), acting_user=reviewer
    )
    assert change.due_on == compute_deadline(date(2026, 9, 25), 20, "working_days").due  # 000 第十九条
    [(found, items, _powers)] = selectors.basis_changes_open(viewer=reviewer)
    assert found == change and items == [item]


def test_expire_command(agency, officer, reviewer):
    from io import StringIO

    from django.core.management import call_command

    publish(draft(agency, officer), reviewer)
    out = StringIO()
    call_command("publicity", "expire", stdout=out)
    assert "撤下 0 条" in out.getvalue()


def test_review_is_of_the_version_shown(agency, officer, reviewer):
    item = draft(agency, officer)
    publication_correct(publication=item, changes={"result": "罚款一万元"}, reason="笔误", acting_user=officer)
    with pytest.raises(ValidationError, match="已变更"):
        publication_review(publication=item, acting_user=reviewer, version=1)
    assert publication_review(publication=item, acting_user=reviewer, version=2).state == PublicationState.REVIEWED


def test_yuyao_display_periods(make_staff):
    from org.tests.factories import AgencyFactory, SectionFactory

    yuyao = AgencyFactory(policy_pack="yuyao-city")
    section = SectionFactory(agency=yuyao)
    officer = make_staff("officer", agency=yuyao, section=section, username="yy_officer")
    reviewer = make_staff("legal_reviewer", agency=yuyao, section=section, username="yy_reviewer")
    general = publish(draft(yuyao, officer), reviewer)
    minor = publish(draft(yuyao, officer, minor=True), reviewer)
    on = timezone.localdate(general.published_at)
    # 002 二（一）5: at most 5 years; minor, corrected penalties shorter but not under 1 year.
    assert general.display_until == compute_deadline(on, 5, "years").due
    assert minor.display_until == compute_deadline(on, 1, "years").due
    # The 5-year cap is for 一般行政处罚信息 and the minor mark for penalties: 余姚 sets no display
    # period for a licence, marked or not (issue 11 item 4).
    licence = publish(draft(yuyao, officer, category="licensing"), reviewer)
    marked = publish(draft(yuyao, officer, category="licensing", minor=True), reviewer)
    assert licence.display_until is None and marked.display_until is None


@pytest.mark.parametrize("pack", ["tonghua-city", "pingdingshan-hitech", "yuyao-city", "fushun-county-hrss"])
def test_every_agency_records_a_basis_change_under_the_disclosure_regulation(agency, reviewer, pack):
    agency.policy_pack = pack
    agency.save(update_fields=["policy_pack"])
    change = basis_change_record(
        agency=agency, basis="第九十九条", description="条文修改", effective_on=date(2026, 9, 25), acting_user=reviewer
    )
    # 政府信息公开条例 第二十六条: 20 working days from the change (the national baseline).
    assert change.due_on == compute_deadline(date(2026, 9, 25), 20, "working_days").due
