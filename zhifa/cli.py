"""The `zhifa` command: zhifa's own commands listed by `zhifa --help`, Django's passed through."""

import os
import sys

OWN_APPS = ("zhifa", "org", "policy", "enterprises", "ledger", "records", "equipment", "matters", "publicity", "access", "archive", "supervision", "field")


def _own_commands() -> list[tuple[str, str]]:
    from django.core.management import get_commands, load_command_class

    result = []
    for name, app in sorted(get_commands().items()):
        if app in OWN_APPS:
            result.append((name, load_command_class(app, name).help))
    return result


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()
    if not argv or (argv[0] in ("-h", "--help", "help") and len(argv) == 1):
        print("用法：zhifa <命令> [参数]    （zhifa <命令> --help 查看命令说明）\n")
        print("行政执法平台命令：")
        for name, text in _own_commands():
            print(f"  {name:<12} {text}")
        print("\n其他 Django 管理命令（如 migrate、createsuperuser、check）也可直接使用：zhifa migrate")
        return
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(["zhifa", *argv])
    except DatabaseError:
        pending = None if "--traceback" in argv else _pending_migrations()
        if not pending:
            raise
        from django.conf import settings

        sys.stderr.write(
            f"数据库尚未建立或不是当前版本（还有 {pending} 个数据库迁移未执行），命令未完成。\n"
            f"请先运行：zhifa migrate（数据库：{settings.DATABASES['default']['NAME']}）\n"
        )
        sys.exit(1)


def _pending_migrations() -> int:
    """How many migrations the database lacks (0 when it is current or cannot be read)."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    connection.close()  # a failed statement may have left the connection unusable
    try:
        executor = MigrationExecutor(connection)
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return 0


if __name__ == "__main__":
    main()
