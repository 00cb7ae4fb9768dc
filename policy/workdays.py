"""Statutory working-day calendar (法定工作日历).

Source of truth per year, in order:
1. an `Arrangement` entered by an administrator (the State Council notice for that year);
2. the `chinese_calendar` package, which ships the official arrangements for the years it knows;
3. otherwise a provisional calendar: weekends plus the statutory festivals (passed in as `Festival`
   rows from the policy pack) on their own dates, with no make-up days. Every result that depended
   on a provisional day is flagged.

Pure Python: no Django imports.
"""

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
from lunar_python import Lunar, LunarMonth, Solar

MAKEUP_DAY_NAME = "调休上班"
FESTIVAL_RULES = ("solar", "lunar", "lunar_new_year_eve", "solar_term")
UNITS = ("hours", "days", "working_days", "months", "years")
SOURCE_ARRANGEMENT = "arrangement"
SOURCE_PACKAGE = "package"
SOURCE_PROVISIONAL = "provisional"
# Statutory dates are Chinese local dates; aware datetimes are converted to this zone.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

_ONE_DAY = timedelta(days=1)


def _group_by_year(days: Mapping[date, str]) -> dict[int, dict[date, str]]:
    out: dict[int, dict[date, str]] = {}
    for d, name in days.items():
        out.setdefault(d.year, {})[d] = name
    return out


_PKG_HOLIDAYS = _group_by_year(chinese_calendar.holidays)
_PKG_WORKDAYS = _group_by_year(chinese_calendar.workdays)
PACKAGE_YEARS = range(min(_PKG_HOLIDAYS), max(_PKG_HOLIDAYS) + 1)


