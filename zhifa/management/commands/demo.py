from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhifa.demo import DEMO_PASSWORD, STAFF, demo_exists, demo_load


class Command(BaseCommand):
    help = "载入演示单位（抚顺市应急管理局：科室、各角色人员、20家生产经营单位）；已存在则不重复载入"

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="演示账号的密码")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("生产环境不能载入演示数据。")
        if demo_exists():
            self.stdout.write("演示单位已存在，未重复载入。")
        else:
            agency = demo_load(password=options["password"])
            self.stdout.write(
                f"已载入演示单位：{agency.name}（{agency.sections.count()} 个科室，{agency.staff.count()} 名人员，{agency.parties.count()} 家生产经营单位）。"
            )
        print_accounts(self.stdout, options["password"])


def print_accounts(out, password: str) -> None:
    out.write(f"演示账号（密码均为 {password}）：")
    for username, name, section, roles, position, *_ in STAFF:
        from org.choices import Role

        labels = "、".join(Role(r).label for r in roles)
        out.write(f"  {username:<10} {name}  {section or '局领导'}  {position}  [{labels}]")
