"""Writes of the policy app: holiday arrangements entered by administrators, and tracked deadlines."""

import json
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from ledger.services import event_record
from org.permissions import require
from policy.calendar import compute_deadline, due_moment, workday_calendar
from policy.lint import article_form_ok, check_value
from policy.models import CalendarArrangement, Deadline, RuleSupplement
from policy.registry import DURATION_UNITS, RULES
from policy.selectors import agency_rules
from policy.signals import deadline_moved


@transaction.atomic
def arrangement_enter(
    *,
    acting_user=None,
    year: int,
    holidays: list[tuple[date, str]],
    workdays: list[date],
    document: str,
) -> CalendarArrangement:
    """Enter the official holiday arrangement of a year (国务院办公厅关于YYYY年部分节假日安排的通知).

    Supersedes any earlier entry for the year (kept, never edited) and recomputes every tracked
    deadline that the change could move. Raises ValidationError for dates outside the year, a day
    both off and worked, a make-up day that is not a weekend day, or a missing document reference.
    """
    require(acting_user, "calendar.manage")
    document = (document or "").strip()
    if not document:
        raise ValidationError("请填写依据文件（如：国办发明电〔2026〕X号）。")
    if not holidays:
        raise ValidationError("请至少填写一个放假日期。")
    off = {}
    for day, name in holidays:
        if day.year != year:
            raise ValidationError(f"放假日期 {day:%Y-%m-%d} 不在{year}年内。")
        off[day] = (name or "").strip() or "节假日"
    worked = sorted(set(workdays))
    for day in worked:
        if day.year != year:
            raise ValidationError(f"调休上班日期 {day:%Y-%m-%d} 不在{year}年内。")
        if day.weekday() < 5:
            raise ValidationError(
                f"调休上班日期 {day:%Y-%m-%d} 是工作日（星期{'一二三四五'[day.weekday()]}），调休上班日应为周末。"
            )
        if day in off:
            raise ValidationError(f"{day:%Y-%m-%d} 不能既是放假日又是调休上班日。")
    previous = CalendarArrangement.objects.filter(year=year).order_by("-id").first()
    arrangement = CalendarArrangement.objects.create(
        year=year,
        holidays=[{"date": d.isoformat(), "name": n} for d, n in sorted(off.items())],
        workdays=[d.isoformat() for d in worked],
        document=document,
        supersedes=previous,
        entered_by=acting_user,
    )
    changed = deadlines_recompute(year=year)
    event_record(
        kind="calendar.arrangement",
        subject=arrangement,
        acting_user=acting_user,
        agency=getattr(acting_user, "agency", None),
        data={
            "year": year,
            "document": document,
            "holidays": len(off),
            "workdays": len(worked),
            "supersedes": previous.pk if previous else None,
            "deadlines_changed": changed,
        },
    )
    return arrangement


@transaction.atomic
def deadline_track(
    *,
    agency,
    subject: models.Model,
    rule_key: str,
    start: datetime,
    acting_user=None,
    amount: int | None = None,
) -> Deadline:
    """Compute and keep the deadline that rule `rule_key` of the agency's pack sets from `start`;
    `amount`, when given, replaces the rule's figure in the rule's unit (what is left of a period
    that was stopped and runs again).

    Raises policy.packs.RuleMissing if the pack sets no such rule on that date, ValidationError
    if the rule is not a duration.
    """
    on = timezone.localtime(start).date() if isinstance(start, datetime) else start
    rule = agency_rules(agency, on).rule(rule_key)
    if rule.unit not in DURATION_UNITS:
        raise ValidationError(f"规则“{rule_key}”不是期限规则，不能计算届满时间。")
    amount = int(rule.value) if amount is None else amount
    if amount < 0:
        raise ValidationError("期限数值不能为负数。")
    result = compute_deadline(start, amount, rule.unit)
    deadline = Deadline.objects.create(
        agency=agency,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        rule_key=rule_key,
        pack_id=agency.policy_pack,
        start=start
        if isinstance(start, datetime)
        else timezone.make_aware(datetime.combine(start, time.min)),
        amount=amount,
        unit=rule.unit,
        due=due_moment(result.due),
        provisional=result.provisional,
    )
    event_record(
        kind="deadline.track",
        subject=deadline,
        acting_user=acting_user,
        agency=agency,
        data={"rule": rule_key, "due": deadline.due.isoformat(), "provisional": result.provisional},
    )
    return deadline


def _computed(deadline: Deadline, calendar=None) -> tuple[datetime, bool]:
    """The due time and provisional flag of a tracked deadline from its start, amount and unit."""
    result = compute_deadline(deadline.start, deadline.amount, deadline.unit, calendar=calendar)
    return due_moment(result.due), result.provisional


