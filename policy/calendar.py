"""The working-day calendar as the platform uses it: the package's official years, the
arrangements administrators entered, and the national pack's festivals for provisional years."""

from datetime import date, datetime, time
from functools import lru_cache

from django.utils import timezone

from policy.models import CalendarArrangement
from policy.packs import Rule
from policy.selectors import packset
from policy.workdays import Arrangement, Deadline, Festival, WorkdayCalendar

BASELINE_PACK = "national"


def _festivals(on: date) -> tuple[Festival, ...]:
    return _parsed_festivals(packset(), on)


@lru_cache(maxsize=16)
def _parsed_festivals(packs, on: date) -> tuple[Festival, ...]:
    """The national pack's festivals on a day, parsed once per loaded pack set and day."""
    rows = packs.resolve(BASELINE_PACK, on).value("calendar.statutory_festivals", default=[])
    return tuple(Festival.from_row(row) for row in rows)


def current_arrangements() -> dict[int, Arrangement]:
    """The latest arrangement entered for each year."""
    latest: dict[int, CalendarArrangement] = {}
    for row in CalendarArrangement.objects.order_by("year", "id"):
        latest[row.year] = row
    return {year: to_arrangement(row) for year, row in latest.items()}


def to_arrangement(row: CalendarArrangement) -> Arrangement:
    holidays = {date.fromisoformat(item["date"]): item.get("name") or "节假日" for item in row.holidays}
    return Arrangement(
        year=row.year,
        holidays=frozenset(holidays),
        workdays=frozenset(date.fromisoformat(d) for d in row.workdays),
        names=holidays,
    )


_calendars: dict[tuple, WorkdayCalendar] = {}


def workday_calendar(on: date | None = None) -> WorkdayCalendar:
    """A calendar reflecting what is entered now: the arrangements are read on every call (another
    process may have entered one), but a calendar built from the same arrangements and festivals
    is reused with the years it already worked out."""
    arrangements = current_arrangements()
    festivals = _festivals(on or timezone.localdate())
    key = (tuple(sorted(arrangements.items())), festivals)
    calendar = _calendars.get(key)
    if calendar is None:
        if len(_calendars) >= 32:  # an arrangement entered, a new day: drop the old ones
            _calendars.clear()
        calendar = _calendars[key] = WorkdayCalendar(arrangements=arrangements, festivals=festivals)
    return calendar


def rolls_over_holidays(on: date) -> bool:
    return bool(
        packset().resolve(BASELINE_PACK, on).value("calendar.period_end_rolls_over_holiday", default=True)
    )


def deadline_for(rule: Rule, start: date | datetime, *, calendar: WorkdayCalendar | None = None) -> Deadline:
    """When a period set by `rule` (a duration rule of a pack) that starts at `start` ends."""
    return compute_deadline(start, int(rule.value), rule.unit, calendar=calendar)


def compute_deadline(
    start: date | datetime, amount: int, unit: str, *, calendar: WorkdayCalendar | None = None
) -> Deadline:
    """The one place deadlines are computed: hours from a moment, (working) days, months, years from a day."""
    calendar = calendar or workday_calendar()
    if isinstance(start, datetime) and timezone.is_aware(start):
        start = timezone.localtime(start)
    if unit == "hours":
        if not isinstance(start, datetime):
            start = timezone.make_aware(datetime.combine(start, time.min))
    elif isinstance(start, datetime):
        start = start.date()
    start_day = start.date() if isinstance(start, datetime) else start
    return calendar.deadline(start, amount, unit, roll_over_holiday=rolls_over_holidays(start_day))


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def due_moment(due: date | datetime) -> datetime:
    """The last moment of a deadline: itself for an hours rule, the end of its day otherwise."""
    return due if isinstance(due, datetime) else end_of_day(due)
