from django.core.management.base import BaseCommand, CommandError

from archive.services import archive_check_all


class Command(BaseCommand):
    requires_system_checks = []  # unattended and scheduled
    help = "立卷归档：check 对全部已归档案卷重新进行四性检测（定期运行，核对固定性），输出一份汇总"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="子命令")
        sub.add_parser("check", help="对全部已归档案卷重新检测真实性、完整性、可用性、安全性，每卷保存检测报告")

    def handle(self, *args, action, **options):
        result = archive_check_all()
        failed = result["failed"]
        for case_file, summary in failed:
            self.stdout.write(f"✘ {case_file.agency.name} 案卷 {case_file.code}：{summary}")
        if failed:
            raise CommandError(
                f"四性检测：共检测 {result['checked']} 卷，{len(failed)} 卷未通过（见上）。", returncode=1
            )
        self.stdout.write(f"四性检测通过：共检测已归档案卷 {result['checked']} 卷，均未发现问题。")
