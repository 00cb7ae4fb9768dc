"""`zhifa agency`: set up the agencies of an install (a province: thousands) and the supervising
bodies (司法行政部门) that oversee them, one at a time or from a CSV file."""

import csv
import secrets
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q

from org.models import Agency, SupervisingBody
from org.services import agency_provision, supervising_body_attach, supervising_body_create, supervisor_create

# CSV columns (the header row names them; English or Chinese).
COLUMNS = {
    "name": ("name", "名称"),
    "uscc": ("uscc", "统一社会信用代码"),
    "jurisdiction": ("jurisdiction", "管辖范围"),
    "pack": ("pack", "政策包"),
    "sections": ("sections", "科室"),
    "admin_username": ("admin_username", "管理员登录名"),
    "admin_name": ("admin_name", "管理员姓名"),
    "short_name": ("short_name", "简称"),
    "instrument_prefix": ("instrument_prefix", "机关代字"),
    "body": ("body", "监督机关"),
}
REQUIRED = ("name", "uscc", "jurisdiction", "pack", "sections", "admin_username", "admin_name")
MAX_ROWS = 20000


def _sections(raw: str) -> list[str]:
    return [s.strip() for s in raw.replace("；", ";").replace("、", ";").split(";") if s.strip()]


def _password() -> str:
    return secrets.token_urlsafe(12)


