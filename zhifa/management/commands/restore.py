from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhifa.backup import (
    TIME_EXAMPLE,
    BackupError,
    Report,
    read_manifest,
    restore,
    restore_to_time,
    verify_restored,
)


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
        parser.add_argument(
            "--to-time",
            metavar="时间",
            help=f"PostgreSQL：由该备份的基础备份与 WAL 归档恢复到这一时刻（如 “{TIME_EXAMPLE}”），"
            "须同时给出 --pgdata 与 --wal-archive",
        )
        parser.add_argument("--pgdata", type=Path, help="按时间点恢复：数据库服务器的数据目录（原目录改名保留）")
        parser.add_argument("--wal-archive", type=Path, help="按时间点恢复：WAL 归档目录")

    def handle(self, *args, source, force, verify_only, to_time, pgdata, wal_archive, **options):
        report = Report()
        report.say = lambda line: self.stdout.write(line)
        if to_time is None and (pgdata or wal_archive):
            raise CommandError("--pgdata 与 --wal-archive 只用于按时间点恢复，请同时给出 --to-time。未作任何改动。")
        if to_time is not None and verify_only:
            raise CommandError("--to-time 与 --verify-only 不能同时使用。未作任何改动。")
        try:
            if to_time is not None:
                problems = restore_to_time(
                    source, to_time=to_time, pgdata=pgdata, wal_archive=wal_archive, report=report
                )
            elif verify_only:
                problems = verify_restored(read_manifest(source), report=report)
            else:
                problems = restore(source, force=force, report=report)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if problems:
            for problem in problems:
                self.stdout.write(f"✘ {problem}")
            raise CommandError(f"恢复后的核验未通过：{len(problems)} 处问题。", returncode=1)
