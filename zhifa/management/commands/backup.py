from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhifa.backup import BackupError, Report, backup


class Command(BaseCommand):
    help = "备份：数据库与全部存储文件一并备份到一个新目录（文件按哈希命名并逐一核对）"

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="备份目录（新目录或空目录）")

    def handle(self, *args, out, **options):
        report = Report()
        report.say = lambda line: self.stdout.write(line)
        try:
            backup(out, report=report)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"备份完成：{out}")