def _as_date(value: date | datetime) -> date:
    """The Chinese local date of a date or datetime (aware datetimes are converted to China time)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA_TZ)
        return value.date()
    return value


def _add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the end of the month (民法典第二百零二条)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Arrangement:
    """The official holiday arrangement for one year, entered by an administrator."""

    year: int
    holidays: frozenset[date]  # days off (festival days and bridged days)
    workdays: frozenset[date]  # make-up working days (weekend days that are worked)
    names: Mapping[date, str] = field(default_factory=dict, hash=False)  # optional name per holiday

    def __post_init__(self):
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))
        for d in self.holidays | self.workdays | set(self.names):
            if d.year != self.year:
                raise ValueError(f"{d.isoformat()} 不属于 {self.year} 年的放假安排")
        if both := self.holidays & self.workdays:
            days = "、".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"{days} 不能同时是放假日和调休上班日")
        if weekdays := [d for d in self.workdays if d.weekday() < 5]:
            days = "、".join(sorted(d.isoformat() for d in weekdays))
            raise ValueError(f"调休上班日应为周六或周日：{days}")


@dataclass(frozen=True)
class Festival:
    """One row of the pack rule `calendar.statutory_festivals`."""

    name: str
    rule: str  # one of FESTIVAL_RULES
    days: int  # consecutive days off starting at the festival date
    month: int | None = None
    day: int | None = None
    term: str | None = None

    def __post_init__(self):
        if self.rule not in FESTIVAL_RULES:
            raise ValueError(
                f"节日“{self.name}”的规则“{self.rule}”无效，应为 {'、'.join(FESTIVAL_RULES)} 之一"
            )
        if not isinstance(self.days, int) or self.days < 1:
            raise ValueError(f"节日“{self.name}”的放假天数应为正整数")
        if self.rule in ("solar", "lunar"):
            if self.month is None or self.day is None:
                raise ValueError(f"节日“{self.name}”须指定月和日")
            max_day = calendar.monthrange(2000, self.month)[1] if self.rule == "solar" else 30
            if not (1 <= self.month <= 12 and 1 <= self.day <= max_day):
                raise ValueError(f"节日“{self.name}”的日期 {self.month} 月 {self.day} 日无效")
        if self.rule == "solar_term" and self.term not in Lunar.JIE_QI:
            raise ValueError(f"节日“{self.name}”的节气“{self.term}”无效")

    @classmethod
    def from_row(cls, row: Mapping) -> "Festival":
        return cls(
            name=row["name"],
            rule=row["rule"],
            days=row["days"],
            month=row.get("month"),
            day=row.get("day"),
            term=row.get("term"),
        )

    def start_dates(self, year: int) -> tuple[date, ...]:
        """Festival dates (first day off) that fall in solar `year`."""
        return _festival_starts(self, year)


@lru_cache(maxsize=4096)
def _festival_starts(festival: Festival, year: int) -> tuple[date, ...]:
    if festival.rule == "solar":
        try:
            return (date(year, festival.month, festival.day),)
        except ValueError:  # 29 February in a common year
            return ()
    if festival.rule == "lunar_new_year_eve":
        # 除夕 = the day before 正月初一 (covers 12th months of 29 or 30 days, and leap 12th months).
        return (_solar_to_date(Lunar.fromYmd(year, 1, 1).getSolar()) - _ONE_DAY,)
    if festival.rule == "solar_term":
        return (_solar_term_date(festival.term, year),)
    out = []
    for lunar_year in (year - 1, year):  # a late lunar date can fall in the next solar year
        if festival.day > LunarMonth.fromYm(lunar_year, festival.month).getDayCount():
            raise ValueError(
                f"农历 {lunar_year} 年 {festival.month} 月没有 {festival.day} 日（节日“{festival.name}”）"
            )
        d = _solar_to_date(Lunar.fromYmd(lunar_year, festival.month, festival.day).getSolar())
        if d.year == year:
            out.append(d)
    return tuple(out)


def _solar_to_date(s: Solar) -> date:
    return date(s.getYear(), s.getMonth(), s.getDay())


@lru_cache(maxsize=1024)
def _solar_term_date(term: str, year: int) -> date:
    # A Lunar date's JieQi table spans 大雪 of the previous year to 惊蛰 of the next, keyed by Chinese
    # name once (冬至 is the previous December's), so look in the tables of `year` and `year + 1`.
    for y in (year, year + 1):
        d = _solar_to_date(Solar.fromYmd(y, 7, 1).getLunar().getJieQiTable()[term])
        if d.year == year:
            return d
    raise ValueError(f"无法计算 {year} 年的节气“{term}”")


@dataclass(frozen=True)
class DayInfo:
    date: date
    is_workday: bool
    provisional: bool
    source: str  # SOURCE_PACKAGE, SOURCE_ARRANGEMENT or SOURCE_PROVISIONAL
    name: str | None  # festival name of a holiday, MAKEUP_DAY_NAME for a make-up day, else None


@dataclass(frozen=True)
class Deadline:
    due: date | datetime
    provisional: bool = False  # True if any day examined came from the provisional calendar
    provisional_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Year:
    source: str
    off: Mapping[date, str | None]  # days off beyond ordinary weekends (and festival weekend days)
    on: Mapping[date, str]  # make-up working days


class WorkdayCalendar:
    def __init__(
        self,
        *,
        arrangements: Mapping[int, Arrangement] = MappingProxyType({}),
        festivals: Sequence[Festival] = (),
    ):
        for year, arrangement in arrangements.items():
            if arrangement.year != year:
                raise ValueError(f"放假安排的年份 {arrangement.year} 与键 {year} 不一致")
        self.arrangements: Mapping[int, Arrangement] = MappingProxyType(dict(arrangements))
        self.festivals: tuple[Festival, ...] = tuple(festivals)
        # Package names are short (清明, 端午); prefer the pack's name when it extends one (清明节).
        self._pkg_names = {}
        for h in chinese_calendar.Holiday:
            match = next((f.name for f in self.festivals if f.name.startswith(h.chinese)), None)
            self._pkg_names[h.value] = match or h.chinese
        self._years: dict[int, _Year] = {}

    # --- per-year data ---------------------------------------------------------------------------

    def year_source(self, year: int) -> str:
        if year in self.arrangements:
            return SOURCE_ARRANGEMENT
        if year in PACKAGE_YEARS:
            return SOURCE_PACKAGE
        return SOURCE_PROVISIONAL

    def provisional_holidays(self, year: int) -> dict[date, str]:
        """Festival days off in `year` under the provisional calendar (festivals on their own dates)."""
        out: dict[date, str] = {}
        for festival in self.festivals:
            for start_year in (year - 1, year):  # a festival may run over New Year
                for start in festival.start_dates(start_year):
                    for i in range(festival.days):
                        d = start + timedelta(days=i)
                        if d.year == year:
                            out[d] = f"{out[d]}、{festival.name}" if d in out else festival.name
        return dict(sorted(out.items()))

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            source = self.year_source(year)
            if source == SOURCE_ARRANGEMENT:
                a = self.arrangements[year]
                off = {d: a.names.get(d) for d in a.holidays}
                on = dict.fromkeys(a.workdays, MAKEUP_DAY_NAME)
            elif source == SOURCE_PACKAGE:
                off = {d: self._pkg_names.get(v, v) for d, v in _PKG_HOLIDAYS.get(year, {}).items()}
                on = dict.fromkeys(_PKG_WORKDAYS.get(year, {}), MAKEUP_DAY_NAME)
            else:
                off, on = self.provisional_holidays(year), {}
            cached = self._years[year] = _Year(source, off, on)
        return cached

    def _is_workday(self, d: date, provisional_years: set[int]) -> bool:
        y = self._year(d.year)
        if y.source == SOURCE_PROVISIONAL:
            provisional_years.add(d.year)
        return d in y.on or (d.weekday() < 5 and d not in y.off)

    # --- single days -----------------------------------------------------------------------------

    def day(self, d: date | datetime) -> DayInfo:
        d = _as_date(d)
        y = self._year(d.year)
        if d in y.on:
            return DayInfo(d, True, y.source == SOURCE_PROVISIONAL, y.source, y.on[d])
        return DayInfo(
            d,
            d.weekday() < 5 and d not in y.off,
            y.source == SOURCE_PROVISIONAL,
            y.source,
            y.off.get(d),
        )

    def is_workday(self, d: date | datetime) -> bool:
        return self._is_workday(_as_date(d), set())

    # --- periods ---------------------------------------------------------------------------------

    def add_working_days(self, start: date | datetime, n: int) -> Deadline:
        """The n-th working day strictly after `start` (start itself never counts); n == 0 gives start."""
        _check_amount(n)
        d, seen = _as_date(start), set()
        while n > 0:
            d += _ONE_DAY
            if self._is_workday(d, seen):
                n -= 1
        return _result(d, seen)

    def add_days(self, start: date | datetime, n: int, *, roll_over_holiday: bool) -> Deadline:
        """n calendar days counted from the day after `start`; optionally moved off a non-working last day.

        n == 0 gives start unchanged (no roll-over)."""
        _check_amount(n)
        return self._roll(_as_date(start) + timedelta(days=n), roll_over_holiday and n > 0)

    def deadline(
        self, start: date | datetime, amount: int, unit: str, *, roll_over_holiday: bool = True
    ) -> Deadline:
        if unit not in UNITS:
            raise ValueError(f"未知的期间单位“{unit}”，应为 {'、'.join(UNITS)} 之一")
        _check_amount(amount)
        if unit == "hours":
            if not isinstance(start, datetime):
                raise ValueError("按小时计算的期间须以具体时刻（日期和时间）起算")
            return Deadline(start + timedelta(hours=amount))
        if unit == "working_days":
            return self.add_working_days(start, amount)
        if unit == "days":
            return self.add_days(start, amount, roll_over_holiday=roll_over_holiday)
        months = amount if unit == "months" else amount * 12
        return self._roll(_add_months(_as_date(start), months), roll_over_holiday and amount > 0)

    def _roll(self, d: date, roll: bool) -> Deadline:
        seen: set[int] = set()
        if roll:
            while not self._is_workday(d, seen):
                d += _ONE_DAY
        return _result(d, seen)


def _check_amount(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"期间数应为整数，而不是“{n!r}”")
    if n < 0:
        raise ValueError(f"期间数不能为负数：{n}")


def _result(due: date, provisional_years: Iterable[int]) -> Deadline:
    years = tuple(sorted(provisional_years))
    return Deadline(due, bool(years), years)


def festivals_from_rows(rows: Iterable[Mapping]) -> tuple[Festival, ...]:
    """Festivals from the rows of the pack rule `calendar.statutory_festivals`."""
    return tuple(Festival.from_row(row) for row in rows)
