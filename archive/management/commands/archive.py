from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from archive.models import CaseFile
from archive.services import archive_check_all, casefile_export, disposal_purge


class Command(BaseCommand):
    requires_system_checks = []  # unattended and scheduled
    help = "立卷归档：check 对全部已归档案卷重新进行四性检测（定期运行，核对固定性），输出一份汇总；purge 删除已批准销毁的文件"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="子命令")
        sub.add_parser("check", help="对全部已归档案卷重新检测真实性、完整性、可用性、安全性，每卷保存检测报告")
        export = sub.add_parser("export", help="把已归档的案卷连同台账证明导出为归档包（BagIt）并刻成 ISO 光盘映像")
        export.add_argument("casefile_id", type=int, help="案卷序号（数字）")
        export.add_argument("--out", required=True, help="输出目录")
        sub.add_parser("purge", help="从存储中删除已批准销毁、此前仍受对象锁定保护的文件（锁定期满后；可定期运行）")

    def handle(self, *args, action, **options):
        if action == "export":
            return self._export(**options)
        if action == "purge":
            return self._purge()
        result = archive_check_all()
        failed = result["failed"]
        for case_file, summary in failed:
            self.stdout.write(f"✘ {case_file.agency.name} 案卷 {case_file.code}：{summary}")
        if failed:
            raise CommandError(
                f"四性检测：共检测 {result['checked']} 卷，{len(failed)} 卷未通过（见上）。", returncode=1
            )
        self.stdout.write(f"四性检测通过：共检测已归档案卷 {result['checked']} 卷，均未发现问题。")

    def _purge(self):
        result = disposal_purge()
        self.stdout.write(f"物理删除：本次删除 {result['removed']} 个文件。")
        for removal, until in result["waiting"]:
            self.stdout.write(f"… 销毁清册 {removal.disposal_id}：{removal.sha256[:16]}… 锁定至 {until:%Y-%m-%d}，期满后再删除")
        for removal, message in result["failed"]:
            self.stdout.write(f"✘ 销毁清册 {removal.disposal_id}：{removal.sha256[:16]}… 未能删除：{message}")
        if result["failed"]:
            raise CommandError(f"物理删除：{len(result['failed'])} 个文件未能删除（见上），请检查存储后重新运行。", returncode=1)

    def _export(self, casefile_id, out, **_):
        case_file = CaseFile.objects.filter(pk=casefile_id).first()
        if case_file is None:
            raise CommandError(f"没有序号为 {casefile_id} 的案卷。")
        try:
            result = casefile_export(acting_user=None, case_file=case_file, out_dir=Path(out))
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(f"归档包 {result.bag_path.name}（案卷 {case_file.code}）：{result.bag_path}")
        self.stdout.write(f"光盘映像：{result.iso_path}（SHA-256 {result.iso_sha256}）")
        self.stdout.write(f"核验：cd {result.bag_path} && python3 data/tools/verify_package.py")
