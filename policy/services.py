"""Writes of the policy app: holiday arrangements entered by administrators, and tracked deadlines."""

from datetime import date, datetime, time

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from ledger.services import event_record
from org.permissions import require
from policy.calendar import compute_deadline, due_moment, workday_calendar
from policy.models import CalendarArrangement, Deadline
from policy.registry import DURATION_UNITS
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
