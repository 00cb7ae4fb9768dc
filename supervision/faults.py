"""执法过错 (003 附件3 第十七、十八条; 000 全过程记录制度第二十二条; 001 第三十条): a fault is recorded
with its kind, facts, the records and matters behind it, the measures and the 责令限期整改. The
停止执法工作 measure suspends the officer: the assignment gate (org.gates) refuses them."""

import calendar
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ledger.services import event_record
from org.choices import Role
from org.models import Staff
from policy.selectors import agency_rules
from supervision.choices import FaultKind, FaultMeasure
from supervision.oversight_models import Fault
from supervision.oversight_selectors import supervisor_required
from utilities.bounds import TEXT_LONG, text_bounded, text_for_column, year_bounded

KINDS_RULE = "supervision.fault_kinds"
MEASURES_RULE = "supervision.fault_measures"
SUSPENSION_RULE = "supervision.fault_suspension"
RECTIFICATION_RULE = "supervision.rectification_ordered"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fault_options(agency) -> dict:
    """What the pack allows: kinds, measures (停止执法工作 only where the pack sets its period), the
    suspension's months and whether a 责令限期整改 is required, each with its basis."""
    rules = agency_rules(agency)
    kinds, measures = rules.get(KINDS_RULE), rules.get(MEASURES_RULE)
    suspension, rectification = rules.get(SUSPENSION_RULE), rules.get(RECTIFICATION_RULE)
    allowed_measures = list(measures.value) if measures else list(FaultMeasure.values)
    if suspension is None and FaultMeasure.SUSPENSION in allowed_measures:
        allowed_measures.remove(FaultMeasure.SUSPENSION)
    citations = [r.cited("、") for r in (kinds, measures, suspension, rectification) if r is not None]
    return {
        "kinds": list(kinds.value) if kinds else list(FaultKind.values),
        "measures": allowed_measures,
        "suspension_months": int(suspension.value) if suspension else None,
        "rectification_required": bool(rectification and rectification.value),
        "basis": "；".join(dict.fromkeys(c for c in citations if c)) or "本单位执法监督制度",
    }


@transaction.atomic
def fault_record(
    *, acting_user, officer: Staff, kind: str, facts: str, occurred_on: date, measures=(),
    suspension_start: date | None = None, rectification: str = "", rectification_due: date | None = None,
    records=(), matters=(),
) -> Fault:
    """Record a fault of `officer`. Changes: a Fault with its records and matters, one ledger event.
    Raises ValidationError for a kind or measure the agency's rules do not provide, missing facts, a
    date in the future, a 停止执法工作 without its start, a missing or past 整改期限 where the pack
    requires the 责令限期整改, or records and matters of another agency."""
    supervisor_required(acting_user)
    agency = acting_user.agency
    options = fault_options(agency)
    if officer.agency_id != agency.pk:
        raise ValidationError("只能登记本单位执法人员的执法过错。")
    if kind not in options["kinds"]:
        names = "、".join(FaultKind(k).label for k in options["kinds"])
        raise ValidationError(f"本单位制度规定的执法过错行为为：{names}（{options['basis']}）。")
    facts = text_bounded(facts, label="事实", max_length=TEXT_LONG)
    if not facts:
        raise ValidationError("请写明执法过错的事实。")
    today = timezone.localdate()
    year_bounded(occurred_on, label="发生日期")
    if occurred_on > today:
        raise ValidationError("发生日期不能晚于今天。")
    measures = list(dict.fromkeys(measures))
    refused = [m for m in measures if m not in options["measures"]]
    if refused:
        names = "、".join(FaultMeasure(m).label if m in FaultMeasure.values else m for m in refused)
        allowed = "、".join(FaultMeasure(m).label for m in options["measures"]) or "无"
        raise ValidationError(f"本单位制度未规定“{names}”这种追究方式；可选：{allowed}（{options['basis']}）。")
    start = end = None
    if FaultMeasure.SUSPENSION in measures:
        if suspension_start is None:
            raise ValidationError("停止执法工作须写明起始日期。")
        year_bounded(suspension_start, label="停止执法工作起始日期")
        if suspension_start < occurred_on:
            raise ValidationError("停止执法工作不能早于过错发生之日。")
        start = suspension_start
        end = add_months(start, options["suspension_months"]) - timedelta(days=1)
    elif suspension_start is not None:
        raise ValidationError("只有选择“停止执法工作”时才填写停止执法工作起始日期。")
    rectification = text_for_column(rectification, label="责令整改内容", model=Fault, field="rectification")
    if options["rectification_required"] and not rectification:
        raise ValidationError(f"请写明责令限期整改的内容和期限（{options['basis']}）。")
    if bool(rectification) != bool(rectification_due):
        raise ValidationError("责令限期整改须同时写明整改内容和整改期限。")
    if rectification_due is not None:
        year_bounded(rectification_due, label="整改期限")
        if rectification_due < today:
            raise ValidationError("整改期限不能早于今天。")
    if not measures and not rectification:
        raise ValidationError("请选择追究方式或责令限期整改。")
    records, matters = list(records), list(matters)
    if any(r.agency_id != agency.pk for r in records) or any(m.agency_id != agency.pk for m in matters):
        raise ValidationError("关联的记录或事项不属于本单位。")
    fault = Fault.objects.create(
        agency=agency, officer=officer, section=officer.section, kind=kind, facts=facts, occurred_on=occurred_on,
        measures=measures, suspension_start=start, suspension_end=end, rectification=rectification,
        rectification_due=rectification_due, basis=options["basis"][:300], recorded_by=acting_user,
        recorded_at=timezone.now(),
    )
    fault.records.set(records)
    fault.matters.set(matters)
    event_record(kind="fault.record", subject=fault, acting_user=acting_user,
                 data={"officer": officer.pk, "kind": kind, "measures": measures,
                       "suspension": [start.isoformat(), end.isoformat()] if start else None,
                       "rectification_due": rectification_due.isoformat() if rectification_due else None,
                       "records": [r.pk for r in records], "matters": [m.pk for m in matters]})
    return fault


def _suspending(on: date):
    return Fault.objects.filter(suspension_start__lte=on, suspension_end__gte=on)


def suspension_refusal(staff, on: date) -> str | None:
    """The assignment gate: why `staff` may not take enforcement work on `on`, naming the fault
    record and the last day of the suspension; None when no suspension runs that day."""
    fault = _suspending(on).filter(officer_id=staff.pk).order_by("-suspension_end").first()
    if fault is None:
        return None
    rule = agency_rules(staff.agency).get("supervision.supervisor_role")
    who = Role(rule.value).label if rule else "执法监督部门"
    return (
        f"{staff.name}因{fault.number}（{fault.get_kind_display()}）被停止执法工作，"
        f"期间为{fault.suspension_start:%Y年%m月%d日}至{fault.suspension_end:%Y年%m月%d日}（{fault.basis}），"
        f"此期间不能承办执法事项、参加双随机抽查或实施执法行为；请改派其他执法人员，"
        f"{fault.suspension_end + timedelta(days=1):%Y年%m月%d日}起可恢复安排。如有疑问请向{who}询问。"
    )


def suspended_officers(agency_id: int, on: date) -> set[int]:
    return set(_suspending(on).filter(agency_id=agency_id).values_list("officer_id", flat=True))
