import shutil
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from matters import rendering
from matters.instrument_types import TYPES
from matters.instruments import preview_context
from org.models import Agency


class Command(BaseCommand):
    help = "文书模板：导出内置模板供本机关修改；检查替换后的模板能否生成文书（可输出样张）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="把内置模板复制到模板目录（已有的文件不覆盖）")
        export.add_argument("--agency", help="只给这个执法主体（统一社会信用代码）用：复制到其子目录")
        export.add_argument("kinds", nargs="*", help="文书种类（默认全部，含 _base、_remedy）")
        check = sub.add_parser("check", help="用示例内容逐种生成 DOCX 和 PDF，报告出错的模板")
        check.add_argument("--agency", help="执法主体的统一社会信用代码（默认：唯一的或第一个）")
        check.add_argument("--out", help="把样张保存到这个文件夹")
        check.add_argument("kinds", nargs="*", help="文书种类（默认全部）")

    def _agency(self, uscc):
        agencies = Agency.objects.all()
        agency = agencies.filter(uscc=uscc).first() if uscc else agencies.order_by("pk").first()
        if agency is None:
            raise CommandError(f"找不到执法主体“{uscc}”。" if uscc else "系统中还没有执法主体。")
        return agency

    def _kinds(self, kinds):
        unknown = [k for k in kinds if k not in TYPES and not k.startswith("_")]
        if unknown:
            raise CommandError(f"未知的文书种类：{'、'.join(unknown)}。可用：{'、'.join(TYPES)}")
        return kinds

    def handle(self, *args, action, **options):
        if action == "export":
            self._export(options.get("agency"), self._kinds(options["kinds"]))
        else:
            self._check(options.get("agency"), self._kinds(options["kinds"]) or list(TYPES), options.get("out"))

    def _export(self, uscc, kinds):
        agency = self._agency(uscc) if uscc else None
        folder = rendering.template_dirs(agency)[0]
        folder.mkdir(parents=True, exist_ok=True)
        names = [f"{k}.txt" for k in kinds] or sorted(p.name for p in rendering.BUILTIN_DIR.glob("*.txt"))
        for name in names:
            target = folder / name
            if target.exists():
                self.stdout.write(f"已存在，未覆盖：{target}")
                continue
            shutil.copyfile(rendering.BUILTIN_DIR / name, target)
            self.stdout.write(f"已导出：{target}")

    def _check(self, uscc, kinds, out):
        agency = self._agency(uscc)
        failures = 0
        with tempfile.TemporaryDirectory(prefix="zhifa-templates-") as tmp:
            folder = Path(out) if out else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            for code in kinds:
                kind = TYPES[code]
                context = preview_context(agency, kind)
                try:
                    blocks = rendering.layout(agency, code, context)
                    meta = {"title": kind.title, "number": context["number"], "identifier": "preview",
                            "moment": context["issued_at"]}
                    rendering.render_docx(blocks, folder / f"{code}.docx", **meta)
                    rendering.render_pdf(blocks, folder / f"{code}.pdf", **meta)
                except ValidationError as exc:
                    failures += 1
                    self.stderr.write(f"✗ {code}（{kind.title}）：{'；'.join(exc.messages)}")
                    continue
                self.stdout.write(f"✓ {code}（{kind.title}）")
        if out:
            self.stdout.write(f"样张在：{folder}")
        if failures:
            raise CommandError(f"{failures} 种文书的模板有问题。")
