from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhifa.demo import DEMO_PASSWORD, STAFF, SUPERVISOR, demo_exists, demo_load
from zhifa.demo_packs import PROFILES, pack_demo_exists, pack_demo_load

DEFAULT_PACK = "fushun-city"


class Command(BaseCommand):
    help = (
        "载入演示单位（默认抚顺市应急管理局：科室、各角色人员、20家生产经营单位）；--pack 载入其他政策包的"
        "演示单位，可与其他演示单位并存；已存在则不重复载入"
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="演示账号的密码")
        parser.add_argument(
            "--pack",
            default=DEFAULT_PACK,
            choices=[DEFAULT_PACK, *PROFILES],
            help="政策包标识：载入按该政策包执法的演示单位（账号以该单位的前缀开头，如 th-admin）",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("生产环境不能载入演示数据。")
        if options["pack"] != DEFAULT_PACK:
            self._load_pack(options["pack"], options["password"])
            return
        if demo_exists():
            self.stdout.write("演示单位已存在，未重复载入。")
        else:
            agency = demo_load(password=options["password"])
            self.stdout.write(
                f"已载入演示单位：{agency.name}（{agency.sections.count()} 个科室，{agency.staff.count()} 名人员，{agency.parties.count()} 家生产经营单位）。"
            )
        print_accounts(self.stdout, options["password"])

    def _load_pack(self, pack: str, password: str) -> None:
        profile = PROFILES[pack]
        if pack_demo_exists(pack):
            self.stdout.write(f"演示单位“{profile.name}”已存在，未重复载入。")
        else:
            agency = pack_demo_load(pack=pack, password=password)
            self.stdout.write(
                f"已载入演示单位：{agency.name}（政策包 {pack}；{agency.sections.count()} 个科室，"
                f"{agency.staff.count()} 名人员，{agency.parties.count()} 家生产经营单位，"
                f"{agency.devices.count()} 台音像记录设备）。"
            )
        from org.choices import Role

        self.stdout.write(f"演示账号（密码均为 {password}）：")
        for suffix, name, section, roles, position, *_ in profile.staff:
            labels = "、".join(Role(r).label for r in roles)
            self.stdout.write(f"  {profile.prefix + suffix:<14} {name}  {section or '局领导'}  {position}  [{labels}]")


def print_accounts(out, password: str) -> None:
    out.write(f"演示账号（密码均为 {password}）：")
    for username, name, section, roles, position, *_ in STAFF:
        from org.choices import Role

        labels = "、".join(Role(r).label for r in roles)
        out.write(f"  {username:<10} {name}  {section or '局领导'}  {position}  [{labels}]")
    username, name, position = SUPERVISOR
    out.write(f"  {username:<10} {name}  抚顺市司法局  {position}  [{Role.OVERSIGHT.label}]")
