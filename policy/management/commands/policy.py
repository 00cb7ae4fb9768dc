import json
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from policy.coverage import coverage, render
from policy.lint import run as lint_run
from policy.packs import PackError
from policy.registry import GROUPS, RULES, UNIT_LABELS
from policy.selectors import packset
from zhifa.dates import parse_date


class Command(BaseCommand):
    requires_system_checks = []  # unattended and frequent: the checks belong to deploy and serve
    help = (
        "政策包：lint 检查全部政策包；list 列出政策包；show PACK 显示某政策包适用的全部规则及依据；"
        "coverage 列出每个制度条款的规则、执行它的代码和测试"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="子命令")
        sub.add_parser("lint", help="检查格式、单位、规则键、引用依据及条款是否存在")
        sub.add_parser("list", help="列出全部政策包")
        cover = sub.add_parser("coverage", help="每个制度条款的规则键、执行它的代码和测试")
        cover.add_argument("--all", action="store_true", help="连同法律、行政法规的条款（默认只列制度文件）")
        cover.add_argument("--json", action="store_true", help="以 JSON 输出")
        show = sub.add_parser("show", help="显示政策包解析后的规则（含继承）")
        show.add_argument("pack", help="政策包标识，如 fushun-city")
        show.add_argument("--on", help="适用日期 YYYY-MM-DD，默认今天")
        show.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, action, **options):
        if action == "lint":
            code = lint_run(settings.ZHIFA_POLICY_PACKS_DIR, settings.ZHIFA_REGULATIONS_DIR, out=self.stdout)
            if code:
                raise CommandError("政策包检查未通过。", returncode=code)
            return
        if action == "coverage":
            rows = coverage(settings.ZHIFA_POLICY_PACKS_DIR, seeds_only=not options["all"])
            if options["json"]:
                self.stdout.write(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
            else:
                render(rows, self.stdout)
            return
        packs = packset()
        if action == "list":
            for pack_id in packs.ids:
                pack = packs.packs[pack_id]
                parent = f"（继承 {'、'.join(pack.extends)}）" if pack.extends else ""
                period = f"{pack.effective_from or '—'} 起" + (
                    f" 至 {pack.effective_to}" if pack.effective_to else ""
                )
                self.stdout.write(f"{pack.id:<22} {pack.title}{parent}  规则 {len(pack.rules)} 条  {period}")
            return
        on = self._date(options.get("on"))
        try:
            resolved = packs.resolve(options["pack"], on)
        except PackError as exc:
            raise CommandError(exc.message) from None
        if options["json"]:
            payload = {
                "pack": resolved.pack.id,
                "title": resolved.pack.title,
                "chain": [p.id for p in resolved.chain],
                "on": on.isoformat(),
                "rules": [rule.as_dict() | {"title": RULES[rule.key].title} for rule in resolved],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{resolved.pack.title}（{' → '.join(p.id for p in resolved.chain)}），适用日期 {on}"
        )
        for group, title in GROUPS.items():
            rules = [r for r in resolved if r.key.startswith(group + ".")]
            if not rules:
                continue
            self.stdout.write(f"\n【{title}】")
            for rule in rules:
                self.stdout.write(f"  {RULES[rule.key].title}（{rule.key}）：{_value(rule)}")
                self.stdout.write(f"    {rule.summary}")
                self.stdout.write(
                    "    依据："
                    + rule.cited()
                    + ("" if rule.pack_id == resolved.pack.id else f"（沿用 {rule.pack_id}）")
                )

    def _date(self, value) -> date:
        try:
            return parse_date(value, default=timezone.localdate())
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None


def _value(rule) -> str:
    if rule.unit == "bool":
        return "是" if rule.value else "否"
    if rule.unit == "list":
        return "、".join(rule.value)
    if rule.unit == "table":
        return f"{len(rule.value)} 项（见 --json）"
    return f"{rule.value}{UNIT_LABELS.get(rule.unit, '')}"
