from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from access.models import AccessRequest
from access.services import request_export, requests_expire


class Command(BaseCommand):
    help = "记录信息调阅：export 编号 --out 目录 导出证据包（BagIt 目录与光盘映像）；expire 解除调阅期届满的申请对案卷的保全"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="子命令")
        export = sub.add_parser("export", help="把调阅申请的复制件导出为证据包（BagIt）并刻成 ISO 光盘映像")
        export.add_argument("request_id", help="调阅申请的序号（数字）或调阅编号（如 DY2026-0001）")
        export.add_argument("--out", required=True, help="输出目录")
        export.add_argument("--agency", type=int, help="执法主体序号（按调阅编号查找且有多个单位时必填）")
        sub.add_parser("expire", help="调阅期已届满的申请解除其对案卷的保全（定期运行；外借未归还的除外）")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _export(self, request_id, out, agency=None, **_):
        qs = AccessRequest.objects.all()
        if agency:
            qs = qs.filter(agency_id=agency)
        matches = list(qs.filter(pk=int(request_id)) if request_id.isdigit() else qs.filter(number=request_id))
        if not matches:
            raise CommandError(f"没有调阅申请“{request_id}”。")
        if len(matches) > 1:
            raise CommandError(f"调阅编号“{request_id}”在多个单位中存在，请用 --agency 指定。")
        try:
            export, result = request_export(request=matches[0], out_dir=Path(out))
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(f"证据包 {export.package_number}：{result.bag_path}")
        self.stdout.write(f"光盘映像：{result.iso_path}（SHA-256 {result.iso_sha256}）")
        self.stdout.write(f"核验：cd {result.bag_path} && python3 data/tools/verify_package.py")

    def _expire(self, **_):
        numbers = requests_expire()
        if numbers:
            self.stdout.write(f"已解除 {len(numbers)} 件调阅申请的保全：{'、'.join(numbers)}")
        else:
            self.stdout.write("没有需要解除保全的调阅申请。")
