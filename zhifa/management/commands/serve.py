from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from zhifa.demo import DEMO_PASSWORD, demo_exists, demo_load
from zhifa.management.commands.demo import print_accounts


def _start_checkpoint_signer(interval: int) -> None:
    """Sign checkpoints periodically while the server runs (on demand: `zhifa ledger checkpoint`)."""
    import threading
    from datetime import timedelta

    from django.db import connection

    from ledger.services import checkpoint_sign_if_due

    def loop():
        stop = threading.Event()
        while not stop.wait(min(interval, 60)):
            try:
                checkpoint_sign_if_due(max_age=timedelta(seconds=interval))
            except Exception:
                import logging

                logging.getLogger("zhifa.ledger").exception("periodic checkpoint failed")
            finally:
                connection.close()

    threading.Thread(target=loop, name="checkpoint-signer", daemon=True).start()


class Command(BaseCommand):
    help = "启动平台：迁移数据库、首次运行时载入演示单位，并在本机提供网页服务"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
        parser.add_argument("--no-demo", action="store_true", help="不载入演示单位")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, **options):
        from waitress import serve

        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"数据库已就绪：{settings.DATABASES['default']['NAME']}")
        if not options["no_demo"] and not settings.PRODUCTION:
            if not demo_exists():
                demo_load()
                self.stdout.write("已载入演示单位：抚顺市应急管理局。")
            print_accounts(self.stdout, DEMO_PASSWORD)
        if not settings.ZHIFA_BROKER_URL:  # with a task queue, celery beat does this (zhifa/celery.py)
            _start_checkpoint_signer(settings.ZHIFA_CHECKPOINT_INTERVAL)
            from supervision.hooks import start_periodic_scan

            start_periodic_scan(settings.ZHIFA_SUPERVISION_SCAN_INTERVAL)
        url = f"http://{options['host']}:{options['port']}/login/"
        self.stdout.write(f"\n行政执法平台已启动，请在浏览器中打开：{url}\n按 Ctrl+C 停止。")
        self.stdout.flush()
        from zhifa.errors import waitress_limits
        from zhifa.wsgi import application

        serve(
            application,
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="zhifa",
            _quiet=True,
            **waitress_limits(),
        )
