"""Reminders: due and overdue items reach the person responsible, in the application (the bell),
by mail and by SMS (supervision.sms) — a daily digest, and a message as soon as something becomes
overdue. Each person chooses the channels and the kinds of item they receive (ReminderPreference)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from org.models import Agency, Staff
from supervision.checks import chunked, matters_with_deadlines
from supervision.choices import ReminderCategory
from supervision.models import Finding, Reminder, ReminderPreference
from supervision.sms import mobile_number, send_sms


@dataclass
class RemindResult:
    opened: int = 0
    done: int = 0
    overdue_mails: int = 0
    overdue_sms: int = 0
    digests: int = 0


def _items(agency, now: datetime) -> dict[tuple[int, str], dict]:
    """{(staff pk, key): fields} of what is due soon or overdue now, for each person responsible."""
    from matters.selectors import _rows

    horizon = now + timedelta(days=settings.ZHIFA_REMINDER_HORIZON_DAYS)
    items: dict = {}
    for chunk in matters_with_deadlines(agency):
        for row in _rows(chunk):
            if not row.task or row.met or row.due > horizon:
                continue
            for officer in row.matter.officers.all():
                items[(officer.pk, f"deadline:{row.matter.pk}:{row.rule_key}")] = {
                    "category": ReminderCategory.DEADLINE,
                    "title": f"{row.matter.title}：{row.label}"[:300],
                    "citation": row.citation[:300],
                    "due": row.due,
                    "overdue": row.due < now,
                }
    from matters.hazards import OPEN_STATES, hazard_deadline_rows
    from matters.models import Matter

    with_hazards = Matter.objects.filter(agency=agency, hazards__state__in=OPEN_STATES).distinct()
    for chunk in chunked(with_hazards.prefetch_related("officers")):
        for row in hazard_deadline_rows(chunk):
            if row.due > horizon:
                continue
            for officer in row.matter.officers.all():
                items[(officer.pk, f"hazard:{row.matter.pk}:{row.label}"[:120])] = {
                    "category": ReminderCategory.HAZARD,
                    "title": f"{row.matter.title}：{row.label}"[:300],
                    "citation": (row.citation or "")[:300],
                    "due": row.due,
                    "overdue": row.due < now,
                }
    from policy.calendar import due_moment
    from publicity.choices import PublicationState
    from publicity.models import Publication

    waiting = Publication.objects.filter(
        agency=agency, state__in=(PublicationState.DRAFT, PublicationState.REVIEWED),
        due_on__lte=timezone.localdate(horizon), created_by__isnull=False,
    )
    for chunk in chunked(waiting):
        for p in chunk:
            due = due_moment(p.due_on)
            items[(p.created_by_id, f"publication:{p.pk}")] = {
                "category": ReminderCategory.PUBLICATION,
                "title": f"公开执法决定：{p.party_public}（{p.instrument_number}）"[:300],
                "citation": "",
                "due": due,
                "overdue": due < now,
            }
    from org.choices import Role
    from review.choices import ReviewState
    from review.models import LegalReview

    reviewers = list(Staff.objects.filter(agency=agency, is_active=True, role_assignments__role=Role.LEGAL_REVIEWER)
                     .values_list("pk", flat=True).distinct())
    running = LegalReview.objects.filter(agency=agency, state=ReviewState.REVIEWING, due__isnull=False,
                                         due__lte=horizon).select_related("matter")
    for chunk in chunked(running):
        for review in chunk:
            for pk in reviewers:  # the legal reviewers of the agency (a review names no single reviewer)
                items[(pk, f"review:{review.pk}")] = {
                    "category": ReminderCategory.REVIEW,
                    "title": f"法制审核：{review.matter.title}"[:300],
                    "citation": "",
                    "due": review.due,
                    "overdue": review.due < now,
                }
    for chunk in chunked(Finding.objects.filter(agency=agency, closed_at__isnull=True, officer__isnull=False)):
        for f in chunk:
            items[(f.officer_id, f"finding:{f.pk}")] = {
                "category": ReminderCategory.FINDING,
                "title": f"{f.message}（{f.remedy}）"[:300],
                "citation": f.citation,
                "due": None,
                "overdue": False,
            }
    return items


def _preferences(staff_ids) -> dict[int, ReminderPreference]:
    prefs = {p.staff_id: p for p in ReminderPreference.objects.filter(staff_id__in=staff_ids)}
    return {pk: prefs.get(pk) or ReminderPreference(staff_id=pk) for pk in staff_ids}


def _lines(reminders) -> str:
    out = []
    for r in reminders:
        when = f"期限 {timezone.localtime(r.due):%Y-%m-%d %H:%M}" if r.due else ""
        flag = "【已逾期】" if r.overdue else ""
        out.append(f"- {flag}{r.title} {when} {('依据：' + r.citation) if r.citation else ''}".rstrip())
    return "\n".join(out)


@transaction.atomic
def reminders_sweep_agency(*, agency: Agency, now: datetime | None = None) -> RemindResult:
    """Bring the agency's reminders up to date; mail each person who wants it what has just become
    overdue (once per item)."""
    now = now or timezone.now()
    result = RemindResult()
    items = _items(agency, now)
    existing = {(r.staff_id, r.key): r for r in Reminder.objects.filter(staff__agency=agency, done_at__isnull=True)}
    newly_overdue: dict[int, list[Reminder]] = {}
    for (staff_id, key), fields in items.items():
        r = existing.pop((staff_id, key), None)
        if r is None:
            r, created = Reminder.objects.get_or_create(
                staff_id=staff_id, key=key, defaults={**fields, "opened_at": now}
            )
            if not created:  # done before and due again
                for name, value in fields.items():
                    setattr(r, name, value)
                r.done_at = None
                r.overdue_mailed_at = None
                r.save()
            result.opened += 1
        else:
            changed = any(getattr(r, name) != value for name, value in fields.items())
            for name, value in fields.items():
                setattr(r, name, value)
            if changed:
                r.save()
        if r.overdue and r.overdue_mailed_at is None:
            newly_overdue.setdefault(staff_id, []).append(r)
    for r in existing.values():
        r.done_at = now
        r.save(update_fields=["done_at"])
        result.done += 1
    prefs = _preferences(list(newly_overdue))
    staff = {s.pk: s for s in Staff.objects.filter(pk__in=list(newly_overdue))}
    for staff_id, reminders in newly_overdue.items():
        person, pref = staff[staff_id], prefs[staff_id]
        wanted = [r for r in reminders if pref.wants(r.category)]
        if wanted and pref.overdue_mail and person.email:
            send_mail(
                f"【逾期提醒】您有 {len(wanted)} 项事项已逾期",
                f"{person.name}：\n\n以下事项已超过期限，请尽快办理：\n{_lines(wanted)}\n\n（行政执法平台自动发送）",
                None,
                [person.email],
            )
            result.overdue_mails += 1
        if wanted and pref.overdue_sms and mobile_number(person.phone):
            first = wanted[0].title
            more = f"等{len(wanted)}项" if len(wanted) > 1 else ""
            if send_sms(person.phone, f"【行政执法平台】{person.name}，{first}{more}已逾期，请尽快办理。"):
                result.overdue_sms += 1
        Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(overdue_mailed_at=now)
    return result


def reminders_digest(*, agency: Agency, now: datetime | None = None) -> int:
    """The daily digest: each person who wants it, with open reminders, gets one mail a day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    open_by_staff: dict[int, list[Reminder]] = {}
    for r in Reminder.objects.filter(staff__agency=agency, done_at__isnull=True).order_by("staff_id", "-overdue", "due"):
        open_by_staff.setdefault(r.staff_id, []).append(r)
    prefs = _preferences(list(open_by_staff))
    sent = 0
    for person in Staff.objects.filter(pk__in=list(open_by_staff), is_active=True):
        pref = prefs[person.pk]
        wanted = [r for r in open_by_staff[person.pk] if pref.wants(r.category)]
        by_mail = pref.digest_mail and bool(person.email)
        by_sms = pref.digest_sms and mobile_number(person.phone) is not None
        if not (wanted and (by_mail or by_sms)) or pref.digest_sent_on == today:
            continue
        overdue = sum(1 for r in wanted if r.overdue)
        if by_mail:
            send_mail(
                f"【每日提醒】待办 {len(wanted)} 项，其中已逾期 {overdue} 项",
                f"{person.name}：\n\n{_lines(wanted)}\n\n（行政执法平台每日自动发送，可在“我的提醒”中设置）",
                None,
                [person.email],
            )
        if by_sms:
            send_sms(person.phone, f"【行政执法平台】{person.name}，您有待办事项{len(wanted)}项，其中已逾期{overdue}项，"
                                   f"请登录平台查看“我的提醒”。")
        pref.digest_sent_on = today
        pref.save()
        sent += 1
    return sent


def reminders_run(*, agency: Agency | None = None, now: datetime | None = None, digest: bool = True) -> RemindResult:
    total = RemindResult()
    for a in [agency] if agency else Agency.objects.order_by("pk"):
        r = reminders_sweep_agency(agency=a, now=now)
        total.opened += r.opened
        total.done += r.done
        total.overdue_mails += r.overdue_mails
        total.overdue_sms += r.overdue_sms
        if digest:
            total.digests += reminders_digest(agency=a, now=now)
    return total


def bell_count(user) -> int:
    """The number on the bell: one COUNT query."""
    return (
        Reminder.objects.filter(staff=user, done_at__isnull=True)
        .exclude(staff__reminder_preference__in_app=False)
        .count()
    )