def deadline_extend(*, deadline: Deadline, by: int, rule_key: str, acting_user=None) -> Deadline:
    """Lengthen a tracked deadline by `by` of its own unit, as rule `rule_key` allows (an approved
    extension); the due time is computed again from the original start."""
    if by <= 0:
        raise ValidationError("延长的期限数值必须大于零。")
    deadline.amount += by
    deadline.due, deadline.provisional = _computed(deadline)
    deadline.save(update_fields=["amount", "due", "provisional", "computed_at"])
    event_record(
        kind="deadline.extend",
        subject=deadline,
        acting_user=acting_user,
        agency=deadline.agency,
        data={"rule": rule_key, "by": by, "due": deadline.due.isoformat(), "provisional": deadline.provisional},
    )
    return deadline


def deadlines_recompute(*, year: int) -> int:
    """Recompute tracked deadlines that may run through `year`; returns how many moved or firmed up."""
    calendar = workday_calendar()
    starts_before_year_end = Q(start__date__lte=date(year, 12, 31))
    candidates = Deadline.objects.filter(starts_before_year_end).filter(
        Q(provisional=True) | Q(due__date__gte=date(year, 1, 1))
    )
    changed = 0
    for deadline in candidates.select_related("agency"):
        if deadline.unit == "hours":
            continue  # hours do not depend on the calendar
        due, provisional = _computed(deadline, calendar)
        if due != deadline.due or provisional != deadline.provisional:
            Deadline.objects.filter(pk=deadline.pk).update(due=due, provisional=provisional)
            deadline.due, deadline.provisional = due, provisional
            deadline_moved.send(sender=Deadline, deadline=deadline)
            changed += 1
    return changed


_SUPPLEMENT_LIMITS = {"document_title": 200, "document_number": 100, "article": 60, "summary": 300}


@transaction.atomic
def supplement_adopt(
    *,
    acting_user,
    key: str,
    value,
    unit: str,
    document_title: str,
    document_number: str,
    article: str,
    summary: str,
    effective_from: date,
) -> RuleSupplement:
    """Record a figure the acting administrator's agency adopted by its own document: from
    `effective_from` it overlays the pack for rule `key` (a deadline keeps the rule in force on the
    day it started). Writes the supplement and its ledger event.

    Raises PermissionDenied without policy.manage_supplements; ValidationError for an unknown key, a
    unit or value the key does not allow, a missing or over-long document, 文号, article or summary,
    an article that is not a locator, a date out of range, or a second supplement for the key on the
    same day.
    """
    require(acting_user, "policy.manage_supplements")
    agency = acting_user.agency
    spec = RULES.get(key)
    if spec is None:
        raise ValidationError(f"规则“{key}”不存在，请从规则列表中选择。")
    texts = {
        "document_title": (document_title or "").strip(),
        "document_number": (document_number or "").strip(),
        "article": (article or "").strip(),
        "summary": (summary or "").strip(),
    }
    labels = {"document_title": "采用文件名称", "document_number": "文号", "article": "条款", "summary": "说明"}
    for name, text in texts.items():
        if not text:
            raise ValidationError(f"请填写{labels[name]}。")
        if len(text) > _SUPPLEMENT_LIMITS[name]:
            raise ValidationError(f"{labels[name]}不能超过{_SUPPLEMENT_LIMITS[name]}个字。")
    if not article_form_ok(texts["article"]):
        raise ValidationError(f"条款“{texts['article']}”格式无法识别，应如 第三条、第三条第二款、附件1第2行、（二）4。")
    today = timezone.localdate()
    if not date(2000, 1, 1) <= effective_from <= today + timedelta(days=366):
        raise ValidationError("施行日期应在2000年1月1日至一年以后之间。")
    problems = check_value({"key": key, "unit": unit, "value": value}, spec, "", None)
    if problems:
        raise ValidationError(problems[0].message)
    if len(json.dumps(value, ensure_ascii=False)) > 20000:
        raise ValidationError("规定内容过长（超过20000字）。")
    if RuleSupplement.objects.filter(agency=agency, key=key, effective_from=effective_from).exists():
        raise ValidationError(
            f"本单位已有自{effective_from:%Y-%m-%d}起施行的“{spec.title}”补充规定；补充规定录入后不修改，"
            "如需调整，请按新文件的施行日期另行录入。"
        )
    supplement = RuleSupplement.objects.create(
        agency=agency,
        key=key,
        value=value,
        unit=unit,
        effective_from=effective_from,
        entered_by=acting_user if getattr(acting_user, "pk", None) else None,
        **texts,
    )
    event_record(
        kind="policy.supplement_adopt",
        subject=supplement,
        acting_user=acting_user,
        agency=agency,
        data={
            "key": key,
            "value": value,
            "unit": unit,
            "document": texts["document_title"],
            "number": texts["document_number"],
            "article": texts["article"],
            "effective_from": effective_from.isoformat(),
        },
    )
    return supplement
