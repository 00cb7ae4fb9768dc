"""Writes of the supervision app: the compliance scan that opens and closes findings."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ledger.services import event_record
from org.models import Agency
from policy.selectors import agency_rules
from supervision.checks import CHECKS, CHUNK, Fact, chunked
from supervision.choices import FindingEventKind
from supervision.models import Finding, FindingEvent, ReminderPreference, ScanRun
from supervision.statistics import statistics_refresh


@dataclass
class ScanResult:
    opened: int = 0
    closed: int = 0
    reopened: int = 0
    open: int = 0
    by_agency: dict = field(default_factory=dict)


def _event(finding: Finding, kind: str, at: datetime, message: str, acting_user) -> None:
    FindingEvent.objects.create(finding=finding, kind=kind, at=at, message=message[:500])
    event_record(
        kind=f"supervision.finding_{kind}",
        subject=finding,
        acting_user=acting_user,
        agency=finding.agency,
        data={"kind": finding.kind, "subject": finding.subject, "rule": finding.rule_key},
    )


def _apply(agency, rules, fact: Fact, existing: Finding | None, now, acting_user, result) -> None:
    rule = rules.rule(fact.rule_key)
    values = {
        "section_id": fact.section_id,
        "matter_id": fact.matter_id,
        "officer_id": fact.officer_id,
        "rule_key": fact.rule_key,
        "citation": rule.cited("、")[:300],
        "message": fact.message[:500],
        "remedy": fact.remedy[:300],
        "seen_at": now,
    }
    if existing is None:
        finding = Finding.objects.create(
            agency=agency, kind=fact.kind, subject=fact.subject, opened_at=now, **values
        )
        _event(finding, FindingEventKind.OPENED, now, fact.message, acting_user)
        result.opened += 1
        return
    reopened = existing.closed_at is not None
    for name, value in values.items():
        setattr(existing, name, value)
    if reopened:
        existing.closed_at = None
    existing.save()
    if reopened:
        _event(existing, FindingEventKind.REOPENED, now, fact.message, acting_user)
        result.reopened += 1


@transaction.atomic
def findings_scan_agency(*, agency: Agency, acting_user=None, now: datetime | None = None) -> ScanResult:
    """Run every check of the agency's pack: open a finding for each new breach, reopen one that
    came back, close those whose facts were put right (each change a FindingEvent and a ledger
    event). Memory grows with the number of breaches, not with the number of matters."""
    now = now or timezone.now()
    rules = agency_rules(agency, timezone.localdate(now))
    result = ScanResult()
    seen: set[tuple[str, str]] = set()
    batch: list[Fact] = []

    def flush():
        subjects = {f.subject for f in batch}
        existing = {
            (f.kind, f.subject): f
            for f in Finding.objects.filter(agency=agency, subject__in=subjects)
        }
        for fact in batch:
            _apply(agency, rules, fact, existing.get((fact.kind, fact.subject)), now, acting_user, result)
        batch.clear()

    for check in CHECKS:
        for fact in check(agency, rules, now):
            key = (fact.kind, fact.subject)
            if key in seen:
                continue
            seen.add(key)
            batch.append(fact)
            if len(batch) >= CHUNK:
                flush()
    flush()
    # Close what is no longer found: the facts were put right.
    for findings in chunked(Finding.objects.filter(agency=agency, closed_at__isnull=True)):
        for finding in findings:
            if (finding.kind, finding.subject) in seen:
                continue
            finding.closed_at = now
            finding.seen_at = now
            finding.save(update_fields=["closed_at", "seen_at"])
            _event(finding, FindingEventKind.CLOSED, now, "复查时问题已不存在（已纠正）。", acting_user)
            result.closed += 1
    result.open = len(seen)
    ScanRun.objects.create(
        agency=agency, at=now, opened=result.opened, reopened=result.reopened, closed=result.closed, open=result.open
    )
    return result


def findings_scan(*, acting_user=None, agency: Agency | None = None, now: datetime | None = None) -> ScanResult:
    """The scan over every agency (or one), each agency in its own transaction."""
    total = ScanResult()
    agencies = [agency] if agency is not None else list(Agency.objects.order_by("pk"))
    for a in agencies:
        r = findings_scan_agency(agency=a, acting_user=acting_user, now=now)
        # The statistics read pre-aggregated figures: rebuild this year's after each scan.
        statistics_refresh(a, timezone.localdate(now or timezone.now()).year)
        total.opened += r.opened
        total.closed += r.closed
        total.reopened += r.reopened
        total.open += r.open
        total.by_agency[a.name] = r
    return total


def findings_scan_if_due(*, max_age: timedelta) -> ScanResult | None:
    """The periodic hook: scan when the last scan is older than `max_age` (or never ran)."""
    last = ScanRun.objects.order_by("-at").values_list("at", flat=True).first()
    if last is not None and timezone.now() - last < max_age:
        return None
    return findings_scan()


@transaction.atomic
def preference_set(
    *, acting_user, in_app: bool, digest_mail: bool, overdue_mail: bool, categories: list[str],
    digest_sms: bool = False, overdue_sms: bool = False,
) -> ReminderPreference:
    """Save what `acting_user` chooses to receive (their own setting only); a ledger event. SMS
    needs a mobile number on the person's record."""
    from django.core.exceptions import ValidationError

    from org.permissions import require
    from supervision.sms import mobile_number

    require(acting_user, "supervision.remind")
    if (digest_sms or overdue_sms) and mobile_number(acting_user.phone) is None:
        raise ValidationError(
            "您的人员信息中没有可用的手机号码，无法接收短信提醒：请系统管理员在人员信息中登记11位手机号码后再选择短信提醒。"
        )
    choices = {"in_app": in_app, "digest_mail": digest_mail, "overdue_mail": overdue_mail,
               "digest_sms": digest_sms, "overdue_sms": overdue_sms}
    pref, _ = ReminderPreference.objects.update_or_create(
        staff=acting_user, defaults={**choices, "categories": sorted(set(categories))},
    )
    event_record(kind="reminder.preference", subject=pref, acting_user=acting_user, agency=acting_user.agency,
                 data={**choices, "categories": pref.categories})
    return pref


