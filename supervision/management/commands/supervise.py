from django.core.management.base import BaseCommand, CommandError

from org.models import Agency
from supervision.services import findings_scan


class Command(BaseCommand):
    help = "执法监督：合规扫描（scan，发现问题自动登记、已纠正的自动关闭）和到期逾期提醒（remind）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser("scan", help="按本单位政策包检查全部事项、记录和公示信息")
        scan.add_argument("--agency", help="只检查该执法主体（名称）")
        remind = sub.add_parser("remind", help="更新各人的到期、逾期提醒，发送逾期邮件和每日汇总邮件")
        remind.add_argument("--agency", help="只处理该执法主体（名称）")
        remind.add_argument("--no-digest", action="store_true", help="不发送每日汇总邮件")
        aggregate = sub.add_parser("aggregate", help="重新汇总执法统计（统计页面读取汇总结果）")
        aggregate.add_argument("--agency", help="只汇总该执法主体（名称）")
        aggregate.add_argument("--year", type=int, action="append", help="汇总的年度（可多次指定；默认今年）")

    def handle(self, *args, action, **options):
        agency = None
        if options.get("agency"):
            agency = Agency.objects.filter(name=options["agency"]).first()
            if agency is None:
                raise CommandError(f"没有名为“{options['agency']}”的执法主体。")
        if action == "aggregate":
            from django.utils import timezone

            from supervision.statistics import statistics_refresh

            years = options.get("year") or [timezone.localdate().year]
            for year in years:
                if not 2000 <= year <= 2100:
                    raise CommandError(f"年度“{year}”无效：请填写2000至2100之间的年份。")
            for a in [agency] if agency else Agency.objects.order_by("pk"):
                for year in years:
                    build = statistics_refresh(a, year)
                    self.stdout.write(f"{a.name} {year}年：统计已汇总（{build.seconds:.1f} 秒）")
            return
        if action == "remind":
            from supervision.reminders import reminders_run

            r = reminders_run(agency=agency, digest=not options["no_digest"])
            self.stdout.write(
                f"提醒：新增 {r.opened} 项，已办结 {r.done} 项；发送逾期邮件 {r.overdue_mails} 封，每日汇总邮件 {r.digests} 封"
            )
            return
        if action == "scan":
            result = findings_scan(agency=agency)
            for name, r in result.by_agency.items():
                self.stdout.write(f"{name}：新发现 {r.opened} 项，再次发现 {r.reopened} 项，已纠正 {r.closed} 项，未纠正 {r.open} 项")
            self.stdout.write(f"合计：新发现 {result.opened} 项，已纠正 {result.closed} 项，未纠正 {result.open} 项")
