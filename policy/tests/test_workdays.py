"""Tests for the statutory working-day calendar (no Django, no database)."""

import time
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from lunar_python import Lunar, LunarMonth, Solar

from policy.workdays import (
    MAKEUP_DAY_NAME,
    PACKAGE_YEARS,
    Arrangement,
    Deadline,
    Festival,
    WorkdayCalendar,
    festivals_from_rows,
)

# 全国年节及纪念日放假办法（2024 年修订，2025 年施行）
FESTIVAL_ROWS = [
    {"name": "元旦", "rule": "solar", "month": 1, "day": 1, "days": 1},
    {"name": "春节", "rule": "lunar_new_year_eve", "days": 4},
    {"name": "清明节", "rule": "solar_term", "term": "清明", "days": 1},
    {"name": "劳动节", "rule": "solar", "month": 5, "day": 1, "days": 2},
    {"name": "端午节", "rule": "lunar", "month": 5, "day": 5, "days": 1},
    {"name": "中秋节", "rule": "lunar", "month": 8, "day": 15, "days": 1},
    {"name": "国庆节", "rule": "solar", "month": 10, "day": 1, "days": 3},
]
FESTIVALS = festivals_from_rows(FESTIVAL_ROWS)

# A made-up 2027 arrangement (the real one is not published yet), with make-up Saturdays.
ARRANGEMENT_2027 = Arrangement(
    year=2027,
    holidays=frozenset(
        [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)]
        + [date(2027, 2, 5) + timedelta(days=i) for i in range(8)]  # 2-05 (Fri) .. 2-12 (Fri)
    ),
    workdays=frozenset([date(2027, 1, 30), date(2027, 2, 20)]),  # Saturdays
    names={date(2027, 2, 5): "春节"},
)


def D(s: str) -> date:
    return date.fromisoformat(s)


def days(first: str, last: str) -> list[date]:
    d, out = D(first), []
    while d <= D(last):
        out.append(d)
        d += timedelta(days=1)
    return out


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar(festivals=FESTIVALS)


# --- official arrangements from chinese_calendar ----------------------------------------------------


def test_package_years(cal):
    assert 2025 in PACKAGE_YEARS and 2026 in PACKAGE_YEARS and 2027 not in PACKAGE_YEARS
    assert cal.year_source(2025) == cal.year_source(2026) == "package"
    assert cal.year_source(2027) == "provisional"


def test_2025_spring_festival(cal):
    info = cal.day(D("2025-01-26"))  # Sunday, make-up working day
    assert info.is_workday and not info.provisional
    assert info.source == "package" and info.name == MAKEUP_DAY_NAME
    assert cal.is_workday(D("2025-02-08"))  # Saturday, make-up working day
    for d in days("2025-01-28", "2025-02-04"):
        assert not cal.is_workday(d), d
        assert cal.day(d).name == "春节"
    assert cal.is_workday(D("2025-01-27")) and cal.is_workday(D("2025-02-05"))
    assert cal.day(D("2025-01-25")).name is None  # ordinary Saturday
    assert not cal.day(D("2025-01-25")).is_workday


def test_2025_national_day(cal):
    for d in days("2025-10-01", "2025-10-08"):
        assert not cal.is_workday(d), d
    assert cal.is_workday(D("2025-09-28"))  # Sunday
    assert cal.is_workday(D("2025-10-11"))  # Saturday
    assert cal.day(D("2025-10-01")).name == "国庆节"
    # The package calls it 中秋; the pack's longer name is used.
    assert cal.day(D("2025-10-06")).name == "中秋节"


def test_2026_spring_festival_and_national_day(cal):
    # Checked against chinese_calendar's data: 2-15..2-23 off, 2-14 (Sat) and 2-28 (Sat) worked.
    for d in days("2026-02-15", "2026-02-23"):
        assert not cal.is_workday(d), d
    assert cal.is_workday(D("2026-02-14")) and cal.is_workday(D("2026-02-28"))
    assert cal.is_workday(D("2026-02-24"))
    # 中秋 9-25..9-27, 国庆 10-01..10-07; 9-20 (Sun) and 10-10 (Sat) worked.
    for d in days("2026-09-25", "2026-09-27") + days("2026-10-01", "2026-10-07"):
        assert not cal.is_workday(d), d
    assert cal.is_workday(D("2026-09-20")) and cal.is_workday(D("2026-10-10"))
    assert cal.is_workday(D("2026-10-08")) and cal.is_workday(D("2026-10-09"))


