"""The calendar as the platform uses it: pack rules through the statutory calendar, holiday
arrangements entered by administrators, and deadlines recomputed when they are entered."""

from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ledger.models import Event
from policy.calendar import compute_deadline, deadline_for, workday_calendar
from policy.models import CalendarArrangement, Deadline
from policy.packs import RuleMissing
from policy.selectors import agency_rules
from policy.services import arrangement_enter, deadline_track

pytestmark = pytest.mark.django_db

# The 2027 arrangement below is invented for the tests: the State Council had not published one.
SPRING_2027 = [(date(2027, 2, d), "春节") for d in range(5, 13)]
MAKEUP_2027 = [date(2027, 1, 30), date(2027, 2, 20)]


def local(y, m, d, hh=9, mm=0):
    return timezone.make_aware(datetime(y, m, d, hh, mm))


# --- pack rules through the calendar, across the 2025 and 2026 holiday seasons ---------------------------


def test_penalty_published_within_7_working_days_across_national_day_2025(agency):
    rule = agency_rules(agency, date(2025, 9, 26)).rule("publicity.penalty_deadline")
    assert (rule.value, rule.unit) == (7, "working_days")
    # Friday 26 Sept 2025: 28 Sept (Sunday) and 11 Oct (Saturday) are worked, 1–8 Oct are off.
    assert deadline_for(rule, date(2025, 9, 26)).due == date(2025, 10, 13)


def test_decided_the_friday_before_national_day_2026(agency):
    rule = agency_rules(agency, date(2026, 9, 25)).rule("publicity.penalty_deadline")
    # 25–27 Sept 2026 is 中秋, 1–7 Oct 国庆, 10 Oct (Saturday) is worked.
    result = deadline_for(rule, date(2026, 9, 25))
    assert (result.due, result.provisional) == (date(2026, 10, 12), False)


def test_spring_festival_2025_and_2026_make_up_days_count():
    calendar = workday_calendar()
    assert compute_deadline(date(2025, 1, 24), 5, "working_days", calendar=calendar).due == date(2025, 2, 7)
    assert compute_deadline(date(2026, 2, 13), 5, "working_days", calendar=calendar).due == date(2026, 2, 27)
    assert calendar.day(date(2026, 2, 14)).is_workday and calendar.day(date(2026, 2, 14)).name == "调休上班"


def test_calendar_days_roll_over_a_holiday_end(agency):
    # 15 calendar days from 16 Sept 2025 end on 1 Oct, a holiday: the period runs to 9 Oct.
    assert compute_deadline(date(2025, 9, 16), 15, "days").due == date(2025, 10, 9)
    rule = agency_rules(agency, date(2025, 9, 16)).rule("penalty.payment_deadline")
    assert (rule.value, rule.unit, rule.pack_id) == (15, "days", "national")


def test_hours_rule_counts_hours(agency):
    rule = agency_rules(agency).rule("av.ingest_deadline")
    assert (rule.value, rule.unit) == (24, "hours")
    assert deadline_for(rule, local(2026, 9, 30, 18, 30)).due == local(2026, 10, 1, 18, 30)


def test_a_december_deadline_running_into_2027_is_provisional():
    result = compute_deadline(date(2026, 12, 20), 10, "working_days")
    assert (result.due, result.provisional, result.provisional_years) == (date(2027, 1, 4), True, (2027,))


# --- entering an arrangement ------------------------------------------------------------------------------


def test_admin_enters_2027_and_tracked_deadlines_are_recomputed(agency, make_staff):
    admin = make_staff("admin")
    subject = make_staff("officer")
    tracked = deadline_track(
        agency=agency, subject=subject, rule_key="publicity.penalty_deadline", start=local(2027, 2, 4)
    )
    assert tracked.provisional is True
    # Provisionally only 除夕 to 初三 (5–8 Feb) are off: 7 working days after 4 Feb end on 17 Feb.
    assert timezone.localtime(tracked.due).date() == date(2027, 2, 17)

    arrangement = arrangement_enter(
        acting_user=admin,
        year=2027,
        holidays=[*SPRING_2027, (date(2027, 1, 1), "元旦")],
        workdays=MAKEUP_2027,
        document="测试用安排",
    )
    tracked.refresh_from_db()
    assert tracked.provisional is False
    # Off 5–12 Feb, Saturday 20 Feb worked: 15, 16, 17, 18, 19, 20, 22 Feb.
    assert timezone.localtime(tracked.due).date() == date(2027, 2, 22)
    event = Event.objects.get(kind="calendar.arrangement", subject_id=str(arrangement.pk))
    assert event.actor == admin and event.data["deadlines_changed"] == 1
    assert compute_deadline(date(2026, 12, 20), 10, "working_days").provisional is False


def test_entering_a_year_again_supersedes_and_keeps_the_first(make_staff):
    admin = make_staff("admin")
    first = arrangement_enter(
        acting_user=admin, year=2027, holidays=SPRING_2027, workdays=[], document="第一次"
    )
    second = arrangement_enter(
        acting_user=admin, year=2027, holidays=SPRING_2027[:4], workdays=[], document="更正"
    )
    assert second.supersedes == first
    assert CalendarArrangement.objects.filter(year=2027).count() == 2
    assert workday_calendar().day(date(2027, 2, 11)).is_workday  # only the latest entry counts


@pytest.mark.parametrize(
    ("holidays", "workdays", "document", "message"),
    [
        ([(date(2028, 1, 1), "元旦")], [], "通知", "不在2027年内"),
        ([(date(2027, 1, 1), "元旦")], [date(2027, 1, 4)], "通知", "调休上班日应为周末"),
        ([(date(2027, 1, 2), "元旦")], [date(2027, 1, 2)], "通知", "不能既是放假日又是调休上班日"),
        ([(date(2027, 1, 1), "元旦")], [], " ", "请填写依据文件"),
        ([], [], "通知", "请至少填写一个放假日期"),
    ],
)
def test_bad_arrangements_are_refused_and_change_nothing(make_staff, holidays, workdays, document, message):
    admin = make_staff("admin")
    with pytest.raises(ValidationError, match=message):
        arrangement_enter(
            acting_user=admin, year=2027, holidays=holidays, workdays=workdays, document=document
        )
    assert not CalendarArrangement.objects.exists()
    assert compute_deadline(date(2026, 12, 20), 10, "working_days").provisional is True


def test_only_administrators_enter_arrangements(make_staff):
    with pytest.raises(PermissionDenied):
        arrangement_enter(
            acting_user=make_staff("leader"), year=2027, holidays=SPRING_2027, workdays=[], document="x"
        )


def test_tracking_a_rule_the_pack_lacks_or_that_is_not_a_duration(agency):
    with pytest.raises(RuleMissing, match=r"penalty\.filing_after_investigation"):
        deadline_track(
            agency=agency,
            subject=agency,
            rule_key="penalty.filing_after_investigation",
            start=local(2026, 11, 2),
        )
    with pytest.raises(ValidationError, match="不是期限规则"):
        deadline_track(
            agency=agency, subject=agency, rule_key="review.fine_threshold_person", start=local(2026, 11, 2)
        )
    assert not Deadline.objects.exists()
