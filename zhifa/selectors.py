"""What each role's home page shows."""

import calendar as pycalendar
from datetime import date, timedelta

from django.utils import timezone

from org.choices import Role
from org.models import EnforcementCertificate, Staff
from org.permissions import can, require
from policy.calendar import workday_calendar
from policy.selectors import agency_rules

EXPIRY_WARNING_DAYS = 60  # a display choice, not a rule of any regulation


def home_summary(*, viewer) -> dict:
    require(viewer, "home.view")
    today = timezone.localdate()
    roles = viewer.role_codes
    summary: dict = {"today": today, "roles": viewer.role_labels, "sections": []}
    calendar = workday_calendar()
    summary["today_info"] = calendar.day(today)
    if Role.OFFICER in roles:
        certificates = list(viewer.certificates.order_by("-valid_to"))
        current = next((c for c in certificates if c.is_valid_on(today)), None)
        summary["my_certificate"] = current
        summary["my_certificate_expiring"] = bool(
            current and current.valid_to - today <= timedelta(days=EXPIRY_WARNING_DAYS)
        )
        summary["my_latest_certificate"] = certificates[0] if certificates else None
    if roles & {Role.SECTION_CHIEF, Role.LEADER, Role.ADMIN, Role.OFFICE}:
        scope = Staff.objects.filter(agency_id=viewer.agency_id, is_active=True)
        if Role.SECTION_CHIEF in roles and not roles & {Role.LEADER, Role.ADMIN, Role.OFFICE}:
            scope = scope.filter(section_id=viewer.section_id)
        certs = EnforcementCertificate.objects.filter(staff__in=scope).select_related(
            "staff", "staff__section"
        )
        # The certificates valid today, read once: those expiring soon are listed, and the
        # officers holding none are named; the officers are read once and counted as read.
        valid = list(certs.valid_on(today).order_by("valid_to", "pk"))
        soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
        summary["certificates_expiring"] = [c for c in valid if c.valid_to <= soon]
        valid_ids = {c.staff_id for c in valid}
        officers = list(scope.filter(role_assignments__role=Role.OFFICER).distinct().select_related("section"))
        summary["officers_total"] = len(officers)
        summary["officers_without_valid_certificate"] = [s for s in officers if s.pk not in valid_ids]
    if Role.LEGAL_REVIEWER in roles or Role.LEADER in roles:
        rules = agency_rules(viewer.agency, today)
        summary["review_rules"] = [
            rules.rules[k]
            for k in (
                "review.time_limit",
                "review.extension",
                "review.fine_threshold_person",
                "review.fine_threshold_organisation",
                "review.reviewer_ratio_min",
            )
            if k in rules
        ]
    if Role.LEGAL_REVIEWER in roles or Role.LEADER in roles:
        from review.selectors import workbench_counts

        summary["review_bench"] = workbench_counts(viewer=viewer)
    if can(viewer, "publicity.view"):
        from publicity.selectors import publications_overdue

        summary["publications_overdue"] = list(publications_overdue(viewer=viewer)[:20])
    if Role.ADMIN in roles:
        summary["calendar_years"] = [
            (year, calendar.year_source(year)) for year in (today.year, today.year + 1)
        ]
    return summary


def deadline_month(*, rows, month: date) -> list[list[dict]]:
    """A month of the viewer's deadlines as weeks of days (Monday first), each day with its rows;
    server-rendered, so the page needs no outside asset."""
    by_day: dict[date, list] = {}
    for row in rows:
        by_day.setdefault(timezone.localtime(row.due).date(), []).append(row)
    weeks = []
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append(
            [{"day": d, "in_month": d.month == month.month, "rows": by_day.get(d, [])} for d in week]
        )
    return weeks


def month_from(value: str, today: date) -> date:
    """`YYYY-MM` from a query string, else this month; out-of-range input falls back to today."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else today.replace(day=1)
    except (ValueError, TypeError):
        return today.replace(day=1)