def test_agrees_with_chinese_calendar_for_2025_and_2026(cal):
    for d in days("2025-01-01", "2026-12-31"):
        assert cal.is_workday(d) == chinese_calendar.is_workday(d), d


def test_add_working_days_across_national_day_2025(cal):
    # Fri 9-26; 9-28 (Sun) 1, 9-29 2, 9-30 3, [10-01..10-08 off], 10-09 4, 10-10 5, 10-11 (Sat) 6, 10-13 7
    result = cal.add_working_days(D("2025-09-26"), 7)
    assert result == Deadline(D("2025-10-13"), False, ())
    assert cal.add_working_days(D("2025-09-26"), 1).due == D("2025-09-28")
    assert cal.add_working_days(D("2025-09-30"), 1).due == D("2025-10-09")


def test_add_working_days_across_spring_festival_2025(cal):
    start = D("2025-01-24")  # Friday
    assert cal.add_working_days(start, 1).due == D("2025-01-26")  # make-up Sunday
    assert cal.add_working_days(start, 2).due == D("2025-01-27")
    assert cal.add_working_days(start, 3).due == D("2025-02-05")
    assert cal.add_working_days(start, 0).due == start


def test_add_working_days_across_national_day_2026(cal):
    start = D("2026-09-30")
    assert cal.add_working_days(start, 1).due == D("2026-10-08")
    assert cal.add_working_days(start, 3).due == D("2026-10-10")  # make-up Saturday
    assert cal.add_working_days(start, 5).due == D("2026-10-13")
    assert not cal.add_working_days(start, 5).provisional


# --- provisional calendar ---------------------------------------------------------------------------


def test_festival_dates_agree_with_lunar_python():
    eve = Lunar.fromYmd(2027, 1, 1).getSolar()
    assert (eve.getYear(), eve.getMonth(), eve.getDay()) == (2027, 2, 6)  # 正月初一
    last = LunarMonth.fromYm(2026, 12).getDayCount()
    s = Lunar.fromYmd(2026, 12, last).getSolar()
    assert (s.getYear(), s.getMonth(), s.getDay()) == (2027, 2, 5)  # 除夕
    qingming = Solar.fromYmd(2027, 7, 1).getLunar().getJieQiTable()["清明"]
    assert qingming.toYmd() == "2027-04-05"
    assert (D("2027-04-05"), "清明") in chinese_calendar.get_solar_terms(D("2027-04-01"), D("2027-04-30"))
    assert Lunar.fromYmd(2027, 5, 5).getSolar().toYmd() == "2027-06-09"
    assert Lunar.fromYmd(2027, 8, 15).getSolar().toYmd() == "2027-09-15"


def test_provisional_holidays_2027(cal):
    assert cal.provisional_holidays(2027) == {
        D("2027-01-01"): "元旦",
        D("2027-02-05"): "春节",
        D("2027-02-06"): "春节",
        D("2027-02-07"): "春节",
        D("2027-02-08"): "春节",
        D("2027-04-05"): "清明节",
        D("2027-05-01"): "劳动节",
        D("2027-05-02"): "劳动节",
        D("2027-06-09"): "端午节",
        D("2027-09-15"): "中秋节",
        D("2027-10-01"): "国庆节",
        D("2027-10-02"): "国庆节",
        D("2027-10-03"): "国庆节",
    }


def test_provisional_festival_dates_match_official_years(cal):
    # The festival rules reproduce the festival days of the official 2025 and 2026 arrangements.
    for year in (2025, 2026):
        for d, name in cal.provisional_holidays(year).items():
            assert chinese_calendar.is_holiday(d), (d, name)


def test_provisional_days(cal):
    info = cal.day(D("2027-02-08"))  # Monday, 4th day of 春节
    assert not info.is_workday and info.provisional and info.source == "provisional"
    assert info.name == "春节"
    assert cal.is_workday(D("2027-02-09"))
    assert cal.day(D("2027-03-03")).provisional  # an ordinary Wednesday is provisional too
    assert not cal.is_workday(D("2027-06-09"))  # 端午, Wednesday
    assert not cal.is_workday(D("2027-09-15"))  # 中秋, Wednesday
    # No festivals configured: weekends only.
    assert WorkdayCalendar().is_workday(D("2027-06-09"))


def test_overlapping_festivals_are_joined():
    # 2020: 中秋 fell on 10-01.
    cal = WorkdayCalendar(festivals=FESTIVALS)
    assert cal.provisional_holidays(2020)[D("2020-10-01")] == "中秋节、国庆节"