class Command(BaseCommand):
    help = "执法主体和执法监督机关：新增（add）、批量导入（import）、列表（list）、监督机关（body-add）、纳入监督（attach）、监督人员（supervisor-add）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="新增一个执法主体，连同其科室和第一位系统管理员")
        add.add_argument("--name", required=True, help="名称，如 抚顺市应急管理局")
        add.add_argument("--uscc", required=True, help="统一社会信用代码")
        add.add_argument("--jurisdiction", required=True, help="管辖范围")
        add.add_argument("--pack", required=True, help="政策包（zhifa policy list 查看）")
        add.add_argument("--section", action="append", required=True, help="科室名称（可多次指定）")
        add.add_argument("--admin-username", required=True, help="系统管理员登录名")
        add.add_argument("--admin-name", required=True, help="系统管理员姓名")
        add.add_argument("--admin-password", help="初始密码（不填则生成并显示一次）")
        add.add_argument("--short-name", default="", help="简称")
        add.add_argument("--prefix", default="", help="文书编号机关代字，如 抚应急")
        add.add_argument("--body", help="纳入该执法监督机关（名称）的监督")
        imp = sub.add_parser("import", help="从 CSV 文件批量新增执法主体（全部成功或全部不导入）")
        imp.add_argument("file", help="CSV 文件（UTF-8，首行为列名：" + "、".join(c[1] for c in COLUMNS.values()) + "）")
        imp.add_argument("--accounts", required=True, help="把各管理员的登录名和初始密码写入此文件（须尚不存在）")
        lst = sub.add_parser("list", help="列出执法主体（或 --bodies 列出执法监督机关）")
        lst.add_argument("--body", help="只列出该执法监督机关（名称）监督的执法主体")
        lst.add_argument("--query", default="", help="按名称或管辖范围查找")
        lst.add_argument("--bodies", action="store_true", help="列出执法监督机关及其监督的执法主体数")
        body = sub.add_parser("body-add", help="新增执法监督机关（司法行政部门），如 抚顺市司法局")
        body.add_argument("--name", required=True)
        body.add_argument("--jurisdiction", required=True, help="监督范围，如 抚顺市人民政府所属行政执法部门")
        body.add_argument("--short-name", default="")
        attach = sub.add_parser("attach", help="把执法主体纳入执法监督机关的监督")
        attach.add_argument("--body", required=True, help="执法监督机关名称")
        attach.add_argument("agencies", nargs="+", help="执法主体名称或统一社会信用代码")
        sup = sub.add_parser("supervisor-add", help="新增执法监督机关的工作人员（只读的执法监督角色）")
        sup.add_argument("--body", required=True, help="执法监督机关名称")
        sup.add_argument("--username", required=True)
        sup.add_argument("--name", required=True)
        sup.add_argument("--password", help="初始密码（不填则生成并显示一次）")

    def handle(self, *args, action, **options):
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None

    def _body(self, name: str) -> SupervisingBody:
        body = SupervisingBody.objects.filter(name=name).first()
        if body is None:
            raise CommandError(f"没有名为“{name}”的执法监督机关；请先用 zhifa agency body-add 新增。")
        return body

    def _add(self, **o):
        password = o["admin_password"] or _password()
        body = self._body(o["body"]) if o["body"] else None
        with transaction.atomic():
            agency = agency_provision(
                name=o["name"], uscc=o["uscc"], jurisdiction=o["jurisdiction"], policy_pack=o["pack"],
                sections=o["section"], admin_username=o["admin_username"], admin_name=o["admin_name"],
                admin_password=password, short_name=o["short_name"], instrument_prefix=o["prefix"],
            )
            if body:
                supervising_body_attach(body=body, agency=agency)
        self.stdout.write(f"已新增执法主体：{agency.name}（政策包 {agency.policy_pack}，科室 {agency.sections.count()} 个）")
        self.stdout.write(f"系统管理员：{o['admin_username']}" + ("" if o["admin_password"] else f"  初始密码：{password}"))
        if body:
            self.stdout.write(f"已纳入{body.name}的监督。")

    def _import(self, **o):
        path, accounts = Path(o["file"]), Path(o["accounts"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        if accounts.exists():
            raise CommandError(f"账号文件 {accounts} 已存在：为免覆盖初始密码，请换一个文件名。")
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                rows = list(csv.DictReader(f))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"无法读取 {path}：请使用 UTF-8 编码的 CSV 文件（{exc}）。") from None
        if not rows:
            raise CommandError(f"{path} 没有数据行。")
        if len(rows) > MAX_ROWS:
            raise CommandError(f"{path} 有 {len(rows)} 行，一次最多导入 {MAX_ROWS} 行，请分批导入。")
        header = set(rows[0])
        columns = {key: next((n for n in names if n in header), None) for key, names in COLUMNS.items()}
        missing = [COLUMNS[k][1] for k in REQUIRED if columns[k] is None]
        if missing:
            raise CommandError("CSV 缺少列：" + "、".join(missing))
        bodies = {b.name: b for b in SupervisingBody.objects.all()}
        created, errors = [], []
        with transaction.atomic():
            for number, row in enumerate(rows, start=2):
                value = {k: (row.get(c) or "").strip() if c else "" for k, c in columns.items()}
                try:
                    body = None
                    if value["body"]:
                        body = bodies.get(value["body"])
                        if body is None:
                            raise ValidationError(f"没有名为“{value['body']}”的执法监督机关")
                    password = _password()
                    with transaction.atomic():
                        agency = agency_provision(
                            name=value["name"], uscc=value["uscc"], jurisdiction=value["jurisdiction"],
                            policy_pack=value["pack"], sections=_sections(value["sections"]),
                            admin_username=value["admin_username"], admin_name=value["admin_name"],
                            admin_password=password, short_name=value["short_name"],
                            instrument_prefix=value["instrument_prefix"],
                        )
                        if body:
                            supervising_body_attach(body=body, agency=agency)
                    created.append((agency.name, value["admin_username"], password))
                except ValidationError as exc:
                    errors.append(f"第{number}行（{value['name'] or '无名称'}）：" + "；".join(exc.messages))
            if errors:
                transaction.set_rollback(True)
        if errors:
            shown = errors[:50] + ([f"……另有 {len(errors) - 50} 行有误"] if len(errors) > 50 else [])
            raise CommandError("导入未进行，没有新增任何执法主体。请改正后重新导入：\n" + "\n".join(shown))
        with accounts.open("x", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["执法主体", "管理员登录名", "初始密码"])
            writer.writerows(created)
        accounts.chmod(0o600)
        self.stdout.write(f"已导入 {len(created)} 个执法主体；管理员初始密码已写入 {accounts}（仅本人可读，请发放后删除）。")

    def _list(self, **o):
        if o["bodies"]:
            for body in SupervisingBody.objects.annotate(n=Count("supervised")).order_by("name"):
                self.stdout.write(f"{body.name}\t{body.jurisdiction}\t监督执法主体 {body.n} 个")
            return
        qs = Agency.objects.annotate(staff_count=Count("staff", distinct=True)).order_by("name")
        if o["body"]:
            qs = qs.filter(supervised_by__body=self._body(o["body"]))
        if o["query"]:
            qs = qs.filter(Q(name__icontains=o["query"]) | Q(jurisdiction__icontains=o["query"]))
        n = 0
        for agency in qs.iterator(chunk_size=1000):
            n += 1
            self.stdout.write(f"{agency.name}\t{agency.uscc}\t{agency.policy_pack}\t人员 {agency.staff_count}")
        self.stdout.write(f"共 {n} 个执法主体。")

    def _body_add(self, **o):
        body = supervising_body_create(name=o["name"], jurisdiction=o["jurisdiction"], short_name=o["short_name"])
        self.stdout.write(f"已新增执法监督机关：{body.name}")

    def _attach(self, **o):
        body = self._body(o["body"])
        with transaction.atomic():
            for key in o["agencies"]:
                agency = Agency.objects.filter(Q(name=key) | Q(uscc=key)).first()
                if agency is None:
                    raise CommandError(f"没有名称或统一社会信用代码为“{key}”的执法主体，未纳入任何执法主体。")
                supervising_body_attach(body=body, agency=agency)
        self.stdout.write(f"已将 {len(o['agencies'])} 个执法主体纳入{body.name}的监督。")

    def _supervisor_add(self, **o):
        body = self._body(o["body"])
        password = o["password"] or _password()
        staff = supervisor_create(body=body, username=o["username"], name=o["name"], password=password)
        self.stdout.write(f"已新增{body.name}执法监督人员：{staff.name}（{staff.username}）"
                          + ("" if o["password"] else f"  初始密码：{password}"))