# --- 行政复议、行政诉讼 ---------------------------------------------------------------------------------


def _decided_on(matter):
    """The local date of the matter's decision (the step a 复议 or 诉讼 follows), or None."""
    from matters.workflows import DECISION_STEPS

    steps = (*DECISION_STEPS.get(matter.kind, ()), "seal_on_spot")
    first = matter.steps.filter(transition__in=steps).order_by("occurred_at").values_list("occurred_at", flat=True)
    first = first.first()
    return timezone.localdate(first) if first else None


def _bounded_text(value: str, label: str, field: str) -> str:
    from supervision.models import Challenge
    from utilities.bounds import text_for_column

    return text_for_column(value, label=label, model=Challenge, field=field)


@transaction.atomic
def challenge_register(*, acting_user, matter, kind: str, body: str, filed_on):
    """Register a 行政复议 or 行政诉讼 against the matter's decision; a ledger event."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from matters.selectors import matter_visible, refusal_message
    from org.permissions import require
    from supervision.choices import ChallengeKind
    from supervision.models import Challenge

    require(acting_user, "supervision.challenge", agency=matter.agency)
    if not matter_visible(viewer=acting_user, matter=matter):
        raise PermissionDenied(refusal_message(matter))
    if kind not in ChallengeKind.values:
        raise ValidationError("请选择行政复议或行政诉讼。")
    body = _bounded_text(body, "复议机关或人民法院", "body")
    if not body:
        raise ValidationError("请填写复议机关或人民法院。")
    if filed_on is None:
        raise ValidationError("请填写申请或起诉日期。")
    if filed_on > timezone.localdate():
        raise ValidationError(f"申请或起诉日期（{filed_on:%Y年%m月%d日}）不能晚于今天，请按实际日期登记。")
    decided = _decided_on(matter)
    if decided is None:
        raise ValidationError("该事项尚未作出执法决定，不能登记针对决定的行政复议或行政诉讼；请核对事项编号。")
    if filed_on < decided:
        raise ValidationError(
            f"申请或起诉日期（{filed_on:%Y年%m月%d日}）早于执法决定日期（{decided:%Y年%m月%d日}），请核对后按实际日期登记。"
        )
    challenge = Challenge.objects.create(agency=matter.agency, section=matter.section, matter=matter, kind=kind,
                                         body=body, filed_on=filed_on, recorded_by=acting_user)
    event_record(kind="challenge.register", subject=challenge, acting_user=acting_user, agency=matter.agency,
                 data={"matter": matter.pk, "kind": kind, "body": body, "filed_on": filed_on.isoformat()})
    return challenge


@transaction.atomic
def challenge_decide(*, acting_user, challenge, result: str, decided_on, document: str):
    """Record the result of a 复议 or 诉讼 (once; a later correction is a new registration)."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from matters.selectors import matter_visible, refusal_message
    from org.permissions import require
    from supervision.choices import ChallengeResult
    from supervision.models import Challenge

    require(acting_user, "supervision.challenge", agency=challenge.agency)
    if not matter_visible(viewer=acting_user, matter=challenge.matter):
        raise PermissionDenied(refusal_message(challenge.matter))
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if challenge.result != ChallengeResult.PENDING:
        raise ValidationError(f"该{challenge.get_kind_display()}已登记结果（{challenge.get_result_display()}），不能改写。")
    if result not in ChallengeResult.values or result == ChallengeResult.PENDING:
        raise ValidationError("请选择审结结果。")
    document = _bounded_text(document, "文书文号", "document")
    if not document:
        raise ValidationError("请填写复议决定书或裁判文书的文号。")
    if decided_on is None:
        raise ValidationError("请填写审结日期。")
    if decided_on > timezone.localdate():
        raise ValidationError(f"审结日期（{decided_on:%Y年%m月%d日}）不能晚于今天，请按实际日期登记。")
    if decided_on < challenge.filed_on:
        raise ValidationError(
            f"审结日期（{decided_on:%Y年%m月%d日}）早于申请或起诉日期（{challenge.filed_on:%Y年%m月%d日}），请核对。"
        )
    challenge.result, challenge.decided_on, challenge.document = result, decided_on, document
    challenge.decided_by = acting_user
    challenge.save(update_fields=["result", "decided_on", "document", "decided_by"])
    event_record(kind="challenge.decide", subject=challenge, acting_user=acting_user, agency=challenge.agency,
                 data={"result": result, "decided_on": decided_on.isoformat(), "document": document})
    return challenge


def finding_recheck_service(*, finding: Finding, acting_user=None, now: datetime | None = None) -> bool:
    """Check one 文书送达 finding again at once (after the proof was added): close it, with its event,
    when nothing is missing any more. True when it closed."""
    from matters.models import Service
    from matters.services import DEFAULT_AV_MEDIA
    from supervision.checks import service_missing
    from supervision.choices import Check

    if finding.kind != Check.SERVICE_PROOF or finding.closed_at is not None:
        return False
    now = now or timezone.now()
    rules = agency_rules(finding.agency, timezone.localdate(now))
    service = Service.objects.prefetch_related("records").get(pk=int(finding.subject.split(":")[1]))
    requires = next((list(r["requires"]) for r in rules.rule("service.requirements").value
                     if r["method"] == service.method), [])
    if service_missing(service, requires, tuple(rules.value("av.media_kinds", default=DEFAULT_AV_MEDIA))):
        return False
    with transaction.atomic():
        finding.closed_at = now
        finding.seen_at = now
        finding.save(update_fields=["closed_at", "seen_at"])
        _event(finding, FindingEventKind.CLOSED, now, "已补充送达凭证（已纠正）。", acting_user)
    return True