def test_festival_running_over_new_year():
    cal = WorkdayCalendar(festivals=[Festival("跨年", "solar", 2, month=12, day=31)])
    assert cal.provisional_holidays(2031) == {D("2031-01-01"): "跨年", D("2031-12-31"): "跨年"}


def test_deadline_into_provisional_year_is_flagged(cal):
    # Sun 2026-12-20: 12-21..12-31 give 9 working days, 2027-01-01 (Fri) is 元旦, 01-04 is the 10th.
    result = cal.deadline(D("2026-12-20"), 10, "working_days")
    assert result == Deadline(D("2027-01-04"), True, (2027,))
    # Staying inside 2026 is not provisional.
    assert not cal.deadline(D("2026-12-20"), 9, "working_days").provisional


def test_entering_an_arrangement_replaces_the_provisional_calendar():
    provisional = WorkdayCalendar(festivals=FESTIVALS)
    official = WorkdayCalendar(festivals=FESTIVALS, arrangements={2027: ARRANGEMENT_2027})
    assert official.year_source(2027) == "arrangement"

    # Same due date, but no longer provisional.
    assert official.deadline(D("2026-12-20"), 10, "working_days") == Deadline(D("2027-01-04"), False, ())

    # The make-up Saturday 2027-01-30 counts.
    assert provisional.add_working_days(D("2027-01-28"), 3) == Deadline(D("2027-02-02"), True, (2027,))
    assert official.add_working_days(D("2027-01-28"), 3) == Deadline(D("2027-02-01"), False, ())
    info = official.day(D("2027-01-30"))
    assert info.is_workday and info.name == MAKEUP_DAY_NAME and info.source == "arrangement"

    # A longer official Spring Festival break.
    assert provisional.add_working_days(D("2027-02-04"), 1).due == D("2027-02-09")
    assert official.add_working_days(D("2027-02-04"), 1).due == D("2027-02-15")
    assert official.day(D("2027-02-05")).name == "春节"
    assert official.day(D("2027-02-09")).name is None  # no name entered for that day

    # Other years are unaffected.
    assert official.add_working_days(D("2027-12-30"), 2).provisional_years == (2028,)


def test_arrangement_wins_over_package():
    arrangement = Arrangement(2025, holidays={D("2025-03-03")}, workdays={D("2025-03-08")})
    cal = WorkdayCalendar(festivals=FESTIVALS, arrangements={2025: arrangement})
    assert cal.year_source(2025) == "arrangement"
    assert not cal.is_workday(D("2025-03-03"))
    assert cal.is_workday(D("2025-03-08"))
    # The entered arrangement replaces the package's whole year.
    assert not cal.is_workday(D("2025-01-26"))
    assert cal.is_workday(D("2025-10-08"))
    assert cal.year_source(2026) == "package"


def test_arrangement_validation():
    with pytest.raises(ValueError, match="不属于 2027 年"):
        Arrangement(2027, holidays={D("2026-12-31")}, workdays=set())
    with pytest.raises(ValueError, match="不能同时"):
        Arrangement(2027, holidays={D("2027-01-02")}, workdays={D("2027-01-02")})
    with pytest.raises(ValueError, match="周六或周日"):
        Arrangement(2027, holidays=set(), workdays={D("2027-01-04")})
    with pytest.raises(ValueError, match="不一致"):
        WorkdayCalendar(arrangements={2028: ARRANGEMENT_2027})
    assert hash(ARRANGEMENT_2027) == hash(ARRANGEMENT_2027)


def test_festival_validation():
    assert FESTIVALS[1] == Festival("春节", "lunar_new_year_eve", 4)
    with pytest.raises(ValueError, match="规则"):
        Festival.from_row({"name": "某节", "rule": "weekly", "days": 1})
    with pytest.raises(ValueError, match="须指定月和日"):
        Festival.from_row({"name": "某节", "rule": "lunar", "days": 1, "month": 5})
    with pytest.raises(ValueError, match="节气"):
        Festival.from_row({"name": "某节", "rule": "solar_term", "term": "清明节", "days": 1})
    with pytest.raises(ValueError, match="天数"):
        Festival.from_row({"name": "某节", "rule": "solar", "month": 1, "day": 1, "days": 0})
    with pytest.raises(ValueError, match="无效"):
        Festival.from_row({"name": "某节", "rule": "solar", "month": 2, "day": 30, "days": 1})


