"""The compliance scan: each planted breach is found with its pack article and officer, and the
finding closes by itself once the facts are put right, keeping its history."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from equipment.services import device_register
from ledger.models import Event
from policy.selectors import agency_rules
from records.choices import ExplanationKind
from records.services import explanation_add, record_ingest
from records.tests.clips import make_video
from supervision.choices import Check
from supervision.models import Finding
from supervision.services import findings_scan

T0 = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)


def _ingest(desk, name, start, **kw):
    path = make_video(desk.folder / name, seconds=1, creation_time=start)
    return record_ingest(acting_user=desk.officer, section=desk.section, path=path, original_name=name, **kw).version


def _history(finding):
    return [e.kind for e in finding.events.all()]


@pytest.mark.django_db
def test_late_file_is_found_with_its_article_and_closes_once_explained(desk):
    version = _ingest(desk, "夜查.mp4", T0, filed_at=T0 + timedelta(hours=30))
    result = findings_scan(agency=desk.agency)
    assert result.opened == 1
    (finding,) = Finding.objects.filter(kind=Check.RECORD)
    rule = agency_rules(desk.agency).rule("av.ingest_deadline")
    assert finding.rule_key == "av.ingest_deadline" and finding.citation == rule.cited("、")
    assert "第十四条" in finding.citation
    assert finding.officer == desk.officer and finding.section == desk.section and finding.is_open
    assert "书面说明" in finding.remedy
    assert Event.objects.filter(kind="supervision.finding_opened", subject_id=str(finding.pk)).count() == 1

    assert findings_scan(agency=desk.agency).opened == 0  # a second scan changes nothing
    explanation_add(acting_user=desk.officer, version=version, kind=ExplanationKind.LATE_FILING,
                    text="连续两天在偏远乡镇执法，回到单位后立即导出。")
    assert findings_scan(agency=desk.agency).closed == 1
    finding.refresh_from_db()
    assert finding.closed_at is not None and _history(finding) == ["opened", "closed"]


@pytest.mark.django_db
def test_unexplained_interruption_is_found_and_closes_once_explained(desk):
    device = device_register(agency=desk.agency, section=desk.section, kind="body_camera", serial="DSJ-0009")
    _ingest(desk, "a.mp4", T0, device=device, filed_at=T0 + timedelta(hours=1))
    _ingest(desk, "b.mp4", T0 + timedelta(seconds=125), device=device, filed_at=T0 + timedelta(hours=1))
    findings_scan(agency=desk.agency)
    (finding,) = Finding.objects.filter(kind=Check.INTERRUPTION)
    assert finding.rule_key == "av.interruption_explanation_required" and finding.citation
    assert "125" in finding.message or "中断" in finding.message
    from records.models import Interruption

    explanation_add(acting_user=desk.officer, interruption=Interruption.objects.get(),
                    kind=ExplanationKind.INTERRUPTION, text="设备电量耗尽，更换电池后继续记录。")
    findings_scan(agency=desk.agency)
    finding.refresh_from_db()
    assert not finding.is_open


@pytest.mark.django_db
def test_step_on_the_recording_list_without_a_recording_is_found(desk):
    clip = desk.clip("现场检查.mp4")
    matter = desk.close_inspection(records=[clip])
    findings_scan(agency=desk.agency)
    assert not Finding.objects.filter(kind=Check.AV_MISSING).exists()
    step = matter.steps.get(transition="inspect")
    step.records.clear()  # planted: the link to the recording is lost after the fact
    findings_scan(agency=desk.agency)
    (finding,) = Finding.objects.filter(kind=Check.AV_MISSING)
    assert finding.matter == matter and finding.officer == desk.officer
    assert finding.citation == agency_rules(desk.agency).rule("av.required_steps").cited("、")
    step.records.add(clip)
    findings_scan(agency=desk.agency)
    finding.refresh_from_db()
    assert not finding.is_open


@pytest.mark.django_db
def test_case_file_not_archived_on_time_is_found_then_closes_and_reopens(desk):
    matter = desk.close_inspection(records=[desk.clip("现场检查.mp4")])
    findings_scan(agency=desk.agency)
    assert not Finding.objects.filter(kind=Check.DEADLINE).exists()
    later = matter.closed_at + timedelta(days=120)
    findings_scan(agency=desk.agency, now=later)
    (finding,) = Finding.objects.filter(kind=Check.DEADLINE)
    assert finding.rule_key == "archive.deadline_after_closing" and finding.matter == matter
    assert finding.citation == agency_rules(desk.agency).rule("archive.deadline_after_closing").cited("、")
    assert finding.officer in (desk.officer, desk.partner)
    findings_scan(agency=desk.agency)  # as of today the deadline is not yet past
    findings_scan(agency=desk.agency, now=later)
    finding.refresh_from_db()
    assert finding.is_open and _history(finding) == ["opened", "closed", "reopened"]


@pytest.mark.django_db
def test_supervise_scan_command_reports_counts(desk, capsys):
    _ingest(desk, "夜查.mp4", T0, filed_at=T0 + timedelta(hours=30))
    call_command("supervise", "scan")
    out = capsys.readouterr().out
    assert f"{desk.agency.name}：新发现 1 项" in out and "合计：新发现 1 项" in out


@pytest.mark.django_db
def test_decision_published_late_or_left_up_is_found(desk):
    from django.utils import timezone

    from publicity.models import Publication
    from publicity.tests.helpers import draft, publish

    pub = draft(desk.agency, desk.officer, decided_on=timezone.localdate() - timedelta(days=40))
    findings_scan(agency=desk.agency)
    (late,) = Finding.objects.filter(kind=Check.PUBLICATION_LATE)
    assert late.rule_key == "publicity.penalty_deadline"
    assert late.citation == agency_rules(desk.agency).rule("publicity.penalty_deadline").cited("、")
    assert late.officer == desk.officer and "尚未公开" in late.message

    publish(pub, desk.leader)
    findings_scan(agency=desk.agency)
    late.refresh_from_db()
    assert not late.is_open and not Finding.objects.filter(kind=Check.PUBLICATION_STALE).exists()

    Publication.objects.filter(pk=pub.pk).update(display_until=timezone.localdate() - timedelta(days=1))
    findings_scan(agency=desk.agency)
    (stale,) = Finding.objects.filter(kind=Check.PUBLICATION_STALE, closed_at__isnull=True)
    assert stale.rule_key == "publicity.display_period" and "撤下" in stale.remedy


@pytest.mark.django_db
def test_periodic_hook_scans_only_when_the_last_scan_is_old(desk):
    from supervision.services import findings_scan_if_due

    _ingest(desk, "夜查.mp4", T0, filed_at=T0 + timedelta(hours=30))
    assert findings_scan_if_due(max_age=timedelta(hours=1)).opened == 1
    assert findings_scan_if_due(max_age=timedelta(hours=1)) is None
    assert findings_scan_if_due(max_age=timedelta(0)).open == 1


@pytest.mark.django_db
def test_major_decision_without_legal_review_is_found_and_closes_once_reviewed(desk, make_staff):
    from django.utils import timezone

    from matters.models import Step
    from review.tests.helpers import make_matter, pass_review

    matter = make_matter(desk.agency, desk.section, desk.officer, amount="20000")  # 个人 ≥ 1万元: in scope
    Step.objects.create(matter=matter, transition="decide", label="作出行政处罚决定", from_state="notified",
                        to_state="decided", occurred_at=timezone.now(), acted_by=desk.leader)  # planted
    findings_scan(agency=desk.agency)
    (finding,) = Finding.objects.filter(kind=Check.REVIEW_MISSING)
    assert finding.matter == matter and finding.rule_key == "review.scope"
    assert finding.citation == agency_rules(desk.agency).rule("review.scope").cited("、")

    reviewer = make_staff("legal_reviewer", legal_qualification="A2023001", username="zhou")
    pass_review(matter, submitter=desk.chief, reviewer=reviewer, leader=desk.leader)
    findings_scan(agency=desk.agency)
    finding.refresh_from_db()
    assert not finding.is_open


@pytest.mark.django_db
def test_a_decision_after_a_hearing_without_review_is_found_under_a_pack_with_no_catalogue(desk):
    """通化's pack lists no review catalogue; the statute's situation (a hearing held, 行政处罚法第五十八条第一款)
    still binds it, and the scan says so."""
    from django.utils import timezone

    from matters.models import Step
    from review.tests.helpers import make_matter

    desk.agency.policy_pack = "tonghua-city"
    desk.agency.save(update_fields=["policy_pack"])
    matter = make_matter(desk.agency, desk.section, desk.officer, amount="20000", state="heard")
    for code, to in (("hold_hearing", "heard"), ("decide", "decided")):  # planted, as imported from paper
        Step.objects.create(matter=matter, transition=code, label=code, from_state=matter.state, to_state=to,
                            occurred_at=timezone.now(), acted_by=desk.leader)
    findings_scan(agency=desk.agency)
    (finding,) = Finding.objects.filter(kind=Check.REVIEW_MISSING)
    assert finding.matter == matter and finding.rule_key == "review.statutory_scope"
    assert "经过听证程序" in finding.message and "第五十八条第一款" in finding.citation


@pytest.mark.django_db
def test_service_without_its_proof_is_found_and_closes_once_the_proof_is_added(desk):
    from django.core.exceptions import ValidationError

    from matters.models import Service
    from matters.services import service_proof_add

    matter = desk.close_inspection()
    instrument = matter.instruments.order_by("pk").last()
    # Planted: a 留置送达 entered from the paper file with its receipt and refusal but no witness.
    service = Service.objects.create(instrument=instrument, method="left", recipient="王某", served_at=T0,
                                     details={"refusal_reason": "拒绝签收"}, recorded_by=desk.officer)
    service.records.add(desk.receipt())
    findings_scan(agency=desk.agency)
    (finding,) = Finding.objects.filter(kind=Check.SERVICE_PROOF)
    rule = agency_rules(desk.agency).rule("service.requirements")
    assert finding.rule_key == "service.requirements" and finding.citation == rule.cited("、")
    assert "见证人" in finding.message and "拒收事由" not in finding.message
    assert finding.matter == matter and finding.officer == desk.officer and "见证人" in finding.remedy

    with pytest.raises(ValidationError, match="至少补充一项"):
        service_proof_add(acting_user=desk.officer, service=service)
    with pytest.raises(ValidationError, match="拒收事由已有登记"):
        service_proof_add(acting_user=desk.officer, service=service, refusal_reason="另一说法", witness="刘某")
    with pytest.raises(ValidationError, match="扫描件或照片"):
        service_proof_add(acting_user=desk.officer, service=service, receipt=desk.clip("送达.mp4"))
    service.refresh_from_db()
    assert service.details == {"refusal_reason": "拒绝签收"}  # a refusal changes nothing
    findings_scan(agency=desk.agency)
    assert Finding.objects.get(pk=finding.pk).is_open

    service_proof_add(acting_user=desk.officer, service=service, witness="村委会主任刘某")
    assert findings_scan(agency=desk.agency).closed == 1
    finding.refresh_from_db()
    assert not finding.is_open and _history(finding) == ["opened", "closed"]
    assert Event.objects.filter(kind="service.proof_add", subject_id=str(service.pk)).exists()


@pytest.mark.django_db
def test_the_officer_adds_the_proof_on_the_reminders_page_and_the_finding_closes(desk, login):
    from django.urls import reverse

    from matters.models import Service

    matter = desk.close_inspection()
    service = Service.objects.create(instrument=matter.instruments.order_by("pk").last(), method="direct",
                                     recipient="王某", served_at=T0, details={}, recorded_by=desk.officer)
    findings_scan(agency=desk.agency)
    (finding,) = Finding.objects.filter(kind=Check.SERVICE_PROOF)
    assert "送达回执" in finding.message and "签名" in finding.message

    partner = login(desk.partner)  # not the partner's finding: refused, logged, nothing added
    response = partner.post(reverse("supervision:service_proof"), {"finding": finding.pk, "signer": "王某"})
    assert response.status_code == 404 and Service.objects.get(pk=service.pk).details == {}
    assert Event.objects.filter(kind="finding.denied", subject_id=str(finding.pk), actor=desk.partner).exists()

    client = login(desk.officer)
    page = client.get(reverse("supervision:reminders")).content.decode()
    assert "补充送达凭证" in page and finding.message in page
    receipt = desk.receipt("补签回执.docx")
    page = client.post(reverse("supervision:service_proof"), {"finding": finding.pk, "signer": "王某"},
                       follow=True).content.decode()
    assert "仍缺少材料" in page and Finding.objects.get(pk=finding.pk).is_open
    page = client.post(reverse("supervision:service_proof"), {"finding": finding.pk, "receipt": "abc"},
                       follow=True).content.decode()
    assert "未补充" in page
    page = client.post(reverse("supervision:service_proof"), {"finding": finding.pk, "receipt": receipt.pk},
                       follow=True).content.decode()
    assert "该问题已纠正" in page
    finding.refresh_from_db()
    assert not finding.is_open and _history(finding) == ["opened", "closed"]
    assert set(Service.objects.get(pk=service.pk).records.all()) == {receipt}
    assert findings_scan(agency=desk.agency).opened == 0  # the scan agrees
