from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhifa.backup import BackupError, Report, read_manifest, restore, verify_restored


class Command(BaseCommand):
    help = "恢复：从 zhifa backup 的目录恢复数据库与存储文件，并核验台账、检查点和每个文件的哈希"

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="zhifa backup 写出的备份目录")
        parser.add_argument("--force", action="store_true", help="当前数据库已有数据时仍整体替换")
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="不恢复，只按该备份的清单核验当前数据库（如按时间点恢复之后）",
        )

    def handle(self, *args, source, force, verify_only, **options):
        report = Report()
        report.say = lambda line: self.stdout.write(line)
        try:
            if verify_only:
                problems = verify_restored(read_manifest(source), report=report)
            else:
                problems = restore(source, force=force, report=report)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if problems:
            for problem in problems:
                self.stdout.write(f"✘ {problem}")
            raise CommandError(f"恢复后的核验未通过：{len(problems)} 处问题。", returncode=1)