# --- deadline units ---------------------------------------------------------------------------------


def test_hours(cal):
    start = datetime(2025, 9, 30, 18, 30)
    assert cal.deadline(start, 24, "hours") == Deadline(datetime(2025, 10, 1, 18, 30), False, ())
    # Never provisional, even in an unknown year.
    assert cal.deadline(datetime(2027, 2, 4, 9), 48, "hours") == Deadline(datetime(2027, 2, 6, 9), False, ())
    with pytest.raises(ValueError, match="小时"):
        cal.deadline(D("2025-09-30"), 24, "hours")


def test_days_with_and_without_roll_over(cal):
    # 9-24 + 7 days = 10-01 (National Day) -> first working day after the break.
    assert cal.deadline(D("2025-09-24"), 7, "days") == Deadline(D("2025-10-09"), False, ())
    assert cal.deadline(D("2025-09-24"), 7, "days", roll_over_holiday=False).due == D("2025-10-01")
    assert cal.add_days(D("2025-09-24"), 7, roll_over_holiday=True).due == D("2025-10-09")
    # Ending on a make-up Sunday: that is a working day, no roll-over.
    assert cal.deadline(D("2025-09-21"), 7, "days").due == D("2025-09-28")
    # Ending on an ordinary Saturday rolls to Monday.
    assert cal.deadline(D("2025-03-01"), 7, "days").due == D("2025-03-10")
    assert cal.deadline(D("2025-03-01"), 0, "days").due == D("2025-03-01")


def test_days_roll_over_in_provisional_year(cal):
    # Ends on 2027-02-05 (除夕), rolls past the provisional Spring Festival to 02-09.
    assert cal.deadline(D("2027-01-26"), 10, "days") == Deadline(D("2027-02-09"), True, (2027,))
    # Without roll-over the calendar is not consulted, so nothing is provisional.
    assert cal.deadline(D("2027-01-26"), 10, "days", roll_over_holiday=False) == Deadline(D("2027-02-05"))


def test_months_and_years(cal):
    assert cal.deadline(D("2025-01-31"), 1, "months", roll_over_holiday=False).due == D("2025-02-28")
    assert cal.deadline(D("2024-01-31"), 1, "months", roll_over_holiday=False).due == D("2024-02-29")
    assert cal.deadline(D("2025-01-31"), 1, "months").due == D("2025-02-28")  # a Friday
    assert cal.deadline(D("2025-09-01"), 1, "months").due == D("2025-10-09")  # rolls over National Day
    assert cal.deadline(D("2025-12-31"), 2, "months").due == D("2026-02-28")  # make-up Saturday
    assert cal.deadline(D("2025-11-30"), 14, "months", roll_over_holiday=False).due == D("2027-01-30")
    assert cal.deadline(D("2024-02-29"), 1, "years", roll_over_holiday=False).due == D("2025-02-28")
    assert cal.deadline(D("2025-02-05"), 2, "years") == Deadline(D("2027-02-09"), True, (2027,))


def test_datetime_start_uses_china_local_date(cal):
    assert cal.deadline(datetime(2025, 9, 26, 23, 0), 7, "working_days").due == D("2025-10-13")
    # 2025-09-30 17:00 UTC is 2025-10-01 01:00 in Beijing.
    aware = datetime(2025, 9, 30, 17, 0, tzinfo=UTC)
    assert cal.deadline(aware, 1, "days", roll_over_holiday=False).due == D("2025-10-02")
    assert cal.day(aware).date == D("2025-10-01")
    assert not cal.is_workday(aware)


def test_errors_are_in_chinese(cal):
    with pytest.raises(ValueError, match="未知的期间单位“weeks”"):
        cal.deadline(D("2025-01-01"), 1, "weeks")
    with pytest.raises(ValueError, match="不能为负数"):
        cal.deadline(D("2025-01-01"), -1, "days")
    with pytest.raises(ValueError, match="整数"):
        cal.deadline(D("2025-01-01"), 1.5, "working_days")
    with pytest.raises(ValueError, match="不能为负数"):
        cal.add_working_days(D("2025-01-01"), -3)


def test_long_computations_are_fast(cal):
    began = time.perf_counter()
    for i in range(200):
        result = cal.add_working_days(D("2026-10-01") + timedelta(days=i), 90)
    elapsed = time.perf_counter() - began
    assert result.provisional_years == (2027,)
    assert elapsed < 1.0, elapsed
