from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from policy.calendar import workday_calendar
from zhifa.dates import parse_date

WEEKDAYS = "一二三四五六日"


class Command(BaseCommand):
    requires_system_checks = []  # unattended and frequent: the checks belong to deploy and serve
    help = "工作日计算：add DATE N 给出 DATE 之后第 N 个工作日；day DATE 说明某日是否工作日"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="子命令")
        add = sub.add_parser("add", help="DATE 之后第 N 个工作日（起算日不计入）")
        add.add_argument("date", help="起算日期 YYYY-MM-DD")
        add.add_argument("n", help="工作日数")
        day = sub.add_parser("day", help="某日是否工作日")
        day.add_argument("date", help="日期 YYYY-MM-DD")

    def handle(self, *args, action, **options):
        start = self._date(options["date"])
        calendar = workday_calendar()
        if action == "day":
            info = calendar.day(start)
            kind = "工作日" if info.is_workday else "休息日"
            name = f"（{info.name}）" if info.name else ""
            note = "（暂定：该年度节假日安排尚未录入）" if info.provisional else ""
            self.stdout.write(f"{start} 星期{WEEKDAYS[start.weekday()]}：{kind}{name}{note}")
            return
        try:
            n = int(options["n"])
        except ValueError:
            raise CommandError(f"工作日数“{options['n']}”不是整数。") from None
        if n < 0:
            raise CommandError("工作日数不能为负数。")
        result = calendar.add_working_days(start, n)
        line = f"{result.due.isoformat()} 星期{WEEKDAYS[result.due.weekday()]}"
        if result.provisional:
            years = "、".join(str(y) for y in result.provisional_years)
            line += f" 暂定（{years}年国务院节假日安排尚未录入，按法定节日推算；录入后结果可能变化）"
        self.stdout.write(line)

    def _date(self, value) -> date:
        try:
            return parse_date(value, default=timezone.localdate())
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
